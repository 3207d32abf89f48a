"""Pre-period Poisson fits and the simulated draws of the comparative counterfactual.

:func:`fit_pre` fits the baseline terms to many series at once; :func:`simulate_blocks`
and :func:`simulate_ar1` draw counterfactual paths after the intervention from refits on
resampled pre-periods (moving blocks or AR(1) noise, :mod:`.resampling`), for the treated
flow alone or relative to the controls.
"""

from __future__ import annotations

import numpy as np

from belru_trade.errors import InvalidArgumentError
from belru_trade.models.counterfactual.resampling import ar1_paths, block_indices
from belru_trade.models.scan.core import fit_batch_glm

__all__ = ["fit_pre", "refit_post", "simulate_ar1", "simulate_blocks"]


def fit_pre(B: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Poisson pseudo-ML fits of the columns of ``Y`` (pre periods) on ``B``; (S x k)."""
    fit = fit_batch_glm(B, Y, log_offset=None, quasi=True, errors="model", lags=0)
    if not fit.converged.all():
        raise InvalidArgumentError(
            "the pre-period Poisson fit did not converge for "
            f"{int((~fit.converged).sum())} of {len(fit.converged)} (bootstrap) series"
        )
    return fit.params


def refit_post(
    B: np.ndarray,
    pre: np.ndarray,
    Y_T: np.ndarray,
    Y_C: np.ndarray,
    cvals: np.ndarray,
    n_boot: int,
) -> np.ndarray:
    """Counterfactual means after the intervention from refits on bootstrap pre-periods."""
    params = fit_pre(B[pre], np.c_[Y_T.T, Y_C.T])
    bT, bC = params[:n_boot], params[n_boot:]
    post = ~pre
    return np.exp(bT @ B[post].T) * cvals[post] / np.exp(bC @ B[post].T)


def simulate_blocks(
    B: np.ndarray,
    pre: np.ndarray,
    m_T: np.ndarray,
    m_C: np.ndarray,
    cvals: np.ndarray,
    r: np.ndarray,
    *,
    own: bool,
    n_boot: int,
    block: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Counterfactual draws with moving-block bootstrap pre-period refits and post noise."""
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    idx = block_indices(n_pre, n_pre, block=block, size=n_boot, rng=rng)
    cf = refit_post(B, pre, m_T[pre] * r[idx, 0], m_C[pre] * r[idx, 1], cvals, n_boot)
    u = r[:, 0] / r[:, 1]
    u = u / u.mean()
    return cf * u[block_indices(n_pre, n_post, block=block, size=n_boot, rng=rng)]


def simulate_ar1(
    B: np.ndarray,
    pre: np.ndarray,
    m_T: np.ndarray,
    m_C: np.ndarray,
    cvals: np.ndarray,
    r: np.ndarray,
    *,
    own: bool,
    n_boot: int,
    block: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Counterfactual draws with AR(1) noise paths (refits on the pre-period, noise after)."""
    logs = np.log(r[:, :1] if own else r)
    paths = ar1_paths(logs, len(pre), size=n_boot, rng=rng, n_params=B.shape[1])
    paths = paths - paths.var(axis=(0, 1)) / 2.0  # mean-one multiplicative noise
    if own:
        paths = np.concatenate([paths, np.zeros_like(paths)], axis=2)
    noise = np.exp(paths)
    cf = refit_post(B, pre, m_T[pre] * noise[:, pre, 0], m_C[pre] * noise[:, pre, 1], cvals,
                     n_boot)  # fmt: skip
    d = paths[:, ~pre, 0] - paths[:, ~pre, 1]
    return cf * np.exp(d - np.log(np.mean(np.exp(d))))

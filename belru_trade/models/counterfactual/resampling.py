"""Resampling over time for counterfactual bands and joint contrasts: blocks and AR(1).

Serial correlation makes sums over consecutive periods (cumulative lost trade) far more
variable than independent draws suggest. The moving-block bootstrap (Kunsch 1989; Lahiri
2003) resamples blocks of ``L`` consecutive periods, so the dependence within a block is
kept; with ``L ~ n^(1/3)`` it is consistent for sums and means of weakly dependent series.
Drawing the same time blocks for several series keeps their cross-correlation (a joint
bootstrap), which a delta method that treats the series as independent loses.

Short series (30 pre-intervention months) are a hard case for the block bootstrap: the
residuals of a trend fit are shrunk towards zero at low frequencies, so resampled blocks
understate how far a trend can be off (measured: half the sampling s.d. of the slope at
rho = 0.6, n = 31). :func:`ar1_paths` is the parametric alternative: AR(1) errors with a
small-sample bias correction of rho (Shaman & Stine 1988), simulated afresh for the whole sample.

>>> rng = np.random.default_rng(0)
>>> idx = block_indices(10, 7, block=3, size=2, rng=rng)
>>> idx.shape, bool(np.all(np.diff(idx[:, :3], axis=1) == 1))
((2, 7), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from belru_trade._validation import check_int_range, check_positive_int
from belru_trade.errors import InvalidArgumentError

__all__ = [
    "ar1_paths",
    "block_indices",
    "check_block_length",
    "default_block_length",
    "percentile_interval",
]


def default_block_length(n: int) -> int:
    """Rule-of-thumb block length ``max(2, round(n^(1/3)))`` (Hall, Horowitz & Jing 1995).

    >>> default_block_length(31), default_block_length(240)
    (3, 6)
    """
    return max(2, round(n ** (1.0 / 3.0)))


def check_block_length(block: Any, n_source: int) -> int:
    """Return ``block`` as a length in ``[1, n_source]`` (the periods it resamples from).

    Checked whenever a block length is given, also for noise models that do not use it.

    >>> check_block_length(3, 40)
    3
    """
    return check_int_range("block", block, 1, max(1, int(n_source)))


def block_indices(
    n_source: int, n_out: int, *, block: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices ``(size, n_out)`` into ``0..n_source-1`` built from moving blocks of ``block``.

    Each row concatenates blocks ``[s, s+1, ..., s+block-1]`` with starts drawn uniformly
    from ``0..n_source-block`` and is cut to ``n_out``.

    Raises
    ------
    InvalidArgumentError
        ``block`` larger than ``n_source``.
    """
    check_positive_int("block", block)
    if block > n_source:
        raise InvalidArgumentError(
            f"block={block} is longer than the {n_source} periods available to resample"
        )
    n_blocks = -(-n_out // block)
    starts = rng.integers(0, n_source - block + 1, size=(size, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(size, -1)
    return idx[:, :n_out]


def percentile_interval(draws: np.ndarray, level: float, axis: int = 0) -> np.ndarray:
    """Equal-tailed percentile interval ``(2, ...)`` of bootstrap draws along ``axis``."""
    alpha = (1.0 - level) / 2.0
    return np.quantile(draws, [alpha, 1.0 - alpha], axis=axis)


def _ar1_coefficient(e: np.ndarray) -> float:
    """Least-squares AR(1) coefficient of trend residuals, bias-corrected, in (-0.95, 0.95).

    The correction ``(2 + 4 rho) / n`` is the first-order bias of the AR(1) estimate from
    the residuals of a regression on a constant and a linear trend (Shaman & Stine 1988).
    """
    e = e - e.mean()
    denom = float(e[:-1] @ e[:-1])
    rho = float(e[1:] @ e[:-1]) / denom if denom > 0 else 0.0
    rho = rho + (2.0 + 4.0 * rho) / len(e)
    return float(np.clip(rho, -0.95, 0.95))


def ar1_paths(
    resid: np.ndarray,
    n_out: int,
    *,
    size: int,
    rng: np.random.Generator,
    n_params: int = 0,
    burn: int = 50,
) -> np.ndarray:
    """Stationary AR(1) paths ``(size, n_out, m)`` fitted to the columns of ``resid``.

    Each column gets its own coefficient (least squares on the residuals of a trend
    regression, bias-corrected by ``(2 + 4 rho) / n``); the innovations of the columns are
    drawn jointly normal with their sample covariance, inflated by ``(n - 1) / (n - 1 -
    n_params)`` for the ``n_params`` coefficients the residuals were fitted with, so
    cross-correlation is kept. Paths start ``burn`` periods early from zero.

    >>> e = np.random.default_rng(1).normal(size=(40, 2))
    >>> ar1_paths(e, 10, size=3, rng=np.random.default_rng(0)).shape
    (3, 10, 2)
    """
    resid = np.asarray(resid, dtype=float)
    if resid.ndim == 1:
        resid = resid[:, None]
    rho = np.array([_ar1_coefficient(resid[:, j]) for j in range(resid.shape[1])])
    centred = resid - resid.mean(axis=0)
    innov = centred[1:] - rho * centred[:-1]
    dof = max(len(innov) - n_params, 2)
    cov = np.atleast_2d(np.cov(innov, rowvar=False)) * (len(innov) - 1) / (dof - 1)
    shocks = rng.multivariate_normal(np.zeros(len(rho)), cov, size=(size, n_out + burn))
    paths = np.zeros_like(shocks)
    for t in range(1, n_out + burn):
        paths[:, t] = rho * paths[:, t - 1] + shocks[:, t]
    return paths[:, burn:]

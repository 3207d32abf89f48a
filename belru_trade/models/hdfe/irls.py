"""The PPML iteratively reweighted least-squares loop with fixed effects partialled out
(warm starts across steps, inner tolerance tightened as the deviance converges, step
halving, regressors and working response partialled in two threads on large samples).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from belru_trade.errors import ConvergenceError
from belru_trade.models.hdfe.prepare import Prepared
from belru_trade.models.hdfe.projection import partial, wls

__all__ = ["PARALLEL_MIN_ROWS", "IRLSFit", "irls"]

PARALLEL_MIN_ROWS = 50_000  # partial X and z in two threads above this size


@dataclass(frozen=True)
class IRLSFit:
    """Output of :func:`irls`."""

    beta: np.ndarray
    bread: np.ndarray
    scores: np.ndarray
    fe_coefs: list[np.ndarray]
    iterations: int
    deviance: float
    null_deviance: float
    loglik: float
    mu: np.ndarray


def _deviance(
    y: np.ndarray,
    mu: np.ndarray,
    wu: np.ndarray,
    ylogy: np.ndarray,
    eta: np.ndarray | None = None,
) -> float:
    """Poisson deviance; ``eta = log(mu)`` may be passed to skip the logarithm."""
    if eta is None:
        with np.errstate(divide="ignore"):
            eta = np.log(mu)
    term = ylogy - np.where(y > 0, y * eta, 0.0) - (y - mu)
    return float(2.0 * np.dot(wu, term))


class _IRLSState:
    """Mutable loop state of :func:`irls` (kept small so each step stays readable)."""

    def __init__(self, prep: Prepared) -> None:
        self.y = prep.y
        self.wu = np.ones(prep.y.size) if prep.weights is None else prep.weights
        self.off = np.zeros(prep.y.size) if prep.offset is None else prep.offset
        sd = prep.X.std(axis=0)
        self.scale = np.where(sd > 0, sd, np.maximum(np.abs(prep.X).max(axis=0), 1.0))
        self.Xs = prep.X / self.scale
        self.fe = prep.fe
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ylogy = np.where(self.y > 0, self.y * np.log(self.y), 0.0)
        mu = (self.y + np.average(self.y, weights=self.wu)) / 2.0
        self.eta = np.log(mu)
        self.mu = mu
        self.z_start: list[np.ndarray] | None = None
        self.x_starts: list[list[np.ndarray]] | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.wuy = self.wu * self.y
        self.dev_const = float(np.dot(self.wu, self.ylogy) - self.wuy.sum())

    def deviance(self, eta: np.ndarray, mu: np.ndarray) -> float:
        """Poisson deviance 2 sum wu [y log y - y eta - (y - mu)] from two dot products."""
        return 2.0 * (self.dev_const - float(np.dot(self.wuy, eta)) + float(np.dot(self.wu, mu)))

    def step(self, inner: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One IRLS step: returns (beta in scaled units, new eta, partialled X)."""
        w = self.wu * self.mu
        z = self.eta - self.off + (self.y - self.mu) / self.mu
        if self.pool is not None:  # regressors and working response in two threads
            fut = self.pool.submit(partial, self.Xs, self.fe, w, inner, self.x_starts)
            zt, zs = partial(z[:, None], self.fe, w, inner, [self.z_start])
            Xt, self.x_starts = fut.result()
        else:
            Xt, self.x_starts = partial(self.Xs, self.fe, w, inner, self.x_starts)
            zt, zs = partial(z[:, None], self.fe, w, inner, [self.z_start])
        self.z_start = zs[0]
        beta = wls(Xt, zt[:, 0], w)
        resid = zt[:, 0] - Xt @ beta
        self.last = (Xt, w, beta)
        return beta, z - resid + self.off, Xt


def irls(prep: Prepared, *, tol: float, maxiter: int) -> IRLSFit:
    """Poisson IRLS with warm-started partialling and an adaptive inner tolerance."""
    st = _IRLSState(prep)
    if prep.fe is not None and prep.y.size >= PARALLEL_MIN_ROWS and prep.X.shape[1]:
        with ThreadPoolExecutor(max_workers=1) as pool:
            st.pool = pool
            return _irls_loop(st, prep, tol, maxiter)
    return _irls_loop(st, prep, tol, maxiter)


def _irls_loop(st: _IRLSState, prep: Prepared, tol: float, maxiter: int) -> IRLSFit:
    target = max(1e-12, min(1e-7, 10.0 * tol))  # inner (demeaning) tolerance at convergence
    inner, dev_old = 1e-2, np.inf  # the starting mu is not a model fit: no halving at step 1
    for it in range(1, maxiter + 1):
        beta, eta, _ = st.step(inner)
        eta, mu, dev = _halve(st, eta, dev_old)
        st.eta, st.mu = eta, mu
        eps = abs(dev - dev_old) / max(min(dev, dev_old), 0.1)
        dev_old = dev
        if eps < tol and inner <= target:
            return _finish(st, prep, beta, it, dev)
        while eps < inner and inner > target:
            inner = max(inner / 10.0, target)
    raise ConvergenceError(
        f"PPML did not converge in maxiter={maxiter} iterations (last relative deviance "
        f"change {eps:.3g} > tol={tol}); check for separation or raise maxiter"
    )


def _halve(st: _IRLSState, eta: np.ndarray, dev_old: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Step-halving when the deviance is not finite or increases markedly."""
    for _ in range(30):
        with np.errstate(over="ignore"):
            mu = np.exp(np.minimum(eta, 700.0))
        dev = st.deviance(np.minimum(eta, 700.0), mu)
        if np.isfinite(dev) and (dev <= dev_old * (1 + 1e-6) + 1e-10 or not np.isfinite(dev_old)):
            return eta, mu, dev
        eta = 0.5 * (eta + st.eta)
    return eta, mu, dev


def _finish(st: _IRLSState, prep: Prepared, beta_s: np.ndarray, it: int, dev: float) -> IRLSFit:
    """Covariance ingredients and fixed effects from the last IRLS step (converged)."""
    Xt_s, w, _ = st.last
    Xt = Xt_s * st.scale
    beta = beta_s / st.scale
    bread = linalg.inv((Xt * w[:, None]).T @ Xt) if Xt.shape[1] else np.zeros((0, 0))
    scores = Xt * (st.wu * (st.y - st.mu))[:, None]
    ybar = np.sum(st.wu * st.y) / np.sum(st.wu * np.exp(st.off))
    null_dev = _deviance(st.y, ybar * np.exp(st.off), st.wu, st.ylogy)
    from scipy.special import gammaln

    loglik = float(np.dot(st.wu, st.y * st.eta - st.mu - gammaln(st.y + 1)))
    return IRLSFit(beta, bread, scores, _fe_coefs(st, beta_s), it, dev, null_dev, loglik, st.mu)


def _fe_coefs(st: _IRLSState, beta_s: np.ndarray) -> list[np.ndarray]:
    """Fixed effects of the last step: those of z minus b times those of each regressor."""
    if st.fe is None or st.z_start is None or st.x_starts is None:
        return []
    coefs = [a.copy() for a in st.z_start]
    for j, b in enumerate(beta_s):
        for q in range(len(coefs)):
            coefs[q] -= b * st.x_starts[j][q]
    for q in range(1, len(coefs)):
        shift = coefs[q][0]
        coefs[q] -= shift
        coefs[0] += shift
    return coefs

"""The PPML iteratively reweighted least-squares loop with fixed effects partialled out.

The working response and the regressors are demeaned together as one block, warm-started
from the previous step (the partialled block and its fixed-effect coefficients are kept from
step to step; only the change of the working response is added), with an inner tolerance
that tightens as the deviance converges, and step halving. The O(n) loops are compiled for
large problems and numpy for small ones (:mod:`belru_trade.models.hdfe._backend`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import linalg

from belru_trade.errors import ConvergenceError
from belru_trade.models.hdfe._backend import kernels_for
from belru_trade.models.hdfe.absorb import Demeaner
from belru_trade.models.hdfe.collinearity import Partialled
from belru_trade.models.hdfe.prepare import Prepared
from belru_trade.models.hdfe.projection import fe_coefficients

__all__ = ["IRLSFit", "irls", "starting_mu"]


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


def starting_mu(prep: Prepared) -> np.ndarray:
    """Starting means of the IRLS loop: ``(y + mean(y)) / 2`` (weighted mean)."""
    wu = np.ones(prep.y.size) if prep.weights is None else prep.weights
    return (prep.y + np.average(prep.y, weights=wu)) / 2.0


class _IRLSState:
    """Mutable loop state of :func:`irls` (kept small so each step stays readable).

    ``block`` holds the partialled working response (column 0) and the partialled regressors
    scaled to unit standard deviation (columns 1..k); ``coef`` their fixed-effect
    coefficients, so that ``[z, X / scale] = block + fitted(coef)`` at all times.
    """

    def __init__(self, prep: Prepared, start: Partialled | None) -> None:
        n, k = prep.X.shape
        self.y = prep.y
        empty = np.zeros(0)
        self.wu = empty if prep.weights is None else np.ascontiguousarray(prep.weights, float)
        self.off = empty if prep.offset is None else np.ascontiguousarray(prep.offset, float)
        sd = prep.X.std(axis=0)
        self.scale = np.where(sd > 0, sd, np.maximum(np.abs(prep.X).max(axis=0), 1.0))
        self.fe = prep.fe
        self.kernels = kernels_for(n)
        self.consts = self.kernels.poisson_constants(self.y, self.wu)
        self.mu = starting_mu(prep)
        self.eta = np.log(self.mu)
        self.eta_new = np.empty(n)
        self.z = np.zeros(n)
        self.w = np.empty(n)
        self.block = np.empty((n, k + 1))
        self.block[:, 0] = 0.0
        self.coef: np.ndarray | None = None
        if self.fe is not None:
            self.coef = np.zeros((sum(self.fe.sizes), k + 1))
        if start is not None and start.coef is not None:
            self.block[:, 1:] = start.Xt / self.scale
            cast(np.ndarray, self.coef)[:, 1:] = start.coef / self.scale  # set with self.fe
        else:
            self.block[:, 1:] = prep.X / self.scale

    def deviance(self, eta: np.ndarray, mu: np.ndarray) -> float:
        """Poisson deviance 2 sum wu [y log y - y eta - (y - mu)]."""
        ylogy, ysum = self.consts[0], self.consts[1]
        a, b = self.kernels.deviance_sums(self.y, self.wu, eta, mu)
        return 2.0 * (ylogy - ysum - a + b)

    def step(self, inner: float) -> np.ndarray:
        """One IRLS step: returns beta (in scaled units); the new index is in ``eta_new``."""
        sd_z = self.kernels.irls_prepare(
            self.y, self.wu, self.off, self.eta, self.mu, self.z, self.block, self.w
        )
        if self.fe is not None and self.coef is not None:  # the coefficients exist with fe
            threshold = np.full(self.block.shape[1], inner)
            threshold[0] = inner * max(sd_z, 1e-300)
            Demeaner(self.fe, self.w).demean_block(self.block, self.coef, threshold)
        gram = self.kernels.weighted_gram(self.block, self.w)
        beta = np.zeros(0)
        if gram.shape[0] > 1:
            beta = linalg.solve(gram[1:, 1:], gram[1:, 0], assume_a="pos")
        self.kernels.eta_update(self.z, self.block, beta, self.off, self.eta_new)
        self.gram = gram
        return beta


def irls(prep: Prepared, *, tol: float, maxiter: int, start: Partialled | None = None) -> IRLSFit:
    """Poisson IRLS with warm-started partialling and an adaptive inner tolerance.

    ``start`` holds the regressors already partialled (e.g. by the collinearity check, under
    the observation weights) with their fixed-effect coefficients: the first step starts
    from them (a warm start is valid under any weights: ``X = X~ + fitted(coef)``).
    """
    st = _IRLSState(prep, start)
    target = max(1e-12, min(1e-7, 10.0 * tol))  # inner (demeaning) tolerance at convergence
    inner, dev_old = 1e-2, np.inf  # the starting mu is not a model fit: no halving at step 1
    for it in range(1, maxiter + 1):
        beta = st.step(inner)
        dev = _halve(st, dev_old)
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


def _halve(st: _IRLSState, dev_old: float) -> float:
    """Accept ``eta_new`` (halved towards ``eta`` while the deviance is not finite or
    increases markedly): sets ``eta``, ``mu`` and returns the deviance."""
    eta = st.eta_new
    for _ in range(30):
        mu = np.exp(eta, out=st.mu)
        dev = st.deviance(eta, mu)
        if np.isfinite(dev) and (dev <= dev_old * (1 + 1e-6) + 1e-10 or not np.isfinite(dev_old)):
            break
        eta += st.eta
        eta *= 0.5
    st.eta_new, st.eta, st.mu = st.eta, eta, mu
    return dev


def _null_deviance(st: _IRLSState) -> float:
    """Deviance of the constant-only model (with the offset)."""
    ylogy, ysum, wsum = st.consts[0], st.consts[1], st.consts[2]
    if st.off.size == 0:
        return float(2.0 * (ylogy - ysum * np.log(ysum / wsum)))
    wu = np.ones(st.y.size) if st.wu.size == 0 else st.wu
    ybar = ysum / float(np.dot(wu, np.exp(st.off)))
    return float(2.0 * (ylogy - ysum * np.log(ybar) - float(np.dot(wu * st.y, st.off))))


def _finish(st: _IRLSState, prep: Prepared, beta_s: np.ndarray, it: int, dev: float) -> IRLSFit:
    """Covariance ingredients and fixed effects from the last IRLS step (converged)."""
    k = st.block.shape[1] - 1
    beta = beta_s / st.scale
    bread = linalg.inv(st.gram[1:, 1:] * np.outer(st.scale, st.scale)) if k else np.zeros((0, 0))
    scores = st.kernels.scores(st.block, st.scale, st.y, st.wu, st.mu)
    yeta, musum = st.kernels.deviance_sums(st.y, st.wu, st.eta, st.mu)
    loglik = yeta - musum - st.consts[3]
    fe_coefs = []
    if st.coef is not None:
        fe_coefs = fe_coefficients(st.fe, st.coef[:, 0], st.coef[:, 1:], beta_s)
    null_dev = _null_deviance(st)
    return IRLSFit(beta, bread, scores, fe_coefs, it, dev, null_dev, loglik, st.mu)

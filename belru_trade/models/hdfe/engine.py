"""Shared machinery of the fixed-effects estimators: data preparation, collinearity checks,
the PPML IRLS loop and weighted least squares after partialling out fixed effects.

Examples
--------
>>> import pandas as pd
>>> prep = prepare("y ~ x | g", pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, 0, 1, 3],
...                                        "g": ["a", "a", "b", "b"]}), None, None, None)
>>> prep.X.shape, prep.fe.sizes
((4, 1), [2])
"""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from belru_trade._frames import as_pandas
from belru_trade._validation import check_magnitude, check_unique_columns
from belru_trade.errors import (
    CollinearityWarning,
    ConvergenceError,
    InvalidArgumentError,
    SpecificationError,
)
from belru_trade.models.hdfe.absorb import Demeaner, FixedEffects, compact_codes
from belru_trade.models.hdfe.formula import (
    ParsedFormula,
    build_frame,
    cluster_code_arrays,
    cluster_columns,
    column_or_array,
    parse_formula,
)

__all__ = ["IRLSFit", "Prepared", "check_collinearity", "dropped_frame", "irls", "prepare"]

MISSING = "missing or non-finite value"
PARALLEL_MIN_ROWS = 50_000  # partial X and z in two threads above this size


@dataclass(frozen=True)
class Prepared:
    """Estimation arrays after dropping incomplete rows (and later singletons etc.)."""

    parsed: ParsedFormula
    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe: FixedEffects | None
    fe_levels: list[pd.DataFrame]
    weights: np.ndarray | None
    offset: np.ndarray | None
    clusters: dict[str, np.ndarray]
    index: pd.Index
    all_index: pd.Index
    missing: pd.Index
    spec: Any
    collinear: tuple[tuple[str, str], ...] = ()
    i_levels: dict[str, list[Any]] = dataclasses.field(default_factory=dict)

    def subset(self, keep: np.ndarray) -> Prepared:
        """Keep rows ``keep``; fixed-effect and cluster codes are renumbered."""
        if keep.all():
            return self
        if not keep.any():
            raise SpecificationError("no observations left after dropping singletons/separation")
        fe, levels = self.fe, self.fe_levels
        if fe is not None:
            fe, used = fe.subset(keep)
            levels = [lv.iloc[u].reset_index(drop=True) for lv, u in zip(levels, used, strict=True)]
        return dataclasses.replace(
            self,
            y=self.y[keep],
            X=np.ascontiguousarray(self.X[keep]),
            fe=fe,
            fe_levels=levels,
            weights=None if self.weights is None else self.weights[keep],
            offset=None if self.offset is None else self.offset[keep],
            clusters={k: compact_codes(v[keep])[0] for k, v in self.clusters.items()},
            index=self.index[keep],
        )

    def drop_columns(self, dropped: list[tuple[str, str]]) -> Prepared:
        """Remove regressors by name; ``dropped`` holds (name, reason) pairs."""
        names = {n for n, _ in dropped}
        keep = [i for i, n in enumerate(self.names) if n not in names]
        return dataclasses.replace(
            self,
            X=np.ascontiguousarray(self.X[:, keep]),
            names=[self.names[i] for i in keep],
            collinear=self.collinear + tuple(dropped),
        )


def prepare(formula: str, data: pd.DataFrame, weights: Any, offset: Any, cluster: Any) -> Prepared:
    """Parse the formula and build the arrays (rows with missing values dropped)."""
    parsed = parse_formula(formula)
    data = as_pandas(data)
    check_unique_columns("data", data)
    extra = {
        "weights": column_or_array("weights", weights, data),
        "offset": column_or_array("offset", offset, data),
    }
    extra.update(cluster_code_arrays(cluster_columns(cluster, data), data))
    frame, ex = build_frame(parsed, data, extra=extra)
    if ex["weights"] is not None and np.any(ex["weights"] < 0):
        raise InvalidArgumentError("weights must be non-negative")
    fe = FixedEffects(frame.fe_codes, parsed.fe_names) if frame.fe_codes else None
    prep = Prepared(
        parsed=parsed,
        y=frame.y,
        X=frame.X,
        names=frame.names,
        fe=None,
        fe_levels=[],
        weights=ex.pop("weights"),
        offset=ex.pop("offset"),
        clusters={k: compact_codes(v)[0] for k, v in ex.items()},
        index=frame.index,
        all_index=frame.index,
        missing=frame.missing,
        spec=frame.spec,
        i_levels=frame.i_levels,
    )
    if prep.y.size == 0:
        raise SpecificationError(f"no complete observations for formula {formula!r}")
    _check_values(prep, formula)
    if fe is not None:
        fe2, used = fe.subset(np.ones(prep.y.size, dtype=bool))
        levels = [
            lv.iloc[u].reset_index(drop=True) for lv, u in zip(frame.fe_levels, used, strict=True)
        ]
        prep = dataclasses.replace(prep, fe=fe2, fe_levels=levels)
    return prep


def _check_values(prep: Prepared, formula: str) -> None:
    """Named errors for inputs that would give inf/NaN or an undefined fit."""
    check_magnitude(f"the dependent variable of {formula!r}", prep.y)
    if prep.X.size:
        check_magnitude(f"the regressors of {formula!r}", prep.X)
    if not np.any(prep.y != 0):
        raise SpecificationError(
            f"the dependent variable of {formula!r} is zero in every complete observation; "
            "nothing to estimate"
        )


def dropped_frame(all_index: pd.Index, reason: np.ndarray, missing: pd.Index) -> pd.DataFrame:
    """Rows removed before estimation, indexed by input row labels, with a ``reason``."""
    mask = reason != ""
    return pd.concat(
        [
            pd.DataFrame({"reason": [MISSING] * len(missing)}, index=missing),
            pd.DataFrame({"reason": reason[mask].astype(str)}, index=all_index[mask]),
        ]
    )


def _partial(
    X: np.ndarray, fe: FixedEffects | None, w: np.ndarray, tol: float, starts=None
) -> tuple[np.ndarray, list]:
    """Partial fixed effects out of every column of X (warm starts per column)."""
    if fe is None:
        return X.copy(), [None] * X.shape[1]
    dm = Demeaner(fe, w)
    out = np.empty_like(X)
    alphas = []
    for j in range(X.shape[1]):
        start = None if starts is None else starts[j]
        out[:, j], a = dm.demean(X[:, j], tol=tol, start=start)
        alphas.append(a)
    return out, alphas


ABSORBED = "absorbed by the fixed effects"
COLLINEAR = "collinear with other regressors"


def _collinear_terms(prep: Prepared) -> list[tuple[str, str]]:
    """(name, reason) of regressors absorbed by the fixed effects or collinear."""
    w = np.ones(prep.y.size) if prep.weights is None else prep.weights
    Xt, _ = _partial(prep.X, prep.fe, w, 1e-10)
    norms = np.sqrt(np.einsum("ij,ij->j", Xt * w[:, None], Xt))
    centred = prep.X - np.average(prep.X, axis=0, weights=w)
    raw = np.sqrt(np.einsum("ij,ij->j", centred * w[:, None], centred))
    absorbed = []
    if prep.fe is not None:
        absorbed = [
            n for n, a, b in zip(prep.names, norms, raw, strict=True) if a <= 1e-7 * b or b == 0
        ]
    keep = [j for j, n in enumerate(prep.names) if n not in absorbed]
    collinear = []
    if keep:
        Z = Xt[:, keep] * np.sqrt(w)[:, None] / np.maximum(norms[keep], 1e-300)
        _, R, piv = linalg.qr(Z, mode="economic", pivoting=True)
        diag = np.abs(np.diag(R))
        bad = {keep[p] for p, d in zip(piv, diag, strict=True) if d < 1e-9}
        collinear = [prep.names[j] for j in sorted(bad)]
    return [(n, ABSORBED) for n in absorbed] + [(n, COLLINEAR) for n in collinear]


def check_collinearity(prep: Prepared, *, drop: bool) -> Prepared:
    """Drop regressors absorbed by the fixed effects or collinear, with a warning naming
    each (fixest, pyfixest, reghdfe and ppmlhdfe do the same); ``drop=False`` raises.

    Of a collinear set, the regressors written last in the formula are dropped (QR with
    column pivoting on the partialled, normalised regressors; the earlier ones are kept).

    Raises
    ------
    SpecificationError
        With ``drop=False``, naming each offending regressor and why.

    Warns
    -----
    CollinearityWarning
        With ``drop=True``, naming each dropped regressor and why.
    """
    if prep.X.shape[1] == 0:
        return prep
    bad = _collinear_terms(prep)
    if not bad:
        return prep
    msg = "; ".join(f"{name!r} ({reason})" for name, reason in bad)
    if not drop:
        raise SpecificationError(
            f"regressors {msg}: remove them or pass drop_collinear=True to drop them"
        )
    warnings.warn(
        f"dropped regressors {msg}; see results.collinear", CollinearityWarning, stacklevel=4
    )
    return prep.drop_columns(bad)


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


def _deviance(y: np.ndarray, mu: np.ndarray, wu: np.ndarray, ylogy: np.ndarray, eta=None) -> float:
    """Poisson deviance; ``eta = log(mu)`` may be passed to skip the logarithm."""
    if eta is None:
        with np.errstate(divide="ignore"):
            eta = np.log(mu)
    term = ylogy - np.where(y > 0, y * eta, 0.0) - (y - mu)
    return float(2.0 * np.dot(wu, term))


def _wls(Xt: np.ndarray, zt: np.ndarray, w: np.ndarray) -> np.ndarray:
    if Xt.shape[1] == 0:
        return np.zeros(0)
    Xw = Xt * w[:, None]
    return linalg.solve(Xw.T @ Xt, Xw.T @ zt, assume_a="pos")


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
        self.z_start = None
        self.x_starts = None
        self.pool = None
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
            fut = self.pool.submit(_partial, self.Xs, self.fe, w, inner, self.x_starts)
            zt, zs = _partial(z[:, None], self.fe, w, inner, [self.z_start])
            Xt, self.x_starts = fut.result()
        else:
            Xt, self.x_starts = _partial(self.Xs, self.fe, w, inner, self.x_starts)
            zt, zs = _partial(z[:, None], self.fe, w, inner, [self.z_start])
        self.z_start = zs[0]
        beta = _wls(Xt, zt[:, 0], w)
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
    if st.fe is None:
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

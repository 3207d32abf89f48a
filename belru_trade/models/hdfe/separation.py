"""Rows to drop before Poisson estimation: singletons and separated observations.

The Poisson pseudo-maximum-likelihood estimate does not exist when some observations with
``y = 0`` can be fitted exactly by letting the linear index go to minus infinity
("separation", Santos Silva & Tenreyro 2010; Correia, Guimarães & Zylkin 2021). Those
observations are dropped, after which the estimates of the remaining coefficients exist.
Checks, as in ppmlhdfe:

``"fe"``
    Fixed-effect groups whose outcomes are all zero (iterated with singleton removal).
``"simplex"``
    Separation by the regressors alone: a linear program finds a combination
    ``z = X g`` with ``z = 0`` where ``y > 0`` and ``z <= 0`` where ``y = 0``, ``z < 0`` for
    some; those rows are separated (Correia et al. 2021, §4.1).
``"relu"``
    Iterated rectifier with the fixed effects (Correia et al. 2021, §4.3): repeated
    weighted least squares of ``u = 1{y=0}`` (rectified) on the regressors and fixed
    effects with a huge weight on ``y > 0`` rows; rows with a positive fit are separated.

Examples
--------
>>> import numpy as np
>>> from belru_trade.models.hdfe.absorb import FixedEffects
>>> y = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 0.0])
>>> fe = FixedEffects([np.array([0, 0, 1, 1, 2, 2])])
>>> detect(y, np.zeros((6, 0)), fe, ("fe",), drop_singletons=True).tolist()
['all-zero FE group', 'all-zero FE group', '', '', '', '']

References
----------
Correia, S., Guimarães, P. & Zylkin, T. (2021). Verifying the existence of maximum
likelihood estimates for generalized linear models. arXiv:1903.01633.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from belru_trade.models.hdfe.absorb import FixedEffects

__all__ = ["ALL_ZERO", "SEPARATED", "SINGLETON", "detect", "drop_fe_and_singletons"]

SINGLETON = "singleton"
ALL_ZERO = "all-zero FE group"
SEPARATED = "separated by regressors"


def drop_fe_and_singletons(
    y: np.ndarray | None,
    fe: FixedEffects | None,
    reason: np.ndarray,
    *,
    singletons: bool,
    zero_groups: bool,
) -> None:
    """Mark singleton rows and all-zero fixed-effect groups in ``reason`` (in place), iterated.

    Rows already marked (non-empty reason) count as removed.
    """
    if fe is None or len(fe) == 0:
        return
    changed = True
    while changed:
        changed = False
        keep = reason == ""
        for codes, size in zip(fe.codes, fe.sizes, strict=True):
            if singletons:
                counts = np.bincount(codes[keep], minlength=size)
                hit = keep & (counts[codes] == 1)
                if hit.any():
                    reason[hit] = SINGLETON
                    keep &= ~hit
                    changed = True
            if zero_groups and y is not None:
                ysum = np.bincount(codes[keep], weights=y[keep], minlength=size)
                cnt = np.bincount(codes[keep], minlength=size)
                hit = keep & (ysum[codes] <= 0) & (cnt[codes] > 0)
                if hit.any():
                    reason[hit] = ALL_ZERO
                    keep &= ~hit
                    changed = True


def _null_space(A: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
    """Orthonormal basis of the null space of A (columns)."""
    if A.shape[0] == 0:
        return np.eye(A.shape[1])
    _, sv, vt = np.linalg.svd(A, full_matrices=A.shape[0] < A.shape[1])
    rank = int(np.sum(sv > rtol * (sv[0] if sv.size else 1.0)))
    return vt[rank:].T


def simplex(y: np.ndarray, X: np.ndarray, *, zero_tol: float = 1e-7) -> np.ndarray:
    """Rows separated by the regressors alone (linear program, iterated until none is found).

    Finds ``g`` with ``X_i g = 0`` where ``y_i > 0``, ``-1 <= X_i g <= 0`` where ``y_i = 0``,
    maximising ``-sum X_i g``; rows with ``X_i g < 0`` are separated.
    """
    from scipy.optimize import linprog

    separated = np.zeros(y.size, dtype=bool)
    if X.shape[1] == 0:
        return separated
    scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
    Xs = X / scale
    basis = _null_space(Xs[y > 0])
    while basis.shape[1] > 0:
        zero_rows = np.flatnonzero((y == 0) & ~separated)
        if zero_rows.size == 0:
            break
        A = Xs[zero_rows] @ basis
        sol = linprog(
            A.sum(axis=0),
            A_ub=np.vstack([A, -A]),
            b_ub=np.concatenate([np.zeros(len(A)), np.ones(len(A))]),
            bounds=[(None, None)] * basis.shape[1],
            method="highs",
        )
        if sol.status != 0:
            break
        found = zero_rows[A @ sol.x < -zero_tol]
        if found.size == 0:
            break
        separated[found] = True
    return separated


DENSE_LIMIT = 20_000_000  # n * columns up to which the ReLU check builds dense dummies
LP_MAX_ROWS = 150_000  # rows up to which the sparse linear program replaces it


def fe_design(X: np.ndarray, fe: FixedEffects | None, *, sparse: bool = False) -> Any:
    """[X, dummies of every fixed effect] (dense or scipy.sparse CSR)."""
    import scipy.sparse as sp

    n = X.shape[0]
    blocks = [sp.csr_matrix(X)]
    for codes, size in zip(fe.codes if fe is not None else [], fe.sizes if fe else [], strict=True):
        blocks.append(sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, size)))
    D = sp.hstack(blocks, format="csr")
    return D if sparse else D.toarray()


def relu_runs(nobs: int, ncols: int) -> bool:
    """Whether :func:`relu` runs an exact check at this size (dense QR or sparse LP)."""
    return nobs * ncols <= DENSE_LIMIT or nobs <= LP_MAX_ROWS


def _weighted_projector(
    X: np.ndarray, fe: FixedEffects | None, sw: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """Weighted least-squares fit ``v -> D b`` on D = [X, fixed-effect dummies], weights ``sw**2``.

    The fixed effect with the most levels is partialled out exactly (weighted group means,
    Frisch-Waugh-Lovell); the rest of D, transformed, goes through a pivoted dense QR
    (stable for the huge weight ratio). Dropping the largest dummy block from the QR cuts
    its cost by the square of the column share (e.g. 8x on the event-study designs of the
    bundled analyses), with the same column space and so the same fit.
    """
    import scipy.sparse as sp
    from scipy.linalg import qr

    codes = list(fe.codes) if fe is not None else []
    sizes = list(fe.sizes) if fe is not None else []
    big = int(np.argmax(sizes)) if sizes else None
    rest = FixedEffects([c for j, c in enumerate(codes) if j != big]) if codes else None
    D = fe_design(X, rest)
    D = D / np.maximum(np.abs(D).max(axis=0), 1e-300)
    w = sw * sw
    if big is not None:
        g, size = codes[big], sizes[big]
        G = sp.csr_matrix((w, (g, np.arange(g.size))), shape=(size, g.size))
        wsum = np.maximum(np.bincount(g, weights=w, minlength=size), 1e-300)
        D = D - (G @ D / wsum[:, None])[g]

        def means(v: np.ndarray) -> np.ndarray:
            return (np.bincount(g, weights=w * v, minlength=size) / wsum)[g]
    else:

        def means(v: np.ndarray) -> np.ndarray:
            return np.zeros_like(v)

    Q, R, _ = qr(D * sw[:, None], mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    Q = Q[:, : int(np.sum(diag > 1e-11 * diag.max()))] if diag.size else Q

    def project(v: np.ndarray) -> np.ndarray:
        m = means(v)
        return m + (Q @ (Q.T @ ((v - m) * sw))) / sw

    return project


def relu(
    y: np.ndarray,
    X: np.ndarray,
    fe: FixedEffects | None,
    *,
    tol: float = 1e-4,
    maxiter: int = 1000,
) -> np.ndarray:
    """Rows separated by regressors and fixed effects together (iterated rectifier).

    Weighted least squares of ``u`` (initially ``1{y=0}``) on X and the fixed-effect
    dummies, weight ``K = N+ / tol**2`` on rows with ``y > 0``; fitted values within
    ``(-0.1 tol, tol)`` count as zero; stop when all fitted values are >= 0 (rows with a
    positive fit are separated), else ``u = max(fitted, 0)`` on ``y = 0`` rows and repeat.
    The regression is solved by a dense QR-based least squares (stable for the huge weight
    ratio); above ``DENSE_LIMIT`` design cells the equivalent linear program
    (:func:`lp_check`) is solved instead, up to ``LP_MAX_ROWS`` rows; beyond that the check
    is skipped with a warning (it takes minutes; see BENCHMARKS.md).
    """
    zero = y == 0
    if not zero.any():
        return np.zeros(y.size, dtype=bool)
    ncols = X.shape[1] + (sum(fe.sizes) if fe is not None else 0)
    if y.size * ncols > DENSE_LIMIT:
        if not relu_runs(y.size, ncols):
            import warnings

            from belru_trade.errors import BelruTradeWarning

            warnings.warn(
                f"ReLU separation check skipped: {y.size:,} rows > {LP_MAX_ROWS:,} (the exact "
                "check is too slow at this size); the 'fe' and 'simplex' checks ran and a "
                "post-estimation check flags zero outcomes with vanishing fitted means",
                BelruTradeWarning,
                stacklevel=5,
            )
            return np.zeros(y.size, dtype=bool)
        return lp_check(y, X, fe)
    sw = np.sqrt(np.where(zero, 1.0, (~zero).sum() / tol**2))
    project = _weighted_projector(X, fe, sw)
    u = zero.astype(float)
    for _ in range(maxiter):
        uhat = project(u)
        uhat[~zero] = 0.0
        uhat[(uhat > -0.1 * tol) & (uhat < tol)] = 0.0
        if np.all(uhat >= 0):
            return zero & (uhat > 0)
        u = np.where(zero, np.maximum(uhat, 0.0), 0.0)
    from belru_trade.errors import ConvergenceError

    raise ConvergenceError(f"ReLU separation check did not converge in maxiter={maxiter}")


def lp_check(
    y: np.ndarray, X: np.ndarray, fe: FixedEffects | None, *, zero_tol: float = 1e-7
) -> np.ndarray:
    """Separation with fixed effects by a sparse linear program (HiGHS).

    Same condition as the ReLU check: find ``z = D t`` (D = regressors and fixed-effect
    dummies) with ``z = 0`` where ``y > 0`` and ``-1 <= z <= 0`` where ``y = 0``,
    maximising ``-sum z``; rows with ``z < 0`` are separated. Repeated until none is found.
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    separated = np.zeros(y.size, dtype=bool)
    D = fe_design(X / np.maximum(np.abs(X).max(axis=0), 1e-300), fe, sparse=True)
    pos = D[y > 0]
    while True:
        rows = np.flatnonzero((y == 0) & ~separated)
        if rows.size == 0:
            return separated
        Z = D[rows]
        sol = linprog(
            np.asarray(Z.sum(axis=0)).ravel(),
            A_ub=sp.vstack([Z, -Z]),
            b_ub=np.concatenate([np.zeros(rows.size), np.ones(rows.size)]),
            A_eq=pos,
            b_eq=np.zeros(pos.shape[0]),
            bounds=[(None, None)] * D.shape[1],
            method="highs",
        )
        found = rows[Z @ sol.x < -zero_tol] if sol.status == 0 else rows[:0]
        if found.size == 0:
            return separated
        separated[found] = True


def detect(
    y: np.ndarray,
    X: np.ndarray,
    fe: FixedEffects | None,
    methods: tuple[str, ...],
    *,
    drop_singletons: bool,
) -> np.ndarray:
    """Reason for dropping each row (``""`` = keep).

    Parameters
    ----------
    y : ndarray
        Outcome (non-negative).
    X : ndarray
        Regressors (n x k).
    fe : FixedEffects or None
        Fixed effects.
    methods : tuple of str
        Subset of ``("fe", "simplex", "relu")``.
    drop_singletons : bool
        Drop observations alone in a fixed-effect level.

    Returns
    -------
    ndarray of str
        ``"singleton"``, ``"all-zero FE group"``, ``"separated by regressors"`` or ``""``.
    """
    reason = np.full(y.size, "", dtype=object)
    zero_groups = "fe" in methods
    drop_fe_and_singletons(y, fe, reason, singletons=drop_singletons, zero_groups=zero_groups)
    # The checks factorise tall, narrow dense matrices (SVD, pivoted QR: BLAS-2 bound), where
    # BLAS threads only add synchronisation; on a busy machine they made them 10x slower.
    with threadpool_limits(1, user_api="blas"):
        _regressor_checks(y, X, fe, methods, reason, drop_singletons)
    return reason


def _regressor_checks(
    y: np.ndarray,
    X: np.ndarray,
    fe: FixedEffects | None,
    methods: Sequence[str],
    reason: np.ndarray,
    drop_singletons: bool,
) -> None:
    """Run the simplex and ReLU checks in turn, each until it finds nothing (in place)."""
    zero_groups = "fe" in methods
    for method in ("simplex", "relu"):
        if method not in methods:
            continue
        while True:
            keep = np.flatnonzero(reason == "")
            sub_fe = fe.subset(reason == "")[0] if fe is not None and len(fe) else None
            found = (
                simplex(y[keep], X[keep]) if method == "simplex" else relu(y[keep], X[keep], sub_fe)
            )
            if not found.any():
                break
            reason[keep[found]] = SEPARATED
            drop_fe_and_singletons(
                y, fe, reason, singletons=drop_singletons, zero_groups=zero_groups
            )

"""Partialling out high-dimensional fixed effects (weighted alternating projections).

The fixed effects are handled in coefficient space: one sweep updates, for every fixed
effect in turn, its level means of the current residual (Gauss-Seidel / method of
alternating projections). Sweeps are accelerated with Irons & Tuck (1969) extrapolation, as
in fixest, and can be warm-started from the coefficients of a previous call (the IRLS loop
of :mod:`belru_trade.models.hdfe.irls` passes the previous step's coefficients, so later steps
need few sweeps). The loops demean all columns of a block in the same passes over the data;
large problems run them compiled with numba (:mod:`belru_trade.models.hdfe._kernels`), small
ones with numpy (:mod:`belru_trade.models.hdfe._backend` chooses).

Examples
--------
>>> fe = FixedEffects([np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])])
>>> x = np.array([1.0, 2.0, 3.0, 5.0])
>>> xt, _ = Demeaner(fe, np.ones(4)).demean(x, tol=1e-12)
>>> np.round(xt, 6).tolist()
[0.25, -0.25, -0.25, 0.25]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from belru_trade.errors import ConvergenceError
from belru_trade.models.hdfe._backend import kernels_for

__all__ = ["Demeaner", "FixedEffects", "compact_codes"]


def compact_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber codes to 0..G-1 keeping order; return (new codes, old code of each new level).

    Non-negative integer codes use counts per code (linear time); others are sorted.

    >>> compact_codes(np.array([5, 2, 5]))[0].tolist()
    [1, 0, 1]
    """
    codes = np.asarray(codes)
    if codes.size and codes.dtype.kind in "iu" and codes.min() >= 0:
        top = int(codes.max())
        if top < 4 * codes.size + 1024:
            present = np.bincount(codes, minlength=top + 1) > 0
            used = np.flatnonzero(present).astype(codes.dtype)
            if used.size == top + 1:
                return codes.astype(np.intp, copy=False).ravel(), used
            mapping = np.cumsum(present, dtype=np.intp) - 1
            return mapping[codes].ravel(), used
    used, inverse = np.unique(codes, return_inverse=True)
    return inverse.astype(np.intp).ravel(), used


class FixedEffects:
    """Integer-coded fixed effects (each array holds codes 0..G-1 for n observations).

    Parameters
    ----------
    codes : sequence of ndarray
        One code array per fixed effect, all of the same length.
    names : sequence of str, optional
        Names used in messages.
    """

    def __init__(self, codes: Sequence[np.ndarray], names: Sequence[str] | None = None) -> None:
        self.codes = [np.ascontiguousarray(c, dtype=np.intp) for c in codes]
        self.names = list(names) if names is not None else [f"fe{i}" for i in range(len(codes))]
        self.sizes = [int(c.max()) + 1 if c.size else 0 for c in self.codes]
        self.nobs = int(self.codes[0].size) if self.codes else 0
        self._packed: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.codes)

    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """All codes as one (Q, n) int32 array and the level offsets (Q + 1,) (cached)."""
        if self._packed is None:
            codes = np.empty((len(self.codes), self.nobs), dtype=np.int32)
            for q, c in enumerate(self.codes):
                codes[q] = c
            offsets = np.cumsum([0, *self.sizes]).astype(np.int64)
            self._packed = (codes, offsets)
        return self._packed

    def subset(self, keep: np.ndarray) -> tuple[FixedEffects, list[np.ndarray]]:
        """Fixed effects restricted to rows ``keep`` with compacted codes.

        Returns the new object and, per fixed effect, the old code of each new level.
        """
        pairs = [compact_codes(c[keep]) for c in self.codes]
        return FixedEffects([p[0] for p in pairs], self.names), [p[1] for p in pairs]

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Split a stacked coefficient vector (levels of all fixed effects) per fixed effect."""
        cuts = np.cumsum(self.sizes)[:-1]
        return list(np.split(flat, cuts))

    def counts(self) -> list[np.ndarray]:
        """Observations per level."""
        return [np.bincount(c, minlength=g) for c, g in zip(self.codes, self.sizes, strict=True)]


class Demeaner:
    """Weighted within-transformation for a fixed set of weights.

    Parameters
    ----------
    fe : FixedEffects
        The fixed effects.
    weights : ndarray
        Positive observation weights (the IRLS working weights in PPML).
    """

    def __init__(self, fe: FixedEffects, weights: np.ndarray) -> None:
        self.fe = fe
        self.w = np.ascontiguousarray(weights, dtype=np.float64)
        self.codes, self.offsets = fe.packed()
        self.kernels = kernels_for(self.w.size)
        self.inv_sw = self.kernels.inverse_group_weights(self.codes, self.offsets, self.w)

    def subtract_fitted(self, r: np.ndarray, coef: np.ndarray) -> None:
        """``r -= fitted(coef)`` in place (n x k block, coefficients stacked G x k)."""
        self.kernels.subtract_fitted(r, self.codes, self.offsets, coef)

    def demean_block(
        self, r: np.ndarray, coef: np.ndarray, threshold: np.ndarray, maxiter: int = 10_000
    ) -> int:
        """Demean every column of the C-ordered block ``r`` in place; returns the sweeps.

        On entry ``r = x - fitted(coef)`` (``coef`` stacked G x k: zeros for a cold start, the
        coefficients of a previous call for a warm start); on return the same identity holds
        with the converged coefficients, updated in place in ``coef``. Column j stops when an
        accelerated cycle changes no coefficient by more than ``threshold[j]``.

        Raises
        ------
        ConvergenceError
            If ``maxiter`` sweeps do not reach the threshold.
        """
        thr = np.ascontiguousarray(threshold, dtype=np.float64)
        sweeps = self.kernels.demean_block(
            r, self.w, self.codes, self.offsets, self.inv_sw, coef, thr, maxiter
        )
        if sweeps < 0:
            raise ConvergenceError(
                f"fixed-effect demeaning did not converge in maxiter={maxiter} sweeps "
                f"(fixed effects {self.fe.names}); the fixed-effect graph may be badly connected"
            )
        return int(sweeps)

    def weighted_sd(self, X: np.ndarray) -> np.ndarray:
        """Weighted standard deviation of each column of X (the stopping-rule scale)."""
        sw = float(self.w.sum())
        mean = (self.w @ X) / sw
        return np.sqrt(np.maximum(self.w @ (X * X) / sw - mean * mean, 0.0))

    def demean(
        self,
        x: np.ndarray,
        *,
        tol: float = 1e-8,
        maxiter: int = 10_000,
        start: list[np.ndarray] | None = None,
        scale: float | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Partial the fixed effects out of one column.

        Parameters
        ----------
        x : ndarray
            Column to transform.
        tol : float
            Stop when the largest change of a fixed-effect coefficient over an accelerated
            cycle is below ``tol`` times the weighted standard deviation of ``x``.
        maxiter : int
            Maximum number of sweeps.
        start : list of ndarray, optional
            Warm-start coefficients (e.g. from the previous IRLS step).
        scale : float, optional
            Scale of ``x`` for the stopping rule (default: its weighted standard deviation).

        Returns
        -------
        (ndarray, list of ndarray)
            The transformed column and the fixed-effect coefficients (x = x_tilde + sum alpha).

        Raises
        ------
        ConvergenceError
            If ``maxiter`` sweeps do not reach ``tol``.
        """
        r = np.array(x, dtype=np.float64).reshape(-1, 1)
        if scale is None:
            scale = float(self.weighted_sd(r)[0])
        coef = np.zeros((int(self.offsets[-1]), 1))
        if start is not None:
            coef[:, 0] = np.concatenate(start)
            self.subtract_fitted(r, coef)
        self.demean_block(r, coef, np.array([tol * max(scale, 1e-300)]), maxiter)
        return r[:, 0], self.fe.split(coef[:, 0])

"""Partialling out high-dimensional fixed effects (weighted alternating projections).

The fixed effects are handled in coefficient space: one sweep updates, for every fixed
effect in turn, its level means of the current residual (Gauss-Seidel / method of
alternating projections). Sweeps are accelerated with Irons & Tuck (1969) extrapolation, as
in fixest, and can be warm-started from the coefficients of a previous call (the IRLS loop
of :mod:`belru_trade.models.hdfe.ppml` passes the previous step's coefficients, so later steps
need few sweeps). Group sums use :func:`numpy.bincount` on integer codes.

Examples
--------
>>> fe = FixedEffects([np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])])
>>> x = np.array([1.0, 2.0, 3.0, 5.0])
>>> xt, _ = Demeaner(fe, np.ones(4)).demean(x, tol=1e-12)
>>> np.round(xt, 6).tolist()
[0.25, -0.25, -0.25, 0.25]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from belru_trade.errors import ConvergenceError

__all__ = ["Demeaner", "FixedEffects", "compact_codes"]


def compact_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber codes to 0..G-1 keeping order; return (new codes, old code of each new level).

    >>> compact_codes(np.array([5, 2, 5]))[0].tolist()
    [1, 0, 1]
    """
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

    def __len__(self) -> int:
        return len(self.codes)

    def subset(self, keep: np.ndarray) -> tuple[FixedEffects, list[np.ndarray]]:
        """Fixed effects restricted to rows ``keep`` with compacted codes.

        Returns the new object and, per fixed effect, the old code of each new level.
        """
        pairs = [compact_codes(c[keep]) for c in self.codes]
        return FixedEffects([p[0] for p in pairs], self.names), [p[1] for p in pairs]

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
        self.w = np.asarray(weights, dtype=float)
        self._buf: np.ndarray | None = None
        self.inv_sw = []
        for codes, size in zip(fe.codes, fe.sizes, strict=True):
            sw = np.bincount(codes, weights=self.w, minlength=size)
            with np.errstate(divide="ignore"):
                self.inv_sw.append(np.where(sw > 0, 1.0 / sw, 0.0))

    def _buffer(self, n: int) -> np.ndarray:
        if self._buf is None or self._buf.size != n:
            self._buf = np.empty(n)
        return self._buf

    def fitted(self, alphas: list[np.ndarray]) -> np.ndarray:
        """Sum over fixed effects of each observation's coefficient."""
        total = alphas[0][self.fe.codes[0]]
        buf = self._buffer(total.size)
        for alpha, codes in zip(alphas[1:], self.fe.codes[1:], strict=True):
            np.take(alpha, codes, out=buf, mode="clip")
            total += buf
        return total

    def _sweep(
        self, x: np.ndarray, alphas: list[np.ndarray], resid: np.ndarray | None = None
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """One Gauss-Seidel pass over the fixed effects; returns new coefficients, residual.

        ``resid`` (``x`` minus the fitted fixed effects of ``alphas``) is updated in place
        when given. The update of fixed effect q uses that the weighted group mean of
        ``resid + alpha_q[codes]`` is ``alpha_q`` plus the weighted group mean of ``resid``.
        """
        if resid is None:
            resid = x - self.fitted(alphas)
        new = []
        buf = self._buffer(resid.size)
        for alpha, codes, inv in zip(alphas, self.fe.codes, self.inv_sw, strict=True):
            np.multiply(self.w, resid, out=buf)
            delta = np.bincount(codes, weights=buf, minlength=alpha.size)
            delta *= inv
            np.take(delta, codes, out=buf, mode="clip")  # codes are valid; clip avoids buffering
            resid -= buf
            new.append(alpha + delta)
        return new, resid

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
        if start is None:
            start = [np.zeros(g) for g in self.fe.sizes]
        if len(self.fe) == 1:
            new, resid = self._sweep(x, start)
            return resid, new
        if scale is None:
            mean = np.average(x, weights=self.w)
            scale = float(np.sqrt(np.average((x - mean) ** 2, weights=self.w)))
        threshold = tol * max(scale, 1e-300)
        return self._accelerated(x, start, threshold, maxiter)

    def _accelerated(
        self, x: np.ndarray, alphas: list[np.ndarray], threshold: float, maxiter: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        cuts = np.cumsum([0, *self.fe.sizes])
        flat = np.concatenate(alphas)
        split = self._splitter(cuts)
        resid = x - self.fitted(alphas)
        sweeps = 0
        while sweeps < maxiter:
            g1_list, resid = self._sweep(x, split(flat), resid)
            g1 = np.concatenate(g1_list)
            sweeps += 1
            if np.max(np.abs(g1 - flat)) <= threshold:
                return resid, g1_list
            g2_list, resid = self._sweep(x, g1_list, resid)
            g2 = np.concatenate(g2_list)
            sweeps += 1
            delta = g2 - g1
            if np.max(np.abs(delta)) <= threshold:
                return resid, g2_list
            delta2 = delta - g1 + flat
            ssq = float(delta2 @ delta2)
            if ssq > 0:
                flat = g2 - (float(delta @ delta2) / ssq) * delta
                resid -= self.fitted(split(flat - g2))
            else:
                flat = g2
        raise ConvergenceError(
            f"fixed-effect demeaning did not converge in maxiter={maxiter} sweeps "
            f"(fixed effects {self.fe.names}); the fixed-effect graph may be badly connected"
        )

    @staticmethod
    def _splitter(cuts: np.ndarray) -> Callable[[np.ndarray], list[np.ndarray]]:
        def split(flat: np.ndarray) -> list[np.ndarray]:
            return [flat[a:b] for a, b in itertools.pairwise(cuts)]

        return split

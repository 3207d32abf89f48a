"""Regressors absorbed by the fixed effects or collinear with other regressors: found on the
partialled, normalised regressors (QR in formula order), dropped with a warning or
reported as an error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from belru_trade.errors import CollinearityWarning, SpecificationError
from belru_trade.models.hdfe.prepare import Prepared
from belru_trade.models.hdfe.projection import partial

__all__ = ["ABSORBED", "COLLINEAR", "Partialled", "check_collinearity"]

ABSORBED = "absorbed by the fixed effects"
COLLINEAR = "collinear with other regressors"


@dataclass(frozen=True)
class Partialled:
    """Regressors with the fixed effects partialled out, kept for reuse by the estimator.

    Attributes
    ----------
    Xt : ndarray
        Partialled regressors (n x k, C order), k the regressors kept.
    coef : ndarray or None
        Their fixed-effect coefficients (stacked levels x k), None without fixed effects.
    weights : ndarray
        The weights of the partialling.
    tol : float
        Its tolerance.
    """

    Xt: np.ndarray
    coef: np.ndarray | None
    weights: np.ndarray
    tol: float

    def columns(self, keep: list[int]) -> Partialled:
        """The same for the regressors ``keep`` only."""
        coef = None if self.coef is None else np.ascontiguousarray(self.coef[:, keep])
        return Partialled(np.ascontiguousarray(self.Xt[:, keep]), coef, self.weights, self.tol)


def _collinear_terms(prep: Prepared, part: Partialled) -> tuple[list[tuple[str, str]], bool]:
    """(name, reason) of regressors absorbed by the fixed effects or collinear, and whether
    every decision is clear by a wide margin (residual norms above 1e-3 of the raw norms,
    pivots above 1e-5), so that a more accurate partialling cannot change it."""
    w, Xt = part.weights, part.Xt
    norms = np.sqrt(np.einsum("ij,ij->j", Xt * w[:, None], Xt))
    centred = prep.X - np.average(prep.X, axis=0, weights=w)
    raw = np.sqrt(np.einsum("ij,ij->j", centred * w[:, None], centred))
    absorbed = []
    clear = bool(np.all(norms > 1e-3 * raw))
    if prep.fe is not None:
        absorbed = [
            n for n, a, b in zip(prep.names, norms, raw, strict=True) if a <= 1e-7 * b or b == 0
        ]
    keep = [j for j, n in enumerate(prep.names) if n not in absorbed]
    collinear = []
    if keep:
        Z = Xt[:, keep] * np.sqrt(w)[:, None] / np.maximum(norms[keep], 1e-300)
        # unpivoted QR: |R[j, j]| is the part of regressor j (normalised) not spanned by the
        # regressors written before it, so of a collinear set the last ones are dropped
        R = linalg.qr(Z, mode="r")[0]
        diag = np.abs(np.diag(R))
        clear = clear and bool(np.all(diag > 1e-5))
        collinear = [prep.names[keep[j]] for j, d in enumerate(diag) if d < 1e-9]
    return [(n, ABSORBED) for n in absorbed] + [(n, COLLINEAR) for n in collinear], clear


def check_collinearity(
    prep: Prepared,
    *,
    drop: bool,
    weights: np.ndarray | None = None,
    tol: float = 1e-10,
    screen: float | None = None,
) -> tuple[Prepared, Partialled]:
    """Drop regressors absorbed by the fixed effects or collinear, with a warning naming
    each (fixest, pyfixest, reghdfe and ppmlhdfe do the same); ``drop=False`` raises.

    Of a collinear set, the regressors written last in the formula are dropped (QR without
    pivoting on the partialled, normalised regressors, in formula order; the earlier ones
    are kept, as fixest and pyfixest do).
    The regressors are partialled with ``weights`` (default: the observation weights, or
    ones) to tolerance ``tol``; the result is returned for the kept regressors, so that the
    estimator can start from it. With ``screen``, they are first partialled to that looser
    tolerance, and refined to ``tol`` (warm-started) only when a decision is not clear by a
    wide margin; the returned partialling then has tolerance ``screen``.

    Raises
    ------
    SpecificationError
        With ``drop=False``, naming each offending regressor and why.

    Warns
    -----
    CollinearityWarning
        With ``drop=True``, naming each dropped regressor and why.
    """
    if weights is None:
        weights = np.ones(prep.y.size) if prep.weights is None else prep.weights
    Xt, coef = partial(prep.X, prep.fe, weights, screen or tol)
    part = Partialled(Xt, coef, weights, screen or tol)
    if prep.X.shape[1] == 0:
        return prep, part
    bad, clear = _collinear_terms(prep, part)
    if screen is not None and not clear and prep.fe is not None:
        Xt, coef = partial(prep.X, prep.fe, weights, tol, start=coef)
        part = Partialled(Xt, coef, weights, tol)
        bad, _ = _collinear_terms(prep, part)
    if not bad:
        return prep, part
    msg = "; ".join(f"{name!r} ({reason})" for name, reason in bad)
    if not drop:
        raise SpecificationError(
            f"regressors {msg}: remove them or pass drop_collinear=True to drop them"
        )
    warnings.warn(
        f"dropped regressors {msg}; see results.collinear", CollinearityWarning, stacklevel=4
    )
    names = {n for n, _ in bad}
    keep = [j for j, n in enumerate(prep.names) if n not in names]
    return prep.drop_columns(bad), part.columns(keep)

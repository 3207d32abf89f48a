"""Regressors absorbed by the fixed effects or collinear with other regressors: found on the
partialled, normalised regressors (QR with column pivoting), dropped with a warning or
reported as an error.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from belru_trade.errors import CollinearityWarning, SpecificationError
from belru_trade.models.hdfe.prepare import Prepared
from belru_trade.models.hdfe.projection import partial

__all__ = ["ABSORBED", "COLLINEAR", "check_collinearity"]

ABSORBED = "absorbed by the fixed effects"
COLLINEAR = "collinear with other regressors"


def _collinear_terms(prep: Prepared) -> list[tuple[str, str]]:
    """(name, reason) of regressors absorbed by the fixed effects or collinear."""
    w = np.ones(prep.y.size) if prep.weights is None else prep.weights
    Xt, _ = partial(prep.X, prep.fe, w, 1e-10)
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

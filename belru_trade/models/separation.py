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
>>> from belru_trade.models.hdfe import FixedEffects
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

import numpy as np

from belru_trade.models.hdfe import FixedEffects

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
    drop_fe_and_singletons(y, fe, reason, singletons=drop_singletons, zero_groups="fe" in methods)
    return reason

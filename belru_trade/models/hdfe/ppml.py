"""Poisson pseudo-maximum likelihood with high-dimensional fixed effects (PPML-HDFE).

Estimating equation (structural gravity, Santos Silva & Tenreyro 2006)::

    E[y_i | x_i, FE] = exp(x_i' b + alpha_{f1(i)} + alpha_{f2(i)} + ... + offset_i)

solved by iteratively reweighted least squares; in every step the fixed effects are
partialled out of the working response and the regressors by accelerated alternating
projections (:mod:`belru_trade.models.hdfe.absorb`) warm-started from the previous step, with an
inner tolerance that tightens as the deviance converges (ppmlhdfe's schedule).
Observations whose estimates do not exist (separation) are detected and dropped first
(:mod:`belru_trade.models.hdfe.separation`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"g": np.repeat(np.arange(20), 10), "x": rng.normal(size=200)})
>>> df["y"] = rng.poisson(np.exp(0.5 * df["x"] + df["g"] % 3))
>>> res = ppml("y ~ x | g", df, vcov="hetero")
>>> bool(abs(res.params["x"] - 0.5) < 0.1)
True
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._validation import check_choice, check_positive_int
from belru_trade.errors import InvalidArgumentError, SeparationWarning
from belru_trade.models.hdfe.collinearity import check_collinearity
from belru_trade.models.hdfe.irls import IRLSFit, irls
from belru_trade.models.hdfe.prepare import Prepared, dropped_frame, prepare
from belru_trade.models.hdfe.results import (
    FitState,
    HDFEResults,
    collinear_frame,
    covariance,
    resolve_vcov,
)
from belru_trade.models.hdfe.separation import detect, relu_runs
from belru_trade.models.hdfe.vcov import SSC_CHOICES

__all__ = ["PPML", "PPMLResults", "ppml"]

logger = logging.getLogger(__name__)
SEPARATION_METHODS = ("fe", "simplex", "relu")
#: Patterns of the :class:`SeparationWarning` texts, for callers that expect one of them
#: (``warnings.filterwarnings(message=...)``): only all-zero fixed-effect groups dropped,
#: and zero outcomes whose fitted means vanish.
ALL_ZERO_GROUPS_DROPPED = (
    r"dropped [0-9]+ observations whose PPML estimates do not exist \([0-9]+ all-zero FE group\)"
)
VANISHING_MEANS = r"[0-9]+ observations with y = 0 have fitted means below"


@dataclass(frozen=True, repr=False, kw_only=True)
class PPMLResults(HDFEResults):
    """Results of :func:`ppml` (frozen; see :class:`HDFEResults` for the methods).

    Extra attributes: ``deviance``, ``null_deviance`` (constant-only model on the same
    sample), ``pseudo_r2`` (1 - deviance / null_deviance), ``loglik``.
    """

    deviance: float
    null_deviance: float
    loglik: float

    @property
    def pseudo_r2(self) -> float:
        """Deviance pseudo-R2: 1 - D / D_null (D_null of the constant-only model)."""
        if self.null_deviance <= 0:
            return float("nan")
        return 1.0 - self.deviance / self.null_deviance


class PPML:
    """PPML with high-dimensional fixed effects.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + log(x2) | fe1 + fe2 + a^b"``; see :func:`ppml`.
    data : DataFrame
        Estimation data.
    weights, offset : str or array-like, optional
        Column name or one value per row.
    tol : float
        Convergence tolerance on the relative change of the deviance.
    maxiter : int
        Maximum IRLS iterations.
    separation : tuple of str
        Checks among ``("fe", "simplex", "relu")``.
    drop_singletons : bool
        Drop observations alone in a fixed-effect level.
    drop_collinear : bool
        Drop regressors absorbed by the fixed effects or collinear with other regressors
        (with a warning; the default) or raise :class:`SpecificationError` (``False``).
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        weights: Any = None,
        offset: Any = None,
        tol: float = 1e-8,
        maxiter: int = 100,
        separation: tuple[str, ...] = SEPARATION_METHODS,
        drop_singletons: bool = True,
        drop_collinear: bool = True,
    ) -> None:
        if not (isinstance(tol, float | int) and 0 < tol < 1):
            raise InvalidArgumentError(f"tol={tol!r} is not allowed; expected a float in (0, 1)")
        check_positive_int("maxiter", maxiter)
        separation = (separation,) if isinstance(separation, str) else tuple(separation or ())
        for method in separation:
            check_choice("separation", method, SEPARATION_METHODS)
        check_choice("drop_singletons", drop_singletons, (True, False))
        self.formula, self.data = formula, data
        self.weights, self.offset = weights, offset
        self.tol, self.maxiter = float(tol), int(maxiter)
        self.separation, self.drop_singletons = separation, drop_singletons
        self.drop_collinear = drop_collinear

    def fit(
        self, *, cluster: Any = None, vcov: str | dict | None = None, ssc: str = "fixest"
    ) -> PPMLResults:
        """Estimate; returns :class:`PPMLResults`.

        Raises
        ------
        SpecificationError
            With ``drop_collinear=False``, regressors absorbed by the fixed effects or
            collinear (named in the message).
        ConvergenceError
            The IRLS loop did not converge in ``maxiter`` iterations.
        """
        kind, cluster = resolve_vcov(vcov, cluster)
        check_choice("ssc", ssc, SSC_CHOICES)
        prep = prepare(self.formula, self.data, self.weights, self.offset, cluster)
        if np.any(prep.y < 0):
            raise InvalidArgumentError(
                f"outcome {prep.parsed.lhs!r} has negative values; PPML needs y >= 0"
            )
        reason = detect(
            prep.y, prep.X, prep.fe, self.separation, drop_singletons=self.drop_singletons
        )
        _warn_separation(reason)
        prep = prep.subset(reason == "")
        prep, part = check_collinearity(prep, drop=self.drop_collinear, screen=1e-7)
        fit = irls(prep, tol=self.tol, maxiter=self.maxiter, start=part)
        ncols = prep.X.shape[1] + (sum(prep.fe.sizes) if prep.fe is not None else 0)
        if "relu" not in self.separation or not relu_runs(prep.y.size, ncols):
            _check_vanishing_means(prep.y, fit.mu)
        return self._results(prep, fit, reason, kind, ssc)

    def _results(
        self, prep: Prepared, fit: IRLSFit, reason: np.ndarray, kind: str, ssc: str
    ) -> PPMLResults:
        state = FitState(
            bread=fit.bread,
            scores=fit.scores,
            sigma2=1.0,
            names=prep.names,
            index=prep.index,
            fe_names=prep.parsed.fe_names,
            fe_terms=prep.parsed.fixed_effects,
            fe_codes=prep.fe.codes if prep.fe is not None else [],
            fe_levels=prep.fe_levels,
            fe_coefs=fit.fe_coefs,
            spec=prep.spec,
            kind="ml",
            link="log",
            rhs=prep.parsed.rhs,
            i_levels=prep.i_levels,
            offset_column=self.offset if isinstance(self.offset, str) else None,
        )
        cov, _, label = covariance(state, kind, prep.clusters, ssc)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        extra: dict[str, Any] = {"Fixed effects": ", ".join(prep.parsed.fe_names) or "none"}
        if isinstance(self.offset, str):
            extra["Offset"] = f"{self.offset} (log scale)"
        res = PPMLResults(
            params=pd.Series(fit.beta, index=prep.names, name="parameter"),
            std_errors=pd.Series(se, index=prep.names, name="std_error"),
            nobs=int(prep.y.size),
            model="PPML",
            cov_type=label,
            df_resid=None,  # z inference, as fixest and pyfixest for Poisson
            extra=extra,
            cov=pd.DataFrame(cov, index=prep.names, columns=prep.names),
            dropped=dropped_frame(prep.all_index, reason, prep.missing),
            collinear=collinear_frame(prep.collinear),
            formula=self.formula,
            fixed_effects=tuple(prep.parsed.fe_names),
            iterations=fit.iterations,
            converged=True,
            ssc=ssc,
            state=state,
            deviance=fit.deviance,
            null_deviance=fit.null_deviance,
            loglik=fit.loglik,
        )
        if np.isfinite(res.pseudo_r2):
            extra["Pseudo R2"] = round(res.pseudo_r2, 4)
        return dataclasses.replace(res, extra=extra)


def _check_vanishing_means(y: np.ndarray, mu: np.ndarray) -> None:
    """Warn when zero outcomes get fitted means near zero (possible undetected separation)."""
    tiny = int(np.sum((y == 0) & (mu < 1e-6 * max(float(np.mean(y)), 1e-300))))
    if tiny:
        warnings.warn(
            f"{tiny} observations with y = 0 have fitted means below 1e-6 times the mean of y: "
            "they may be separated (estimates of the fixed effects involved diverge); check "
            "with separation=('fe', 'simplex', 'relu') on a smaller sample",
            SeparationWarning,
            stacklevel=4,
        )


def _warn_separation(reason: np.ndarray) -> None:
    counts = pd.Series(reason[reason != ""]).value_counts()
    separated = {k: int(v) for k, v in counts.items() if k != "singleton"}
    if "singleton" in counts.index:
        logger.info("dropped %d singleton observations", int(counts["singleton"]))
    if separated:
        parts = ", ".join(f"{v} {k}" for k, v in separated.items())
        warnings.warn(
            f"dropped {sum(separated.values())} observations whose PPML estimates do not exist "
            f"({parts}); see results.dropped",
            SeparationWarning,
            stacklevel=4,
        )


def ppml(
    formula: str,
    data: pd.DataFrame,
    *,
    cluster: Any = None,
    vcov: str | dict | None = None,
    weights: Any = None,
    offset: Any = None,
    tol: float = 1e-8,
    maxiter: int = 100,
    separation: tuple[str, ...] = SEPARATION_METHODS,
    drop_singletons: bool = True,
    drop_collinear: bool = True,
    ssc: str = "fixest",
) -> PPMLResults:
    """Poisson pseudo-maximum likelihood with high-dimensional fixed effects.

    Parameters
    ----------
    formula : str
        fixest-style formula ``"y ~ x1 + log(x2) + C(k) | fe1 + fe2 + a^b"``: regressors
        parsed by formulaic; after ``|`` the fixed effects (``a^b`` interacts two columns).
        Without fixed effects an intercept is included.
    data : DataFrame
        Estimation data; rows with missing values in used columns are dropped.
    cluster : str or list of str, optional
        Cluster column(s): ``"a"``, ``"a + b"`` or fixest's ``"~a + b"`` for two-way
        clustering, or a list of names.
    vcov : {"iid", "hetero", "HC1", "cluster"} or dict, optional
        Covariance; default ``"hetero"`` (``"cluster"`` when ``cluster`` is given);
        pyfixest's ``{"CRV1": "a + b"}`` clusters by ``a`` and ``b``.
    weights : str or array-like, optional
        Observation weights (column name or values).
    offset : str or array-like, optional
        Offset on the **log scale**, added to the linear index with coefficient 1
        (``E[y] = exp(x'b + offset)``; e.g. ``np.log(gdp)``), as in fixest and statsmodels.
    tol : float, default 1e-8
        Stop when ``|D - D_old| / max(min(D, D_old), 0.1) < tol`` (deviance D).
    maxiter : int, default 100
        Maximum IRLS iterations.
    separation : tuple of str, default ("fe", "simplex", "relu")
        Separation checks (:mod:`belru_trade.models.hdfe.separation`).
    drop_singletons : bool, default True
        Drop observations alone in a fixed-effect level.
    drop_collinear : bool, default True
        Drop regressors absorbed by the fixed effects or collinear with others, with a
        :class:`~belru_trade.errors.CollinearityWarning` naming each (as fixest, pyfixest,
        reghdfe and ppmlhdfe do); they are listed in ``results.collinear`` and shown as
        dropped in ``summary()`` and ``tidy()``. ``False`` raises instead.
    ssc : {"fixest", "stata", "cluster", "none"}, default "fixest"
        Small-sample correction (:mod:`belru_trade.models.hdfe.vcov`).

    Returns
    -------
    PPMLResults
        ``params``, ``std_errors``, ``tidy()``, ``summary()``, ``fixef()``,
        ``predict(newdata)``, ``dropped``, ``deviance``, ``pseudo_r2``, ``iterations``,
        ``with_vcov()``.

    Raises
    ------
    InvalidArgumentError
        Bad argument values or negative outcomes.
    SpecificationError
        With ``drop_collinear=False``: regressors absorbed by the fixed effects or
        collinear (named).
    ConvergenceError
        No convergence within ``maxiter`` iterations (never a silent diverged estimate).

    Warns
    -----
    SeparationWarning
        When observations are dropped because their estimates do not exist (with counts).

    Notes
    -----
    Inference: p-values and confidence intervals use the normal distribution (z), as
    fixest and pyfixest do for Poisson models; the covariance has the ``ssc``
    small-sample factors.

    IRLS step r: ``w = mu``, ``z = eta - offset + (y - mu) / mu``; partial the fixed effects
    out of ``z`` and ``X`` under weights ``w``; ``b`` from weighted least squares of
    ``z~`` on ``X~``; ``eta = z - (z~ - X~ b) + offset``. Deviance
    ``D = 2 sum w [y log(y / mu) - (y - mu)]``.

    The demeaning and IRLS loops run vectorised with numpy for fits of at most 50,000
    observations and compiled with numba above (numba is imported only then: it costs about
    110 MB and, once after an install, seconds of compilation); both give the same results
    to rounding.

    References
    ----------
    Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. REStat 88(4).
    Correia, S., Guimarães, P. & Zylkin, T. (2020). Fast Poisson estimation with
    high-dimensional fixed effects. Stata Journal 20(1).
    Bergé, L. (2018). Efficient estimation of maximum likelihood models with multiple
    fixed-effects: the R package FENmlm. CREA Discussion Papers 13.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 8, 5], "x": [0.0, 1, 2, 0, 1, 2],
    ...                    "g": [0, 0, 0, 1, 1, 1]})
    >>> round(float(ppml("y ~ x | g", df).params["x"]), 4)  # statsmodels GLM: 0.332046
    0.332
    """
    model = PPML(
        formula,
        data,
        weights=weights,
        offset=offset,
        tol=tol,
        maxiter=maxiter,
        separation=separation,
        drop_singletons=drop_singletons,
        drop_collinear=drop_collinear,
    )
    return model.fit(cluster=cluster, vcov=vcov, ssc=ssc)

"""Interrupted time series (segmented regression) for one trade flow."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade._frames import period_index, position
from belru_trade._validation import (
    MAX_PLACEBOS,
    check_choice,
    check_int_range,
    check_period,
)
from belru_trade._warnings import gathered
from belru_trade.errors import (
    BelruTradeError,
    BelruTradeWarning,
    InvalidArgumentError,
    SeparationWarning,
    ShortSeriesError,
)
from belru_trade.models.its.base import ITSFit
from belru_trade.models.its.counterfactual import (
    counterfactual_table,
    inverse_link,
    plot_counterfactual,
)
from belru_trade.models.its.design import build_design, coerce_series, log_offset
from belru_trade.models.its.fit import ERRORS, FAMILIES, LOG_LINK, fit_series

if TYPE_CHECKING:
    from belru_trade.models.its.stopped import StoppedITSResults

__all__ = ["ITSResults", "PlaceboResults", "its"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlaceboResults:
    """Placebo-in-time test: the real effect against effects at fake pre-period dates.

    Attributes
    ----------
    term : str
        The tested term (a level change).
    estimate, statistic : float
        The real estimate and its z/t statistic.
    placebos : pandas.DataFrame
        One row per fake date: ``date``, ``estimate``, ``statistic``.
    p_value : float
        ``(1 + #{|placebo statistic| >= |statistic|}) / (1 + n_placebos)``.
    """

    term: str
    estimate: float
    statistic: float
    placebos: pd.DataFrame
    p_value: float

    def summary(self) -> str:
        """Printable text: the statistic, the number of placebo dates and the p-value."""
        return repr(self)

    def tidy(self) -> pd.DataFrame:
        """One row per placebo date (a copy of :attr:`placebos`)."""
        return self.placebos.copy()

    def __repr__(self) -> str:
        return (
            f"Placebo-in-time test of {self.term}: statistic {self.statistic:.3f}, "
            f"{len(self.placebos)} placebo dates, empirical p-value {self.p_value:.3f}"
        )


@dataclass(frozen=True, repr=False, kw_only=True)
class ITSResults(ITSFit):
    """Results of :func:`its` (immutable).

    Besides the :class:`~belru_trade.models.results.EstimationResults` attributes: ``family``,
    ``y`` (the series used), ``design`` (:class:`~belru_trade.models.its.design.Design`),
    ``cov`` (covariance matrix), ``dispersion`` (Pearson phi, quasi-Poisson), ``noise_var``
    (residual or ARMA marginal variance, gaussian/loglinear), ``options`` (for refits).
    """

    @property
    def fitted(self) -> pd.Series:
        """Fitted expected outcome (response scale) for every period."""
        eta = self.design.X.to_numpy() @ self.params.to_numpy() + self._off()
        return pd.Series(inverse_link(eta, self.family, self.noise_var), index=self.y.index)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table; log-link families add ``ratio``, ``ratio_low``, ``ratio_high``.

        Terms: ``const``, ``trend``, seasonal terms, ``level_change`` and ``slope_change``
        (suffixed ``[YYYY-MM]`` when there are several interventions).
        """
        table = super().tidy(level=level)
        if self.family in LOG_LINK:
            table["ratio"] = np.exp(table["estimate"])
            table["ratio_low"] = np.exp(table["conf_low"])
            table["ratio_high"] = np.exp(table["conf_high"])
        return table

    def _quantile(self, level: float) -> float:
        dist = stats.t(self.df_resid) if self.df_resid else stats.norm()
        return float(dist.ppf(0.5 + level / 2))

    def effect(self, date: Any, level: float = 0.95) -> pd.Series:
        """Effect of all interventions in force at ``date`` (a post-intervention period).

        Returns
        -------
        pandas.Series
            ``period``, ``estimate`` (link scale: sum of level changes and slope changes
            times time since each interruption), ``std_error``, ``conf_low``, ``conf_high``,
            ``ratio``/``ratio_low``/``ratio_high`` (log-link families), ``fitted`` and
            ``counterfactual`` (expected outcome with and without the interventions) and
            ``difference`` (fitted minus counterfactual, outcome units).
        """
        period = check_period("date", date, period_index(self.y).freqstr[0])
        if not self.interventions[0] <= period <= self.y.index[-1]:
            raise InvalidArgumentError(
                f"date={date!r} is outside the post-intervention sample "
                f"({self.interventions[0]} to {self.y.index[-1]})"
            )
        if period not in self.y.index:
            raise InvalidArgumentError(f"date={date!r} is a missing (unobserved) period of y")
        pos = position(self.y.index, period)
        c = (
            self.design.X.iloc[pos].to_numpy()
            - self.design.counterfactual_design().iloc[pos].to_numpy()
        )
        est = float(c @ self.params.to_numpy())
        se = float(np.sqrt(c @ self.cov.to_numpy() @ c))
        q = self._quantile(level)
        off = self.log_offset[pos] if self.log_offset is not None else 0.0
        cf_eta = float(self.design.counterfactual_design().iloc[pos].to_numpy() @ self.params) + off
        cf = float(inverse_link(np.array(cf_eta), self.family, self.noise_var))
        fitted = float(self.fitted.iloc[pos])
        out = {"period": period, "estimate": est, "std_error": se}
        out.update(conf_low=est - q * se, conf_high=est + q * se)
        if self.family in LOG_LINK:
            out.update(ratio=np.exp(est), ratio_low=np.exp(est - q * se))
            out["ratio_high"] = np.exp(est + q * se)
        out.update(fitted=fitted, counterfactual=cf, difference=fitted - cf)
        return pd.Series(out, name=str(period))

    def counterfactual(self, level: float = 0.95, n_sim: int = 4000, seed: int = 0) -> pd.DataFrame:
        """The no-intervention path, prediction intervals and cumulative lost value/volume.

        Returns
        -------
        pandas.DataFrame
            Indexed by period: ``observed``, ``fitted``, ``counterfactual`` (expected
            outcome without the interventions), ``cf_low``/``cf_high`` (prediction interval
            of the counterfactual outcome), ``lost`` (counterfactual minus observed, post
            periods), ``cumulative_lost`` with ``cumulative_low``/``cumulative_high``.

        Notes
        -----
        Intervals by simulation (fixed ``seed``): parameter draws from N(b, V) plus family
        outcome noise; see :mod:`belru_trade.models.its.counterfactual`.
        """
        return counterfactual_table(self, level, n_sim, seed)

    def plot(self, *, unit: str | None = None, title: str | None = None, ax: Any = None) -> Any:
        """Observed series, fitted path and counterfactual with its prediction band.

        Returns
        -------
        matplotlib.figure.Figure
            Drawn on ``ax`` when given (its figure is returned), else on a new figure.
        """
        title = title or f"ITS ({self.family})"
        return plot_counterfactual(self, unit=unit, title=title, ax=ax)

    def placebo(self, n: int = 20, *, term: str | None = None) -> PlaceboResults:
        """Placebo-in-time test: refit the same model on the pre-period with fake dates.

        Parameters
        ----------
        n : int, default 20
            Number of fake dates, spread evenly over the admissible pre-period dates
            (1 to 1,000).
        term : str, optional
            Level-change term tested (default: the first intervention's).

        Returns
        -------
        PlaceboResults
        """
        check_int_range("n", n, 1, MAX_PLACEBOS)
        term = term or self.design.level_terms[0]
        check_choice("term", term, self.design.level_terms)
        pre = self.y[self.y.index < self.interventions[0]]
        if len(pre):  # missing periods come back as NaN (left out of each refit)
            pre = pre.reindex(
                pd.period_range(pre.index[0], pre.index[-1], freq=period_index(pre).freq)
            )
        candidates = _placebo_dates(pre, self.options)
        if not candidates:
            raise ShortSeriesError(
                f"the pre-period ({len(pre)} observations) is too short for any placebo date"
            )
        chosen = [
            candidates[i]
            for i in np.unique(np.linspace(0, len(candidates) - 1, n).round().astype(int))
        ]
        if len(chosen) < n:
            warnings.warn(
                f"only {len(chosen)} placebo dates are admissible (n={n} asked)",
                BelruTradeWarning,
                stacklevel=2,
            )
        # one warning for the placebo fits that stop or separate, not one per fake date
        with gathered(
            SeparationWarning, lambda m: _separated_placebos(m, len(chosen)), stacklevel=4
        ):
            rows = [_placebo_fit(pre, d, self) for d in chosen]
        placebos = pd.DataFrame([r for r in rows if r is not None])
        row = self.tidy().set_index("term").loc[term]
        extreme = int((placebos["statistic"].abs() >= abs(row["statistic"])).sum())
        return PlaceboResults(
            term=term,
            estimate=float(row["estimate"]),
            statistic=float(row["statistic"]),
            placebos=placebos,
            p_value=(1 + extreme) / (1 + len(placebos)),
        )


def _design_options(options: dict[str, Any]) -> dict[str, Any]:
    keys = ("seasonality", "harmonics", "slope_change")
    return {k: options[k] for k in keys}


def _placebo_dates(pre: pd.Series, options: dict[str, Any]) -> list[pd.Period]:
    dates = []
    for period in pre.index[1:]:
        try:
            build_design(period_index(pre), [period], **_design_options(options))
        except ShortSeriesError:
            continue
        dates.append(period)
    return dates


def _separated_placebos(messages: list[str], n: int) -> str:
    return (
        f"{len(messages)} of the {n} placebo fits are (quasi-)separated, e.g. {messages[0]} "
        "-- a fit whose trade stops counts as more extreme than the estimate in the p-value"
    )


def _placebo_fit(pre: pd.Series, date: pd.Period, res: ITSResults) -> dict | None:
    n = int(pre.notna().sum())
    offset = None if res.log_offset is None else res.log_offset[:n]
    if offset is not None and n < len(pre):  # back on the calendar of ``pre``
        full = np.full(len(pre), np.nan)
        full[pre.notna().to_numpy()] = offset
        offset = full
    try:
        fake = _fit(pre, [date], offset, res.options)
    except BelruTradeError as exc:
        logger.info("placebo date %s skipped: %s", date, exc)
        return None
    if fake.extra.get("status") == "trade stopped":  # a stop at a fake date: as extreme
        return {"date": date, "estimate": -np.inf, "statistic": -np.inf}
    term = fake.design.level_terms[0]
    est, se = float(fake.params[term]), float(fake.std_errors[term])
    return {"date": date, "estimate": est, "statistic": est / se}


def _fit(
    y: pd.Series, interventions: Any, offset: np.ndarray | None, options: dict[str, Any]
) -> ITSResults | StoppedITSResults:
    design = build_design(period_index(y), interventions, **_design_options(options))
    observed = y.notna().to_numpy()
    if not observed.all():  # missing='drop': the design keeps calendar time, rows are dropped
        design = replace(design, X=design.X.loc[observed])
        y = y[observed]
        offset = None if offset is None else np.asarray(offset)[observed]
    if options["family"] in ("poisson", "quasipoisson"):
        from belru_trade.models.its.stopped import check_count_series, fit_stopped

        stop = check_count_series(y.to_numpy(), design)
        if stop is not None:
            return fit_stopped(y, design, stop, offset, options)
    out = fit_series(
        y.to_numpy(),
        design,
        family=options["family"],
        log_offset=offset,
        errors=options["errors"],
        hac_lags=options["hac_lags"],
        arima_order=options["arima_order"],
    )
    return ITSResults(
        params=out.params,
        std_errors=pd.Series(np.sqrt(np.diag(out.cov.to_numpy())), index=out.params.index),
        nobs=len(y),
        model=f"ITS {options['family']}",
        cov_type=out.cov_label,
        df_resid=out.df_resid,
        extra=out.extra,
        family=options["family"],
        y=y,
        design=design,
        cov=out.cov,
        log_offset=offset,
        dispersion=out.dispersion,
        noise_var=out.noise_var,
        options=dict(options),
    )


def its(
    y: pd.Series | pd.DataFrame,
    interventions: Sequence[Any] | str,
    *,
    family: str = "quasipoisson",
    offset: pd.Series | np.ndarray | None = None,
    exposure: pd.Series | np.ndarray | None = None,
    seasonality: str | None = "auto",
    harmonics: int = 2,
    slope_change: bool = True,
    errors: str = "hac",
    hac_lags: int | None = None,
    arima_order: tuple[int, int] | None = None,
    selector: dict[str, Any] | None = None,
    column: str = "value",
    missing: str = "raise",
) -> ITSResults | StoppedITSResults:
    """Interrupted time series: level and slope changes at one or more interventions.

    Parameters
    ----------
    y : pandas.Series or pandas.DataFrame
        A monthly, quarterly or annual series (PeriodIndex, DatetimeIndex or integer
        years such as ``2010, 2011, ...``; consecutive, no missing values), or a tidy panel
        (:mod:`belru_trade.trade.panel`) with ``selector``.
    interventions : str or sequence of str/Period
        Intervention dates (e.g. ``["2014-08", "2015-08"]``); each adds a level change and,
        with ``slope_change``, a slope change.
    family : {'quasipoisson', 'poisson', 'loglinear', 'gaussian'}
        Outcome model (log link except gaussian).
    offset : pandas.Series or array, optional
        Offset on the **log scale** aligned with ``y`` (``log E[y] = offset + X b``), as
        ``offset=`` in statsmodels' GLM and fixest; e.g. ``np.log(population)``. Not
        allowed for gaussian.
    exposure : pandas.Series or array, optional
        Positive raw-scale exposure (population, a price index), logged here: the same as
        ``offset=np.log(exposure)`` (statsmodels' ``exposure=``). Pass one of the two.
    seasonality : {'auto', 'fourier', 'dummies', None}, default 'auto'
        Fourier pairs with ``harmonics`` harmonics, or season dummies; ``'auto'`` is
        Fourier for monthly and quarterly series and none for annual series.
    harmonics : int, default 2
    slope_change : bool, default True
    errors : {'hac', 'arima', 'model'}
        Newey-West HAC (``hac_lags`` lags, default ``floor(4 (n/100)^(2/9))``), ARMA errors by
        SARIMAX (gaussian/loglinear; ``arima_order=(p, q)`` or chosen by AIC), or model-based
        (Pearson-scaled for quasi-Poisson).
    hac_lags : int, optional
    arima_order : tuple of int, optional
    selector : dict, optional
        Panel column -> value(s) picking the rows to sum by period, when ``y`` is a panel.
    column : str, default 'value'
        Panel column to analyse (``value`` or ``quantity``).
    missing : {'raise', 'drop'}, default 'raise'
        What a NaN in ``y`` means. ``'raise'`` refuses it; ``'drop'`` reads it as a period
        that was not observed (e.g. a month a UN Comtrade reporter filed nothing, which is
        not zero trade) and leaves it out of the fit: trend and seasonality keep calendar
        time, Newey-West lags run over the observed periods in order, and the counterfactual
        and cumulative effect cover the observed periods only.

    Returns
    -------
    ITSResults
        ``tidy()``, ``effect(date)``, ``counterfactual()``, ``plot()``, ``placebo(n)``.

    Raises
    ------
    InvalidArgumentError
        Bad options; gaps, duplicates, unsorted or missing values; all-zero series.
    ShortSeriesError
        Pre- or post-intervention segments too short for their terms.
    SpecificationError
        A count series is zero over a whole pre-intervention segment, or has fewer positive
        periods than parameters + 2 (no finite Poisson estimate).

    Warns
    -----
    SeparationWarning
        Count families: the flow stopped (from an intervention on, below 1 % of its
        pre-intervention mean with fewer than half of the periods positive). The result is then a
        :class:`~belru_trade.models.its.stopped.StoppedITSResults`: level change -100 %,
        counterfactual fitted on the periods before the stop; :func:`scan` labels the same
        series ``stopped``.

    Notes
    -----
    Segmented regression (Wagner et al. 2002) with link ``g``::

        g(E[y_t]) = offset_t + b0 + b1 t + S_t + sum_j [d_j 1(t >= T_j)
                    + s_j (t - T_j + 1) 1(t >= T_j)]

    ``t`` counts periods from 1; the slope-change regressor counts **1 in the first
    post-intervention period** ``T_j``. ``exp(d_j)`` is the level ratio for log-link
    families. Quasi-Poisson uses the Poisson pseudo-likelihood (Santos Silva & Tenreyro
    2006) so zero and non-integer trade values are fine.

    p-values and intervals follow fixest: normal (z) for the Poisson families and for ARMA
    errors (maximum likelihood), Student t with ``n - k`` degrees of freedom for the
    least-squares families (gaussian, loglinear) whatever the covariance.

    Inference caveat: with autocorrelated errors, Newey-West intervals under-cover at
    typical ITS lengths (measured 0.89 for nominal 0.95 at n = 240, AR(1) rho = 0.3); a
    correctly specified ARMA model (``errors='arima'``) gave 0.92-0.93 at n = 96 (see
    BENCHMARKS.md, Scan section); at 48-60 months coverage is 0.51-0.80, and fixed-b
    critical values (:func:`~belru_trade.models.its.fixed_b.fixed_b_tidy`) give 0.85-0.94
    (BENCHMARKS.md, Intervals section). For counterfactuals from comparison flows and
    cumulative intervals that account for autocorrelation, see
    :func:`~belru_trade.models.counterfactual.comparative.comparative_counterfactual`.
    Check ``placebo()`` as well.

    References
    ----------
    Wagner, Soumerai, Zhang & Ross-Degnan (2002), J. Clin. Pharm. Ther. 27:299-309.
    Lopez Bernal, Cummins & Gasparrini (2017), Int. J. Epidemiol. 46(1):348-355.
    Newey & West (1994), Rev. Econ. Stud. 61(4):631-653.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import belru_trade as bt
    >>> idx = pd.period_range("2011-01", "2016-12", freq="M")
    >>> t = np.arange(len(idx))
    >>> mu = np.exp(6 + 0.002 * t - 0.7 * (idx >= pd.Period("2014-08", "M")))
    >>> y = pd.Series(np.random.default_rng(0).poisson(mu), index=idx)
    >>> r = bt.its(y, interventions=["2014-08"], family="quasipoisson", slope_change=False)
    >>> round(float(r.tidy().set_index("term").loc["level_change", "ratio"]), 1)
    0.5
    """
    check_choice("family", family, FAMILIES)
    check_choice("errors", errors, ERRORS)
    check_choice("missing", missing, ("raise", "drop"))
    series = coerce_series(
        y,
        selector=selector,
        column=column,
        nonnegative=family in ("poisson", "quasipoisson"),
        allow_missing=missing == "drop",
    )
    options = {
        "family": family,
        "errors": errors,
        "hac_lags": hac_lags,
        "arima_order": arima_order,
        "seasonality": seasonality,
        "harmonics": harmonics,
        "slope_change": slope_change,
    }
    return _fit(series, interventions, log_offset(offset, exposure, series), options)

"""Product-level event study / difference in differences (embargo designs).

Treated flows are e.g. embargoed HS codes exported to Russia; controls are non-embargoed
codes to Russia and/or the same codes to other destinations. The treatment column is the
``D_pdt`` indicator of :func:`belru_trade.events.treatment` (1 while the flow is covered) or
any user column with the same meaning; a unit's event date is its first treated period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade._frames import as_pandas
from belru_trade._validation import (
    MAX_EVENT_WINDOW,
    check_choice,
    check_int_range,
    check_unique_columns,
)
from belru_trade.errors import InvalidArgumentError, SpecificationError
from belru_trade.models.did.engine import fit_fe
from belru_trade.models.did.methods import fit_method
from belru_trade.models.did.pretrend import pretrend_test, pretrend_verdict
from belru_trade.models.did.sensitivity import SensitivityResults, relative_magnitude_bounds
from belru_trade.models.hdfe.vcov import SSC_CHOICES
from belru_trade.models.results import EstimationResults

__all__ = ["DiDResults", "did"]

ESTIMATORS = ("ppml", "ols")
METHODS = ("twfe", "imputation", "sunab")


def _event_name(k: int, lo: int, hi: int, bin_lo: bool, bin_hi: bool) -> str:
    """``event[k]``; ``event[<=lo]``/``event[>=hi]`` only for end points that are bins."""
    if bin_lo and k == lo:
        return f"event[<={lo}]"
    if bin_hi and k == hi:
        return f"event[>={hi}]"
    return f"event[{k}]"


def _column(k: int) -> str:
    return f"ev_m{-k}" if k < 0 else f"ev_p{k}"


@dataclass(frozen=True, repr=False, kw_only=True)
class DiDResults(EstimationResults):
    """Results of :func:`did` (immutable).

    ``params``/``std_errors`` hold the event-time coefficients (relative to ``reference``);
    ``att`` the pooled treated-x-post coefficient (estimate, std_error, conf_low, conf_high,
    p_value, and ``ratio = exp(estimate)`` for PPML); ``pretrend`` the joint test that every
    pre-period coefficient is zero (statistic, df, df_denom, test, p_value, rejected; see
    :func:`~belru_trade.models.did.pretrend.pretrend_test`). ``summary()`` and ``tidy()``
    state the pre-trend verdict next to the pooled effect; ``sensitivity()`` gives
    relative-magnitude bounds. ``method`` is 'twfe', 'imputation' or 'sunab'; ``cells`` the
    cohort x event-time cell estimates of 'sunab' and PPML 'imputation' (cohort as the
    ``Period.ordinal`` of the first treated period). With 'imputation' the pre-period
    coefficients come from the separate pre-trend regression on untreated observations, so
    ``cov`` is NaN between pre- and post-period terms.
    """

    event_times: tuple[int, ...]
    reference: int = -1
    cov: pd.DataFrame
    att: pd.Series
    pretrend: pd.Series
    estimator: str = "ppml"
    method: str = "twfe"
    window: tuple[int, int] = (-12, 12)
    binned: bool = True
    cells: pd.DataFrame | None = None

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table plus ``pretrend_p_value`` and ``pretrend_rejected`` columns."""
        table = super().tidy(level=level)
        table["pretrend_p_value"] = float(self.pretrend.get("p_value", np.nan))
        table["pretrend_rejected"] = bool(self.pretrend.get("rejected", False))
        table.attrs["pretrend"] = pretrend_verdict(self.pretrend)
        return table

    def summary(self) -> str:
        """Pooled effect with the pre-trend verdict, then the event-time coefficients."""
        att = self.att
        head = (
            f"Pooled effect ({self.method}): {att['estimate']:.6g} (se {att['std_error']:.6g}, "
            f"95% CI {att['conf_low']:.6g} .. {att['conf_high']:.6g})"
        )
        return "\n".join([head, pretrend_verdict(self.pretrend), super().summary()])

    def sensitivity(self, mbar: Sequence[float] = (0.0, 0.5, 1.0, 2.0)) -> SensitivityResults:
        """Relative-magnitude identified-set bounds (Rambachan & Roth 2023) for each ``mbar``.

        See :func:`~belru_trade.models.did.sensitivity.relative_magnitude_bounds`; the
        binned end bins are left out, and ``reference`` must be -1.
        """
        return relative_magnitude_bounds(
            self.event_table(), mbar, reference=self.reference, window=self.window,
            binned=self.binned, estimator=self.estimator,
        )  # fmt: skip

    def event_table(self, level: float = 0.95) -> pd.DataFrame:
        """Event-time coefficients with the reference period (0 by construction) included."""
        table = self.tidy(level=level)
        table.insert(0, "event_time", list(self.event_times))
        ref = pd.DataFrame([{"event_time": self.reference, "term": f"event[{self.reference}]",
                             "estimate": 0.0, "std_error": 0.0}])  # fmt: skip
        table = pd.concat([table, ref], ignore_index=True).sort_values("event_time")
        return table.reset_index(drop=True)

    def plot(self, *, level: float = 0.95, ax: Any = None) -> Any:
        """Event-study plot: coefficients with confidence intervals by event time.

        Returns a :class:`matplotlib.figure.Figure` (that of ``ax`` when given).
        """
        from belru_trade.plotting import event_study_panel, on_axes

        fig, ax = on_axes(ax)
        title = (
            f"Event study ({self.estimator.upper()}); pre-trend p = {self.pretrend['p_value']:.3f}"
        )
        event_study_panel(
            ax,
            self.event_table(level=level),
            self.reference,
            unit="log points" if self.estimator == "ppml" else "outcome units",
            title=title,
        )
        return fig


def _prepare(
    data: Any,
    outcome: str,
    treatment: str | None,
    events: str | Sequence[str] | None,
    unit: tuple[str, ...],
    time: str,
) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InvalidArgumentError(f"data is a {type(data).__name__}; expected a DataFrame")
    check_unique_columns("data", data)
    if data.empty:
        raise InvalidArgumentError("data is empty; nothing to estimate")
    need = [outcome, *unit, time] + ([treatment] if events is None else [])
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise InvalidArgumentError(f"data lacks columns {missing}; needed: {need}")
    df = data.copy()
    if events is not None:
        from belru_trade.events import treatment as event_treatment

        df["_d"] = event_treatment(df, events).to_numpy()
    else:
        values = pd.to_numeric(df[treatment], errors="coerce")
        if not values.isin([0, 1]).all():
            raise InvalidArgumentError(f"treatment column {treatment!r} must hold only 0 and 1")
        df["_d"] = values.to_numpy()
    key = df[unit[0]].astype(str)
    for col in unit[1:]:  # vectorised "|".join (row-wise agg is slow on long panels)
        key = key + "|" + df[col].astype(str)
    df["_unit"] = key
    if not isinstance(df[time].dtype, pd.PeriodDtype):
        raise InvalidArgumentError(f"column {time!r} must hold pandas Periods")
    if df[[*unit, time]].duplicated().any():
        raise InvalidArgumentError(f"data has duplicated ({', '.join(unit)}, {time}) rows")
    if not (df["_d"] == 1).any() or (df["_d"] == 0).all():
        raise SpecificationError("no treated observation: nothing to estimate")
    start = df.loc[df["_d"] == 1].groupby("_unit")[time].min()
    ordinal = pd.Series(df[time].array.asi8, index=df.index)
    first = df["_unit"].map(pd.Series(start.array.asi8, index=start.index))
    df["_k"] = (ordinal - first).astype("Float64")
    return df


def _event_dummies(
    df: pd.DataFrame, window: tuple[int, int], reference: int, binned: bool
) -> tuple[pd.DataFrame, list, list, list]:
    lo, hi = window
    k = df["_k"]
    treated_unit = k.notna()
    # an end point is labelled as a bin (event[<=lo], event[>=hi]) only when it collects
    # event times beyond the window
    bin_lo = binned and bool((k < lo).fillna(False).any())
    bin_hi = binned and bool((k > hi).fillna(False).any())
    if binned:
        k = k.clip(lower=lo, upper=hi)
    cols, times, names = [], [], []
    for e in range(lo, hi + 1):
        if e == reference:
            continue
        col = _column(e)
        df[col] = (treated_unit & (k == e)).fillna(False).astype(float).to_numpy()
        if df[col].sum() == 0:
            raise SpecificationError(f"no treated observation at event time {e}; narrow window")
        cols.append(col)
        times.append(e)
        names.append(_event_name(e, lo, hi, bin_lo, bin_hi))
    if not binned:  # observations outside the window are dropped
        keep = ~treated_unit | ((df["_k"] >= lo) & (df["_k"] <= hi)).fillna(False)
        df = df.loc[keep.to_numpy()]
    return df, cols, times, names


def _check_window(window: Any) -> tuple[int, int]:
    """Both ends of an event window as ints within ``MAX_EVENT_WINDOW`` periods of the event."""
    if not isinstance(window, tuple | list) or len(window) != 2:
        raise InvalidArgumentError(f"window={window!r} is not a pair (first, last) of event times")
    lo = check_int_range("window[0]", window[0], -MAX_EVENT_WINDOW, MAX_EVENT_WINDOW)
    hi = check_int_range("window[1]", window[1], -MAX_EVENT_WINDOW, MAX_EVENT_WINDOW)
    return lo, hi


def did(
    data: pd.DataFrame,
    *,
    outcome: str = "value",
    treatment: str | None = "treated",
    events: str | Sequence[str] | None = None,
    unit: Sequence[str] = ("product", "partner"),
    time: str = "period",
    destination: str = "partner",
    window: tuple[int, int] = (-12, 12),
    reference: int = -1,
    binned: bool = True,
    estimator: str = "ppml",
    fixed_effects: Sequence[str] = ("unit", "destination^time"),
    cluster: str | None = "unit",
    ssc: str = "fixest",
    method: str = "twfe",
) -> DiDResults:
    """Event study and pooled DiD on a product x destination x period panel.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel with ``outcome``, the ``unit`` columns and ``time`` (pandas Periods);
        polars and pyarrow tables are converted to pandas.
    outcome : str, default 'value'
    treatment : str, optional
        0/1 column, 1 while a flow is under the measure (``D_pdt``).
    events : str or sequence of str, optional
        Event ids; builds the treatment with :func:`belru_trade.events.treatment` (the
        panel then needs its columns: reporter, partner, product, flow, period).
    unit : sequence of str, default ('product', 'partner')
        Columns identifying a flow (product x destination).
    time, destination : str
        Period column and destination column (for destination x time effects).
    window : (int, int), default (-12, 12)
        Event times estimated; with ``binned`` the end points collect everything beyond.
    reference : int, default -1
        Omitted event time (coefficients are relative to it).
    estimator : {'ppml', 'ols'}
        PPML on levels (zeros kept; effects in log points) or OLS on ``outcome`` as given.
    fixed_effects : sequence of str
        From ``'unit'``, ``'destination^time'``, ``'product^time'`` (``unit[0]`` x time),
        ``'time'``.
    cluster : str or None, default 'unit'
        Cluster standard errors by flow (``'unit'``), another column, or None
        (heteroskedasticity-robust), exactly as ``cluster=`` of :func:`belru_trade.ppml`
        and :func:`belru_trade.ols`.
    ssc : {'fixest', 'stata', 'cluster', 'none'}, default 'fixest'
        Small-sample correction (:mod:`belru_trade.models.hdfe.vcov`).
    method : {'twfe', 'imputation', 'sunab'}, default 'twfe'
        Two-way fixed effects (the equation below), imputation (Borusyak, Jaravel & Spiess
        2024 / Gardner 2022 for OLS; Wooldridge's 2023 extended TWFE for PPML) or Sun &
        Abraham (2021) interaction weighting; see :mod:`belru_trade.models.did.methods`.
        The robust methods avoid TWFE's negative weights when treatment starts at different
        dates. Treatment is taken as absorbing from a unit's first treated period.

    Returns
    -------
    DiDResults
        Event coefficients (``tidy()``, ``event_table()``, ``plot()``), ``att``, ``pretrend``.

    Raises
    ------
    InvalidArgumentError
        Missing columns, non-binary treatment, duplicated rows, bad options.
    SpecificationError
        No treated rows, empty event times, or coefficients absorbed by the fixed effects.

    Notes
    -----
    Event study (Miromanova 2018; Crozet & Hinz 2020 design)::

        E[X_pdt] = exp( sum_{k != ref} b_k 1(t - T_pd = k) G_pd + a_pd + g_dt )

    with ``G_pd`` the treated-flow indicator, ``T_pd`` its first treated period, ``a_pd``
    flow and ``g_dt`` destination x period fixed effects. The pooled model replaces the sum
    by ``b D_pdt`` (``att``). The pre-trend test is the Wald statistic ``b_pre' V^+ b_pre``
    on the generalized inverse (rank ``r``): with clustered errors referred to Hotelling's
    F(r, G - r) (``G`` clusters; robust to few clusters), otherwise ``W / r`` against
    F(r, df_resid) for OLS or chi-square(r) for PPML; ``pretrend['rejected']`` flags
    p < 0.05 (:func:`~belru_trade.models.did.pretrend.pretrend_test`).

    One model, one standard error: the regressions are fitted by :func:`belru_trade.ppml`
    and :func:`belru_trade.ols`, so the same model, ``cluster`` and ``ssc`` give the same
    standard errors and p-values as those functions: z inference for PPML, Student t with
    ``G - 1`` degrees of freedom (clustered) or ``N - K`` for OLS.

    References
    ----------
    Borusyak, Jaravel & Spiess (2024), Rev. Econ. Stud. 91(6):3253-3285.
    Crozet & Hinz (2020), Economic Policy 35(101):97-146.
    Gardner (2022), "Two-stage differences in differences", arXiv:2207.05943.
    Rambachan & Roth (2023), Rev. Econ. Stud. 90(5):2555-2591.
    Santos Silva & Tenreyro (2006), Rev. Econ. Stat. 88(4):641-658.
    Sun & Abraham (2021), J. Econometrics 225(2):175-199.
    Wooldridge (2023), Econometrics J. 26(3):C31-C66.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import belru_trade as bt
    >>> rng = np.random.default_rng(0)
    >>> periods = pd.period_range("2013-01", "2015-12", freq="M")
    >>> df = pd.DataFrame([(p, d, t) for p in range(8) for d in ("RU", "DE") for t in periods],
    ...                   columns=["product", "partner", "period"])
    >>> df["treated"] = ((df["product"] < 4) & (df["partner"] == "RU")
    ...                  & (df["period"] >= pd.Period("2014-08", "M"))).astype(int)
    >>> df["value"] = rng.poisson(np.exp(4 - 1.0 * df["treated"])).astype(float)
    >>> res = bt.did(df, treatment="treated", window=(-6, 6), estimator="ppml")
    >>> bool(abs(res.att["estimate"] + 1.0) < 0.15)
    True
    """
    check_choice("estimator", estimator, ESTIMATORS)
    check_choice("ssc", ssc, SSC_CHOICES)
    check_choice("method", method, METHODS)
    lo, hi = _check_window(window)
    if not lo < reference < hi or lo >= 0 or hi < 0:
        raise InvalidArgumentError(
            f"window={window!r}, reference={reference!r}: need window[0] < reference < "
            "window[1] with window[0] < 0 <= window[1]"
        )
    df = _prepare(as_pandas(data), outcome, treatment, events, tuple(unit), time)
    fe_cols = _fixed_effects(df, fixed_effects, destination, tuple(unit), time)
    df, cols, times, names = _event_dummies(df, window, reference, binned)
    cl = "_unit" if cluster == "unit" else cluster
    if method != "twfe":
        extra = {"fixed_effects": ", ".join(fixed_effects), "window": f"{lo}..{hi}"}
        design = {"outcome": outcome, "time": time, "fe": fe_cols, "cols": cols, "times": times,
                  "names": names, "window": (lo, hi), "reference": reference, "binned": binned,
                  "extra": extra, "ssc": ssc}  # fmt: skip
        return DiDResults(**fit_method(method, df, design, estimator=estimator, cluster=cl))
    try:
        fit = fit_fe(outcome, cols, fe_cols, df, estimator, cl, ssc)
    except SpecificationError as exc:  # name the event times, not the internal columns
        text = str(exc)
        for col, name in zip(cols, names, strict=True):
            text = text.replace(f"'{col}'", f"'{name}'")
        raise SpecificationError(text) from exc
    # The pooled dummy is the sum of the post-period event dummies (an absorbing treatment):
    # its design spans a subspace of the event study's, so when the event-study fit found no
    # rows separated by its regressors, the pooled one cannot either (only the fixed-effect
    # check is needed: same outcome, same rows, same fixed effects).
    post = [c for c, t in zip(cols, times, strict=True) if t >= 0]
    nested = not fit.separated and np.array_equal(df["_d"].to_numpy(float), df[post].sum(axis=1))
    pooled = fit_fe(outcome, ["_d"], fe_cols, df, estimator, cl, ssc, regressor_checks=not nested)
    params, cov = fit.params, fit.cov
    params.index = cov.index = cov.columns = names
    return DiDResults(
        params=params,
        std_errors=_standard_errors(cov),
        nobs=fit.nobs,
        model=f"Event study ({estimator.upper()})",
        cov_type=fit.label,
        df_resid=fit.df_resid,
        extra={"fixed_effects": ", ".join(fixed_effects), "window": f"{lo}..{hi}"},
        event_times=tuple(times),
        reference=reference,
        cov=cov,
        att=_att(pooled.params, pooled.cov, estimator, pooled.df_resid),
        pretrend=pretrend_test(params, cov, times, reference, _n_clusters(df, cl), fit.df_resid),
        estimator=estimator,
        window=(lo, hi),
        binned=binned,
    )


def _n_clusters(df: pd.DataFrame, cluster: str | None) -> int | None:
    """Number of clusters behind a clustered covariance (None when not clustered)."""
    return None if cluster is None else int(df[cluster].nunique())


def _standard_errors(cov: pd.DataFrame) -> pd.Series:
    """Square roots of the variances; a negative or undefined variance is a named error.

    It happens when the outcome is fitted exactly (rounding leaves variances of about
    -1e-30), where a square root would give a silent NaN.
    """
    variances = np.diag(cov.to_numpy(dtype=float))
    if not (variances >= 0).all():
        bad = [str(n) for n, v in zip(cov.index, variances, strict=True) if not v >= 0]
        raise SpecificationError(
            f"the variance of {', '.join(bad)} is negative or undefined: the outcome is fitted "
            "exactly (zero residual variance) or the design is degenerate; no standard errors"
        )
    return pd.Series(np.sqrt(variances), index=cov.index)


def _att(params: pd.Series, cov: pd.DataFrame, estimator: str, df_resid: float | None) -> pd.Series:
    b, se = float(params.iloc[0]), float(_standard_errors(cov).iloc[0])
    if se == 0.0:
        raise SpecificationError(
            "the outcome is fitted exactly (zero residual variance), so the pooled effect "
            f"{b:.6g} has a zero standard error and no test; check for a duplicated or "
            "constructed outcome"
        )
    dist = stats.norm() if df_resid is None else stats.t(df_resid)
    q = dist.ppf(0.975)
    out = {"estimate": b, "std_error": se, "conf_low": b - q * se, "conf_high": b + q * se}
    out["p_value"] = 2 * dist.sf(abs(b / se))
    if estimator == "ppml":
        out.update(ratio=np.exp(b), effect_pct=100 * (np.exp(b) - 1))
    return pd.Series(out)


def _fixed_effects(
    df: pd.DataFrame, spec: Sequence[str], destination: str, unit: tuple[str, ...], time: str
) -> list[str]:
    allowed = ("unit", "destination^time", "product^time", "time")
    out = []
    for fe in spec:
        check_choice("fixed_effects", fe, allowed)
        if fe == "unit":
            df["_fe_unit"] = df["_unit"]
        elif fe == "time":
            df["_fe_time"] = df[time].astype(str)
        else:
            left = destination if fe.startswith("destination") else unit[0]
            if left not in df.columns:
                raise InvalidArgumentError(f"fixed_effects {fe!r} needs column {left!r}")
            df[f"_fe_{left}_time"] = df[left].astype(str) + "|" + df[time].astype(str)
        out.append(df.columns[-1])
    return out

"""Small helpers shared by the bundled analyses (tables with units, Agg figures).

The analyses may not import each other, so what they share lives here, in the public
module :mod:`belru_trade.report.helpers`. Figures are :class:`matplotlib.figure.Figure`
objects created without pyplot (no global state, no display needed: the Agg canvas).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from belru_trade.report.result import AnalysisResult

__all__ = [
    "analysis_result",
    "annual_sums",
    "complete_months",
    "comtrade_exports_to",
    "describe_contrast",
    "describe_its",
    "did_row",
    "embargo_2014_reporters",
    "fit_its",
    "fit_its_row",
    "fmt_interval",
    "its_contrast",
    "its_row",
    "mark_dates",
    "monthly_series",
    "new_figure",
    "origin_event_study",
    "period_axis",
    "plot_its",
    "shade_interval",
    "spike_mask",
]


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 9.0, height: float = 4.2):
    """A figure and its axes (Agg canvas, constrained layout).

    >>> fig, ax = new_figure()
    >>> type(fig).__name__
    'Figure'
    """
    fig = Figure(figsize=(width, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def period_axis(index: pd.Index) -> np.ndarray:
    """Datetime x-values (period midpoints) for a PeriodIndex or a column of Periods."""
    periods = pd.PeriodIndex(index)
    return (periods.start_time + (periods.end_time - periods.start_time) / 2).to_numpy()


def mark_dates(ax, dates: Iterable[tuple[str, str]], *, color: str = "firebrick") -> None:
    """Draw dashed vertical lines at ``(date, label)`` pairs, labelled at the top.

    Also gives the (time) x axis concise date labels that do not overlap.
    """
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ymax = ax.get_ylim()[1]
    for date, label in dates:
        x = pd.Timestamp(date)
        ax.axvline(x, color=color, linestyle="--", linewidth=1)
        ax.text(x, ymax, f" {label}", color=color, fontsize=8, va="top", ha="left", rotation=90)


def shade_interval(ax, x, low, high, *, label: str, color: str = "tab:blue") -> None:
    """Shade a band between ``low`` and ``high`` (e.g. a counterfactual interval)."""
    ax.fill_between(x, low, high, color=color, alpha=0.2, linewidth=0, label=label)


def fmt_interval(estimate: float, low: float, high: float, *, unit: str = "", digits: int = 1):
    """Text ``'x [low, high] unit'``.

    >>> fmt_interval(-12.345, -20.0, -4.5, unit="%")
    '-12.3 [-20.0, -4.5] %'
    """
    text = f"{estimate:,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]"
    return f"{text} {unit}".rstrip()


def monthly_series(
    panel: pd.DataFrame,
    *,
    column: str = "value",
    scale: float = 1.0,
    **filters: str | Sequence[str],
) -> pd.Series:
    """Sum ``column`` over the rows matching ``filters`` by period, divided by ``scale``.

    Rows with a missing ``column`` are left out; periods with no row at all are absent
    (not zero). The result has a PeriodIndex sorted in time.

    >>> p = pd.DataFrame({"period": pd.PeriodIndex(["2020-01", "2020-01"], freq="M"),
    ...                   "flow": ["export", "import"], "value": [2e6, 5e6]})
    >>> monthly_series(p, flow="export", scale=1e6).tolist()
    [2.0]
    """
    mask = pd.Series(True, index=panel.index)
    for key, wanted in filters.items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        mask &= panel[key].isin(values)
    rows = panel.loc[mask & panel[column].notna()]
    series = rows.groupby("period")[column].sum() / scale
    series.index = pd.PeriodIndex(series.index)
    return series.sort_index()


def annual_sums(series: pd.Series) -> pd.DataFrame:
    """Calendar-year sums of a monthly series with the number of months present.

    >>> s = pd.Series([1.0, 2.0], index=pd.period_range("2020-11", periods=2, freq="M"))
    >>> annual_sums(s).to_dict("records")
    [{'year': 2020, 'months': 2, 'sum': 3.0}]
    """
    years = series.index.year
    grouped = series.groupby(years)
    return pd.DataFrame(
        {"year": grouped.size().index, "months": grouped.size().to_numpy(), "sum": grouped.sum()}
    ).reset_index(drop=True)


def its_row(
    result, *, label: str, unit: str, scale: float = 1.0, level: float = 0.95, placebo: int = 0
) -> tuple[dict, pd.DataFrame]:
    """Summary row of a fitted ITS (``bt.its``) for a report table, and its counterfactual.

    Parameters
    ----------
    result : ITSResults
        Fitted with a log link and one intervention (the first one is summarised).
    label : str
        Series name shown in the table.
    unit : str
        Unit of ``series / scale`` (e.g. ``"EUR m"``).
    scale : float
        Divisor from the fitted series' unit to ``unit``.
    placebo : int
        Number of placebo-in-time refits for an empirical p-value (0 = none).

    Returns
    -------
    row : dict
        Level change and slope change as % with intervals, the effect in the last month,
        the cumulative counterfactual-minus-observed over the post period with its interval.
    counterfactual : DataFrame
        ``result.counterfactual(level)`` divided by ``scale``.
    """
    tidy = result.tidy(level=level).set_index("term")
    first = result.interventions[0]
    suffix = f"[{first}]" if len(result.interventions) > 1 else ""
    lev = tidy.loc[f"level_change{suffix}"]
    cf = result.counterfactual(level=level) / scale
    last = cf.index[-1]
    end = result.effect(str(last), level=level)
    row = {
        "series": label,
        "model": result.family,
        "intervention": str(first),
        "post months": int((cf.index >= first).sum()),
    }
    if "ratio" in tidy:
        row.update(_pct("level change", lev, short="level"))
        if f"slope_change{suffix}" in tidy.index:
            slope = tidy.loc[f"slope_change{suffix}"]
            row["slope change (% per period)"] = 100 * (slope["ratio"] - 1)
        row["last month"] = str(last)
        row.update(_pct("effect in last month", end, short="effect"))
    else:
        row[f"level change ({unit})"] = lev["estimate"] / scale
        row[f"level CI low ({unit})"] = lev["conf_low"] / scale
        row[f"level CI high ({unit})"] = lev["conf_high"] / scale
        row["last month"] = str(last)
    row[f"cumulative counterfactual - observed ({unit})"] = cf["cumulative_lost"].iloc[-1]
    row["cumulative CI low"] = cf["cumulative_low"].iloc[-1]
    row["cumulative CI high"] = cf["cumulative_high"].iloc[-1]
    if placebo:
        row["placebo p-value"] = _placebo_p(result, placebo)
    return row, cf


def _pct(name: str, values, short: str | None = None) -> dict:
    short = short or name
    return {
        f"{name} (%)": 100 * (values["ratio"] - 1),
        f"{short} CI low (%)": 100 * (values["ratio_low"] - 1),
        f"{short} CI high (%)": 100 * (values["ratio_high"] - 1),
    }


def fit_its(y: pd.Series, interventions, **options):
    """``bt.its`` with a quasi-Poisson log link, or a Gaussian level model when trade stops.

    When a post-intervention segment is zero in every period the Poisson level change is
    minus infinity (no estimate exists), and when it is almost zero the estimate diverges
    (``SeparationWarning``); the series is then fitted with
    ``family="gaussian"`` (level changes in the series' unit), and the counterfactual
    (lost trade) stays meaningful. Returns ``(result, note)``; ``note`` says which model.
    """
    import warnings

    import belru_trade as bt
    from belru_trade.errors import SeparationWarning, SpecificationError

    options = {"family": "quasipoisson", "errors": "hac", **options}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SeparationWarning)
            result = bt.its(y, interventions, **options)
        if not any(issubclass(w.category, SeparationWarning) for w in caught):
            return result, ""
        note = "quasi-separation (trade almost stopped): Gaussian level model"
    except SpecificationError as exc:
        if "zero in every period" not in str(exc):
            raise
        note = "trade stopped entirely after the intervention: Gaussian level model"
    options["family"] = "gaussian"
    return bt.its(y, interventions, **options), note


def fit_its_row(
    y: pd.Series,
    interventions,
    *,
    label: str,
    unit: str,
    scale: float = 1.0,
    placebo: int = 0,
    **options,
):
    """:func:`fit_its` summarised by :func:`its_row`: one row of a report table.

    Returns ``(result, row, counterfactual)``. ``row`` holds the :func:`its_row` columns
    and ``note`` (which model :func:`fit_its` used). When the series cannot be estimated
    (a library error or ``ValueError``), ``result`` and ``counterfactual`` are None and
    ``row`` is ``{"series": label, "note": "not estimable: <error>"}``.
    """
    from belru_trade.errors import BelruTradeError

    try:
        result, note = fit_its(y, interventions, **options)
    except (BelruTradeError, ValueError) as exc:
        return None, {"series": label, "note": f"not estimable: {exc}"}, None
    row, cf = its_row(result, label=label, unit=unit, scale=scale, placebo=placebo)
    row["note"] = note
    return result, row, cf


def _placebo_p(result, n: int) -> float:
    import warnings

    from belru_trade.errors import BelruTradeError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(result.placebo(n=n).p_value)
    except (BelruTradeError, ValueError, np.linalg.LinAlgError):
        return float("nan")


def plot_its(ax, cf: pd.DataFrame, interventions, *, label: str, unit: str) -> None:
    """Observed, fitted and counterfactual (shaded prediction band) from ``its_row``."""
    x = period_axis(cf.index)
    first = pd.Period(str(interventions[0]), freq=cf.index.freq)
    post = np.asarray(cf.index >= first)
    ax.plot(x, cf["observed"], "o-", markersize=2.5, linewidth=0.8, color="0.25", label="observed")
    ax.plot(x, cf["fitted"], color="black", linewidth=1.2, label="fitted")
    ax.plot(x[post], cf["counterfactual"][post], "--", color="#2166ac", label="counterfactual")
    shade_interval(
        ax,
        x[post],
        cf["cf_low"][post],
        cf["cf_high"][post],
        label="95% prediction band",
        color="#4393c3",
    )
    mark_dates(ax, [(str(p.start_time.date()), str(p)) for p in map(_period, interventions)])
    ax.set_ylabel(unit)
    ax.set_xlabel("month")
    ax.set_title(label, fontsize=10)
    ax.grid(alpha=0.3)


def _period(value) -> pd.Period:
    return value if isinstance(value, pd.Period) else pd.Period(str(value), freq="M")


def complete_months(series: pd.Series, start: str, end: str) -> pd.Series:
    """Reindex a monthly series to every month ``start..end``; absent months become 0.

    Use only where an absent month means no trade (say so in the caveats).

    >>> s = pd.Series([1.0], index=pd.PeriodIndex(["2020-02"], freq="M"))
    >>> complete_months(s, "2020-01", "2020-03").tolist()
    [0.0, 1.0, 0.0]
    """
    index = pd.period_range(start, end, freq="M")
    return series.reindex(index, fill_value=0.0).rename(series.name)


def spike_mask(
    panel: pd.DataFrame, *, factor: float = 20.0, minimum: float = 0.0, column: str = "quantity"
) -> pd.Series:
    """Flag reported values more than ``factor`` times any value of other years.

    For each reporter, partner, product and flow, a row is flagged when ``column`` exceeds
    ``factor`` times the largest monthly value the same series has in any *other* calendar
    year (typical of unit errors, e.g. grams reported as kilograms). Series with a single
    year are never flagged, nor values not above ``minimum``.

    Returns
    -------
    pandas.Series of bool aligned with ``panel``.

    >>> p = pd.DataFrame({"reporter": "EE", "partner": "RU", "product": "0401",
    ...     "flow": "export", "period": pd.PeriodIndex(["2013-01", "2014-01", "2015-01"],
    ...     freq="M"), "quantity": [10.0, 5000.0, 12.0]})
    >>> spike_mask(p).tolist()
    [False, True, False]
    """
    keys = ["reporter", "partner", "product", "flow"]
    frame = panel[keys].copy()
    frame["year"] = pd.PeriodIndex(panel["period"]).year
    frame["x"] = panel[column].astype(float)
    yearly = frame.groupby([*keys, "year"])["x"].max().rename("ymax").reset_index()

    rank = yearly.groupby(keys)["ymax"].rank(method="first", ascending=False)
    top = yearly.groupby(keys)["ymax"].transform("max")
    second = yearly[rank == 2].set_index(keys)["ymax"].rename("second")
    yearly = yearly.join(second, on=keys)
    yearly["other"] = np.where(rank == 1, yearly["second"], top)
    merged = frame.merge(yearly[[*keys, "year", "other"]], on=[*keys, "year"], how="left")
    flagged = (merged["x"] > factor * merged["other"]) & merged["other"].notna()
    flagged &= merged["x"] > minimum
    return pd.Series(flagged.to_numpy(), index=panel.index)


def its_contrast(treated, control, *, level: float = 0.95) -> dict:
    """Difference of the first level changes of two ITS fits (comparative ITS).

    ``exp(b_treated - b_control) - 1`` in %, with a normal interval from
    ``sqrt(se_t^2 + se_c^2)`` (the two series are treated as independent).
    """
    from scipy import stats

    def first(result):
        tidy = result.tidy(level=level).set_index("term")
        several = len(result.interventions) > 1
        term = f"level_change[{result.interventions[0]}]" if several else "level_change"
        return tidy.loc[term]

    if treated.family != control.family or treated.family not in ("quasipoisson", "poisson"):
        from belru_trade.errors import InvalidArgumentError

        raise InvalidArgumentError(
            f"families {treated.family!r} and {control.family!r} cannot be contrasted; "
            "expected two log-link (quasi-)Poisson fits"
        )
    t, c = first(treated), first(control)
    diff = float(t["estimate"] - c["estimate"])
    se = float(np.hypot(t["std_error"], c["std_error"]))
    q = float(stats.norm.ppf(0.5 + level / 2))
    return {
        "difference in level change (%)": 100 * (np.exp(diff) - 1),
        "difference CI low (%)": 100 * (np.exp(diff - q * se) - 1),
        "difference CI high (%)": 100 * (np.exp(diff + q * se) - 1),
        "z": diff / se,
        "p-value": float(2 * stats.norm.sf(abs(diff / se))),
    }


def describe_contrast(
    row: dict | pd.Series, *, control: str = "non-embargoed origins", p_value: bool = True
) -> str:
    """One sentence for a row of :func:`its_contrast` with its ``treated`` series.

    >>> r = {"treated": "BE", "difference in level change (%)": -50.0,
    ...      "difference CI low (%)": -60.0, "difference CI high (%)": -40.0, "p-value": 0.001}
    >>> describe_contrast(r)
    'BE vs non-embargoed origins: difference in level change -50.0% [-60.0, -40.0] (p = 0.001).'
    >>> describe_contrast(r, p_value=False).endswith("[-60.0, -40.0].")
    True
    """
    text = (
        f"{row['treated']} vs {control}: difference in level change "
        f"{row['difference in level change (%)']:.1f}% [{row['difference CI low (%)']:.1f}, "
        f"{row['difference CI high (%)']:.1f}]"
    )
    if p_value:
        text += f" (p = {row['p-value']:.3f})"
    return text + "."


def describe_its(row: dict | pd.Series, unit: str) -> str:
    """One sentence for a row of :func:`its_row`: level change and cumulative effect.

    >>> describe_its({"series": "BE -> RU", "intervention": "2014-08",
    ...     "level change (%)": -50.0, "level CI low (%)": -60.0, "level CI high (%)": -40.0,
    ...     "cumulative counterfactual - observed (t)": 10.0, "cumulative CI low": 8.0,
    ...     "cumulative CI high": 12.0, "post months": 24}, "t")
    'BE -> RU: level change at 2014-08 -50.0% [-60.0, -40.0]; lost (below the counterfactual) over 24 months 10 t [8, 12].'
    """  # noqa: E501
    row = dict(row)
    if pd.notna(row.get("level change (%)", np.nan)):
        level = (
            f"level change at {row['intervention']} {row['level change (%)']:.1f}% "
            f"[{row['level CI low (%)']:.1f}, {row['level CI high (%)']:.1f}]"
        )
    else:
        level = (
            f"level change at {row['intervention']} {row[f'level change ({unit})']:,.1f} {unit} "
            f"[{row[f'level CI low ({unit})']:,.1f}, {row[f'level CI high ({unit})']:,.1f}] "
            "(Gaussian level model: trade stopped)"
        )
    key = f"cumulative counterfactual - observed ({unit})"
    value, low, high = row[key], row["cumulative CI low"], row["cumulative CI high"]
    word = "lost (below the counterfactual)" if value >= 0 else "excess over the counterfactual"
    if value < 0:
        value, low, high = -value, -high, -low
    return (
        f"{row['series']}: {level}; {word} over {row['post months']} months "
        f"{value:,.0f} {unit} [{low:,.0f}, {high:,.0f}]."
    )


def origin_event_study(
    rows: pd.DataFrame,
    treated: Iterable[str],
    *,
    start: str,
    end: str,
    event: str,
    min_pre: float = 120.0,
    window: tuple[int, int] = (-12, 12),
    method: str = "twfe",
):
    """Event study across origins of flows to one destination (``bt.did``, PPML).

    Units are (reporter, product) flows, observed monthly in tonnes (``quantity / 1000``;
    absent months within a flow's range are zero). Treated flows are those of ``treated``
    reporters from ``event`` on; the others are controls. Fixed effects: flow and
    product x month (absorbing the destination's demand per product, e.g. the ruble's fall).
    Flows shipping less than ``min_pre`` tonnes over the pre-event months are left out.
    ``method`` is passed to ``bt.did`` ('twfe', 'imputation' or 'sunab').

    Returns
    -------
    DiDResults
    """
    import warnings

    import belru_trade as bt

    treated = set(treated)
    months = pd.period_range(start, end, freq="M")
    sub = rows[rows["quantity"].notna()]
    sub = sub[(sub["period"] >= months[0]) & (sub["period"] <= months[-1])]
    flows = sub.groupby(["reporter", "product", "period"], as_index=False)["quantity"].sum()
    pairs = flows[["reporter", "product"]].drop_duplicates()
    grid = pairs.merge(pd.DataFrame({"period": months}), how="cross")
    data = grid.merge(flows, how="left", on=["reporter", "product", "period"])
    data["t"] = data["quantity"].fillna(0.0) / 1e3
    first = pd.Period(event, freq="M")
    pre = data[data["period"] < first].groupby(["reporter", "product"])["t"].sum()
    keep = pre[pre >= min_pre].index
    data = data.set_index(["reporter", "product"]).loc[lambda x: x.index.isin(keep)]
    data = data.reset_index()
    data["treated"] = (data["reporter"].isin(treated) & (data["period"] >= first)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=bt.BelruTradeWarning)
        return bt.did(
            data,
            outcome="t",
            treatment="treated",
            unit=("reporter", "product"),
            destination="product",
            window=window,
            estimator="ppml",
            method=method,
        )


def did_row(result, label: str) -> dict:
    """Pooled effect and pre-trend test of an event study, for a report table."""
    att = result.att
    return {
        "series": label,
        "pooled effect (%)": 100 * (np.exp(att["estimate"]) - 1),
        "CI low (%)": 100 * (np.exp(att["conf_low"]) - 1),
        "CI high (%)": 100 * (np.exp(att["conf_high"]) - 1),
        "flows x months": int(result.nobs),
        "pre-trend Wald p-value": float(result.pretrend["p_value"]),
    }


def analysis_result(
    module: str, *, caveats: Sequence[str] | None = None, **fields
) -> AnalysisResult:
    """The :class:`~belru_trade.report.AnalysisResult` of a bundled analysis.

    ``module`` is the analysis module's ``__name__`` (``analyses.<name>``): its last part
    is the result's ``name``, and its ``TITLE``, ``QUESTION``, ``DATA``, ``METHOD`` and
    ``CAVEATS`` are the section texts (as in the runner's "not run" results). ``caveats``
    replaces ``CAVEATS`` when given; ``fields`` are the other result fields (``headline``,
    ``findings``, ``tables``, ``figures``, ``models``, ``config``).

    >>> import sys, types
    >>> mod = types.ModuleType("analyses.demo")
    >>> mod.TITLE, mod.QUESTION, mod.DATA, mod.METHOD = "T", "Q", "D", "M"
    >>> mod.CAVEATS = ("c",)
    >>> sys.modules["analyses.demo"] = mod
    >>> res = analysis_result("analyses.demo", headline="h")
    >>> res.name, res.title, res.data_and_concept, res.caveats, res.headline
    ('demo', 'T', 'D', ('c',), 'h')
    >>> del sys.modules["analyses.demo"]
    """
    import sys

    from belru_trade.report.result import AnalysisResult

    texts = sys.modules[module]
    return AnalysisResult(
        name=module.rpartition(".")[2],
        title=texts.TITLE,
        question=texts.QUESTION,
        data_and_concept=texts.DATA,
        method=texts.METHOD,
        caveats=tuple(getattr(texts, "CAVEATS", ())) if caveats is None else tuple(caveats),
        **fields,
    )


def embargo_2014_reporters() -> tuple[str, ...]:
    """The reporters the 2014 food-embargo analyses fetch from UN Comtrade, sorted.

    The origins under Russia's food embargo in 2014-08
    (:func:`belru_trade.codes.embargo_origins`), the never-embargoed controls
    (:func:`belru_trade.codes.embargo_control_origins`), Belarus (the leakage channel) and
    Ukraine (embargoed from 2016).

    >>> reporters = embargo_2014_reporters()
    >>> {"BE", "US", "NZ", "BY", "UA"} <= set(reporters), reporters == tuple(sorted(reporters))
    (True, True)
    """
    from belru_trade import codes

    controls = set(codes.embargo_control_origins())
    return tuple(sorted(codes.embargo_origins("2014-08") | controls | {"BY", "UA"}))


def comtrade_exports_to(
    panel: pd.DataFrame, partner: str, products: Iterable[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """UN Comtrade export rows to ``partner`` of ``products``, without unit-error spikes.

    The EU28 aggregate row is left out. Reported volumes above 1,000 t and 20 times the
    largest monthly volume of the same series in any other year (:func:`spike_mask`) are
    dropped.

    Returns
    -------
    rows : DataFrame
        The kept rows.
    dropped : DataFrame
        The dropped ones: ``reporter``, ``product``, ``period`` (str), ``reported (t)``.
    """
    rows = panel[
        (panel["source"] == "comtrade")
        & (panel["flow"] == "export")
        & (panel["partner"] == partner)
        & (panel["product"].isin(products))
        & (panel["reporter"] != "EU28")
    ]
    spikes = spike_mask(rows, factor=20.0, minimum=1e6)
    dropped = rows.loc[spikes, ["reporter", "product", "period", "quantity"]].copy()
    dropped["quantity"] = dropped["quantity"] / 1e3
    dropped["period"] = dropped["period"].astype(str)
    dropped = dropped.rename(columns={"quantity": "reported (t)"}).reset_index(drop=True)
    return rows.loc[~spikes], dropped

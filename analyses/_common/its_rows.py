"""Interrupted-time-series rows of the analyses' tables and the sentences describing them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd
from belru_trade.analyses._common.shared import shared

import belru_trade as bt

__all__ = [
    "ITSRow",
    "Interval",
    "describe_contrast",
    "describe_its",
    "fit_its",
    "fit_its_row",
    "fmt_interval",
    "its_contrast",
    "its_row",
    "its_table",
]


def fmt_interval(
    estimate: float, low: float, high: float, *, unit: str = "", digits: int = 1
) -> str:
    """Text ``'x [low, high] unit'``.

    >>> fmt_interval(-12.345, -20.0, -4.5, unit="%")
    '-12.3 [-20.0, -4.5] %'
    """
    text = f"{estimate:,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]"
    return f"{text} {unit}".rstrip()


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval, in the unit of the row it belongs to."""

    estimate: float
    low: float
    high: float


@dataclass(frozen=True, kw_only=True)
class ITSRow:
    """One interrupted-time-series row of a report table, numeric until it is written.

    ``level`` and ``effect`` are in % (log-link fits, ``relative=True``) or, for the
    Gaussian level model, ``level`` is in ``unit``; ``cumulative`` (counterfactual minus
    observed over the post period) is always in ``unit``. :meth:`record` gives the table
    columns (units in the column names, as the report shows them); :meth:`describe` the
    sentence. A row without estimates (``note`` says why) is "not estimable".

    >>> row = ITSRow(series="BE -> RU", unit="t", model="quasipoisson", intervention="2014-08",
    ...     post_months=24, relative=True, level=Interval(-50.0, -60.0, -40.0),
    ...     last_month="2016-07", effect=Interval(-55.0, -65.0, -45.0),
    ...     cumulative=Interval(10.0, 8.0, 12.0))
    >>> row.record()["effect in last month (%)"], row.estimable
    (-55.0, True)
    >>> row.describe()
    'BE -> RU: level change at 2014-08 -50.0% [-60.0, -40.0]; lost (below the counterfactual) over 24 months 10 t [8, 12].'
    """  # noqa: E501

    series: str
    unit: str
    note: str | None = None
    model: str | None = None
    intervention: str | None = None
    post_months: int | None = None
    relative: bool = True
    level: Interval | None = None
    slope_pct: float | None = None
    last_month: str | None = None
    effect: Interval | None = None
    cumulative: Interval | None = None
    placebo_p: float | None = None
    before: tuple[tuple[str, object], ...] = ()
    after: tuple[tuple[str, object], ...] = ()

    @property
    def estimable(self) -> bool:
        """Whether the row holds estimates (else ``note`` says why not)."""
        return self.cumulative is not None

    def with_columns(self, *, before: dict | None = None, after: dict | None = None) -> ITSRow:
        """A copy with extra table columns placed before or after the ITS columns."""
        return replace(
            self,
            before=self.before + tuple((before or {}).items()),
            after=self.after + tuple((after or {}).items()),
        )

    def record(self) -> dict:
        """The table columns of the row (keys carry the units)."""
        out: dict = dict(self.before)
        out["series"] = self.series
        if self.estimable:
            out.update(self._estimates())
        if self.note is not None:
            out["note"] = self.note
        out.update(self.after)
        return out

    def _estimates(self) -> dict[str, Any]:
        # estimable rows carry every interval their kind (relative or not) reports
        level, effect = cast(Interval, self.level), cast(Interval, self.effect)
        cumulative = cast(Interval, self.cumulative)
        out: dict[str, Any] = {
            "model": self.model,
            "intervention": self.intervention,
            "post months": self.post_months,
        }
        if self.relative:
            out.update(_pct("level change", level, short="level"))
            if self.slope_pct is not None:
                out["slope change (% per period)"] = self.slope_pct
            out["last month"] = self.last_month
            out.update(_pct("effect in last month", effect, short="effect"))
        else:
            out[f"level change ({self.unit})"] = level.estimate
            out[f"level CI low ({self.unit})"] = level.low
            out[f"level CI high ({self.unit})"] = level.high
            out["last month"] = self.last_month
        out[f"cumulative counterfactual - observed ({self.unit})"] = cumulative.estimate
        out["cumulative CI low"] = cumulative.low
        out["cumulative CI high"] = cumulative.high
        if self.placebo_p is not None:
            out["placebo p-value"] = self.placebo_p
        return out

    def describe(self) -> str:
        """One sentence: the level change and the cumulative effect, in the row's unit."""
        return describe_its(self.record(), self.unit)


def its_table(rows: list[ITSRow]) -> pd.DataFrame:
    """The report table of several rows.

    Columns of every row appear in a fixed order whatever the first row's model: the
    description (series, model, intervention, post months), the level change in % (log-link
    fits) and in the series' unit (Gaussian level fits), then the rest, so that the
    percentage columns do not end up on the far right when the first row is a Gaussian fit.
    """
    frame = pd.DataFrame([row.record() for row in rows])
    head = [c for c in ("series", "model", "intervention", "post months") if c in frame]
    pct = [c for c in frame.columns if c.startswith("level") and c.endswith("(%)")]
    level = [c for c in frame.columns if c.startswith("level") and c not in pct]
    cumulative = [c for c in frame.columns if c.startswith("cumulative")]
    first = [*head, *pct, *level, *cumulative]
    before = [c for c in frame.columns[: frame.columns.get_loc(head[0])]] if head else []
    rest = [c for c in frame.columns if c not in first and c not in before]
    return frame[[*before, *first, *rest]]


def its_row(
    result: Any, *, label: str, unit: str, scale: float = 1.0, level: float = 0.95, placebo: int = 0
) -> tuple[ITSRow, pd.DataFrame]:
    """Summary row of a fitted ITS (``bt.its``) for a report table, and its counterfactual.

    Parameters
    ----------
    result : ITSResults
        Fitted with one or more interventions (the first one is summarised).
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
    row : ITSRow
        Level change and slope change (% for log-link fits) with intervals, the effect in
        the last month, the cumulative counterfactual-minus-observed over the post period
        with its interval.
    counterfactual : DataFrame
        ``result.counterfactual(level)`` divided by ``scale``.
    """
    tidy = result.tidy(level=level).set_index("term")
    first = result.interventions[0]
    suffix = f"[{first}]" if len(result.interventions) > 1 else ""
    lev = tidy.loc[f"level_change{suffix}"]
    cf = result.counterfactual(level=level) / scale
    last = cf.index[-1]
    relative = "ratio" in tidy
    fields: dict = {}
    if relative:
        fields["level"] = _ratio_interval(lev)
        if f"slope_change{suffix}" in tidy.index:
            fields["slope_pct"] = 100 * (tidy.loc[f"slope_change{suffix}"]["ratio"] - 1)
        fields["effect"] = _ratio_interval(result.effect(str(last), level=level))
    else:
        fields["level"] = Interval(
            lev["estimate"] / scale, lev["conf_low"] / scale, lev["conf_high"] / scale
        )
    row = ITSRow(
        series=label,
        unit=unit,
        model=result.family,
        intervention=str(first),
        post_months=int((cf.index >= first).sum()),
        relative=relative,
        last_month=str(last),
        cumulative=Interval(
            cf["cumulative_lost"].iloc[-1],
            cf["cumulative_low"].iloc[-1],
            cf["cumulative_high"].iloc[-1],
        ),
        placebo_p=_placebo_p(result, placebo) if placebo else None,
        **fields,
    )
    return row, cf


def _ratio_interval(values: pd.Series) -> Interval:
    return Interval(
        100 * (values["ratio"] - 1),
        100 * (values["ratio_low"] - 1),
        100 * (values["ratio_high"] - 1),
    )


def _pct(name: str, values: Interval, short: str | None = None) -> dict:
    short = short or name
    return {
        f"{name} (%)": values.estimate,
        f"{short} CI low (%)": values.low,
        f"{short} CI high (%)": values.high,
    }


@shared(maxsize=256)
def fit_its(y: pd.Series, interventions: Sequence[Any], **options: Any) -> tuple[Any, str]:
    """``bt.its`` with a quasi-Poisson log link, or a Gaussian level model when trade stops.

    When a post-intervention segment is zero in every period the Poisson level change is
    minus infinity (no estimate exists), and when it is almost zero the estimate diverges
    (``SeparationWarning``); the series is then fitted with
    ``family="gaussian"`` (level changes in the series' unit), and the counterfactual
    (lost trade) stays meaningful. A NaN in ``y`` is a period not observed (``missing='drop'``
    of :func:`belru_trade.its`): left out of the fit, not read as zero. Returns
    ``(result, note)``; ``note`` says which model.
    """
    import warnings

    from belru_trade.errors import SeparationWarning, TradeStoppedError

    options = {"family": "quasipoisson", "errors": "hac", "missing": "drop", **options}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SeparationWarning)
            result = bt.its(y, interventions, **options)
        _reissue(caught, SeparationWarning)  # the model switch below handles this one
        if not any(issubclass(w.category, SeparationWarning) for w in caught):
            return result, ""
        note = "quasi-separation (trade almost stopped): Gaussian level model"
    except TradeStoppedError:
        note = "trade stopped entirely after the intervention: Gaussian level model"
    options["family"] = "gaussian"
    return bt.its(y, interventions, **options), note


def fit_its_row(
    y: pd.Series,
    interventions: Sequence[Any],
    *,
    label: str,
    unit: str,
    scale: float = 1.0,
    placebo: int = 0,
    **options: Any,
) -> tuple[Any, ITSRow, pd.DataFrame | None]:
    """:func:`fit_its` summarised by :func:`its_row`: one row of a report table.

    Returns ``(result, row, counterfactual)``. ``row`` is the :func:`its_row` row with
    ``note`` (which model :func:`fit_its` used). When the series cannot be estimated
    (a library error or ``ValueError``), ``result`` and ``counterfactual`` are None and
    ``row`` has no estimates and the note ``"not estimable: <error>"``.
    """
    from belru_trade.errors import BelruTradeError

    try:
        result, note = fit_its(y, interventions, **options)
    except (BelruTradeError, ValueError) as exc:
        return None, ITSRow(series=label, unit=unit, note=f"not estimable: {exc}"), None
    row, cf = its_row(result, label=label, unit=unit, scale=scale, placebo=placebo)
    return result, replace(row, note=note), cf


def _reissue(caught: list, handled: type[Warning]) -> None:
    """Show again the recorded warnings not of the ``handled`` category (same text and place)."""
    import warnings

    for w in caught:
        if not issubclass(w.category, handled):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _placebo_p(result: Any, n: int) -> float:
    from belru_trade.errors import BelruTradeError

    try:
        return float(result.placebo(n=n).p_value)
    except (BelruTradeError, ValueError, np.linalg.LinAlgError):
        return float("nan")


def its_contrast(treated: Any, control: Any, *, level: float = 0.95) -> dict:
    """Difference of the first level changes of two ITS fits (comparative ITS).

    ``exp(b_treated - b_control) - 1`` in %, with a normal interval from
    ``sqrt(se_t^2 + se_c^2)`` (the two series are treated as independent).
    """
    from scipy import stats

    def first(result: Any) -> pd.Series:
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

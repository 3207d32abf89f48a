"""Input checks and the segmented-regression design of interrupted time series.

Shared by :func:`belru_trade.models.its.estimator.its` (one series, statsmodels) and
:func:`belru_trade.models.scan.estimator.scan` (many series at once, numpy).

Conventions
-----------
* ``trend`` counts 1, 2, ..., n over the sample.
* ``level_change`` is 1 from the intervention period onwards (0 before).
* ``slope_change`` is the time since the interruption, counting **1 in the first
  post-intervention period** (the intervention period itself), 2 in the next, and 0 before
  (Wagner et al. 2002; Lopez Bernal et al. 2017 use the same coding).  The level change is
  therefore the jump between the pre-trend projection and the post segment *one period
  before* its first observation; the effect in the first post period is
  ``level_change + slope_change``.
* Seasonality: Fourier pairs ``sin{k}``, ``cos{k}`` of the position within the year
  (month 1..12, quarter 1..4) for k = 1..harmonics, or dummies ``season[2]`` ...
  (first season is the reference). ``"auto"`` (the default of the estimators) means
  Fourier terms for monthly and quarterly data and none for annual data.
* Time index: a PeriodIndex or DatetimeIndex (monthly, quarterly, annual), or integer
  years (``2010, 2011, ...``), read as annual periods.
* Offsets are on the log scale (``log E[y] = offset + X b``), as in statsmodels and
  fixest; ``exposure`` is the raw-scale alternative (``offset = log(exposure)``).

>>> import pandas as pd
>>> idx = pd.period_range("2013-01", periods=24, freq="M")
>>> d = build_design(idx, ["2014-01"], seasonality="fourier", harmonics=1, slope_change=True)
>>> list(d.X.columns)
['const', 'trend', 'sin1', 'cos1', 'level_change', 'slope_change']
>>> d.X["slope_change"].iloc[11:14].tolist()
[0.0, 1.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._frames import as_pandas, period_index, position, type_name
from belru_trade._validation import (
    check_choice,
    check_harmonics,
    check_magnitude,
    check_period,
)
from belru_trade.errors import InvalidArgumentError, ShortSeriesError
from belru_trade.trade.selection import series as panel_series

__all__ = [
    "Design",
    "build_design",
    "coerce_series",
    "log_offset",
    "newey_west_lags",
    "periods_per_year",
]

SEASONALITY = ("auto", "fourier", "dummies", None)
_FREQ_LETTERS = {"M": "M", "Q": "Q", "Y": "Y", "A": "Y"}
_PER_YEAR = {"M": 12, "Q": 4, "Y": 1}


def newey_west_lags(nobs: int) -> int:
    """Newey-West (1994) plug-in lag rule ``floor(4 * (n / 100) ** (2 / 9))``.

    >>> newey_west_lags(59), newey_west_lags(180)
    (3, 4)
    """
    return int(np.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0)))


def periods_per_year(index: pd.PeriodIndex) -> int:
    """12 for monthly, 4 for quarterly, 1 for annual periods."""
    return _PER_YEAR[_freq_letter(index.freqstr)]


def _freq_letter(freqstr: str | None) -> str:
    letter = _FREQ_LETTERS.get((freqstr or "?")[0].upper())
    if letter is None:
        raise InvalidArgumentError(
            f"y has frequency {freqstr!r}; expected monthly, quarterly or annual periods"
        )
    return letter


def _years_to_periods(index: pd.Index, name: str) -> pd.PeriodIndex:
    """Integer years (2010, 2011, ...) as annual periods."""
    years = index.to_numpy()
    if len(years) and not ((years >= 1000) & (years <= 9999)).all():
        raise InvalidArgumentError(
            f"{name} has an integer index with values outside 1000..9999 "
            f"(e.g. {years[0]!r}); integer indices must be calendar years"
        )
    return pd.PeriodIndex([pd.Period(year=int(v), freq="Y") for v in years])


def _to_period_index(index: pd.Index, name: str) -> pd.PeriodIndex:
    if pd.api.types.is_integer_dtype(index.dtype):
        return _years_to_periods(index, name)
    if isinstance(index, pd.PeriodIndex):
        _freq_letter(index.freqstr)
        return index
    if isinstance(index, pd.DatetimeIndex):
        for letter in ("M", "Q", "Y"):  # the finest frequency giving consecutive periods
            periods = index.to_period(letter)
            if (
                periods.is_unique
                and len(periods) >= 2
                and (periods[-1] - periods[0]).n == (len(periods) - 1)
            ):
                return periods
        raise InvalidArgumentError(
            f"{name} has a DatetimeIndex with irregular spacing (gaps, duplicates or "
            "unsorted dates); expected consecutive monthly, quarterly or annual dates"
        )
    raise InvalidArgumentError(
        f"{name} has a {type(index).__name__} of {index.dtype}; expected a PeriodIndex, "
        "a DatetimeIndex or integer years"
    )


def _check_index(index: pd.PeriodIndex, name: str) -> None:
    if index.has_duplicates:
        dup = index[index.duplicated()].astype(str).tolist()[:5]
        raise InvalidArgumentError(f"{name} has duplicated periods {dup}; expected unique")
    if not index.is_monotonic_increasing:
        raise InvalidArgumentError(
            f"{name} index is not sorted in increasing time order (non-monotonic); sort it"
        )
    full = pd.period_range(index[0], index[-1], freq=index.freq)
    if len(full) != len(index):
        missing = full.difference(index).astype(str).tolist()
        raise InvalidArgumentError(
            f"{name} has gaps: missing periods {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}; fill them (e.g. panel.fill_zeros) first"
        )


def _select_panel(panel: pd.DataFrame, selector: dict[str, Any] | None, column: str) -> pd.Series:
    if not selector:
        raise InvalidArgumentError(
            "y is a DataFrame but selector=None; pass selector={'reporter': 'BE', ...}"
        )
    series = panel_series(panel, selector, column=column, missing="keep", empty="raise")
    series.index = _panel_periods(series.index)
    return series


def _panel_periods(index: pd.Index) -> pd.Index:
    """Period labels of a panel: Periods, integer years, dates or text ('2014-08')."""
    if isinstance(index, pd.PeriodIndex) or pd.api.types.is_integer_dtype(index.dtype):
        return index
    if pd.api.types.is_datetime64_any_dtype(index.dtype):
        return pd.DatetimeIndex(index)
    try:
        return pd.PeriodIndex([pd.Period(str(v)) for v in index])
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError(
            f"the panel's period column holds {index[0]!r} ...; expected Periods, dates, "
            "integer years or text such as '2014-08', '2014Q3', '2014'"
        ) from exc


def coerce_series(
    y: pd.Series | pd.DataFrame,
    *,
    selector: dict[str, Any] | None = None,
    column: str = "value",
    name: str = "y",
    nonnegative: bool = False,
    allow_missing: bool = False,
) -> pd.Series:
    """Return ``y`` as a float Series on a complete, increasing PeriodIndex.

    With ``allow_missing`` a NaN marks a period that was not observed (e.g. a month a
    reporter filed nothing): it is kept as NaN, and the estimators leave it out of the fit;
    infinite values and an all-missing series are still refused.

    Raises
    ------
    InvalidArgumentError
        For a wrong type, an irregular or non-monotonic index, gaps, duplicated periods,
        missing or non-finite values, negative values (when ``nonnegative``) or an all-zero
        series.
    """
    if not isinstance(y, pd.Series):  # a panel: pandas, or polars/pyarrow converted
        try:
            frame = as_pandas(y, name)
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(
                f"{name} is a {type_name(y)}; expected a pandas.Series with a time index "
                "(PeriodIndex, DatetimeIndex or integer years), or a panel (pandas, polars "
                "or pyarrow table) with selector="
            ) from exc
        y = _select_panel(frame, selector, column)
    if len(y) == 0:
        raise InvalidArgumentError(f"{name} is empty; nothing to estimate")
    index = _to_period_index(y.index, name)
    _check_index(index, name)
    values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if allow_missing:
        bad &= ~np.isnan(values)
        if np.isnan(values).all():
            raise InvalidArgumentError(f"{name} is missing in every period; nothing to estimate")
    if bad.any():
        raise InvalidArgumentError(
            f"{name} has missing or non-finite values at {index[bad].astype(str).tolist()[:5]}"
            + ("" if allow_missing else "; pass missing='drop' to leave missing periods out")
        )
    if nonnegative and (values < 0).any():
        raise InvalidArgumentError(
            f"{name} has negative values at {index[values < 0].astype(str).tolist()[:5]}; "
            "count families need values >= 0"
        )
    if np.all(values[~np.isnan(values)] == 0):
        raise InvalidArgumentError(f"{name} is zero in every period; nothing to estimate")
    check_magnitude(name, values[~np.isnan(values)])
    return pd.Series(values, index=index, name=y.name)


@dataclass(frozen=True)
class Design:
    """Segmented-regression design on a PeriodIndex.

    Attributes
    ----------
    X : pandas.DataFrame
        Regressors (index = periods).
    interventions : tuple of pandas.Period
        Sorted intervention periods.
    level_terms, slope_terms : tuple of str
        Names of the intervention columns (``slope_terms`` empty without slope changes).
    n_baseline : int
        Number of columns before the intervention terms (constant, trend, seasonality).
    """

    X: pd.DataFrame
    interventions: tuple[pd.Period, ...]
    level_terms: tuple[str, ...]
    slope_terms: tuple[str, ...]
    n_baseline: int

    @property
    def effect_terms(self) -> tuple[str, ...]:
        """Level and slope terms, in column order."""
        return tuple(c for c in self.X.columns[self.n_baseline :])

    def counterfactual_design(self) -> pd.DataFrame:
        """The design with every intervention term set to zero (no intervention)."""
        values = self.X.to_numpy(dtype=float, copy=True)
        values[:, self.n_baseline :] = 0.0
        return pd.DataFrame(values, index=self.X.index, columns=self.X.columns)


def _seasonal_terms(
    index: pd.PeriodIndex, seasonality: str | None, harmonics: int
) -> dict[str, np.ndarray]:
    per_year = periods_per_year(index)
    if seasonality == "auto":
        seasonality = None if per_year == 1 else "fourier"
    if seasonality is None:
        return {}
    if per_year == 1:
        raise InvalidArgumentError(
            f"seasonality={seasonality!r} is not possible with annual data; pass seasonality=None"
        )
    pos = (index.month if per_year == 12 else index.quarter).to_numpy(dtype=float)
    if seasonality == "dummies":
        return {f"season[{s}]": (pos == s).astype(float) for s in range(2, per_year + 1)}
    if not 1 <= harmonics <= per_year // 2:
        raise InvalidArgumentError(
            f"harmonics={harmonics!r} is not allowed for {per_year} periods a year; "
            f"expected 1..{per_year // 2}"
        )
    terms: dict[str, np.ndarray] = {}
    for k in range(1, harmonics + 1):
        if 2 * k != per_year:  # sin(pi * pos) is identically zero
            terms[f"sin{k}"] = np.sin(2 * np.pi * k * pos / per_year)
        terms[f"cos{k}"] = np.cos(2 * np.pi * k * pos / per_year)
    return terms


def parse_interventions(interventions: Any, index: pd.PeriodIndex) -> tuple[pd.Period, ...]:
    """Parse, sort and range-check intervention dates against ``index``."""
    if isinstance(interventions, str | int | pd.Period | pd.Timestamp):
        interventions = [interventions]
    if interventions is None or not isinstance(interventions, Iterable):
        raise InvalidArgumentError(
            f"interventions={interventions!r} is not allowed; expected a date such as "
            "'2014-08' or a list of dates"
        )
    items = list(interventions)
    if not items:
        raise InvalidArgumentError("interventions=[] is empty; pass at least one date")
    freq = _freq_letter(index.freqstr)
    periods = sorted({check_period("interventions", v, freq) for v in items})
    for p in periods:
        if not index[0] < p <= index[-1]:
            raise InvalidArgumentError(
                f"interventions contains {str(p)!r}, outside the series ({index[0]} to "
                f"{index[-1]}); expected a date after the first period and within the series"
            )
    return tuple(periods)


def term_name(base: str, period: pd.Period, several: bool) -> str:
    """``level_change`` or ``level_change[2014-08]`` when there are several interventions."""
    return f"{base}[{period}]" if several else base


def build_design(
    index: pd.PeriodIndex,
    interventions: Sequence[Any] | str,
    *,
    seasonality: str | None = "auto",
    harmonics: int = 2,
    slope_change: bool = True,
) -> Design:
    """Build the segmented-regression design (see the module notes for the coding).

    Raises
    ------
    InvalidArgumentError
        Bad options or intervention dates outside the series.
    ShortSeriesError
        A pre- or post-intervention segment is too short to estimate its terms.
    """
    check_choice("seasonality", seasonality, SEASONALITY)
    check_choice("slope_change", slope_change, (True, False))
    check_harmonics(harmonics)
    periods = parse_interventions(interventions, index)
    n = len(index)
    cols: dict[str, np.ndarray] = {"const": np.ones(n), "trend": np.arange(1.0, n + 1)}
    cols.update(_seasonal_terms(index, seasonality, harmonics))
    n_baseline = len(cols)
    several = len(periods) > 1
    ordinal = np.arange(n)
    levels, slopes = [], []
    for p in periods:
        start = position(index, p)
        levels.append(term_name("level_change", p, several))
        cols[levels[-1]] = (ordinal >= start).astype(float)
        if slope_change:
            slopes.append(term_name("slope_change", p, several))
            cols[slopes[-1]] = np.maximum(ordinal - start + 1, 0).astype(float)
    X = pd.DataFrame(cols, index=index)
    _check_lengths(index, periods, n_baseline, slope_change, X.shape[1])
    return Design(X, periods, tuple(levels), tuple(slopes), n_baseline)


def _check_lengths(
    index: pd.PeriodIndex,
    periods: tuple[pd.Period, ...],
    n_baseline: int,
    slope_change: bool,
    n_params: int,
) -> None:
    starts = [position(index, p) for p in periods]
    pre = starts[0]
    need_pre = max(n_baseline + 1, 3)
    if pre < need_pre:
        raise ShortSeriesError(
            f"the pre-intervention period before {periods[0]} has {pre} observations; "
            f"at least {need_pre} are needed for {n_baseline} baseline terms"
        )
    need_post = 2 if slope_change else 1
    ends = [*starts[1:], len(index)]
    for p, s, e in zip(periods, starts, ends, strict=True):
        if e - s < need_post:
            raise ShortSeriesError(
                f"the segment starting at {p} has {e - s} observations; at least {need_post} "
                f"are needed (slope_change={slope_change})"
            )
    if len(index) - n_params < 2:
        raise ShortSeriesError(
            f"y has {len(index)} observations for {n_params} parameters; at least "
            f"{n_params + 2} are needed"
        )


def _aligned(name: str, values: Any, y: pd.Series) -> np.ndarray:
    """Values of a Series (matched on periods) or an array (one per period of ``y``)."""
    if isinstance(values, pd.Series):
        index = (
            values.index
            if isinstance(values.index, pd.PeriodIndex)
            else _years_to_periods(values.index, name)
            if pd.api.types.is_integer_dtype(values.index.dtype)
            else pd.DatetimeIndex(values.index).to_period(period_index(y).freqstr[0])
        )
        values = pd.Series(values.to_numpy(), index=index)
        out = values.reindex(y.index).to_numpy(dtype=float, na_value=np.nan)
    else:
        out = np.asarray(values, dtype=float)
    if out.shape != (len(y),) or not np.all(np.isfinite(out)):
        raise InvalidArgumentError(
            f"{name} must be finite and aligned with y (same periods); got "
            f"{out.shape[0] if out.ndim else 0} values for {len(y)} periods"
        )
    return out


def log_offset(offset: Any, exposure: Any, y: pd.Series) -> np.ndarray | None:
    """The log-scale offset from ``offset=`` (log scale) or ``exposure=`` (raw, logged here).

    Parameters
    ----------
    offset : pandas.Series or array-like, optional
        Log-scale offset (``log E[y] = offset + X b``), as in statsmodels and fixest.
    exposure : pandas.Series or array-like, optional
        Positive raw-scale exposure (population, a price index); ``offset = log(exposure)``.
    y : pandas.Series
        The outcome series (a Series argument is aligned on its periods).

    Returns
    -------
    ndarray or None
        One log offset per period, or None when neither is given.

    Raises
    ------
    InvalidArgumentError
        Both given, misaligned, non-finite values, or non-positive exposure.

    Examples
    --------
    >>> y = pd.Series([1.0, 2.0], index=pd.period_range("2020", periods=2, freq="Y"))
    >>> log_offset(None, [1.0, np.e], y).round(6).tolist()
    [0.0, 1.0]
    """
    if offset is not None and exposure is not None:
        raise InvalidArgumentError(
            "offset= and exposure= were both given; pass one (offset = log(exposure))"
        )
    if offset is not None:
        return _aligned("offset", offset, y)
    if exposure is None:
        return None
    values = _aligned("exposure", exposure, y)
    if (values <= 0).any():
        raise InvalidArgumentError(
            f"exposure has {(values <= 0).sum()} zero or negative values; exposure must be "
            "positive (it enters as log(exposure); pass a log-scale offset= otherwise)"
        )
    return np.log(values)

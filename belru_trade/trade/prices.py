"""Real values: deflators, exchange rates, unit values and volume decomposition.

Shipped series (``belru_trade/data/prices/``, see the PROVENANCE note there):

* ``hicp_ea``: euro-area HICP, all items, 2015 = 100, monthly 1999-01 to 2025-03
  (Eurostat ``prc_hicp_midx``, via FRED);
* ``USD`` and ``RUB``: ECB reference rates, monthly means of the daily fixings (units of the
  currency per euro); USD 1999-01 to 2025-04, RUB 2005-04 to 2022-02 (the ECB suspended the
  rouble fixing on 2 March 2022; the partial months 2022-03 for RUB and 2025-05 are not
  covered).

Any period outside a series' coverage raises :class:`~belru_trade.errors.NotCoveredError`;
nothing is extrapolated or carried forward.

Examples
--------
>>> import pandas as pd
>>> import belru_trade as bt
>>> panel = pd.DataFrame({"reporter": ["BE"], "partner": ["RU"], "product": ["0401"],
...     "nomenclature": ["CN"], "flow": ["export"],
...     "period": pd.PeriodIndex(["2022-12"], freq="M"), "value": [120.52],
...     "currency": ["EUR"], "quantity": [None], "unit": [None], "source": ["comext"],
...     "flag": [None]}).astype({"quantity": float})
>>> round(float(bt.deflate(panel, base="2015")["value"].iloc[0]), 2)
100.0
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._validation import check_choice, check_period
from belru_trade.errors import InvalidArgumentError, NotCoveredError
from belru_trade.trade.selection import select

__all__ = [
    "INDICES",
    "convert_currency",
    "deflate",
    "exchange_rate",
    "price_index",
    "unit_values",
]

INDICES = ("hicp_ea",)
RATE_CURRENCIES = ("USD", "RUB")
PANEL_CURRENCIES = ("EUR", "USD")


@lru_cache(maxsize=1)
def _hicp() -> pd.Series:
    path = resources.files("belru_trade") / "data" / "prices" / "hicp_ea_2015eq100_monthly.csv"
    with resources.as_file(path) as file:
        raw = pd.read_csv(file)
    index = pd.PeriodIndex(pd.to_datetime(raw["observation_date"]), freq="M")
    return pd.Series(raw["CP0000EZ19M086NEST"].to_numpy(float), index=index, name="hicp_ea")


@lru_cache(maxsize=1)
def _rates() -> pd.DataFrame:
    path = resources.files("belru_trade") / "data" / "prices" / "ecb_eur_usd_rub_monthly_avg.csv"
    with resources.as_file(path) as file:
        raw = pd.read_csv(file)
    raw.index = pd.PeriodIndex(raw.pop("month"), freq="M")
    return raw


def price_index(name: str = "hicp_ea", *, freq: str = "M") -> pd.Series:
    """A shipped price index as a Series (monthly, or annual means of complete years).

    Parameters
    ----------
    name : {'hicp_ea'}
        Euro-area HICP, all items, 2015 = 100.
    freq : {'M', 'Y'}
        Monthly values, or annual averages (only years with all 12 months).

    Returns
    -------
    pandas.Series
        Indexed by Period.

    Examples
    --------
    >>> round(float(price_index(freq="Y")["2015"]), 2)
    100.0
    """
    check_choice("name", name, INDICES)
    check_choice("freq", freq, ("M", "Y"))
    series = _hicp().copy()
    return series if freq == "M" else _annual_mean(series)


def _annual_mean(series: pd.Series, weights: pd.Series | None = None) -> pd.Series:
    w = pd.Series(1.0, index=series.index) if weights is None else weights
    keep = series.notna() & (w > 0)
    frame = pd.DataFrame({"x": series[keep] * w[keep], "w": w[keep], "n": 1})
    grouped = frame.groupby(series.index[keep].asfreq("Y")).sum()
    grouped = grouped[grouped["n"] == 12]
    return (grouped["x"] / grouped["w"]).rename(series.name)


def exchange_rate(currency: str, *, freq: str = "M") -> pd.Series:
    """ECB reference rate, units of ``currency`` per euro (monthly or annual average).

    Parameters
    ----------
    currency : {'USD', 'RUB'}
    freq : {'M', 'Y'}
        Monthly means of the daily fixings, or annual means of the daily fixings (the ECB's
        annual averages), for complete years only.

    Returns
    -------
    pandas.Series
        Indexed by Period; months with incomplete fixings (the partial last month, the
        single RUB fixing of March 2022) are left out.

    Examples
    --------
    >>> round(float(exchange_rate("USD", freq="Y")["2014"]), 4)
    1.3285
    """
    check_choice("currency", currency, RATE_CURRENCIES)
    check_choice("freq", freq, ("M", "Y"))
    raw = _rates()
    col = {"USD": ("eur_usd_avg", "n_days_usd"), "RUB": ("eur_rub_avg", "n_days_rub")}[currency]
    rate, days = raw[col[0]], raw[col[1]].astype(float)
    complete = _complete_months(raw.index, days)
    monthly = rate[complete].rename(f"EUR/{currency}")
    if freq == "M":
        return monthly
    return _annual_mean(monthly, days[complete]).rename(f"EUR/{currency}")


def _complete_months(index: pd.PeriodIndex, days: pd.Series) -> np.ndarray:
    """Months whose fixing count is at least half the median of their neighbours'."""
    typical = days.where(days > 0).rolling(7, center=True, min_periods=1).median()
    return np.asarray((days > 0) & (days >= 0.5 * typical.fillna(0)))


def _lookup(series: pd.Series, periods: pd.Series, what: str) -> np.ndarray:
    freq = series.index.freqstr[0]
    wanted = pd.PeriodIndex(periods)
    if wanted.freqstr[0] == "Q":
        raise InvalidArgumentError(f"{what}: quarterly periods are not supported; use M or Y")
    if freq == "Y" and wanted.freqstr[0] == "M":
        wanted_key = wanted.asfreq("Y")
    elif freq == "M" and wanted.freqstr[0] == "Y":
        series = _annual_mean(series)
        wanted_key = wanted
    else:
        wanted_key = wanted
    values = series.reindex(wanted_key).to_numpy(float)
    missing = np.isnan(values)
    if missing.any():
        bad = sorted({str(p) for p in wanted[missing]})
        lo, hi = series.dropna().index.min(), series.dropna().index.max()
        raise NotCoveredError(
            f"{what} does not cover periods {bad[:5]}{' ...' if len(bad) > 5 else ''} "
            f"(coverage {lo} to {hi}, complete periods only)"
        )
    return values


def _coerce_index(index: Any) -> pd.Series:
    if isinstance(index, str):
        check_choice("index", index, INDICES)
        return price_index(index)
    if not isinstance(index, pd.Series):
        raise InvalidArgumentError(
            f"index={type(index).__name__}; expected one of {INDICES} or a pandas Series "
            "indexed by monthly or annual periods"
        )
    series = index.astype(float)
    if isinstance(series.index, pd.DatetimeIndex):
        series.index = series.index.to_period("M")
    if not isinstance(series.index, pd.PeriodIndex) or series.index.freqstr[0] not in "MY":
        raise InvalidArgumentError("index must be indexed by monthly or annual periods")
    if (series.dropna() <= 0).any():
        raise InvalidArgumentError("index must be positive")
    return series


def _rebase(series: pd.Series, base: Any) -> pd.Series:
    if base is None:
        return series
    freq = series.index.freqstr[0]
    text = str(base)
    period = check_period("base", text, "Y" if len(text) == 4 else freq)
    if period.freqstr[0] == "Y" and freq == "M":
        window = series[series.index.asfreq("Y") == period]
        if window.notna().sum() != 12:
            raise NotCoveredError(f"base={base!r}: the index does not cover all 12 months")
        level = float(window.mean())
    elif period.freqstr[0] == "M" and freq == "Y":
        raise InvalidArgumentError(f"base={base!r} is a month but the index is annual")
    else:
        if period not in series.index or np.isnan(series[period]):
            raise NotCoveredError(f"base={base!r} is outside the index's coverage")
        level = float(series[period])
    return series * 100.0 / level


def deflate(
    panel: pd.DataFrame,
    index: str | pd.Series = "hicp_ea",
    *,
    base: Any = None,
    column: str = "value",
) -> pd.DataFrame:
    """Express values in constant prices of a base period.

    Parameters
    ----------
    panel : pandas.DataFrame
        Tidy panel (:mod:`belru_trade.panel`), monthly or annual, or any frame with a
        ``period`` column of Periods and ``column``.
    index : str or pandas.Series, default 'hicp_ea'
        A shipped index name, or your own positive index (monthly or annual PeriodIndex,
        or DatetimeIndex of month starts).
    base : str or int, optional
        Base period: a year (``2015``: the mean of its 12 months is 100) or a month
        (``'2021-12'``). Default: the index as published (HICP: 2015 = 100).
    column : str, default 'value'
        Column to deflate.

    Returns
    -------
    pandas.DataFrame
        A copy with ``column`` in base-period prices, the nominal values kept as
        ``<column>_nominal``, and ``attrs['deflated']`` recording the index and base.

    Raises
    ------
    NotCoveredError
        A panel period (or the base) outside the index's coverage; annual panels need all
        12 months of each year in a monthly index.
    InvalidArgumentError
        Unknown index name, bad index series, missing columns.

    Notes
    -----
    ``real_t = nominal_t * 100 / I_t`` with ``I`` rebased so that ``I_base = 100``. A monthly
    panel is matched month by month (or to the year's value of an annual index); an annual
    panel is matched to the annual mean of a monthly index. The HICP measures consumer
    prices in the euro area; for export values an export price or unit-value index is the
    closer deflator when one is available (pass it as ``index``).
    """
    _check_columns(panel, ["period", column])
    series = _rebase(_coerce_index(index), base)
    factor = _lookup(series, panel["period"], f"index {getattr(index, 'name', index)!r}")
    out = panel.copy()
    out[f"{column}_nominal"] = out[column]
    out[column] = out[column].to_numpy(float) * 100.0 / factor
    name = index if isinstance(index, str) else (index.name or "custom")
    out.attrs["deflated"] = {"index": str(name), "base": None if base is None else str(base)}
    return out


def _check_columns(panel: pd.DataFrame, columns: list[str]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise InvalidArgumentError(f"panel={type(panel).__name__}; expected a DataFrame")
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise InvalidArgumentError(f"panel lacks the columns {missing}")
    if not isinstance(panel["period"].dtype, pd.PeriodDtype):
        raise InvalidArgumentError("panel['period'] must hold pandas Periods")


def convert_currency(panel: pd.DataFrame, to: str = "EUR") -> pd.DataFrame:
    """Convert panel values between EUR and USD at monthly (or annual) average ECB rates.

    Parameters
    ----------
    panel : pandas.DataFrame
        Tidy panel with ``value``, ``currency`` (``EUR``/``USD``) and ``period``.
    to : {'EUR', 'USD'}
        Target currency. Rouble values are not panel currencies: use
        :func:`exchange_rate` ``('RUB')`` directly.

    Returns
    -------
    pandas.DataFrame
        A copy with converted ``value`` and ``currency`` set to ``to``.

    Raises
    ------
    NotCoveredError
        A period to be converted lies outside the rate's coverage.

    Notes
    -----
    A flow of ``V`` USD in month ``t`` is ``V / r_t`` EUR, ``r_t`` the month's mean of the
    daily EUR/USD fixings; annual flows use the annual mean of the daily fixings. Monthly
    averages suit flows spread over the month; a trade-weighted rate is not available.
    """
    check_choice("to", to, PANEL_CURRENCIES)
    _check_columns(panel, ["period", "value", "currency"])
    unknown = sorted(set(panel["currency"].dropna()) - set(PANEL_CURRENCIES))
    if unknown:
        raise InvalidArgumentError(
            f"panel['currency'] has {unknown}; only {PANEL_CURRENCIES} can be converted"
        )
    out = panel.copy()
    move = np.asarray(out["currency"] != to)
    if move.any():
        freq = "Y" if pd.PeriodIndex(out["period"]).freqstr[0] == "Y" else "M"
        rate = _lookup(exchange_rate("USD", freq=freq), out.loc[move, "period"], "EUR/USD rate")
        values = out.loc[move, "value"].to_numpy(float)
        out.loc[move, "value"] = values * rate if to == "USD" else values / rate
        currency = out["currency"]
        if isinstance(currency.dtype, pd.CategoricalDtype) and to not in currency.cat.categories:
            out["currency"] = currency.cat.add_categories([to])  # snapshot panels
        out.loc[move, "currency"] = to
    return out


def unit_values(
    panel: pd.DataFrame, *, base: Any, by: tuple[str, ...] = ("reporter", "partner", "flow")
) -> pd.DataFrame:
    """Unit values and a value = price x volume decomposition against a base period.

    Parameters
    ----------
    panel : pandas.DataFrame
        Tidy panel with ``value`` and ``quantity`` in one ``unit`` per product.
    base : str or Period
        Base period whose unit values price the volumes.
    by : tuple of str
        Columns that define an aggregate; products within it are combined.

    Returns
    -------
    pandas.DataFrame
        One row per aggregate and period: ``value``, ``volume`` (quantities at base-period
        unit values, a Laspeyres volume), ``value_index``, ``volume_index`` and
        ``price_index`` (Paasche unit-value index), all 100 at ``base``, with
        ``value_index = price_index * volume_index / 100``.

    Raises
    ------
    NotCoveredError
        A product has no positive quantity in ``base`` (its unit value is unknown).

    Notes
    -----
    With ``uv_i0 = value_i0 / q_i0``: ``volume_t = sum_i uv_i0 q_it`` and
    ``price_t = value_t / volume_t``. Rows without quantity are left out.
    """
    _check_columns(panel, ["period", "value", "quantity", "product", *by])
    period = check_period("base", base, pd.PeriodIndex(panel["period"]).freqstr[0])
    keys = [*by, "product"]
    rows = panel[panel["quantity"].notna() & (panel["quantity"] > 0)]
    rows = rows.groupby([*keys, "period"], observed=True)[["value", "quantity"]].sum()
    rows = rows.reset_index()
    at_base = select(rows, period=period).set_index(keys)
    uv0 = (at_base["value"] / at_base["quantity"]).rename("uv0")
    rows = rows.join(uv0, on=keys)
    if rows["uv0"].isna().any():
        bad = rows.loc[rows["uv0"].isna(), "product"].unique().tolist()
        raise NotCoveredError(f"products {bad[:5]} have no quantity in the base period {period}")
    rows["volume"] = rows["uv0"] * rows["quantity"]
    out = rows.groupby([*by, "period"], observed=True)[["value", "volume"]].sum().reset_index()
    base_rows = select(out, period=period).set_index(list(by))[["value", "volume"]]
    ref = out.join(base_rows.add_suffix("_base"), on=list(by))
    out["value_index"] = 100 * ref["value"] / ref["value_base"]
    out["volume_index"] = 100 * ref["volume"] / ref["volume_base"]
    out["price_index"] = 100 * out["value_index"] / out["volume_index"]
    return out

"""The tidy trade panel: one long schema for every source.

Columns (in this order)
-----------------------
reporter : str
    ISO 3166-1 alpha-2 code of the reporting country, or an explicit aggregate code such as
    ``EU27_2020``, ``EXTRA_EU27_2020`` or ``WORLD``.
partner : str
    Same coding as ``reporter``.
product : str
    HS/CN code as a string (leading zeros kept) or ``TOTAL``.
nomenclature : str
    Vintage of the product code, e.g. ``HS2012``, ``CN2022``, ``HS`` (as reported), ``TOTAL``.
flow : {"import", "export"}
    Direction from the reporter's side.
period : pandas Period
    Monthly (``M``) or annual (``Y``) period; one frequency per panel.
value : float
    Trade value in ``currency``; never negative; NaN where not available.
currency : {"EUR", "USD"}
quantity : float, nullable
    Quantity in ``unit``.
unit : str, nullable
    Unit of ``quantity`` (``kg``, ``t``, ``m3``, ``TJ``, ...).
source : str
    Provider tag (``comext``, ``comtrade``, ``eurostat_energy``, ``crea``, ...).
flag : str, nullable
    Provider status flag: ``confidential``, ``estimated``, ``provisional`` or another label.

An absent row means "not available", not zero. Use :func:`fill_zeros` to add explicit zeros.

Select rows with :func:`select` and sum them by period with :func:`series` (both defined in
:mod:`belru_trade.trade.selection`), instead of writing boolean masks by hand.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from belru_trade._validation import check_choice
from belru_trade.errors import DataValidationError, ZeroFillWarning
from belru_trade.trade.selection import select, series

__all__ = [
    "COLUMNS",
    "KEY",
    "aggregate_products",
    "empty_panel",
    "fill_zeros",
    "mirror_join",
    "period_freq",
    "select",
    "series",
    "to_annual",
    "validate",
]

COLUMNS: tuple[str, ...] = (
    "reporter",
    "partner",
    "product",
    "nomenclature",
    "flow",
    "period",
    "value",
    "currency",
    "quantity",
    "unit",
    "source",
    "flag",
)
KEY: tuple[str, ...] = ("reporter", "partner", "product", "flow", "period", "source")
FLOWS = ("import", "export")
CURRENCIES = ("EUR", "USD")
_STRING_COLUMNS = ("reporter", "partner", "product", "nomenclature", "flow", "currency", "source")
_NULLABLE_STRING_COLUMNS = ("unit", "flag")
_FLOAT_COLUMNS = ("value", "quantity")


def period_freq(period: pd.Series) -> str:
    """Frequency string of a Period column (``"M"``, ``"Q-DEC"``, ``"Y-DEC"``).

    >>> period_freq(pd.Series(pd.period_range("2014-01", periods=2, freq="M")))
    'M'
    """
    return pd.PeriodIndex(period).freqstr


def empty_panel() -> pd.DataFrame:
    """Return an empty panel with the schema's columns and dtypes.

    >>> list(empty_panel().columns) == list(COLUMNS)
    True
    """
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame["period"] = pd.Series(dtype="period[M]")
    for column in _FLOAT_COLUMNS:
        frame[column] = pd.Series(dtype="float64")
    return frame


def validate(panel: pd.DataFrame, *, check_codes: bool = True) -> pd.DataFrame:
    """Check a frame against the tidy trade schema and return it unchanged.

    Parameters
    ----------
    panel : pandas.DataFrame
        Frame with the columns in :data:`COLUMNS`.
    check_codes : bool, default True
        Also check ``reporter`` and ``partner`` against the country registry.

    Returns
    -------
    pandas.DataFrame
        The same object, for chaining.

    Raises
    ------
    DataValidationError
        Naming the column, the offending values (first few) and the rule: missing columns,
        wrong dtypes, unknown flows/currencies/codes, negative values, duplicate keys.

    Examples
    --------
    >>> frame = empty_panel()
    >>> validate(frame) is frame
    True
    """
    if not isinstance(panel, pd.DataFrame):
        raise DataValidationError("<frame>", f"expected a pandas DataFrame, got {type(panel)}")
    missing = [c for c in COLUMNS if c not in panel.columns]
    if missing:
        raise DataValidationError(missing[0], "required column is missing", missing)
    _check_dtypes(panel)
    _check_domains(panel, check_codes=check_codes)
    _check_duplicates(panel)
    return panel


def _check_dtypes(panel: pd.DataFrame) -> None:
    if not isinstance(panel["period"].dtype, pd.PeriodDtype):
        raise DataValidationError(
            "period", f"must have a pandas Period dtype, got {panel['period'].dtype}"
        )
    if period_freq(panel["period"])[0] not in ("M", "Y", "Q"):
        raise DataValidationError(
            "period",
            "frequency must be monthly, quarterly or annual",
            [period_freq(panel["period"])],
        )
    if panel["period"].isna().any():
        raise DataValidationError("period", "must not be missing", [None])
    for column in _FLOAT_COLUMNS:
        if not pd.api.types.is_float_dtype(panel[column].dtype):
            raise DataValidationError(column, f"must be float, got {panel[column].dtype}")
    for column in _STRING_COLUMNS:
        series = _distinct(panel[column])
        if _all_strings(series, skipna=False) and not (series == "").any():
            continue
        bad = series[~series.map(lambda v: isinstance(v, str) and v != "")]
        raise DataValidationError(column, "must be a non-empty string", bad.unique().tolist())
    for column in _NULLABLE_STRING_COLUMNS:
        series = _distinct(panel[column])
        if _all_strings(series, skipna=True):
            continue
        bad = series[series.notna() & ~series.map(lambda v: isinstance(v, str))]
        raise DataValidationError(column, "must be a string or missing", bad.unique().tolist())


def _distinct(series: pd.Series) -> pd.Series:
    """The distinct values (missing included) of a categorical column, else the column."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.Series(np.asarray(series.unique(), dtype=object))
    return series


def _all_strings(series: pd.Series, *, skipna: bool) -> bool:
    kind = pd.api.types.infer_dtype(series, skipna=skipna)
    return kind in ("string", "empty")


def _check_domains(panel: pd.DataFrame, *, check_codes: bool) -> None:
    _check_members(panel, "flow", FLOWS)
    _check_members(panel, "currency", CURRENCIES)
    for column in _FLOAT_COLUMNS:
        negative = panel[column][panel[column] < 0]
        if len(negative):
            raise DataValidationError(column, "must not be negative", negative.unique().tolist())
        infinite = panel[column][np.isinf(panel[column].to_numpy(dtype="float64"))]
        if len(infinite):
            raise DataValidationError(
                column, "must be finite (or missing)", infinite.unique().tolist()
            )
    products = _distinct(panel["product"])
    bad_products = products[~products.str.fullmatch(r"TOTAL|(?:[0-9]{2}){1,5}").astype(bool)]
    if len(bad_products):
        raise DataValidationError(
            "product",
            "must be 'TOTAL' or an HS/CN code string of 2, 4, 6, 8 or 10 digits (leading "
            "zeros kept)",
            bad_products.unique().tolist(),
        )
    if check_codes:
        from belru_trade.geo.codes import known_geo_codes

        known = known_geo_codes()
        for column in ("reporter", "partner"):
            unknown = sorted(set(panel[column].unique()) - known)
            if unknown:
                raise DataValidationError(
                    column, "unknown country or aggregate code (see belru_trade.geo.codes)", unknown
                )


def _check_members(panel: pd.DataFrame, column: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    bad = panel[column][~panel[column].isin(allowed)]
    if len(bad):
        raise DataValidationError(column, f"must be one of {allowed}", bad.unique().tolist())


def _check_duplicates(panel: pd.DataFrame) -> None:
    duplicated = panel.duplicated(list(KEY), keep=False)
    if duplicated.any():
        keys = panel.loc[duplicated, list(KEY)].drop_duplicates().head(5)
        raise DataValidationError(
            "|".join(KEY),
            "duplicate rows on the panel key",
            [tuple(row) for row in keys.astype(str).itertuples(index=False)],
        )


def aggregate_products(panel: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Sum HS8/HS6 product codes up to ``digits`` (6, 4 or 2) digits.

    Rows whose code is shorter than ``digits`` or ``TOTAL`` are dropped rather than mixed in,
    because codes of different lengths overlap. Quantities are summed only within one unit;
    a group whose quantity is missing for any row gets a missing quantity. The flag of an
    aggregate is the set of its members' flags joined by ``;``.

    Examples
    --------
    >>> p = empty_panel()
    >>> aggregate_products(p, 4).empty
    True
    """
    check_choice("digits", digits, (2, 4, 6, 8))
    keep = panel["product"].str.fullmatch(r"[0-9]+") & (panel["product"].str.len() >= digits)
    frame = panel.loc[keep].copy()
    frame["product"] = frame["product"].str[:digits]
    frame["nomenclature"] = frame["nomenclature"].str.replace("CN", "HS", regex=False)
    return _sum_over(frame, [c for c in COLUMNS if c not in ("value", "quantity", "flag")])


def to_annual(panel: pd.DataFrame, *, complete_only: bool = True) -> pd.DataFrame:
    """Convert a monthly panel to annual sums.

    Parameters
    ----------
    complete_only : bool, default True
        Keep only years where all 12 months are present for the series; otherwise partial
        years are summed as they are (and flagged ``partial_year``).
    """
    if panel.empty:
        out = panel.copy()
        out["period"] = out["period"].astype("period[Y-DEC]")
        return out
    if period_freq(panel["period"]) != "M":
        raise DataValidationError("period", "to_annual expects a monthly panel")
    frame = panel.copy()
    frame["period"] = frame["period"].dt.asfreq("Y")
    group = [c for c in COLUMNS if c not in ("value", "quantity", "flag")]
    months = frame.groupby(group, dropna=False, observed=True)["value"].transform("size")
    if complete_only:
        frame = frame.loc[months == 12]
    out = _sum_over(frame, group)
    if not complete_only:
        counts = frame.groupby(group, dropna=False, observed=True).size().to_numpy()
        partial = counts < 12
        out.loc[partial, "flag"] = out.loc[partial, "flag"].fillna("partial_year")
    return out


def _sum_over(frame: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(group, dropna=False, observed=True, sort=True)
    out = grouped.agg(
        value=("value", lambda s: s.sum(min_count=1)),
        quantity=("quantity", lambda s: s.sum(min_count=1) if s.notna().all() else np.nan),
        flag=("flag", lambda s: ";".join(sorted(set(s.dropna()))) or None),
    ).reset_index()
    out["value"] = out["value"].astype("float64")
    out["quantity"] = out["quantity"].astype("float64")
    return out[list(COLUMNS)]


def fill_zeros(panel: pd.DataFrame, *, periods: pd.PeriodIndex | None = None) -> pd.DataFrame:
    """Add explicit zero-value rows for absent periods of each series.

    This turns "not available" into "zero", which is only right where the provider's
    absence means no trade. The call therefore warns with :class:`ZeroFillWarning`
    and marks added rows with ``flag = "zero_filled"``.

    Parameters
    ----------
    periods : pandas.PeriodIndex, optional
        Periods every series should have; defaults to the panel's full range.
    """
    if panel.empty:
        return panel.copy()
    if periods is None:
        periods = pd.period_range(panel["period"].min(), panel["period"].max())
    series_cols = [c for c in COLUMNS if c not in ("period", "value", "quantity", "flag")]
    series = panel[series_cols].drop_duplicates()
    grid = series.merge(pd.DataFrame({"period": periods}), how="cross")
    out = grid.merge(panel, how="left", on=[*series_cols, "period"], indicator=True)
    added = out["_merge"] == "left_only"
    out.loc[added, "value"] = 0.0
    out.loc[added & out["unit"].notna(), "quantity"] = 0.0
    out.loc[added, "flag"] = "zero_filled"
    if added.any():
        warnings.warn(
            f"fill_zeros added {int(added.sum())} zero rows where the data had no row; "
            "absent rows are 'not available' at the provider, so check this is intended",
            ZeroFillWarning,
            stacklevel=2,
        )
    return out.drop(columns="_merge")[list(COLUMNS)].reset_index(drop=True)


def mirror_join(panel: pd.DataFrame, *, how: str = "outer") -> pd.DataFrame:
    """Put each reporter's exports beside the partner's reported imports (mirror flows).

    Returns
    -------
    pandas.DataFrame
        Columns ``exporter``, ``importer``, ``product``, ``period``, ``currency``,
        ``export_value`` (as reported by the exporter), ``import_value`` (as reported by the
        importer), ``export_quantity``, ``import_quantity``, ``unit``, ``gap``
        (import minus export value; CIF/FOB and timing differences included),
        ``gap_share`` (gap over the export value).
    """
    check_choice("how", how, ("outer", "inner", "left", "right"))
    on = ["exporter", "importer", "product", "period", "currency", "unit"]
    exports = select(panel, flow="export").rename(
        columns={
            "reporter": "exporter",
            "partner": "importer",
            "value": "export_value",
            "quantity": "export_quantity",
        }
    )
    imports = select(panel, flow="import").rename(
        columns={
            "reporter": "importer",
            "partner": "exporter",
            "value": "import_value",
            "quantity": "import_quantity",
        }
    )
    left = exports[[*on, "export_value", "export_quantity"]]
    right = imports[[*on, "import_value", "import_quantity"]]
    out = left.merge(right, on=on, how=how)
    out["gap"] = out["import_value"] - out["export_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gap_share"] = out["gap"] / out["export_value"]
    return out.sort_values(on).reset_index(drop=True)

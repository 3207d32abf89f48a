"""The embedded snapshot of real trade data, in the tidy panel schema.

The package ships real extracts (Eurostat Comext DS-045409 and DS-1262527, Eurostat energy
statistics, CREA's Comtrade/Eurostat composite), one parquet file per source in
``belru_trade/data/snapshot/``. The UN Comtrade extract (monthly food trade with Russia) is
in the source tree only: UN Comtrade's terms do not allow re-dissemination, so the wheel
leaves it out and :func:`sources` lists it only where its file exists. Filters are pushed
down to the parquet reader so that a query does not load everything.

Sources: ``comext_sanctioned``, ``comext_totals``, ``comext_total_exports``,
``comext_eu_exports_annual``, ``comext_fossil``, ``comext_by_mode``, ``eurostat_energy``,
``crea``, ``comtrade``; :func:`snapshot_info` describes each, :func:`provenance` gives where
it comes from. An absent row means "not available", not zero.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from belru_trade._frames import periods_from_ordinals
from belru_trade._validation import check_choice, check_period
from belru_trade.errors import InvalidArgumentError, NotCoveredError
from belru_trade.geo.codes import country
from belru_trade.store._batch_columns import CodeColumn, NumberColumn
from belru_trade.store.snapshot_sources import SOURCES
from belru_trade.trade.panel import COLUMNS, empty_panel, period_freq

__all__ = ["load_snapshot", "provenance", "snapshot_info", "sources"]

_FREQ_KEY = b"belru_trade.period_freq"


def _snapshot_dir() -> Path:
    return Path(str(resources.files("belru_trade") / "data" / "snapshot"))


def sources() -> list[str]:
    """Names of the snapshot's sources present in this installation.

    The UN Comtrade extract (``comtrade``) is left out of the wheel (UN Comtrade's terms do
    not allow re-dissemination); it is listed only where its file exists (source tree).

    >>> "comext_totals" in sources()
    True
    """
    return [name for name in SOURCES if (_snapshot_dir() / f"{name}.parquet").is_file()]


def _check_source(name: str) -> None:
    if name in SOURCES and name not in sources():
        raise NotCoveredError(
            f"source={name!r} is not shipped in this installation ({SOURCES[name].licence}); "
            "fetch the series into the local store instead (belru-trade fetch)"
        )
    check_choice("source", name, sources())


def _as_list(name: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise InvalidArgumentError(
            f"{name}={value!r} must be a non-empty string or a list of non-empty strings"
        )
    return values


def _countries(name: str, value: Any) -> list[str] | None:
    """Reporter/partner codes normalised by :func:`belru_trade.geo.codes.country`."""
    values = _as_list(name, value)
    return None if values is None else [country(v, name) for v in values]


def _filter_expression(
    reporter: list[str] | None,
    partner: list[str] | None,
    product: list[str] | None,
    flow: list[str] | None,
) -> ds.Expression | None:
    parts = []
    if reporter:
        parts.append(ds.field("reporter").isin(reporter))
    if partner:
        parts.append(ds.field("partner").isin(partner))
    if flow:
        parts.append(ds.field("flow").isin(flow))
    if product:
        match = None
        for prefix in product:
            term = (
                ds.field("product") == prefix
                if prefix == "TOTAL"
                else pc.starts_with(ds.field("product"), prefix)
            )
            match = term if match is None else match | term
        parts.append(match)
    expression = None
    for part in parts:
        expression = part if expression is None else expression & part
    return expression


def _period_bounds(freq: str, start: Any, end: Any) -> list[ds.Expression]:
    bounds = []
    if start is not None:
        first = check_period("start", start).asfreq(freq, how="start")
        bounds.append(ds.field("period") >= first.ordinal)
    if end is not None:
        last = check_period("end", end).asfreq(freq, how="end")
        bounds.append(ds.field("period") <= last.ordinal)
    return bounds


CATEGORICAL = ("reporter", "partner", "product", "nomenclature", "flow", "currency", "source")


#: Code columns read dictionary-encoded (a third of the memory of plain strings while the
#: Arrow table exists); ``product`` stays plain because prefix filters need strings.
_FORMAT = ds.ParquetFileFormat(
    read_options=ds.ParquetReadOptions(
        dictionary_columns=[*(c for c in CATEGORICAL if c != "product"), "unit", "flag"]
    )
)


def _read_source(name: str, expression: ds.Expression | None, start: Any, end: Any) -> pd.DataFrame:
    """The rows of one source matching the filter, converted batch by batch (the filtered
    Arrow table is never held whole: see :mod:`belru_trade.store._batch_columns`)."""
    path = _snapshot_dir() / f"{name}.parquet"
    dataset = ds.dataset(path, format=_FORMAT)
    freq = dataset.schema.metadata[_FREQ_KEY].decode()
    for bound in _period_bounds(freq, start, end):
        expression = bound if expression is None else expression & bound
    rows = dataset.count_rows(filter=expression)
    builders: dict[str, CodeColumn | NumberColumn] = {
        **{column: CodeColumn(rows) for column in (*CATEGORICAL, "unit", "flag")},
        "period": NumberColumn(rows, np.int64),
        "value": NumberColumn(rows, np.float64),
        "quantity": NumberColumn(rows, np.float64),
    }
    # one batch in flight, allocated by the C library (Arrow's default allocator keeps the
    # freed batches' pages: about 100 MB more resident memory on the largest source)
    batches = dataset.to_batches(
        filter=expression,
        batch_readahead=1,
        fragment_readahead=1,
        memory_pool=pa.system_memory_pool(),
    )
    for batch in batches:
        for column, builder in builders.items():
            builder.add(batch.column(column))
    columns: dict[str, Any] = {}
    for column in COLUMNS:  # finish one column at a time, letting go of its chunks
        builder = builders.pop(column)
        if isinstance(builder, NumberColumn):
            values = builder.array()
            columns[column] = periods_from_ordinals(values, freq) if column == "period" else values
        else:
            columns[column] = builder.categorical() if column in CATEGORICAL else builder.strings()
    return pd.DataFrame(columns, copy=False)


def load_snapshot(
    source: str | Iterable[str] | None = None,
    reporter: str | Iterable[str] | None = None,
    partner: str | Iterable[str] | None = None,
    product: str | Iterable[str] | None = None,
    start: str | pd.Period | None = None,
    end: str | pd.Period | None = None,
    flow: str | None = None,
) -> pd.DataFrame:
    """Load (part of) the embedded snapshot as a tidy trade panel.

    Parameters
    ----------
    source : str or list of str, optional
        Source name(s) from :func:`sources`; default all. Sources have different
        frequencies; when an annual and a monthly source are both selected, the result has
        an ``object`` period column mixing both, so select annual sources on their own.
    reporter, partner : str or list of str, optional
        Countries as ISO2 (any case), ISO3 or names (``"be"``, ``"BEL"``, ``"Belgium"``),
        or aggregate codes (``"EU27_2020"``); normalised by
        :func:`belru_trade.geo.codes.country`.
    product : str or list of str, optional
        Product code prefixes (``"0406"`` matches ``"0406"`` and ``"040610"``) or ``"TOTAL"``.
    start, end : str or Period, optional
        Inclusive bounds, ``"YYYY"`` or ``"YYYY-MM"``.
    flow : {"import", "export"}, optional

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`belru_trade.trade.panel.COLUMNS`; empty (with the right columns) when
        nothing matches. The code columns (reporter, partner, product, nomenclature, flow,
        currency, source) are categorical with sorted string categories (a fifth of the
        memory; ``.str`` methods, ``isin`` and sorting work as on strings; ``groupby`` on them
        gives a ``CategoricalIndex``).

    Raises
    ------
    InvalidArgumentError
        For an unknown source or flow, or a malformed period.
    UnknownCodeError
        For a reporter or partner that is not a known country code, name or aggregate.
    NotCoveredError
        For a source whose file this installation does not ship (``comtrade`` in a wheel).

    Examples
    --------
    >>> be = load_snapshot("comext_total_exports", reporter="BE", start="2019", end="2019")
    >>> len(be), round(float(be["value"].sum()) / 1e6, 1)
    (12, 4113.6)
    """
    names = _as_list("source", source) or sources()
    for name in names:
        _check_source(name)
    flows = None if flow is None else [check_choice("flow", flow, ("import", "export"))]
    expression = _filter_expression(
        _countries("reporter", reporter),
        _countries("partner", partner),
        _as_list("product", product),
        flows,
    )
    frames = [_read_source(name, expression, start, end) for name in names]
    # the Arrow tables are gone: hand their buffers, cached by Arrow's allocator, back
    pa.default_memory_pool().release_unused()
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_panel()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


@lru_cache(maxsize=1)
def _provenance_records() -> dict[str, dict]:
    path = _snapshot_dir() / "provenance.json"
    return json.loads(path.read_text(encoding="utf-8"))


def provenance(source: str) -> dict:
    """Provenance record of one source (repository, extract ids, retrieval, licence, caveats).

    >>> provenance("comext_totals")["provider"]
    'Eurostat'
    """
    check_choice("source", source, list(SOURCES))
    return json.loads(json.dumps(_provenance_records()[source]))


def _top_level_products(products: Iterable[str]) -> set[str]:
    """Product codes with no shorter code of the same family present (TOTAL beats all)."""
    present = set(products)
    if "TOTAL" in present:
        return {"TOTAL"}
    return {c for c in present if not any(c[:k] in present for k in range(2, len(c)))}


def _non_overlapping_total(frame: pd.DataFrame) -> float:
    """Sum of values between countries (no aggregates) over top-level product codes."""
    from belru_trade.geo.codes import countries

    iso2 = set(countries()["iso2"])
    keep = frame["product"].isin(_top_level_products(frame["product"].unique()))
    for column in ("reporter", "partner"):
        is_country = frame[column].isin(iso2)
        if is_country.any():  # an aggregate-only column (e.g. EU27_2020 as reporter) stays
            keep &= is_country
    values = frame.loc[keep, "value"]
    return float(values.sum()) if values.notna().any() else float("nan")


def snapshot_info() -> pd.DataFrame:
    """Coverage of the embedded snapshot, one row per source.

    Returns
    -------
    pandas.DataFrame
        Columns source, description, first, last, frequency, rows, reporters, partners,
        products, flows, value_total, currency, unit, licence. ``value_total`` sums the
        values between countries (aggregate codes such as EU27_2020 left out, unless a
        column holds aggregates only, as in ``comext_eu_exports_annual``) over the
        top-level product codes only (``TOTAL`` where present, else codes with no shorter
        code of the same family), so nothing is counted twice; NaN when the source has
        quantities only.

    Examples
    --------
    >>> info = snapshot_info()
    >>> int(info.set_index("source").loc["comext_total_exports", "reporters"]) >= 27
    True
    """
    rows = []
    for name in sources():
        frame = _read_source(name, None, None, None)
        rows.append(
            {
                "source": name,
                "description": SOURCES[name].description,
                "first": str(frame["period"].min()),
                "last": str(frame["period"].max()),
                "frequency": period_freq(frame["period"]),
                "rows": len(frame),
                "reporters": frame["reporter"].nunique(),
                "partners": frame["partner"].nunique(),
                "products": frame["product"].nunique(),
                "flows": "/".join(sorted(frame["flow"].unique())),
                "value_total": _non_overlapping_total(frame),
                "currency": "/".join(sorted(frame["currency"].unique())),
                "unit": "/".join(sorted(frame["unit"].dropna().unique())) or "",
                "licence": SOURCES[name].licence,
            }
        )
    return pd.DataFrame(rows)

"""Build the embedded snapshot from the real extracts in ``shared/data`` (developer tool).

Run from the project root::

    python scripts/build_snapshot.py ../shared/data

It writes one parquet file per source under ``belru_trade/data/snapshot/`` (tidy panel
schema, period stored as an integer ordinal) and ``provenance.json``. Values are never
changed, only reshaped, recoded (names and M49 codes to ISO2) and converted to the panel's
units (Eurostat 100 kg -> kg). Every dropped row is counted in the provenance.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from belru_trade._outputs import atomic_write
from belru_trade.store.snapshot_sources import SOURCES
from belru_trade.trade.panel import COLUMNS, period_freq, validate

OUT = Path(__file__).resolve().parents[1] / "belru_trade" / "data" / "snapshot"
FLOWS = {"EXPORT": "export", "IMPORT": "import", "Exports": "export", "Imports": "import"}


def _hs_vintage(period: pd.Series) -> pd.Series:
    year = period.dt.year
    labels = np.select(
        [year >= 2022, year >= 2017, year >= 2012, year >= 2007, year >= 2002],
        ["HS2022", "HS2017", "HS2012", "HS2007", "HS2002"],
        "HS1996",
    )
    return pd.Series(labels, index=period.index)


def _comext_nomenclature(product: pd.Series, period: pd.Series) -> pd.Series:
    """CN8 codes carry the CN of their year; shorter codes the HS vintage; TOTAL stays."""
    vintage = _hs_vintage(period)
    cn = "CN" + period.dt.year.astype(str)
    out = vintage.where(product.str.len() < 8, cn)
    return out.where(product != "TOTAL", "TOTAL")


def _frame(**columns: object) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["value"] = frame["value"].astype("float64")
    frame["quantity"] = frame["quantity"].astype("float64")
    frame["unit"] = frame["unit"].astype(object).where(frame["unit"].notna(), None)
    frame["flag"] = frame["flag"].astype(object).where(frame["flag"].notna(), None)
    return frame[list(COLUMNS)]


def _monthly(text: pd.Series) -> pd.Series:
    return pd.Series(pd.PeriodIndex(text.astype(str), freq="M"), index=text.index)


_RUIMPEKS_GEO = ("reporter_iso2", "partner_iso2")


def build_comext_sanctioned(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data / "eu_russia_comext_2020_2022/exports_sanctioned_products_monthly_2020_2022.csv.gz",
        dtype={"product_code": str},
    )
    notes["extract_ids"] = sorted(raw["dataset_extract"].unique().tolist())
    return _comext_frame(raw, "comext_sanctioned", _RUIMPEKS_GEO)


def _comext_frame(
    raw: pd.DataFrame, source: str, geo: tuple[str, str] = ("reporter", "partner"), **extra: object
) -> pd.DataFrame:
    """Comext long tables share one layout: geo code columns, product_code, flow, value_eur.

    ``geo`` names the reporter and partner columns; ``extra`` adds panel columns
    (quantity, unit, flag).
    """
    period = _monthly(raw["period"])
    return _frame(
        reporter=raw[geo[0]],
        partner=raw[geo[1]],
        product=raw["product_code"],
        nomenclature=_comext_nomenclature(raw["product_code"], period),
        flow=raw["flow"].map(FLOWS),
        period=period,
        value=raw["value_eur"],
        currency="EUR",
        source=source,
        **extra,
    )


def build_comext_totals(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data / "eu_russia_comext_2020_2022/totals_and_hs27_monthly_2020_2022.csv",
        dtype={"product_code": str},
    )
    return _comext_frame(raw, "comext_totals", _RUIMPEKS_GEO)


def build_comext_total_exports(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data
        / "eu_russia_total_exports_2019_2024"
        / "member_state_total_exports_to_russia_monthly_2019_2024.csv"
    )
    return _frame(
        reporter=raw["reporter_code"],
        partner="RU",
        product="TOTAL",
        nomenclature="TOTAL",
        flow="export",
        period=_monthly(raw["period"]),
        value=raw["value_eur"],
        currency="EUR",
        source="comext_total_exports",
    )


def build_comext_eu_exports_annual(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data
        / "eu_russia_total_exports_2019_2024/eu27_total_exports_by_partner_annual_2010_2023.csv"
    )
    scheme = np.where(raw["partner_label_lang"] == "fr", "french", "eurostat")
    partner = pd.Series(index=raw.index, dtype=object)
    for name in np.unique(scheme):
        rows = scheme == name
        partner[rows] = _harmonise_or_none(raw.loc[rows, "partner"], name)
    unresolved = partner.isna()
    notes["dropped_rows"] = {
        "partner label not resolvable to a country or aggregate code": int(unresolved.sum())
    }
    notes["unresolved_labels"] = sorted(raw.loc[unresolved, "partner"].unique().tolist())
    raw, partner = raw.loc[~unresolved], partner[~unresolved]
    frame = _frame(
        reporter=raw["reporter"],
        partner=partner,
        product="TOTAL",
        nomenclature="TOTAL",
        flow="export",
        period=pd.Series(pd.PeriodIndex(raw["year"].astype(str), freq="Y"), index=raw.index),
        value=raw["value_eur"],
        currency="EUR",
        source="comext_eu_exports_annual",
    )
    return _drop_label_duplicates(frame, notes)


def _drop_label_duplicates(frame: pd.DataFrame, notes: dict) -> pd.DataFrame:
    """Two labels mapping to one code in the same year (e.g. renamed partners): keep the larger."""
    key = ["reporter", "partner", "product", "flow", "period", "source"]
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        notes.setdefault("dropped_rows", {})["two labels for one code and year (kept larger)"] = (
            int(dup.sum() - frame.loc[dup, key].drop_duplicates().shape[0])
        )
        frame = frame.sort_values("value").drop_duplicates(key, keep="last")
    return frame


def _harmonise_or_none(values: pd.Series, scheme: str) -> pd.Series:
    from belru_trade.geo import names

    out = {}
    for value in values.dropna().unique():
        try:
            out[value] = names.from_name(value, scheme=scheme)
        except LookupError:
            out[value] = None
    return values.map(out)


def build_comext_fossil(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data / "eu_russia_energy_trade/comext_fossil_imports_monthly_2019_2021.csv.gz",
        dtype={"product_code": str},
    )
    return _comext_frame(
        raw,
        "comext_fossil",
        quantity=raw["quantity_100kg"] * 100.0,
        unit="kg",
    )


def build_comext_by_mode(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data / "eu_russia_energy_trade/comext_by_transport_mode_russia_monthly_2015_2021.csv.gz",
        dtype={"product_code": str},
    )
    notes["modes_summed"] = sorted(raw["transport_mode"].unique().tolist())
    keys = ["reporter", "partner", "product_code", "flow", "period"]
    summed = raw.groupby(keys, as_index=False)[["value_eur", "quantity_tonnes"]].sum(min_count=1)
    return _comext_frame(
        summed,
        "comext_by_mode",
        quantity=summed["quantity_tonnes"],
        unit="t",
        flag="partial_modes",
    )


ENERGY_PRODUCTS = {
    "lng": ("271111", "TJ"),
    "gas_all": ("2711", "TJ"),
    "crude_oil": ("2709", "tonne"),
    "oil_products": ("2710", "tonne"),
    "coal": ("2701", "tonne"),
}


def build_eurostat_energy(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data / "eu_russia_energy_trade/eurostat_energy_imports_by_partner_monthly_2008_2022.csv.gz"
    )
    keep_unit = raw["commodity"].map({k: v[1] for k, v in ENERGY_PRODUCTS.items()})
    dropped = {
        "other unit of the same commodity (m3 for gas)": int((raw["unit"] != keep_unit).sum())
    }
    raw = raw.loc[raw["unit"] == keep_unit]
    dropped["partner not specified (NA)"] = int(raw["partner"].isna().sum())
    raw = raw.loc[raw["partner"].notna()]
    reporter = _harmonise_or_none(raw["country"], "english")
    partner = _harmonise_or_none(raw["partner"], "english")
    bad = reporter.isna() | partner.isna()
    dropped["name not resolvable to a code"] = int(bad.sum())
    notes["unresolved_labels"] = sorted(
        set(raw.loc[reporter.isna(), "country"]) | set(raw.loc[partner.isna(), "partner"])
    )
    notes["dropped_rows"] = dropped
    raw, reporter, partner = raw.loc[~bad], reporter[~bad], partner[~bad]
    product = raw["commodity"].map({k: v[0] for k, v in ENERGY_PRODUCTS.items()})
    return _frame(
        reporter=reporter,
        partner=partner,
        product=product,
        nomenclature="SIEC_as_HS",
        flow="import",
        period=_monthly(raw["period"]),
        value=np.nan,
        currency="EUR",
        quantity=raw["value"],
        unit=raw["unit"].replace({"tonne": "t"}),
        source="eurostat_energy",
    )


CREA_PRODUCTS = {
    "coal": "2701",
    "coke": "2704",
    "coal_gas": "2705",
    "tar": "2706",
    "oil": "2709",
    "oil_products": "2710",
    "lng": "271111",
    "natural_gas": "271121",
}


def build_crea(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data
        / "eu_russia_energy_trade/comtrade_eurostat_imports_from_russia_monthly_2016_2022.csv.gz"
    )
    wide = raw.pivot_table(
        index=["country", "period", "commodity"], columns="unit", values="value", aggfunc="sum"
    ).reset_index()
    reporter = _harmonise_or_none(wide["country"], "english")
    bad = reporter.isna()
    notes["dropped_rows"] = {"importer name not resolvable to a code": int(bad.sum())}
    notes["unresolved_labels"] = sorted(wide.loc[bad, "country"].unique().tolist())
    wide, reporter = wide.loc[~bad], reporter[~bad]
    negative = (wide["eur"] < 0) | (wide["tonne"] < 0)
    notes["negative_in_source"] = int(negative.sum())
    wide.loc[wide["eur"] < 0, "eur"] = np.nan
    wide.loc[wide["tonne"] < 0, "tonne"] = np.nan
    frame = _frame(
        reporter=reporter,
        partner="RU",
        product=wide["commodity"].map(CREA_PRODUCTS),
        nomenclature="HS_commodity_group",
        flow="import",
        period=_monthly(wide["period"]),
        value=wide["eur"],
        currency="EUR",
        quantity=wide["tonne"],
        unit="t",
        source="crea",
    )
    frame.loc[negative.to_numpy(), "flag"] = "negative_in_source"
    return frame


def build_comtrade(data: Path, notes: dict) -> pd.DataFrame:
    raw = pd.read_csv(
        data / "embargo_2014/comtrade_food_partnerRU_monthly_2010_2020_tidy.csv.gz",
        dtype={"hs_code": str},
    )
    dropped: dict[str, int] = {}
    keep_flow = raw["flow"].isin(["Exports", "Imports"])
    dropped["re-exports and re-imports (not in the panel's flow domain)"] = int((~keep_flow).sum())
    raw = raw.loc[keep_flow]
    blank = raw["reporter"].isna()
    dropped["reporter name blank in the source"] = int(blank.sum())
    raw = raw.loc[~blank]
    reporter = _harmonise_or_none(raw["reporter"], "comtrade")
    bad = reporter.isna()
    dropped["reporter not a country or kept aggregate (e.g. ASEAN)"] = int(bad.sum())
    notes["unresolved_labels"] = sorted(raw.loc[bad, "reporter"].unique().tolist())
    raw, reporter = raw.loc[~bad], reporter[~bad]
    period = _monthly(raw["period"])
    frame = _frame(
        reporter=reporter,
        partner="RU",
        product=raw["hs_code"],
        nomenclature="HS_as_reported",
        flow=raw["flow"].map(FLOWS),
        period=period,
        value=raw["value_usd"],
        currency="USD",
        quantity=raw["netweight_kg"],
        unit="kg",
        source="comtrade",
    )
    frame, n_dup = _resolve_comtrade_duplicates(frame)
    dropped["duplicate keys delivered twice (kept the larger weight, flagged)"] = n_dup
    notes["dropped_rows"] = dropped
    return frame


def _resolve_comtrade_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    key = ["reporter", "partner", "product", "flow", "period", "source"]
    dup = frame.duplicated(key, keep=False)
    frame = frame.copy()
    frame.loc[dup, "flag"] = "duplicate_in_source"
    frame = frame.sort_values(["quantity", "value"], na_position="first")
    out = frame.drop_duplicates(key, keep="last")
    return out, int(len(frame) - len(out))


BUILDERS: dict[str, Callable[[Path, dict], pd.DataFrame]] = {
    "comext_sanctioned": build_comext_sanctioned,
    "comext_totals": build_comext_totals,
    "comext_total_exports": build_comext_total_exports,
    "comext_eu_exports_annual": build_comext_eu_exports_annual,
    "comext_fossil": build_comext_fossil,
    "comext_by_mode": build_comext_by_mode,
    "eurostat_energy": build_eurostat_energy,
    "crea": build_crea,
    "comtrade": build_comtrade,
}


def write_source(frame: pd.DataFrame, name: str) -> Path:
    """Write one source atomically as parquet, sorted for predicate push-down."""
    frame = frame.sort_values(["reporter", "partner", "product", "flow", "period"])
    frame = frame.reset_index(drop=True)
    freq = period_freq(frame["period"])
    table = pa.table(
        {
            **{c: pa.array(frame[c].astype(object), pa.string()) for c in _strings()},
            "period": pa.array(frame["period"].array.asi8.astype("int32")),
            "value": pa.array(frame["value"].to_numpy()),
            "quantity": pa.array(frame["quantity"].to_numpy()),
        }
    ).replace_schema_metadata({"belru_trade.period_freq": freq})
    target = OUT / f"{name}.parquet"
    atomic_write(
        target,
        lambda stream: pq.write_table(
            table,
            stream,
            compression="zstd",
            compression_level=19,
            row_group_size=65536,
            use_dictionary=True,
        ),
    )
    return target


def _strings() -> list[str]:
    return [c for c in COLUMNS if c not in ("period", "value", "quantity")]


def main(argv: list[str]) -> int:
    data = Path(argv[0] if argv else "../shared/data").resolve()
    names = argv[1:] or list(BUILDERS)
    record_path = OUT / "provenance.json"
    records = json.loads(record_path.read_text()) if record_path.exists() else {}
    for name in names:
        notes: dict = {}
        frame = BUILDERS[name](data, notes)
        validate(frame, check_codes=_codes_available())
        path = write_source(frame, name)
        records[name] = {
            **SOURCES[name].as_dict(),
            "build": {
                "rows": len(frame),
                "bytes": path.stat().st_size,
                "value_sum": float(frame["value"].sum()),
                **notes,
            },
        }
        print(f"{name}: {len(frame):,} rows, {path.stat().st_size / 1e6:.2f} MB")
    atomic_write(record_path, json.dumps(dict(sorted(records.items())), indent=1, default=str))
    return 0


def _codes_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("belru_trade.geo.codes") is not None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

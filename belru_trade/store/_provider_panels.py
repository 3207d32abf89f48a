"""Provider frames to the tidy panel: codes, units, flags and Belgium's code change.

Pure functions used by :mod:`belru_trade.store.sources` (which alone talks to the fetchers): they
take the long frames the fetchers return and build the panel of :mod:`belru_trade.trade.panel`.

Examples
--------
>>> flag_words("pe")
'provisional;estimated'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from belru_trade.geo import codes
from belru_trade.geo.harmonise import harmonise
from belru_trade.trade import panel

__all__ = ["FLAG_WORDS", "comext_panel", "comtrade_panel", "flag_words", "segments"]

#: Eurostat observation flags as words (Eurostat's code list of flags)
FLAG_WORDS = {
    "c": "confidential",
    "p": "provisional",
    "e": "estimated",
    "b": "break",
    "u": "low_reliability",
    "n": "not_significant",
    "z": "not_applicable",
    "d": "definition_differs",
    "s": "eurostat_estimate",
    "r": "revised",
}
_COMEXT_AGGREGATES = {"EXTRA_EU27_2020": "EXT_EU27_2020", "INTRA_EU27_2020": "INT_EU27_2020"}
_HS_VINTAGES = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
}


def flag_words(flags: Any) -> str | None:
    if flags is None or (isinstance(flags, float) and np.isnan(flags)):
        return None
    words = [FLAG_WORDS.get(letter, letter) for letter in str(flags)]
    return ";".join(dict.fromkeys(words)) or None


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """String columns as object dtype with None for missing (as in ``panel.empty_panel``)."""
    for column in ("reporter", "partner", "product", "nomenclature", "flow", "currency",
                   "unit", "source", "flag"):  # fmt: skip
        series = frame[column].astype(object)
        frame[column] = series.where(series.notna(), None)
    return frame


def _geo_back(values: pd.Series) -> pd.Series:
    back = {v: k for k, v in _COMEXT_AGGREGATES.items()}
    mapping = {
        code: back.get(code) or codes.to_iso2(code, scheme="eurostat") for code in set(values)
    }
    return values.map(mapping).astype(object)


def _periods(values: pd.Series, freq: str) -> pd.PeriodIndex:
    """Period index from period strings, parsing each distinct string once."""
    codes_, uniques = pd.factorize(values.astype(str))
    return pd.PeriodIndex(list(uniques), freq="M" if freq == "M" else "Y").take(codes_)


def _merge_flags(value_flag: pd.Series, quantity_flag: pd.Series) -> pd.Series:
    joined = value_flag.fillna("").astype(str) + quantity_flag.fillna("").astype(str)
    words = {text: flag_words("".join(dict.fromkeys(text))) for text in joined.unique()}
    return joined.map(words).astype(object)


def comext_panel(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    if frame.empty:
        return panel.empty_panel()
    frame = frame.copy()
    frame["flow"] = frame["flow"].map({"1": "import", "2": "export"})
    keys = ["reporter", "partner", "product", "flow", "period"]
    wide = frame.set_index([*keys, "indicators"])[["value", "flag"]].unstack("indicators")
    out = wide.index.to_frame(index=False)
    empty = pd.Series(np.nan, index=wide.index)

    def column(kind: str, indicator: str) -> pd.Series:
        return wide[(kind, indicator)] if (kind, indicator) in wide.columns else empty

    value = column("value", "VALUE_IN_EUROS").to_numpy(dtype="float64")
    mass = column("value", "QUANTITY_IN_100KG").to_numpy(dtype="float64")
    flags = _merge_flags(
        column("flag", "VALUE_IN_EUROS").reset_index(drop=True),
        column("flag", "QUANTITY_IN_100KG").reset_index(drop=True),
    )
    product = out["product"].astype(str)
    result = pd.DataFrame(
        {
            "reporter": _geo_back(out["reporter"]),
            "partner": _geo_back(out["partner"]),
            "product": product.astype(object),
            "nomenclature": np.where(product == "TOTAL", "TOTAL",
                                     np.where(product.str.len() == 8, "CN", "HS")),
            "flow": out["flow"].astype(object),
            "period": _periods(out["period"], freq),
            "value": value,
            "currency": "EUR",
            "quantity": mass * 100.0,
            "unit": np.where(np.isnan(mass), None, "kg"),
            "source": "comext",
            "flag": flags.to_numpy(),
        }
    )  # fmt: skip
    result = result[result["value"].notna() | result["quantity"].notna() | result["flag"].notna()]
    return panel.validate(_objects(result.sort_values(keys).reset_index(drop=True)))


def segments(
    reporters: list[str], partners: list[str], first: pd.Period, last: pd.Period
) -> list[tuple[pd.Period, pd.Period, list[int], list[int]]]:
    """Split the period range where a Comtrade code changes (Belgium 58 -> 56 in 1999)."""

    def codes_at(period: pd.Period) -> tuple[tuple[int, ...], tuple[int, ...]]:
        day = period.start_time.strftime("%Y-%m-%d")
        rep = tuple(codes.comtrade_code(r, day) for r in reporters)
        par = tuple(0 if p == "WORLD" else codes.comtrade_code(p, day) for p in partners)
        return rep, par

    out, seg_start, current = [], first, codes_at(first)
    for year in range(first.year + 1, last.year + 1):
        boundary = (
            pd.Period(f"{year}-01", first.freqstr)
            if first.freqstr == "M"
            else pd.Period(str(year), first.freqstr)
        )
        found = codes_at(boundary)
        if found != current:
            out.append((seg_start, boundary - 1, list(current[0]), list(current[1])))
            seg_start, current = boundary, found
    out.append((seg_start, last, list(current[0]), list(current[1])))
    return out


def comtrade_panel(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    frame = panel.select(frame, flow=["import", "export"])
    if frame.empty:
        return panel.empty_panel()
    product = frame["product"].astype(str)
    vintage = frame["classification"].map(_HS_VINTAGES).fillna("HS")
    result = pd.DataFrame(
        {
            "reporter": harmonise(frame["reporter_code"], scheme="comtrade").astype(object),
            "partner": harmonise(frame["partner_code"], scheme="comtrade").astype(object),
            "product": product.astype(object),
            "nomenclature": np.where(product == "TOTAL", "TOTAL", vintage),
            "flow": frame["flow"].astype(object),
            "period": _periods(frame["period"], freq),
            "value": frame["value"].astype("float64"),
            "currency": "USD",
            "quantity": frame["net_weight"].astype("float64"),
            "unit": "kg",
            "source": "comtrade",
            "flag": frame["flag"].astype(object),
        }
    )
    keys = ["reporter", "partner", "product", "flow", "period"]
    return _objects(result.sort_values(keys).reset_index(drop=True))

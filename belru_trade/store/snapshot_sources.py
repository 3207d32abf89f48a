"""What each source of the embedded snapshot is, where it comes from, and its caveats.

These records are the provenance shipped with the data (``belru_trade/data/snapshot/``);
:func:`belru_trade.store.snapshot.provenance` returns them with build statistics added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["SOURCES", "SourceInfo"]

_ABSENT = "An absent row means not available (':' at Eurostat), not a verified zero."
_EUROSTAT_LICENCE = "Eurostat data: CC BY 4.0 (reuse with attribution: Source: Eurostat)."
_COMEXT = "Eurostat Comext DS-045409 (EU trade since 1988 by HS2-4-6 and CN8)"


@dataclass(frozen=True)
class SourceInfo:
    """Provenance record of one snapshot source."""

    name: str
    description: str
    provider: str
    dataset: str
    repository: str
    commit: str
    files: tuple[str, ...]
    retrieved: str
    provider_last_update: str
    licence: str
    concept: str
    caveats: tuple[str, ...]

    def as_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        out = asdict(self)
        out["files"] = list(self.files)
        out["caveats"] = list(self.caveats)
        return out


SOURCES: dict[str, SourceInfo] = {
    "comext_sanctioned": SourceInfo(
        name="comext_sanctioned",
        description="EU27 member states' exports of Reg. 833/2014 annex products (CN8 and HS4) "
        "to RU, BY, KZ, GE, AM, UZ, KG; monthly 2020-01..2022-11; EUR",
        provider="Eurostat",
        dataset=_COMEXT,
        repository="vzemlys/ruimpeks (MIT)",
        commit="7d52ee425db2062ef3dad57a444b512e12a4d6e1 (raw xlsx); HEAD 5b5d97cc",
        files=("raw/eurostat_xlsx/01..22_*_spreadsheet.xlsx",),
        retrieved="2023-01-16..2023-01-22 (Eurostat custom extracts)",
        provider_last_update="2023-01-13",
        licence=_EUROSTAT_LICENCE,
        concept="Community concept, reporter = EU member state, VALUE_IN_EUROS",
        caveats=(
            _ABSENT,
            "HS4 and CN8 codes overlap (e.g. 7102 and 71022900): never sum across code lengths.",
            "Values only (no quantities). Product coverage is the sanctions list as chosen by "
            "the repository author (Reg. 833/2014 consolidated 2022-10-07).",
            "Diamonds appear only as exports of 7102 and 71022900.",
        ),
    ),
    "comext_totals": SourceInfo(
        name="comext_totals",
        description="Member states' exports and imports, TOTAL and HS chapter 27, with RU and "
        "six neighbours; monthly 2020-01..2022-11; EUR",
        provider="Eurostat",
        dataset=_COMEXT,
        repository="vzemlys/ruimpeks (MIT)",
        commit="7d52ee425db2062ef3dad57a444b512e12a4d6e1",
        files=("xlsx/eu_total_trade_4630244_spreadsheet.xlsx",),
        retrieved="2023-01 (extract DS-045409__custom_4630244)",
        provider_last_update="2023-01-13",
        licence=_EUROSTAT_LICENCE,
        concept="Community concept, reporter = EU member state, all transport modes",
        caveats=(_ABSENT,),
    ),
    "comext_total_exports": SourceInfo(
        name="comext_total_exports",
        description="Member states' (and EU27_2020, EU, EA, EA20) total exports to RU; "
        "monthly 2019-01..2024-08; EUR",
        provider="Eurostat",
        dataset=_COMEXT + ", Easy Comext relational view",
        repository="mary-lev/eu-export-sanctions (Apache-2.0)",
        commit="4b6a5dfc864ab3352104974a4516458fd7347b38",
        files=("data/russia_export_eurostat/Relational_View_2024-11-16T07_*.csv",),
        retrieved="2024-11-16..2024-11-25",
        provider_last_update="not recorded in the extract (downloaded 2024-11)",
        licence=_EUROSTAT_LICENCE,
        concept="Community concept, PRODUCT = Total, STAT_PROCEDURE = Total, all modes",
        caveats=(
            _ABSENT,
            "Cyprus and Malta have months missing (confidential or absent).",
            "EU and EA are changing-composition aggregates; GB appears in 13 months only.",
        ),
    ),
    "comext_eu_exports_annual": SourceInfo(
        name="comext_eu_exports_annual",
        description="EU27_2020 exports, all products, by partner (member states included as "
        "partners: intra- and extra-EU); annual 2010..2023; EUR",
        provider="Eurostat",
        dataset=_COMEXT + ", Easy Comext relational view",
        repository="mary-lev/eu-export-sanctions (Apache-2.0)",
        commit="4b6a5dfc864ab3352104974a4516458fd7347b38",
        files=("data/eu_year_export/Relational_View_2024-11-*.csv",),
        retrieved="2024-11-16..2024-11-25",
        provider_last_update="not recorded in the extract (downloaded 2024-11)",
        licence=_EUROSTAT_LICENCE,
        concept="Community concept, EU27_2020 as reporter",
        caveats=(
            _ABSENT,
            "The 2016 file has French partner labels; they were mapped to codes "
            "(unresolved labels are listed in the build notes).",
        ),
    ),
    "comext_fossil": SourceInfo(
        name="comext_fossil",
        description="Member states' (and aggregates') imports of fossil fuels (2701, 2704-2706, "
        "2709, 2710, 2711, 271111 LNG, 271121 pipeline gas) from 19 suppliers incl. RU; "
        "monthly 2019-01..2021-12; EUR and kg",
        provider="Eurostat",
        dataset=_COMEXT,
        repository="energyandcleanair/fossil_shipment_tracker_r (CREA, MIT)",
        commit="555c43629bda1f9183a26b1829cd59c22d30bda8",
        files=("inst/extdata/data-16870525.RDS",),
        retrieved="2022-03 (CREA extract)",
        provider_last_update="not recorded in the extract",
        licence=_EUROSTAT_LICENCE,
        concept="Community concept; QUANTITY_IN_100KG converted to kg (x100)",
        caveats=(_ABSENT,),
    ),
    "comext_by_mode": SourceInfo(
        name="comext_by_mode",
        description="Member states' exports and imports with RU (TOTAL and fossil codes), sum of "
        "the six transport modes present; monthly 2015-01..2021-12; EUR and t",
        provider="Eurostat",
        dataset="Eurostat Comext DS-1262527 (EU trade since 2002 by mode of transport, HS2-HS4)",
        repository="energyandcleanair/fossil_shipment_tracker_r (CREA, MIT)",
        commit="555c43629bda1f9183a26b1829cd59c22d30bda8",
        files=("inst/extdata/DS-1262527_1_Data_20220316.RDS",),
        retrieved="2022-03-16",
        provider_last_update="not recorded in the extract",
        licence=_EUROSTAT_LICENCE,
        concept="Community concept by mode of transport at the border",
        caveats=(
            _ABSENT,
            "Air, Post and Self-propulsion modes are NOT in this extract: the sum understates "
            "total trade (Belgian exports to RU 2019: EUR 3,867 m here vs 4,114 m all modes).",
            "EU is a changing-composition aggregate.",
        ),
    ),
    "eurostat_energy": SourceInfo(
        name="eurostat_energy",
        description="Eurostat energy statistics (nrg_ti_* monthly imports) by partner, "
        "36 European importers; monthly 2008-01..2022-09; quantities only",
        provider="Eurostat",
        dataset="Eurostat energy statistics nrg_ti_* (monthly imports by partner)",
        repository="energyandcleanair/fossil_shipment_tracker_r (CREA, MIT)",
        commit="555c43629bda1f9183a26b1829cd59c22d30bda8",
        files=("inst/extdata/eurostat.RDS",),
        retrieved="2022 (CREA extract)",
        provider_last_update="not recorded in the extract",
        licence=_EUROSTAT_LICENCE,
        concept="Energy-balance imports (physical flows), not customs trade",
        caveats=(
            _ABSENT,
            "Commodities mapped to HS-like codes: lng 271111 (TJ), gas_all 2711 (TJ, pipeline "
            "and LNG), crude_oil 2709 (t), oil_products 2710 (t), coal 2701 (t). m3 rows dropped.",
            "No values: value is NaN.",
        ),
    ),
    "crea": SourceInfo(
        name="crea",
        description="CREA's combined UN Comtrade + Eurostat monthly imports from Russia by "
        "importer (125 countries + EU); 2016-01..2022-11; EUR and t",
        provider="CREA (from UN Comtrade and Eurostat)",
        dataset="comtrade_eurostat (CREA composite)",
        repository="energyandcleanair/fossil_shipment_tracker_r (CREA, MIT)",
        commit="555c43629bda1f9183a26b1829cd59c22d30bda8",
        files=("inst/extdata/comtrade_eurostat.RDS",),
        retrieved="2022-2023 (CREA extract)",
        provider_last_update="not recorded in the extract",
        licence=_EUROSTAT_LICENCE + " UN Comtrade parts: UN Comtrade dissemination terms.",
        concept="Importer-reported imports from RU; non-EU converted to EUR by CREA",
        caveats=(
            _ABSENT,
            "Commodity groups mapped to HS codes: coal 2701, coke 2704, coal_gas 2705, tar 2706, "
            "oil 2709, oil_products 2710, lng 271111, natural_gas 271121.",
            "63 rows carry negative values or tonnes in the source (corrections): the negative "
            "figure is set to NaN and the row flagged negative_in_source.",
        ),
    ),
    "comtrade": SourceInfo(
        name="comtrade",
        description="UN Comtrade (legacy API): every reporter's monthly trade with RU in dairy "
        "0401-0406 (weight only), meat 0201-0205 and fish 0301-0305 (USD, kg), and butter 040510 "
        "imports from RU; 2010-01..2020-12",
        provider="UN Comtrade (UN Statistics Division)",
        dataset="UN Comtrade legacy API, HS as reported, freq M",
        repository="ganyushkin/Practice_3 (dairy), Spbrly/R (meat), vino-alex/Laboratornaya_3 "
        "(fish), aksyuk/R-data (butter); no licence files",
        commit="1e99f7d0 (dairy), 1f5cacab (meat), ffc5801f (fish), 4933b8c5 (butter)",
        files=(
            "data/un_comtrade.csv",
            "Uprajnenie_3/data/un_comtrade.csv",
            "app_comtrade/data.csv",
            "COMTRADE/040510-Imp-RF-comtrade.csv",
        ),
        retrieved="2021-02-08..2021-04-13",
        provider_last_update="vintages of 2021-02..2021-04 (monthly data revised since)",
        licence="UN Comtrade data; use under the UN Comtrade dissemination terms, with "
        "attribution 'Source: UN Comtrade'. The student repositories that hold these downloads "
        "carry no licence file: treat as fixtures and sanity anchors, check the terms before "
        "redistributing further.",
        concept="Reporter-side flows with RU (export = reporter -> RU: mirror of Russian imports)",
        caveats=(
            "Dairy has no values (value NaN), net weight only.",
            "0 kg in dairy can mean 'not reported' (e.g. Belarus cheese Feb 2018 - Dec 2019), "
            "not a trade collapse.",
            "HS4 totals in the reporter's HS vintage; no HS6 lines.",
            "EU-28 aggregate rows are kept as reporter EU28: drop them before summing countries.",
            "No pears and no apples in this extract.",
        ),
    ),
}

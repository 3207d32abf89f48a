"""The datasets users learn on: what each is, its licence, and whether it ships.

Each record carries the ruling on shipping: a dataset ships in the wheel only where its
licence allows redistribution. The others keep their record (citation, columns, where to
get them) so that :func:`belru_trade.datasets.info` explains why they are absent.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOGUE", "DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    """Record of one learning dataset.

    Attributes
    ----------
    name : str
        Name passed to :func:`belru_trade.datasets.load`.
    title : str
        One-line description.
    licence : str
        SPDX identifier (or a short statement where none applies).
    citation : str
        How to cite the data.
    origin : str
        Where the data come from (publisher, repository).
    columns : dict of str to str
        Column name -> meaning and unit.
    shipped : bool
        Whether the file is in the package.
    ruling : str
        Why the dataset is (not) shipped.
    how_to_get : str
        For datasets that are not shipped: where users obtain them.
    """

    name: str
    title: str
    licence: str
    citation: str
    origin: str
    columns: dict[str, str]
    shipped: bool
    ruling: str
    how_to_get: str = ""

    def as_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        return {
            "name": self.name,
            "title": self.title,
            "licence": self.licence,
            "citation": self.citation,
            "origin": self.origin,
            "columns": dict(self.columns),
            "shipped": self.shipped,
            "ruling": self.ruling,
            "how_to_get": self.how_to_get,
        }


_YOTOV_CITATION = (
    "Yotov, Y. V., Piermartini, R., Monteiro, J.-A., & Larch, M. (2016). An Advanced Guide "
    "to Trade Policy Analysis: The Structural Gravity Model. WTO and UNCTAD, Geneva. "
    "ISBN 978-92-870-4367-2. Data as distributed by Vargas Sepulveda, M., tradepolicy: "
    "Replication of 'An Advanced Guide To Trade Policy Analysis' (R package, CC BY 4.0)."
)
_EUROSTAT_CITATION = (
    "Source: Eurostat, Comext database DS-045409 (EU trade since 1988 by HS2-4-6 and CN8)."
)

CATALOGUE: dict[str, DatasetInfo] = {
    "yotov2016": DatasetInfo(
        name="yotov2016",
        title="Structural-gravity panel of the Advanced Guide to Trade Policy Analysis: 69 "
        "countries (incl. domestic flows), 1986-2006 every four years",
        licence="CC-BY-4.0",
        citation=_YOTOV_CITATION,
        origin="Data of the book's chapter 1-2 applications (published by the WTO and "
        "UNCTAD; the United Nations is the copyright holder), as distributed in the "
        "tradepolicy R package under CC BY 4.0; identical row for row to the book's "
        "Chapter1Application1.dta. Years 1986, 1990, ..., 2006 kept (the book's sample).",
        columns={
            "exporter": "exporter, ISO 3166 alpha-3",
            "importer": "importer, ISO 3166 alpha-3 (exporter == importer: domestic sales)",
            "pair_id": "pair identifier of the source data (int)",
            "year": "year (int)",
            "trade": "nominal trade flow, millions of current USD",
            "dist": "population-weighted distance, km",
            "cntg": "1 if contiguous",
            "lang": "1 if a common official language",
            "clny": "1 if ever in a colonial relationship",
            "rta": "1 if a regional trade agreement is in force",
        },
        shipped=True,
        ruling="Shipped: CC BY 4.0 allows redistribution with attribution; the citation and "
        "licence travel with the package (LICENSES/CC-BY-4.0.txt, info()).",
    ),
    "eu_exports_to_russia": DatasetInfo(
        name="eu_exports_to_russia",
        title="EU member states' total monthly exports to Russia, 2019-01..2024-08, EUR "
        "(a slice of the embedded snapshot source comext_total_exports)",
        licence="CC-BY-4.0",
        citation=_EUROSTAT_CITATION,
        origin="Eurostat Comext DS-045409 (Easy Comext, November 2024 extract); see "
        "bt.snapshot.provenance('comext_total_exports')",
        columns={
            "reporter": "member state, ISO 3166 alpha-2",
            "period": "month (pandas Period, freq M)",
            "value": "exports to RU, EUR",
        },
        shipped=True,
        ruling="Shipped: Eurostat data are reusable under CC BY 4.0 (Commission Decision "
        "2011/833/EU) with the attribution 'Source: Eurostat'.",
    ),
    "fixest_trade": DatasetInfo(
        name="fixest_trade",
        title="fixest's trade sample: EU15 bilateral trade by product (20 categories), "
        "2007-2016, 38,325 rows",
        licence="GPL-3.0-only (as distributed in the fixest R package)",
        citation="Berge, L. (2018). Efficient estimation of maximum likelihood models with "
        "multiple fixed-effects: the R package FENmlm. CREA Discussion Papers 13. Data "
        "extracted from Eurostat by the fixest author.",
        origin="R package fixest, data/trade.RData",
        columns={
            "Destination": "importer",
            "Origin": "exporter",
            "Product": "product category (1-20)",
            "Year": "year",
            "dist_km": "distance, km",
            "Euros": "trade value, EUR",
        },
        shipped=False,
        ruling="Not shipped: the compiled file is distributed inside a GPL-3 package; shipping "
        "it would put GPL terms on part of a BSD-licensed wheel. Kept as test data only "
        "(tests/data/reference) to check the PPML and OLS estimators against the fixest "
        "vignette.",
        how_to_get="In R: data(trade, package = 'fixest'); or pyfixest's get_data() for "
        "comparable examples.",
    ),
    "sicily_its": DatasetInfo(
        name="sicily_its",
        title="Monthly acute coronary events in Sicily 2002-2006 around the January 2005 "
        "smoking ban (59 rows)",
        licence="none stated (no licence file in the source repository)",
        citation="Lopez Bernal, J., Cummins, S., & Gasparrini, A. (2017). Interrupted time "
        "series regression for the evaluation of public health interventions: a tutorial. "
        "International Journal of Epidemiology 46(1), 348-355.",
        origin="Supplementary code and data of the tutorial (authors' public repository)",
        columns={
            "year": "year",
            "month": "month",
            "aces": "acute coronary events",
            "time": "elapsed months",
            "smokban": "1 after the ban",
            "pop": "population",
            "stdpop": "age-standardised population",
        },
        shipped=False,
        ruling="Not shipped: no licence grants redistribution; used for tests only (the ITS "
        "estimator is checked against the tutorial's models).",
        how_to_get="From the supplementary material of the tutorial (International Journal of "
        "Epidemiology, 2017).",
    ),
    "comtrade_embargo_2014": DatasetInfo(
        name="comtrade_embargo_2014",
        title="UN Comtrade: every reporter's monthly dairy, meat and fish trade with Russia, "
        "2010-2020",
        licence="LicenseRef-UN-Comtrade (internal use; no re-dissemination without written "
        "permission of UNSD)",
        citation="Source: UN Comtrade, United Nations Statistics Division.",
        origin="UN Comtrade API downloads",
        columns={"(tidy panel)": "see belru_trade.trade.panel.COLUMNS"},
        shipped=False,
        ruling="Not shipped: UN Comtrade data are copyrighted by the United Nations and made "
        "available for internal use; re-dissemination in any form needs the written "
        "permission of the UN Statistics Division. The milk and 2014-embargo analyses "
        "therefore fetch these series into the local store first.",
        how_to_get="belru-trade fetch comtrade ... (free API key in COMTRADE_API_KEY); the "
        "analyses print the exact command.",
    ),
}

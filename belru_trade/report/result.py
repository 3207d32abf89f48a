"""What an analysis returns (:class:`AnalysisResult`) and how it is parametrised
(:class:`AnalysisConfig`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from belru_trade._validation import check_choice, check_period, check_product_code
from belru_trade.errors import InvalidArgumentError

__all__ = ["STATUSES", "AnalysisConfig", "AnalysisResult", "Status"]

Status = Literal["ok", "not_run", "failed"]
STATUSES: tuple[str, ...] = ("ok", "not_run", "failed")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _eu_members() -> tuple[str, ...]:
    from belru_trade.geo.codes import group_members

    return tuple(sorted(group_members("EU27_2020")))


@dataclass(frozen=True)
class AnalysisConfig:
    """Parameters shared by the bundled analyses.

    Parameters
    ----------
    reporter : str
        ISO2 code of the EU member state whose trade is analysed (default ``"BE"``).
    partner : str
        ISO2 code of the partner under sanctions (default ``"RU"``).
    start, end : str or None
        Optional ``"YYYY"`` or ``"YYYY-MM"`` bounds narrowing each analysis's own window.
    products : tuple of str or None
        Product codes (HS/CN digits, 2-10 characters) replacing an analysis's default codes.
    offline : bool
        Use only the embedded snapshot and the local store (never the network).

    Raises
    ------
    InvalidArgumentError
        If the reporter is not an EU27 member state, a period is malformed or ``start`` is
        after ``end``, or a product code is not 2-10 digits.

    Examples
    --------
    >>> AnalysisConfig().reporter
    'BE'
    >>> AnalysisConfig(reporter="US")
    Traceback (most recent call last):
    ...
    belru_trade.errors.InvalidArgumentError: reporter='US' is not allowed; expected one of ...
    """

    reporter: str = "BE"
    partner: str = "RU"
    start: str | None = None
    end: str | None = None
    products: tuple[str, ...] | None = None
    offline: bool = True

    def __post_init__(self) -> None:
        reporter = str(self.reporter).upper()
        check_choice("reporter", reporter, _eu_members())
        object.__setattr__(self, "reporter", reporter)
        partner = str(self.partner).upper()
        if not re.fullmatch(r"[A-Z]{2}", partner):
            raise InvalidArgumentError(
                f"partner={self.partner!r} is not allowed; expected an ISO 3166 alpha-2 code"
            )
        object.__setattr__(self, "partner", partner)
        self._check_window()
        if self.products is not None:
            products = (self.products,) if isinstance(self.products, str) else self.products
            if not products:
                raise InvalidArgumentError(
                    f"products={self.products!r} is empty; expected HS/CN code strings or 'TOTAL'"
                )
            products = tuple(
                check_product_code("products", p, lengths=(2, 4, 6, 8, 10), allow_total=True)
                for p in products
            )
            object.__setattr__(self, "products", products)

    def _check_window(self) -> None:
        first = None if self.start is None else check_period("start", self.start)
        last = None if self.end is None else check_period("end", self.end)
        if first is not None and last is not None and first.start_time > last.end_time:
            raise InvalidArgumentError(
                f"start={self.start!r} is after end={self.end!r}; expected start <= end"
            )

    def clip(self, start: str, end: str) -> tuple[str, str]:
        """Intersect an analysis's own window ``start..end`` with the configured one.

        >>> AnalysisConfig(start="2016").clip("2015-01", "2021-12")
        ('2016-01', '2021-12')
        """
        first = pd.Period(start, freq="M")
        last = pd.Period(end, freq="M")
        if self.start is not None:
            first = max(first, check_period("start", self.start).asfreq("M", how="start"))
        if self.end is not None:
            last = min(last, check_period("end", self.end).asfreq("M", how="end"))
        return str(first), str(last)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return {
            "reporter": self.reporter,
            "partner": self.partner,
            "start": self.start,
            "end": self.end,
            "products": None if self.products is None else list(self.products),
            "offline": self.offline,
        }


def _check_tables(tables: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    out = {}
    for key, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise InvalidArgumentError(
                f"tables[{key!r}] is a {type(table).__name__}; expected a pandas DataFrame"
            )
        out[str(key)] = table
    return out


def _check_figures(figures: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, fig in figures.items():
        if not hasattr(fig, "savefig"):
            raise InvalidArgumentError(
                f"figures[{key!r}] is a {type(fig).__name__}; expected a matplotlib Figure"
            )
        out[str(key)] = fig
    return out


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one analysis hands to the report (immutable).

    Parameters
    ----------
    name : str
        Module name of the analysis (``analyses.<name>``), lower case.
    title, question, data_and_concept, method : str
        Section heading and the three fixed paragraphs of a report section.
    status : {"ok", "not_run", "failed"}
        ``"not_run"`` when the data are neither in the snapshot nor in the local store
        (``fetch_commands`` then says how to get them); ``"failed"`` when the analysis
        raised (``reason`` holds the error).
    headline : str
        One sentence for the summary table on the first page.
    findings : sequence of str
        Result paragraphs (numbers with units and intervals).
    tables : mapping of str to DataFrame
        Result tables; column names carry units.
    figures : mapping of str to matplotlib Figure
    models : mapping of str to object
        Fitted model results (e.g. ITS results), kept for programmatic use.
    provenance : mapping
        Data sources used (snapshot source tag or store entry -> provenance record).
    caveats : sequence of str
    fetch_commands : sequence of str
        Exact ``belru-trade fetch ...`` commands that would make a not-run analysis runnable.
    reason : str
        Why the analysis did not run (empty when it ran).
    config : AnalysisConfig or None
    controls : mapping of str to tuple of str
        The comparison groups of the analysis: group name -> ISO alpha-2 codes (written to
        ``provenance.json`` under ``analyses[name]["controls"]``).
    missing_months : mapping of str to tuple of str
        Periods left out as not observed, per reporter (e.g. months a UN Comtrade reporter
        filed nothing, which are not zero trade); written to ``provenance.json`` under
        ``analyses[name]["missing_months"]``.

    Raises
    ------
    InvalidArgumentError
        For a bad name or status, a table that is not a DataFrame or a figure without
        ``savefig``, or a not-run result without fetch commands or reason.

    Examples
    --------
    >>> r = AnalysisResult(name="demo", title="Demo", question="Q?", data_and_concept="D",
    ...                    method="M", status="not_run", reason="no data",
    ...                    fetch_commands=("belru-trade fetch comext --reporter BE",))
    >>> r.status, len(r.tables)
    ('not_run', 0)
    """

    name: str
    title: str
    question: str
    data_and_concept: str
    method: str
    status: Status = "ok"
    headline: str = ""
    findings: tuple[str, ...] = ()
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    figures: Mapping[str, Any] = field(default_factory=dict)
    models: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()
    fetch_commands: tuple[str, ...] = ()
    reason: str = ""
    config: AnalysisConfig | None = None
    controls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing_months: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise InvalidArgumentError(
                f"name={self.name!r} is not allowed; expected a lower-case module name"
            )
        check_choice("status", self.status, STATUSES)
        object.__setattr__(self, "tables", _check_tables(self.tables))
        object.__setattr__(self, "figures", _check_figures(self.figures))
        object.__setattr__(self, "models", dict(self.models))
        object.__setattr__(self, "provenance", dict(self.provenance))
        object.__setattr__(
            self,
            "controls",
            {str(k): tuple(sorted(str(c) for c in v)) for k, v in self.controls.items()},
        )
        object.__setattr__(
            self,
            "missing_months",
            {str(k): tuple(sorted(str(c) for c in v)) for k, v in self.missing_months.items()},
        )
        for attr in ("findings", "caveats", "fetch_commands"):
            value = getattr(self, attr)
            value = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
            object.__setattr__(self, attr, value)
        if self.status != "ok" and not self.reason:
            raise InvalidArgumentError(
                f"reason='' is not allowed for status={self.status!r}; say why it did not run"
            )

    @property
    def ran(self) -> bool:
        """Whether the analysis produced results."""
        return self.status == "ok"


def table_names(tables: Sequence[str]) -> list[str]:
    """File-safe versions of table or figure names (helper for writers).

    >>> table_names(["Annual totals (EUR m)"])
    ['annual_totals_eur_m']
    """
    return [re.sub(r"[^a-z0-9]+", "_", t.lower()).strip("_") for t in tables]


def fill_reporter(text: str, config: AnalysisConfig | None) -> str:
    """Put the run's reporter into an analysis text: ``{reporter}`` (ISO code) and
    ``{reporter_name}`` (English name); Belgium when there is no config.

    >>> fill_reporter("LNG imports of {reporter_name} ({reporter})", None)
    'LNG imports of Belgium (BE)'
    """
    from belru_trade.geo import codes

    code = getattr(config, "reporter", None) or "BE"
    return text.replace("{reporter_name}", codes.name(code)).replace("{reporter}", code)

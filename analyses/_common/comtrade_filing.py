"""Which months a UN Comtrade reporter filed: an empty month is a zero or a missing value.

UN Comtrade records no zeros. In an extract of one partner's trade (exports to and imports
from Russia of the food headings), a month without a row for a product is either no
shipment or no filing. The rule used by the 2014 designs:

* a reporter **filed** in a month when the extract has a row for it in that month, for any
  product and either flow; a month in which it filed other products but not this one is a
  true zero for this product;
* a month in which it filed nothing at all is **missing** (NaN: the estimators leave it
  out), unless the reporter is listed in ``belru_trade/data/comtrade_reporting.csv`` as
  reporting every month (the EU member states, with the evidence in the table): its empty
  months are zeros;
* a group total (a sum over reporters) is missing in a month when reporters that filed
  nothing that month carried more than ``tolerance`` (1%) of the group's pre-period volume of
  the products; smaller non-filers count as zero, which moves the total by less than that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import belru_trade as bt

__all__ = ["FILING_CAVEAT", "FILING_PRODUCTS", "ComtradeFiling", "reporting_table"]

#: the food headings of the 2014 extract whose rows (either flow) show that a reporter filed
FILING_PRODUCTS = (
    *("0201", "0202", "0203", "0204", "0205"),
    *("0301", "0302", "0303", "0304", "0305"),
    *("0401", "0402", "0403", "0404", "0405", "0406"),
)


#: the rule, as a caveat of the 2014 analyses
FILING_CAVEAT = (
    "UN Comtrade records no zeros. Rule for an empty month: a reporter filed in a month "
    "when the extract (exports to and imports from Russia of the food headings) has any row "
    "for it; a month in which it filed other products but not this one is a true zero; a "
    "month in which it filed nothing at all is missing (left out of the fits, not zero), "
    "except for the EU member states, whose empty months are zeros (their monthly data reach "
    "Comtrade through Eurostat, and the EU28 row of the extract is present in every month; "
    "table comtrade_reporting.csv of the package). A group total is missing in a month when "
    "reporters carrying more than 1% of the group's pre-period volume filed nothing; the "
    "reporters and months read as missing are listed in a table and in provenance.json. "
    "Cumulative lost volumes sum the observed months only. 0 kg can also mean 'not "
    "reported' (e.g. Belarus cheese 2018-2019)."
)


@cache
def reporting_table() -> pd.DataFrame:
    """The reporters whose empty months are zeros, with the evidence (package data).

    >>> t = reporting_table()
    >>> {"BE", "DE", "LT"} <= set(t["reporter"]), set(t["empty_month"])
    (True, {'zero'})
    """
    from importlib.resources import files

    with files("belru_trade").joinpath("data/comtrade_reporting.csv").open() as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class ComtradeFiling:
    """Per reporter, the months it filed nothing in a UN Comtrade extract of one partner.

    Attributes
    ----------
    missing : frozenset of (str, pandas.Period)
        (reporter, month) pairs read as missing: no row at all in the extract and the
        reporter is not in :func:`reporting_table`.
    first, last : pandas.Period
        The months of the extract.
    tolerance : float
        Largest pre-period share of a group's volume that may be unobserved in a month
        before the group total of that month is missing.
    reporters : frozenset of str
        The reporters with at least one row in the extract (the EU28 aggregate left out).
    """

    missing: frozenset[tuple[str, pd.Period]]
    first: pd.Period
    last: pd.Period
    tolerance: float = 0.01
    reporters: frozenset[str] = frozenset()

    @classmethod
    def from_panel(
        cls, panel: pd.DataFrame, partner: str, *, start: str = "2010-01", end: str = "2020-12"
    ) -> ComtradeFiling:
        """Detect the empty months of every reporter of the Comtrade rows with ``partner``.

        >>> p = pd.DataFrame({"source": "comtrade", "partner": "RU", "reporter": ["NZ", "NZ"],
        ...     "period": pd.PeriodIndex(["2020-01", "2020-03"], freq="M")})
        >>> f = ComtradeFiling.from_panel(p, "RU", start="2020-01", end="2020-03")
        >>> sorted((r, str(m)) for r, m in f.missing)
        [('NZ', '2020-02')]
        """
        rows = bt.panel.select(
            panel, source="comtrade", partner=partner, exclude={"reporter": "EU28"}
        )
        months = pd.period_range(start, end, freq="M")
        zero = set(reporting_table()["reporter"])
        filed = set(zip(rows["reporter"], pd.PeriodIndex(rows["period"]), strict=True))
        missing = {
            (r, m) for r in set(rows["reporter"]) - zero for m in months if (r, m) not in filed
        }
        return cls(frozenset(missing), months[0], months[-1], reporters=frozenset(rows["reporter"]))

    def regular(self, reporters: Iterable[str], start: str, end: str) -> tuple[str, ...]:
        """The ``reporters`` that filed in every month ``start..end``, sorted.

        A reporter qualifies when it has a row in the extract and no month of the window is
        read as missing (the reporters of :func:`reporting_table` file every month).

        >>> p = pd.DataFrame({"source": "comtrade", "partner": "RU",
        ...     "reporter": ["NZ", "NZ", "UY"],
        ...     "period": pd.PeriodIndex(["2020-01", "2020-02", "2020-01"], freq="M")})
        >>> f = ComtradeFiling.from_panel(p, "RU", start="2020-01", end="2020-02")
        >>> f.regular(["NZ", "UY", "AR"], "2020-01", "2020-02")
        ('NZ',)
        >>> f.regular(["UY"], "2020-01", "2020-01")
        ('UY',)
        """
        return tuple(
            sorted(
                r
                for r in set(reporters)
                if r in self.reporters and not self.reporter_months(r, start, end)
            )
        )

    def reporter_months(self, reporter: str, start: str, end: str) -> list[pd.Period]:
        """The months ``start..end`` in which ``reporter`` filed nothing."""
        window = pd.period_range(start, end, freq="M")
        return [m for m in window if (reporter, m) in self.missing]

    def table(self, reporters: Iterable[str], start: str, end: str) -> pd.DataFrame:
        """Count of months read as missing per reporter, ``start..end`` (reporters with any).

        Columns: ``reporter``, ``months filed nothing (missing)``, ``first``, ``last``.
        """
        out = []
        for r in sorted(set(reporters)):
            gone = self.reporter_months(r, start, end)
            if gone:
                out.append(
                    {
                        "reporter": r,
                        "months filed nothing (missing)": len(gone),
                        "first": str(gone[0]),
                        "last": str(gone[-1]),
                    }
                )
        return pd.DataFrame(
            out, columns=["reporter", "months filed nothing (missing)", "first", "last"]
        )

    def provenance(self, reporters: Iterable[str], start: str, end: str) -> dict:
        """Reporter -> months read as missing, ``start..end``, for ``provenance.json``."""
        out = {r: self.reporter_months(r, start, end) for r in sorted(set(reporters))}
        return {r: tuple(str(m) for m in v) for r, v in out.items() if v}

    def group_tonnes(
        self,
        rows: pd.DataFrame,
        reporters: Iterable[str],
        start: str,
        end: str,
        *,
        pre_end: str,
        products: Iterable[str] | None = None,
    ) -> pd.Series:
        """Monthly tonnes summed over ``reporters``, ``start..end``, NaN where unobserved.

        Months without a row are zeros, except where reporters that filed nothing carried
        more than ``tolerance`` of the group's volume over ``start..pre_end``: NaN there.
        """
        reporters = set(reporters)
        where: dict = {"reporter": reporters}
        if products is not None:
            where["product"] = set(products)
        sub = bt.panel.select(rows, where, missing="drop", column="quantity")
        months = pd.period_range(start, end, freq="M")
        by = sub.groupby([sub["reporter"], pd.PeriodIndex(sub["period"])])["quantity"].sum()
        wide = by.unstack(0).reindex(months).fillna(0.0) / 1e3
        total = wide.sum(axis=1)
        share = wide.loc[:pre_end].sum()
        share = share / share.sum() if share.sum() > 0 else share
        unobserved = pd.Series(0.0, index=months)
        for r in reporters:
            gone = self.reporter_months(r, start, end)
            if gone:
                unobserved[gone] += float(share.get(r, 0.0))
        return total.where(unobserved <= self.tolerance, np.nan)

    def reporter_tonnes(self, rows: pd.DataFrame, reporter: str, start: str, end: str) -> pd.Series:
        """One reporter's monthly tonnes ``start..end``, NaN in the months it filed nothing."""
        series = bt.panel.series(rows, reporter=reporter, column="quantity", scale=1e3)
        months = pd.period_range(start, end, freq="M")
        series = series.reindex(months, fill_value=0.0)
        series[self.reporter_months(reporter, start, end)] = np.nan
        return series

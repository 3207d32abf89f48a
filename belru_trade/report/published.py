"""Figures from publications, in one packaged table: ``belru_trade/data/published_estimates.csv``.

One row per figure and analysis, with the full citation (``source``), the address read
(``url``), whether the figure was read in a secondary report (``secondary``), the figure as
printed (``published_value``) and, where it is a number, ``value`` with its ``unit`` and
``concept``. :func:`published_table` builds the comparison table that ends every analysis;
:func:`published_figures` / :func:`published_figure` give the numeric figures the analyses
quote (rows with a numeric value and a named publisher, e.g. the 2017 ING totals).

Examples
--------
>>> published_figure("ing_2017_be_ru_imports")
6.859
>>> published_figures().loc["ing_2017_be_ru_imports", "unit"]
'EUR bn'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from belru_trade.errors import InvalidArgumentError

__all__ = [
    "Ours",
    "published_estimates",
    "published_figure",
    "published_figures",
    "published_table",
]

COLUMNS = (
    "quantity",
    "published value",
    "unit",
    "period",
    "source",
    "our value (95% interval)",
    "consistent",
    "reason",
)


@dataclass(frozen=True)
class Ours:
    """Our counterpart of one published figure.

    Attributes
    ----------
    text : str
        Our value as printed, with its interval and unit when they differ from the
        published unit.
    low, high : float or None
        Our 95% interval in the published unit (for an interval comparison).
    point : float or None
        Our point value in the published unit (for a comparison with a point figure).
    comparable : bool
        False when the figures measure different things (``reason`` says how).
    reason : str
        One line: why the figures agree, disagree or cannot be compared.
    tolerance : float
        Relative difference within which two point values count as consistent.
    """

    text: str
    low: float | None = None
    high: float | None = None
    point: float | None = None
    comparable: bool = True
    reason: str = ""
    tolerance: float = 0.10


@functools.cache
def _frame() -> pd.DataFrame:
    path = resources.files("belru_trade") / "data" / "published_estimates.csv"
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype={"published_value": str}, keep_default_na=False)


def published_estimates(analysis: str | None = None) -> pd.DataFrame:
    """Return the published figures, all or those set beside one analysis.

    >>> frame = published_estimates("circumvention_2022")
    >>> sorted(frame["id"])
    ['chupilkin_offset', 'javorcik_eurasian_flows']
    """
    frame = _frame()
    if analysis is not None:
        frame = frame[frame["analysis"] == analysis]
    return frame.reset_index(drop=True).copy()


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _verdict(row: Mapping, ours: Ours) -> str:
    if not ours.comparable:
        return "not comparable"
    low, high = _number(row["low"]), _number(row["high"])
    if low is not None and high is not None and ours.low is not None and ours.high is not None:
        return "yes" if ours.low <= high and ours.high >= low else "no"
    published = _number(row["published_value"])
    if published is not None and ours.point is not None:
        close = abs(ours.point - published) <= ours.tolerance * abs(published)
        return "yes" if close else "no"
    return "not comparable"


def published_table(analysis: str, ours: Mapping[str, Ours]) -> pd.DataFrame:
    """The published-comparison table of one analysis.

    Parameters
    ----------
    analysis : str
        Analysis name (rows of the data file with this ``analysis``).
    ours : mapping of str to Ours
        Our counterpart per published id; an id without one is listed with "not estimated".

    Returns
    -------
    pandas.DataFrame
        Columns: quantity, published value, unit, period, source (full citation, with
        "(secondary report)" where the figure was read in one), our value (95% interval),
        consistent (yes / no / not comparable), reason.

    Raises
    ------
    InvalidArgumentError
        ``ours`` names an id the data file does not list for ``analysis``.

    Examples
    --------
    >>> t = published_table("circumvention_2022", {"chupilkin_offset": Ours(
    ...     "8.0% [6.0, 10.5]", low=6.0, high=10.5, reason="same concept")})
    >>> t.loc[0, "consistent"], t.loc[1, "consistent"]
    ('yes', 'not comparable')
    """
    rows = published_estimates(analysis)
    unknown = set(ours) - set(rows["id"])
    if unknown:
        raise InvalidArgumentError(
            f"ours={sorted(unknown)!r}: not published figures of analysis={analysis!r}; "
            f"expected some of {sorted(rows['id'])}"
        )
    out = []
    for row in rows.to_dict("records"):
        mine = ours.get(row["id"], Ours("not estimated", comparable=False, reason="-"))
        source = f"{row['source']} {row['url']}"
        if row["secondary"] == "yes":
            source += " (secondary report)"
        out.append(
            dict(
                zip(
                    COLUMNS,
                    (
                        row["quantity"],
                        row["published_value"],
                        row["unit"],
                        row["period"],
                        source,
                        mine.text,
                        _verdict(row, mine),
                        mine.reason or row["note"],
                    ),
                    strict=True,
                )
            )
        )
    return pd.DataFrame(out, columns=list(COLUMNS))


def published_figures() -> pd.DataFrame:
    """The quoted numeric figures, indexed by ``figure_id``.

    Returns
    -------
    pandas.DataFrame
        Rows of ``published_estimates.csv`` with a numeric ``value`` and a named publisher;
        columns ``description`` (the quantity), ``value`` (float), ``unit``,
        ``reference_period``, ``concept``, ``publisher``, ``title``, ``date_published``,
        ``url``, ``source``, ``secondary``, ``note`` (strings; empty when unknown).
    """
    table = _frame()
    table = table[(table["value"] != "") & (table["publisher"] != "")]
    table = table.drop_duplicates("id").rename(
        columns={"id": "figure_id", "quantity": "description", "period": "reference_period"}
    )
    table = table.assign(value=table["value"].astype(float))
    return table.drop(columns=["analysis", "published_value", "low", "high"]).set_index("figure_id")


def published_figure(figure_id: str) -> float:
    """The value of one quoted figure.

    Parameters
    ----------
    figure_id : str
        Row key of :func:`published_figures` (e.g. ``"ing_2017_be_ru_imports"``).

    Returns
    -------
    float
        The figure in the unit of its ``unit`` column.

    Raises
    ------
    InvalidArgumentError
        If ``figure_id`` is not in the table.
    """
    table = published_figures()
    if figure_id not in table.index:
        raise InvalidArgumentError(
            f"figure_id={figure_id!r} is not a published figure; expected one of "
            f"{', '.join(table.index)}"
        )
    return float(table["value"].to_dict()[figure_id])

"""Figures quoted from publications, read from ``belru_trade/data/published_figures.csv``.

The bundled analyses compare their own numbers with figures printed by others. Those
figures live in one packaged table with their full citation (publisher, title, date, URL,
concept) instead of as literals in the analyses' code.

Examples
--------
>>> published_figure("ing_2017_be_ru_imports")
6.859
>>> published_figures().loc["ing_2017_be_ru_imports", "unit"]
'EUR bn'
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from belru_trade.errors import InvalidArgumentError

__all__ = ["published_figure", "published_figures"]

_FILE = "published_figures.csv"


def published_figures() -> pd.DataFrame:
    """All quoted figures, indexed by ``figure_id``.

    Returns
    -------
    pandas.DataFrame
        Columns ``description``, ``value`` (float), ``unit``, ``reference_period``,
        ``reporter``, ``partner``, ``flow``, ``concept``, ``publisher``, ``title``,
        ``date_published``, ``url``, ``locator``, ``note`` (strings; empty when unknown).
    """
    path = resources.files("belru_trade") / "data" / _FILE
    with path.open("rb") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    table["value"] = table["value"].astype(float)
    return table.set_index("figure_id")


def published_figure(figure_id: str) -> float:
    """The value of one quoted figure.

    Parameters
    ----------
    figure_id : str
        Row key of ``published_figures.csv`` (e.g. ``"ing_2017_be_ru_imports"``).

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
    return float(table.loc[figure_id, "value"])

"""Datasets to learn on, with their licences: ``list()``, ``load(name)``, ``info(name)``.

Only data whose licence allows redistribution ship in the package; the others keep a
record (:func:`info`) that says why they are absent and where to get them.

Examples
--------
>>> import belru_trade as bt
>>> "yotov2016" in bt.datasets.list()
True
>>> bt.datasets.info("yotov2016")["licence"]
'CC-BY-4.0'
>>> d = bt.datasets.load("yotov2016")
>>> len(d), sorted(d["year"].unique().tolist())[:3]
(28566, [1986, 1990, 1994])
"""

from __future__ import annotations

import builtins
from importlib import resources
from pathlib import Path

import pandas as pd

from belru_trade.datasets.catalogue import CATALOGUE, DatasetInfo
from belru_trade.errors import NotCoveredError, UnknownCodeError

__all__ = ["DatasetInfo", "info", "list", "load"]


def list(shipped_only: bool = False) -> builtins.list[str]:
    """Names of the datasets.

    Parameters
    ----------
    shipped_only : bool, default False
        Only the datasets that ship in the package (loadable offline).

    Returns
    -------
    list of str

    Examples
    --------
    >>> import belru_trade as bt
    >>> bt.datasets.list(shipped_only=True)
    ['eu_exports_to_russia', 'yotov2016']
    """
    names = [n for n, d in CATALOGUE.items() if d.shipped or not shipped_only]
    return sorted(names)


def _record(name: str) -> DatasetInfo:
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        allowed = ", ".join(sorted(CATALOGUE))
        raise UnknownCodeError(
            f"name={name!r} is not a dataset; expected one of {allowed}"
        ) from None


def info(name: str) -> dict:
    """Licence, citation, origin, columns and the ruling on shipping of one dataset.

    Parameters
    ----------
    name : str
        A name from :func:`list`.

    Returns
    -------
    dict
        Keys ``name, title, licence, citation, origin, columns, shipped, ruling,
        how_to_get``; ``licence`` is an SPDX identifier where one applies.

    Raises
    ------
    UnknownCodeError
        If ``name`` is not a dataset.

    Examples
    --------
    >>> import belru_trade as bt
    >>> bt.datasets.info("fixest_trade")["shipped"]
    False
    """
    return _record(name).as_dict()


def _data_dir() -> Path:
    return Path(str(resources.files("belru_trade") / "data" / "datasets"))


def _load_eu_exports() -> pd.DataFrame:
    from belru_trade.store.snapshot import load_snapshot

    frame = load_snapshot("comext_total_exports", partner="RU", flow="export")
    return frame[["reporter", "period", "value"]].reset_index(drop=True)


def load(name: str) -> pd.DataFrame:
    """Load a shipped dataset.

    Parameters
    ----------
    name : str
        A name from ``list(shipped_only=True)``.

    Returns
    -------
    pandas.DataFrame
        Columns as described by ``info(name)["columns"]``.

    Raises
    ------
    UnknownCodeError
        If ``name`` is not a dataset.
    NotCoveredError
        If the dataset is recorded but not shipped (its licence does not allow it); the
        message gives the ruling and where to get the data.

    Examples
    --------
    >>> import belru_trade as bt
    >>> eu = bt.datasets.load("eu_exports_to_russia")
    >>> eu.columns.tolist()
    ['reporter', 'period', 'value']
    """
    record = _record(name)
    if not record.shipped:
        raise NotCoveredError(
            f"dataset {name!r} is not shipped: {record.ruling} How to get it: {record.how_to_get}"
        )
    if name == "eu_exports_to_russia":
        return _load_eu_exports()
    frame = pd.read_parquet(_data_dir() / f"{name}.parquet")
    return frame.reset_index(drop=True)

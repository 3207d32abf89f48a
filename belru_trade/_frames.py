"""Input tables: pandas DataFrames as they are; polars and pyarrow tables converted.

Every estimator works on pandas internally. A polars ``DataFrame`` or a pyarrow ``Table``
(and any other eager frame that narwhals knows) is converted once, at the entry point, by
:func:`as_pandas`; anything else raises an error that names the type received and says
what is expected (a ``pandas.DataFrame``).

>>> import pyarrow as pa
>>> as_pandas(pa.table({"y": [1.0, 2.0]})).shape
(2, 1)
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from belru_trade.errors import InvalidArgumentError

__all__ = [
    "as_pandas",
    "insertion_point",
    "period_index",
    "periods_from_fields",
    "periods_from_ordinals",
    "position",
    "type_name",
]


def type_name(obj: Any) -> str:
    """Qualified type name such as ``polars.dataframe.frame.DataFrame``.

    >>> type_name(pd.DataFrame())
    'pandas.DataFrame'
    """
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def as_pandas(data: Any, name: str = "data") -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame (polars, pyarrow ... via narwhals).

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame, pyarrow.Table or another eager frame
        The input table; a pandas DataFrame is returned unchanged (not copied).
    name : str
        Argument name used in the error message.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InvalidArgumentError
        ``data`` is not a table (e.g. a dict, a Series or a lazy frame).
    """
    if isinstance(data, pd.DataFrame):
        return data
    try:
        import narwhals as nw

        return nw.from_native(data, eager_only=True).to_pandas()
    except (TypeError, ImportError) as exc:
        raise InvalidArgumentError(
            f"{name} is a {type_name(data)}; expected a pandas.DataFrame (polars DataFrames "
            "and pyarrow Tables are converted to pandas; collect lazy frames first)"
        ) from exc


def position(index: pd.Index, label: Any) -> int:
    """Position of ``label`` in an index of unique labels (``get_loc`` typed as an int).

    >>> position(pd.period_range("2020-01", periods=3, freq="M"), pd.Period("2020-02", "M"))
    1
    """
    return cast(int, index.get_loc(label))


def insertion_point(index: pd.Index, label: Any) -> int:
    """Position of ``label`` in a sorted index, or where it would be inserted.

    >>> insertion_point(pd.period_range("2020-01", periods=3, freq="M"), pd.Period("2020-02"))
    1
    """
    return int(index.searchsorted(label))


def period_index(obj: pd.Series | pd.DataFrame) -> pd.PeriodIndex:
    """The index of a period-indexed Series or DataFrame, typed as a ``PeriodIndex``."""
    return cast(pd.PeriodIndex, obj.index)


def periods_from_ordinals(ordinals: Any, freq: str) -> pd.PeriodIndex:
    """``PeriodIndex.from_ordinals`` (pandas >= 2.2), which pandas-stubs do not declare.

    >>> periods_from_ordinals([0, 1], "M").astype(str).tolist()
    ['1970-01', '1970-02']
    """
    return pd.PeriodIndex.from_ordinals(ordinals, freq=freq)  # type: ignore[attr-defined]  # missing from pandas-stubs


def periods_from_fields(*, year: Any, month: Any, freq: str) -> pd.PeriodIndex:
    """``PeriodIndex.from_fields`` (pandas >= 2.2), which pandas-stubs do not declare.

    >>> periods_from_fields(year=[2020], month=[2], freq="M").astype(str).tolist()
    ['2020-02']
    """
    return pd.PeriodIndex.from_fields(year=year, month=month, freq=freq)  # type: ignore[attr-defined]  # missing from pandas-stubs

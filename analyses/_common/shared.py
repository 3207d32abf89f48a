"""Fits shared by analyses of one run: the same inputs are fitted once.

Several analyses fit identical models (the dairy event study and the dairy ITS fits of
``milk`` are also the dairy group of ``embargo_2014_food``). :func:`shared` memoises a
fitting function on a fingerprint of its arguments' contents (values, index, names and
dtypes, not object identity), so a second analysis gets the same immutable results object
instead of refitting. The memo is bounded (least recently used entries are dropped) and
holds only immutable results.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import pandas as pd

__all__ = ["fingerprint", "shared"]

F = TypeVar("F", bound=Callable[..., Any])


def _index_key(index: pd.Index) -> Hashable:
    if isinstance(index, pd.PeriodIndex):
        return ("period", index.freqstr, index.asi8.tobytes())
    return ("index", str(index.dtype), tuple(index.tolist()))


def fingerprint(value: Any) -> Hashable:
    """A hashable key equal for arguments with equal contents.

    >>> import pandas as pd
    >>> a = pd.Series([1.0, 2.0], index=pd.period_range("2020-01", periods=2, freq="M"))
    >>> fingerprint(a) == fingerprint(a.copy()) != fingerprint(a * 2)
    True
    """
    if isinstance(value, pd.Series):
        return ("series", value.name, str(value.dtype), _index_key(value.index),
                pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())  # fmt: skip
    if isinstance(value, pd.DataFrame):
        return ("frame", tuple(map(str, value.columns)), tuple(map(str, value.dtypes)),
                _index_key(value.index),
                pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())  # fmt: skip
    if isinstance(value, set | frozenset):
        return ("set", frozenset(fingerprint(v) for v in value))
    if isinstance(value, list | tuple):
        return ("seq", tuple(fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), fingerprint(v)) for k, v in value.items())))
    hash(value)  # anything else must be hashable (str, numbers, Period, None)
    return (type(value).__name__, value)


def shared(maxsize: int) -> Callable[[F], F]:
    """Memoise a function returning immutable results on :func:`fingerprint` of its arguments.

    Exceptions are not memoised (a failing fit raises again).
    """

    def decorate(func: F) -> F:
        memo: OrderedDict[Hashable, Any] = OrderedDict()

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = (fingerprint(args), fingerprint(kwargs))
            if key in memo:
                memo.move_to_end(key)
                return memo[key]
            value = func(*args, **kwargs)
            memo[key] = value
            if len(memo) > maxsize:
                memo.popitem(last=False)
            return value

        return cast(F, wrapper)  # same signature as func

    return decorate

"""Row selection over a tidy panel: :func:`select` (rows) and :func:`series` (sums by period).

Both are re-exported by :mod:`belru_trade.trade.panel`, so users write
``bt.panel.select(panel, reporter="BE", flow="export")`` and
``bt.panel.series(panel, reporter="BE", flow="export")``.

Criteria
--------
Each keyword names a column and the values to keep: a scalar (``flow="export"``), a list,
tuple, set or array of values (``reporter=["BE", "NL"]``), or a ``slice`` for an inclusive
range (``period=slice(start, end)``; either bound may be ``None``). A mapping passed as the
second positional argument adds criteria whose names are not valid keywords. ``exclude``
drops rows whose column holds any of the given values. Rows keep the panel's order and
index, so ``select`` returns exactly what the equivalent boolean mask would.

Two choices are explicit options because callers need both:

``missing``
    ``"keep"`` keeps rows whose ``column`` is missing (NaN); ``"drop"`` removes them first.
    In :func:`series` this decides what a period whose rows are all missing becomes:
    NaN with ``"keep"`` (the gap stays visible, and an estimator can refuse it), absent with
    ``"drop"``. Periods with some missing and some present rows sum the present ones in
    both cases.
``empty``
    ``"return"`` returns an empty frame or series when nothing matches; ``"raise"`` raises
    :class:`~belru_trade.errors.EmptySelectionError` naming the criteria and the values
    each criterion's column holds.

A criterion naming a column the panel lacks raises
:class:`~belru_trade.errors.UnknownColumnError` listing the panel's columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from belru_trade._validation import check_choice
from belru_trade.errors import EmptySelectionError, UnknownColumnError

__all__ = ["select", "series"]

Missing = Literal["keep", "drop"]
Empty = Literal["return", "raise"]

_SHOWN = 10


def select(
    panel: pd.DataFrame,
    where: Mapping[str, Any] | None = None,
    /,
    *,
    missing: Missing = "keep",
    column: str = "value",
    empty: Empty = "return",
    exclude: Mapping[str, Any] | None = None,
    **criteria: Any,
) -> pd.DataFrame:
    """Rows of ``panel`` matching every criterion.

    Parameters
    ----------
    panel : pandas.DataFrame
        A tidy panel (any frame with the named columns).
    where : mapping, optional
        Criteria as a mapping (column -> value(s)), merged with ``criteria``.
    missing : {"keep", "drop"}, default "keep"
        ``"drop"`` removes rows whose ``column`` is missing.
    column : str, default "value"
        The measure column ``missing`` looks at.
    empty : {"return", "raise"}, default "return"
        What happens when no row matches.
    exclude : mapping, optional
        Column -> value(s) to leave out (``exclude={"reporter": "EU28"}``).
    **criteria
        Column -> value(s) to keep: a scalar, a list-like or an inclusive ``slice``.

    Returns
    -------
    pandas.DataFrame
        The matching rows, in the panel's order and with its index.

    Raises
    ------
    UnknownColumnError
        A criterion (or ``column`` with ``missing="drop"``) is not a column of ``panel``.
    EmptySelectionError
        Nothing matches and ``empty="raise"``.
    InvalidArgumentError
        ``missing`` or ``empty`` is not one of the allowed values.

    Examples
    --------
    >>> p = pd.DataFrame({"reporter": ["BE", "BE", "NL"], "flow": ["export", "import", "export"],
    ...                   "value": [1.0, float("nan"), 3.0]})
    >>> select(p, flow="export").index.tolist()
    [0, 2]
    >>> select(p, reporter="BE", missing="drop").index.tolist()
    [0]
    >>> select(p, exclude={"reporter": "NL"}).index.tolist()
    [0, 1]
    """
    check_choice("missing", missing, ("keep", "drop"))
    check_choice("empty", empty, ("return", "raise"))
    wanted = {**(where or {}), **criteria}
    excluded = dict(exclude or {})
    needed = [*wanted, *excluded] + ([column] if missing == "drop" else [])
    _check_columns(panel, needed)
    mask = np.ones(len(panel), dtype=bool)
    for key, value in wanted.items():
        mask &= _matches(panel[key], value)
    for key, value in excluded.items():
        mask &= ~_matches(panel[key], value)
    if missing == "drop":
        mask &= panel[column].notna().to_numpy()
    rows = panel.loc[mask]
    if rows.empty and empty == "raise":
        raise EmptySelectionError(_no_match(panel, wanted, excluded, missing, column))
    return rows


def series(
    panel: pd.DataFrame,
    where: Mapping[str, Any] | None = None,
    /,
    *,
    column: str = "value",
    missing: Missing = "drop",
    empty: Empty = "return",
    scale: float = 1.0,
    exclude: Mapping[str, Any] | None = None,
    **criteria: Any,
) -> pd.Series:
    """Sum ``column`` over the rows matching the criteria, by period, divided by ``scale``.

    Parameters
    ----------
    panel : pandas.DataFrame
        A tidy panel (any frame with ``period``, ``column`` and the named columns).
    where : mapping, optional
        Criteria as a mapping (column -> value(s)), merged with ``criteria``.
    column : str, default "value"
        The column summed.
    missing : {"drop", "keep"}, default "drop"
        ``"drop"``: a period whose rows are all missing is absent. ``"keep"``: it is NaN.
    empty : {"return", "raise"}, default "return"
        What happens when no row matches: an empty series, or an error.
    scale : float, default 1.0
        Divisor of the sums (``1e6`` for millions).
    exclude : mapping, optional
        Column -> value(s) to leave out.
    **criteria
        Column -> value(s) to keep (see :func:`select`).

    Returns
    -------
    pandas.Series
        Named ``column``, indexed by period in increasing order (a ``PeriodIndex`` when the
        panel's period column holds Periods). Periods without a matching row are absent,
        not zero.

    Raises
    ------
    UnknownColumnError, EmptySelectionError, InvalidArgumentError
        As :func:`select`.

    Examples
    --------
    >>> p = pd.DataFrame({"period": pd.PeriodIndex(["2020-01", "2020-01", "2020-02"], freq="M"),
    ...                   "flow": ["export", "import", "export"], "value": [2e6, 5e6, None]})
    >>> series(p, flow="export", scale=1e6).tolist()
    [2.0]
    >>> series(p, flow="export", missing="keep", scale=1e6).tolist()
    [2.0, nan]
    """
    _check_columns(panel, ["period", column])
    rows = select(
        panel, where, missing=missing, column=column, empty=empty, exclude=exclude, **criteria
    )
    sums = rows.groupby("period", sort=True)[column].sum(min_count=1) / scale
    if isinstance(panel["period"].dtype, pd.PeriodDtype):
        sums.index = pd.PeriodIndex(sums.index)
    return sums.rename(column)


def _check_columns(panel: pd.DataFrame, names: Iterable[str]) -> None:
    unknown = [name for name in dict.fromkeys(names) if name not in panel.columns]
    if unknown:
        raise UnknownColumnError(
            f"unknown column(s) {unknown} in the selection; the panel has columns "
            f"{[str(c) for c in panel.columns]}"
        )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bytes)) or not isinstance(value, Iterable)


def _matches(column: pd.Series, value: Any) -> np.ndarray:
    if isinstance(value, slice):
        mask = np.ones(len(column), dtype=bool)
        if value.start is not None:
            mask &= (column >= value.start).to_numpy()
        if value.stop is not None:
            mask &= (column <= value.stop).to_numpy()
        return mask
    values = [value] if _is_scalar(value) else list(value)
    return column.isin(values).to_numpy()


def _no_match(
    panel: pd.DataFrame,
    wanted: Mapping[str, Any],
    excluded: Mapping[str, Any],
    missing: str,
    column: str,
) -> str:
    parts = [f"{k}={v!r}" for k, v in wanted.items()]
    parts += [f"exclude {k}={v!r}" for k, v in excluded.items()]
    if missing == "drop":
        parts.append(f"{column} not missing")
    lines = [f"no rows of the panel match {', '.join(parts) or 'the selection'}"]
    for key in [*wanted, *excluded]:
        present = sorted({str(v) for v in panel[key].dropna().unique()})
        more = f" ... ({len(present)} values)" if len(present) > _SHOWN else ""
        lines.append(f"{key} holds {present[:_SHOWN]}{more}")
    if panel.empty:
        lines.append("the panel has no rows")
    return "; ".join(lines)

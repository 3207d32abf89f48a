"""Read a tidy trade panel written to CSV or parquet (e.g. by ``belru-trade fetch --out``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from belru_trade.errors import DataValidationError, InvalidArgumentError
from belru_trade.periods import parse_period
from belru_trade.trade.panel import COLUMNS, validate

__all__ = ["read_panel"]

_STRINGS = ("reporter", "partner", "product", "nomenclature", "flow", "currency", "source")


def _periods(column: pd.Series) -> pd.Series:
    """The period column: all ``'YYYY-MM'`` or all ``'YYYY'``, each distinct text parsed by
    :func:`belru_trade.periods.parse_period` (ASCII digits, months 01-12, 1900-2100)."""
    text = column.astype(str).str.strip()
    codes, uniques = pd.factorize(text)
    months = [bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}", u)) for u in uniques]
    if all(months):
        freq = "M"
    elif not any(months) and all(re.fullmatch(r"[0-9]{4}", u) for u in uniques):
        freq = "Y"
    else:
        bad = [u for u in uniques if not re.fullmatch(r"[0-9]{4}(-[0-9]{2})?", u)][:5]
        raise DataValidationError("period", "must be all 'YYYY-MM' or all 'YYYY'", bad)
    try:
        parsed = [parse_period(u, freq, name="period") for u in uniques]
    except InvalidArgumentError as exc:
        raise DataValidationError("period", str(exc), list(uniques[:5])) from None
    return pd.Series(pd.PeriodIndex(parsed, freq=freq).take(codes), index=column.index)


def read_panel(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a tidy panel from a ``.csv`` or ``.parquet`` file.

    Parameters
    ----------
    path : str or path-like
        File with the columns of :data:`belru_trade.trade.panel.COLUMNS`; ``period`` as
        ``"YYYY-MM"`` or ``"YYYY"`` text (as ``belru-trade fetch --out`` writes it); product
        codes are read as strings (leading zeros kept).

    Returns
    -------
    pandas.DataFrame
        The validated panel (:func:`belru_trade.trade.panel.validate`).

    Raises
    ------
    InvalidArgumentError
        If the file does not exist or its suffix is neither ``.csv`` nor ``.parquet``.
    DataValidationError
        If columns are missing or values break the schema.

    Examples
    --------
    >>> import tempfile, belru_trade as bt
    >>> p = bt.load_snapshot("comext_total_exports", reporter="BE", start="2019", end="2019")
    >>> path = Path(tempfile.mkdtemp()) / "be.csv"
    >>> p.assign(period=p["period"].astype(str)).to_csv(path, index=False)
    >>> back = read_panel(path)
    >>> len(back), str(back["period"].iloc[0])
    (12, '2019-01')
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InvalidArgumentError(f"path={str(path)!r} must end in .csv or .parquet")
    if not file.is_file():
        raise InvalidArgumentError(f"path={str(path)!r} is not a file")
    if suffix == ".csv":
        frame = pd.read_csv(file, dtype={c: str for c in (*_STRINGS, "unit", "flag")})
        for column in ("unit", "flag"):
            if column in frame:
                frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    else:
        frame = pd.read_parquet(file)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError("columns", "missing from the file", missing)
    if not isinstance(frame["period"].dtype, pd.PeriodDtype):
        frame["period"] = _periods(frame["period"])
    return validate(frame[list(COLUMNS)].reset_index(drop=True))

"""Read ``tests/data/reference/model_reference_values.csv`` and check results against it.

Each row carries its own tolerance and says whether it is absolute (half a unit of the last
digit the reference prints) or relative (cross-checks against another implementation, which
give full precision).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CSV = Path(__file__).resolve().parent / "data" / "reference" / "model_reference_values.csv"


def load() -> pd.DataFrame:
    """The reference table indexed by ``case_id``."""
    return pd.read_csv(CSV).set_index("case_id")


def within(value: float, ref: pd.Series, column: str) -> bool:
    """True if ``value`` agrees with ``ref[column]`` at the row's tolerance."""
    target = float(ref[column])
    tol = float(ref["tol_estimate" if column == "estimate" else "tol_se"])
    if ref["tol_type"] == "relative":
        tol *= abs(target)
    return abs(value - target) <= tol * (1 + 1e-9)


def check(res, ref: pd.Series, term: str | None = None, *, se: bool = True) -> None:
    """Assert estimate (and SE) of ``term`` (default: the row's term) match the reference."""
    term = ref["term"] if term is None else term
    est = float(res.params[term])
    assert within(est, ref, "estimate"), (ref.name, term, est, ref["estimate"], ref["tol_estimate"])
    if se:
        sd = float(res.std_errors[term])
        assert within(sd, ref, "std_error"), (ref.name, term, sd, ref["std_error"], ref["tol_se"])

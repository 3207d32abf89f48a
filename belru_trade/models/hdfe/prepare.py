"""Data preparation of the fixed-effects estimators: formula to arrays, incomplete rows
dropped, fixed effects and clusters coded as integers.

Examples
--------
>>> import pandas as pd
>>> prep = prepare("y ~ x | g", pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, 0, 1, 3],
...                                        "g": ["a", "a", "b", "b"]}), None, None, None)
>>> prep.X.shape, prep.fe.sizes
((4, 1), [2])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._frames import as_pandas
from belru_trade._validation import check_magnitude, check_unique_columns
from belru_trade.errors import InvalidArgumentError, SpecificationError
from belru_trade.models.hdfe.absorb import FixedEffects, compact_codes
from belru_trade.models.hdfe.formula import (
    ParsedFormula,
    build_frame,
    cluster_code_arrays,
    cluster_columns,
    column_or_array,
    parse_formula,
)

__all__ = ["MISSING", "Prepared", "dropped_frame", "prepare"]

MISSING = "missing or non-finite value"


@dataclass(frozen=True)
class Prepared:
    """Estimation arrays after dropping incomplete rows (and later singletons etc.)."""

    parsed: ParsedFormula
    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe: FixedEffects | None
    fe_levels: list[pd.DataFrame]
    weights: np.ndarray | None
    offset: np.ndarray | None
    clusters: dict[str, np.ndarray]
    index: pd.Index
    all_index: pd.Index
    missing: pd.Index
    spec: Any
    collinear: tuple[tuple[str, str], ...] = ()
    i_levels: dict[str, list[Any]] = dataclasses.field(default_factory=dict)

    def subset(self, keep: np.ndarray) -> Prepared:
        """Keep rows ``keep``; fixed-effect and cluster codes are renumbered."""
        if keep.all():
            return self
        if not keep.any():
            raise SpecificationError("no observations left after dropping singletons/separation")
        fe, levels = self.fe, self.fe_levels
        if fe is not None:
            fe, used = fe.subset(keep)
            levels = [lv.iloc[u].reset_index(drop=True) for lv, u in zip(levels, used, strict=True)]
        return dataclasses.replace(
            self,
            y=self.y[keep],
            X=np.ascontiguousarray(self.X[keep]),
            fe=fe,
            fe_levels=levels,
            weights=None if self.weights is None else self.weights[keep],
            offset=None if self.offset is None else self.offset[keep],
            clusters={k: compact_codes(v[keep])[0] for k, v in self.clusters.items()},
            index=self.index[keep],
        )

    def drop_columns(self, dropped: list[tuple[str, str]]) -> Prepared:
        """Remove regressors by name; ``dropped`` holds (name, reason) pairs."""
        names = {n for n, _ in dropped}
        keep = [i for i, n in enumerate(self.names) if n not in names]
        return dataclasses.replace(
            self,
            X=np.ascontiguousarray(self.X[:, keep]),
            names=[self.names[i] for i in keep],
            collinear=self.collinear + tuple(dropped),
        )


def prepare(formula: str, data: pd.DataFrame, weights: Any, offset: Any, cluster: Any) -> Prepared:
    """Parse the formula and build the arrays (rows with missing values dropped)."""
    parsed = parse_formula(formula)
    data = as_pandas(data)
    check_unique_columns("data", data)
    extra = {
        "weights": column_or_array("weights", weights, data),
        "offset": column_or_array("offset", offset, data),
    }
    extra.update(cluster_code_arrays(cluster_columns(cluster, data), data))
    frame, ex = build_frame(parsed, data, extra=extra)
    if ex["weights"] is not None and np.any(ex["weights"] < 0):
        raise InvalidArgumentError("weights must be non-negative")
    fe = FixedEffects(frame.fe_codes, parsed.fe_names) if frame.fe_codes else None
    prep = Prepared(
        parsed=parsed,
        y=frame.y,
        X=frame.X,
        names=frame.names,
        fe=None,
        fe_levels=[],
        weights=ex.pop("weights"),
        offset=ex.pop("offset"),
        clusters={k: compact_codes(v)[0] for k, v in ex.items() if v is not None},
        index=frame.index,
        all_index=frame.index,
        missing=frame.missing,
        spec=frame.spec,
        i_levels=frame.i_levels,
    )
    if prep.y.size == 0:
        raise SpecificationError(f"no complete observations for formula {formula!r}")
    _check_values(prep, formula)
    if fe is not None:
        fe2, used = fe.subset(np.ones(prep.y.size, dtype=bool))
        levels = [
            lv.iloc[u].reset_index(drop=True) for lv, u in zip(frame.fe_levels, used, strict=True)
        ]
        prep = dataclasses.replace(prep, fe=fe2, fe_levels=levels)
    return prep


def _check_values(prep: Prepared, formula: str) -> None:
    """Named errors for inputs that would give inf/NaN or an undefined fit."""
    check_magnitude(f"the dependent variable of {formula!r}", prep.y)
    if prep.X.size:
        check_magnitude(f"the regressors of {formula!r}", prep.X)
    if not np.any(prep.y != 0):
        raise SpecificationError(
            f"the dependent variable of {formula!r} is zero in every complete observation; "
            "nothing to estimate"
        )


def dropped_frame(all_index: pd.Index, reason: np.ndarray, missing: pd.Index) -> pd.DataFrame:
    """Rows removed before estimation, indexed by input row labels, with a ``reason``."""
    mask = reason != ""
    return pd.concat(
        [
            pd.DataFrame({"reason": [MISSING] * len(missing)}, index=missing),
            pd.DataFrame({"reason": reason[mask].astype(str)}, index=all_index[mask]),
        ]
    )

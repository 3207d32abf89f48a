"""Fixest-style formulas: ``y ~ x1 + log(x2) | fe1 + fe2 + a^b``.

The part before ``|`` is an ordinary Wilkinson formula handled by formulaic (``log()``,
``C()``, interactions); the part after lists fixed effects, each a column name or several
column names joined by ``^`` (their interaction).

Examples
--------
>>> p = parse_formula("trade ~ rta + log(dist) | exp_year + imp_year + exporter^importer")
>>> p.lhs, p.rhs, p.fixed_effects
('trade', 'rta + log(dist)', (('exp_year',), ('imp_year',), ('exporter', 'importer')))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade.errors import InvalidArgumentError, SpecificationError

__all__ = ["ModelFrame", "ParsedFormula", "build_frame", "factorize_fe", "parse_formula"]


@dataclass(frozen=True)
class ParsedFormula:
    """The three parts of a fixest-style formula.

    Attributes
    ----------
    lhs : str
        Outcome expression (e.g. ``"log(trade)"``).
    rhs : str
        Regressor expression for formulaic (``"1"`` when there are none).
    fixed_effects : tuple of tuple of str
        One tuple of column names per fixed effect (several names = interaction ``a^b``).
    """

    lhs: str
    rhs: str
    fixed_effects: tuple[tuple[str, ...], ...]

    @property
    def fe_names(self) -> list[str]:
        """Fixed-effect names as written (``"a^b"`` for interactions)."""
        return ["^".join(parts) for parts in self.fixed_effects]


def parse_formula(formula: str) -> ParsedFormula:
    """Split ``"y ~ x | fe1 + a^b"`` into outcome, regressors and fixed effects.

    Parameters
    ----------
    formula : str
        Formula with one ``~`` and at most one ``|``.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    InvalidArgumentError
        If the formula is not a string or lacks ``~``, or has several ``|``.

    Examples
    --------
    >>> parse_formula("y ~ x").fixed_effects
    ()
    """
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise InvalidArgumentError(
            f"formula={formula!r} is not allowed; expected a string 'y ~ x1 + x2 | fe1 + fe2'"
        )
    lhs, rest = (part.strip() for part in formula.split("~"))
    parts = rest.split("|")
    if len(parts) > 2 or not lhs:
        raise InvalidArgumentError(
            f"formula={formula!r} is not allowed; expected 'y ~ regressors | fixed effects' "
            "with at most one '|'"
        )
    rhs = parts[0].strip() or "1"
    fes: list[tuple[str, ...]] = []
    if len(parts) == 2:
        for term in parts[1].split("+"):
            names = tuple(name.strip() for name in term.split("^"))
            if not all(names) or names in fes:
                raise InvalidArgumentError(
                    f"formula={formula!r}: fixed-effect term {term.strip()!r} is empty or repeated"
                )
            if names != ("0",):
                fes.append(names)
    return ParsedFormula(lhs=lhs, rhs=rhs, fixed_effects=tuple(fes))


def factorize_fe(data: pd.DataFrame, names: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes (0..G-1, -1 for missing) and the level table of one fixed effect.

    >>> codes, levels = factorize_fe(pd.DataFrame({"a": ["x", "y", "x"]}), ("a",))
    >>> codes.tolist(), levels["a"].tolist()
    ([0, 1, 0], ['x', 'y'])
    """
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise InvalidArgumentError(
            f"fixed effect {'^'.join(names)!r}: column(s) {missing} not in data; "
            f"available: {list(data.columns)[:20]}"
        )
    frame = data[list(names)]
    grouped = frame.groupby(list(names), sort=True, dropna=True, observed=True)
    codes = np.array(grouped.ngroup().to_numpy(dtype=float), dtype=float)
    codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    levels = grouped.size().index.to_frame(index=False)
    return codes, levels


@dataclass(frozen=True)
class ModelFrame:
    """Numeric arrays of a model after dropping rows with missing or non-finite values.

    Attributes
    ----------
    y : ndarray
        Outcome.
    X : ndarray
        Regressors (n x k), float64, C-contiguous.
    names : list of str
        Regressor names.
    fe_codes : list of ndarray
        Integer codes per fixed effect, restricted to the kept rows.
    fe_levels : list of DataFrame
        Level values per fixed effect (row g is code g).
    index : pandas.Index
        Input row labels of the kept rows.
    missing : pandas.Index
        Input row labels dropped for missing or non-finite values.
    spec : Any
        formulaic model spec of the regressors (used by ``predict``).
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe_codes: list[np.ndarray]
    fe_levels: list[pd.DataFrame]
    index: pd.Index
    missing: pd.Index
    spec: Any


def _model_matrices(parsed: ParsedFormula, data: pd.DataFrame) -> tuple[Any, Any]:
    from formulaic import model_matrix

    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) -> -inf, dropped later
            mm = model_matrix(f"{parsed.lhs} ~ {parsed.rhs}", data, na_action="ignore")
    except Exception as exc:  # formulaic raises many types for bad terms
        raise SpecificationError(
            f"cannot build the model matrix of '{parsed.lhs} ~ {parsed.rhs}': {exc}"
        ) from exc
    return mm.lhs, mm.rhs


def build_frame(
    parsed: ParsedFormula,
    data: pd.DataFrame,
    *,
    extra: dict[str, np.ndarray | None] | None = None,
) -> tuple[ModelFrame, dict[str, np.ndarray | None]]:
    """Evaluate the formula on ``data`` and drop incomplete rows.

    Rows are dropped when the outcome, a regressor, a fixed effect or an ``extra`` array
    (weights, offset, cluster codes) is missing or not finite.

    Returns
    -------
    (ModelFrame, dict)
        The frame and the ``extra`` arrays restricted to the kept rows.
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidArgumentError(f"data is a {type(data).__name__}; expected a DataFrame")
    lhs, rhs = _model_matrices(parsed, data)
    if lhs.shape[1] != 1:
        raise SpecificationError(f"outcome {parsed.lhs!r} must be one column, got {lhs.shape[1]}")
    y = np.asarray(lhs, dtype=float)[:, 0]
    X = np.asarray(rhs, dtype=float)
    names = [str(c) for c in rhs.columns]
    if parsed.fixed_effects and "Intercept" in names:
        keep_cols = [i for i, n in enumerate(names) if n != "Intercept"]
        X, names = X[:, keep_cols], [names[i] for i in keep_cols]
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    fe_codes, fe_levels = [], []
    for names_fe in parsed.fixed_effects:
        codes, levels = factorize_fe(data, names_fe)
        fe_codes.append(codes)
        fe_levels.append(levels)
        ok &= codes >= 0
    extra = dict(extra or {})
    for arr in extra.values():
        if arr is not None:
            ok &= np.isfinite(arr) if arr.dtype.kind == "f" else arr >= 0
    frame = ModelFrame(
        y=y[ok],
        X=np.ascontiguousarray(X[ok]),
        names=names,
        fe_codes=[c[ok] for c in fe_codes],
        fe_levels=fe_levels,
        index=data.index[ok],
        missing=data.index[~ok],
        spec=rhs.model_spec,
    )
    return frame, {k: (None if v is None else v[ok]) for k, v in extra.items()}


def column_or_array(name: str, value: Any, data: pd.DataFrame) -> np.ndarray | None:
    """Resolve ``weights=``/``offset=`` given as a column name or an array of len(data)."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in data.columns:
            raise InvalidArgumentError(
                f"{name}={value!r} is not a column of data; available: {list(data.columns)[:20]}"
            )
        arr = pd.to_numeric(data[value], errors="coerce").to_numpy(dtype=float)
    else:
        arr = np.asarray(value, dtype=float).ravel()
        if arr.size != len(data):
            raise InvalidArgumentError(
                f"{name} has {arr.size} values; expected one per row of data ({len(data)})"
            )
    return arr


def cluster_columns(cluster: Any, data: pd.DataFrame) -> list[str]:
    """Cluster variables from ``"a"``, ``"a+b"`` or a list of column names."""
    if cluster is None:
        return []
    names = cluster.split("+") if isinstance(cluster, str) else list(cluster)
    names = [str(n).strip() for n in names]
    missing = [n for n in names if n not in data.columns]
    if not names or missing or len(names) > 4:
        raise InvalidArgumentError(
            f"cluster={cluster!r} is not allowed; expected one to four column names of data "
            f"joined by '+' (missing: {missing})"
        )
    return names


def cluster_code_arrays(names: list[str], data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Integer codes (-1 = missing) of each cluster column, keyed ``cluster:<name>``."""
    return {f"cluster:{n}": pd.factorize(data[n], use_na_sentinel=True)[0] for n in names}

"""Fixest-style formulas: ``y ~ x1 + log(x2) + i(t, treat, ref=-1) | fe1 + fe2 + a^b``.

The formula is split into its parts by formulaic's tokenizer (so a ``|`` inside Python
code such as ``I((x > 0) | (x < 1))`` stays in its term). The part before the top-level
``|`` is an ordinary Wilkinson formula handled by formulaic (``log()``, ``C()``, ``I()``,
interactions); the part after lists fixed effects, each a column name or several column
names joined by ``^`` (their interaction).

``i(var, ref=r)`` and ``i(var, x, ref=r)`` are fixest's factor interactions (event
studies): one indicator per level of ``var`` except the reference level(s) ``r`` (a value
or a list), multiplied by ``x`` when given; the terms are named as in fixest and pyfixest,
``var::level`` and ``var::level:x``.

Examples
--------
>>> p = parse_formula("trade ~ rta + log(dist) | exp_year + imp_year + exporter^importer")
>>> p.lhs, p.rhs, p.fixed_effects
('trade', 'rta + log(dist)', (('exp_year',), ('imp_year',), ('exporter', 'importer')))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from belru_trade._frames import as_pandas
from belru_trade.errors import InvalidArgumentError, SpecificationError

__all__ = [
    "ModelFrame",
    "ParsedFormula",
    "build_frame",
    "expand_i_terms",
    "factorize_fe",
    "parse_formula",
]


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


def _top_level_operators(formula: str) -> list[tuple[str, int]]:
    """(operator, position) of ``~`` and ``|`` outside Python code, via formulaic's tokenizer."""
    from formulaic.parser.algos.tokenize import tokenize

    try:
        tokens = list(tokenize(formula))
    except Exception as exc:  # formulaic raises its own parser errors
        raise InvalidArgumentError(f"formula={formula!r} cannot be parsed: {exc}") from exc
    return [
        (t.token, t.source_start)
        for t in tokens
        if t.kind.value == "operator" and t.token in ("~", "|")
    ]


def parse_formula(formula: str) -> ParsedFormula:
    """Split ``"y ~ x | fe1 + a^b"`` into outcome, regressors and fixed effects.

    Parameters
    ----------
    formula : str
        Formula with one ``~`` and at most one top-level ``|`` (a ``|`` inside ``I()`` or
        another function call belongs to that term).

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
    >>> parse_formula("y ~ I((x > 0) | (x < 1)) | g").rhs
    'I((x > 0) | (x < 1))'
    """
    if not isinstance(formula, str):
        raise InvalidArgumentError(
            f"formula={formula!r} is not allowed; expected a string 'y ~ x1 + x2 | fe1 + fe2'"
        )
    ops = _top_level_operators(formula)
    tildes = [pos for op, pos in ops if op == "~"]
    bars = [pos for op, pos in ops if op == "|"]
    if len(tildes) != 1:
        raise InvalidArgumentError(
            f"formula={formula!r} is not allowed; expected a string 'y ~ x1 + x2 | fe1 + fe2'"
        )
    lhs = formula[: tildes[0]].strip()
    if len(bars) > 1 or not lhs or (bars and bars[0] < tildes[0]):
        raise InvalidArgumentError(
            f"formula={formula!r} is not allowed; expected 'y ~ regressors | fixed effects' "
            "with at most one top-level '|'"
        )
    end = bars[0] if bars else len(formula)
    rhs = formula[tildes[0] + 1 : end].strip() or "1"
    fes: list[tuple[str, ...]] = []
    if bars:
        for term in formula[bars[0] + 1 :].split("+"):
            names = tuple(name.strip() for name in term.split("^"))
            if not all(names) or names in fes:
                raise InvalidArgumentError(
                    f"formula={formula!r}: fixed-effect term {term.strip()!r} is empty or repeated"
                )
            if names != ("0",):
                fes.append(names)
    return ParsedFormula(lhs=lhs, rhs=rhs, fixed_effects=tuple(fes))


def _parse_i_call(text: str) -> tuple[str, str | None, list[Any]]:
    """(var, interacted var or None, reference levels) of ``i(var[, x][, ref=...])``."""
    import ast

    bad = InvalidArgumentError(
        f"term {text!r} is not allowed; expected i(var, ref=level) or i(var, x, ref=level) "
        "with column names and a literal reference (or list of references)"
    )
    try:
        call = ast.parse(text, mode="eval").body
        if not isinstance(call, ast.Call):
            raise AttributeError("not a call")  # caught below, as for arguments not names
        names = [cast(ast.Name, a).id for a in call.args]  # AttributeError: not a name
        kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except (SyntaxError, AttributeError, ValueError) as exc:
        raise bad from exc
    if not 1 <= len(names) <= 2 or set(kw) - {"ref"}:
        raise bad
    ref = kw.get("ref", [])
    refs = list(ref) if isinstance(ref, list | tuple) else [ref]
    return names[0], (names[1] if len(names) == 2 else None), refs


def _i_columns(
    text: str, data: pd.DataFrame, levels: list[Any] | None
) -> tuple[dict[str, pd.Series], list[Any]]:
    var, inter, refs = _parse_i_call(text)
    missing = [c for c in (var, inter) if c is not None and c not in data.columns]
    if missing:
        raise InvalidArgumentError(
            f"term {text!r}: column(s) {missing} not in data; available: {list(data.columns)[:20]}"
        )
    if levels is None:
        found = pd.unique(data[var].dropna())
        levels = sorted(found) if not isinstance(found, pd.Categorical) else list(found)
        ref_text = {str(r) for r in refs}
        unknown = ref_text - {str(v) for v in levels}
        if unknown:
            raise InvalidArgumentError(
                f"term {text!r}: ref={sorted(unknown)} is not a level of {var!r}"
            )
        levels = [v for v in levels if str(v) not in ref_text]
    value = data[var]
    scale = 1.0 if inter is None else pd.to_numeric(data[inter], errors="coerce")
    cols = {}
    for level in levels:
        name = f"{var}::{level}" + ("" if inter is None else f":{inter}")
        cols[name] = (value == level).astype(float).where(value.notna()) * scale
    return cols, levels


def expand_i_terms(
    rhs: str, data: pd.DataFrame, levels: dict[str, list[Any]] | None = None
) -> tuple[str, pd.DataFrame, dict[str, list[Any]]]:
    """Replace fixest ``i()`` terms by their indicator columns.

    Parameters
    ----------
    rhs : str
        Regressor part of a formula.
    data : DataFrame
        Data holding the ``i()`` variables.
    levels : dict, optional
        Levels per ``i()`` term from an earlier call (for predictions on new data).

    Returns
    -------
    (str, DataFrame, dict)
        The rewritten regressor part (backtick-quoted column names), ``data`` with the new
        columns and the levels used per term.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [-2, -1, 0, 1], "d": [1.0, 1.0, 0.0, 1.0]})
    >>> rhs, out, _ = expand_i_terms("x + i(t, d, ref=-1)", df)
    >>> rhs
    'x + `t::-2:d` + `t::0:d` + `t::1:d`'
    >>> out["t::1:d"].tolist()
    [0.0, 0.0, 0.0, 1.0]
    """
    if "i(" not in rhs:
        return rhs, data, {}
    from formulaic.parser.algos.tokenize import tokenize

    pieces, used, new_cols, pos = [], {}, {}, 0
    for token in tokenize(rhs):
        text = token.token
        if token.kind.value != "python" or not text.startswith("i("):
            continue
        given = None if levels is None else levels.get(text)
        cols, used[text] = _i_columns(text, data, given)
        if not cols:
            raise SpecificationError(f"term {text!r} has no level besides the reference")
        new_cols.update(cols)
        pieces += [rhs[pos : token.source_start], " + ".join(f"`{c}`" for c in cols)]
        pos = token.source_end + 1
    if not used:
        return rhs, data, {}
    pieces.append(rhs[pos:])
    return "".join(pieces), data.assign(**new_cols), used


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
    i_levels : dict
        Levels of each ``i()`` term (used by ``predict``).
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe_codes: list[np.ndarray]
    fe_levels: list[pd.DataFrame]
    index: pd.Index
    missing: pd.Index
    spec: Any
    i_levels: dict[str, list[Any]]


def _model_matrices(parsed: ParsedFormula, data: pd.DataFrame) -> tuple[Any, Any, dict]:
    from formulaic import model_matrix

    rhs, data, i_levels = expand_i_terms(parsed.rhs, data)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) -> -inf, dropped later
            mm = model_matrix(f"{parsed.lhs} ~ {rhs}", data, na_action="ignore")
    except Exception as exc:  # formulaic raises many types for bad terms
        raise SpecificationError(
            f"cannot build the model matrix of '{parsed.lhs} ~ {parsed.rhs}': {exc}"
        ) from exc
    return mm.lhs, mm.rhs, i_levels


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
    data = as_pandas(data)
    lhs, rhs, i_levels = _model_matrices(parsed, data)
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
    if ok.all():  # nothing to drop: no copies
        ok = slice(None)
    frame = ModelFrame(
        y=y[ok],
        X=np.ascontiguousarray(X[ok]),
        names=names,
        fe_codes=[c[ok] for c in fe_codes],
        fe_levels=fe_levels,
        index=data.index[ok],
        missing=data.index[:0] if isinstance(ok, slice) else data.index[~ok],
        spec=rhs.model_spec,
        i_levels=i_levels,
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
    """Cluster variables from ``"a"``, ``"a+b"``, ``"~a + b"`` (fixest) or a list of names.

    >>> cluster_columns("~a + b", pd.DataFrame({"a": [1], "b": [2]}))
    ['a', 'b']
    """
    if cluster is None:
        return []
    if isinstance(cluster, str):
        names = cluster.strip().removeprefix("~").split("+")
    else:
        names = list(cluster)
    names = [str(n).strip() for n in names]
    missing = [n for n in names if n not in data.columns]
    if not names or missing or len(names) > 4:
        raise InvalidArgumentError(
            f"cluster={cluster!r} is not allowed; expected one to four column names of data "
            f"joined by '+', optionally after '~' (missing: {missing})"
        )
    return names


def cluster_code_arrays(names: list[str], data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Integer codes (-1 = missing) of each cluster column, keyed ``cluster:<name>``."""
    return {f"cluster:{n}": pd.factorize(data[n], use_na_sentinel=True)[0] for n in names}

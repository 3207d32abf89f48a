"""Immutable results of fixed-effects estimators (PPML-HDFE and OLS-HDFE).

Holds what is needed after the fit: the covariance ingredients (so that
``with_vcov`` returns a new object with another covariance), the fixed-effect coefficients
(``fixef``) and the regressor spec (``predict``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._validation import check_choice
from belru_trade.errors import InvalidArgumentError
from belru_trade.models.hdfe.formula import (
    cluster_code_arrays,
    cluster_columns,
    expand_i_terms,
    factorize_fe,
)
from belru_trade.models.hdfe.vcov import SSC_CHOICES, Dof, fe_nested_in, sandwich
from belru_trade.models.results import EstimationResults

__all__ = ["FitState", "HDFEResults", "collinear_frame", "covariance", "resolve_vcov"]


def collinear_frame(dropped: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Dropped regressors as a DataFrame indexed by term with a ``reason`` column."""
    return pd.DataFrame(
        {"reason": np.array([r for _, r in dropped], dtype=object)},
        index=pd.Index([n for n, _ in dropped], name="term", dtype=object),
    )


@dataclass(frozen=True)
class FitState:
    """Internal state kept by the results (not part of the public API)."""

    bread: np.ndarray
    scores: np.ndarray
    sigma2: float
    names: list[str]
    index: pd.Index
    fe_names: list[str]
    fe_terms: tuple[tuple[str, ...], ...]
    fe_codes: list[np.ndarray]
    fe_levels: list[pd.DataFrame]
    fe_coefs: list[np.ndarray]
    spec: Any
    kind: str  # "ml" or "ols"
    link: str  # "log" or "identity"
    rhs: str = ""  # regressor part of the formula (for i() terms in predict)
    i_levels: dict[str, list[Any]] = field(default_factory=dict)
    offset_column: str | None = None  # column of ``data`` holding a log-scale offset


VCOV_ALIASES = {"iid": "iid", "hetero": "hetero", "HC1": "hetero", "cluster": "cluster"}


def _vcov_dict(vcov: dict, cluster: Any) -> Any:
    """The cluster variables of pyfixest's ``vcov={"CRV1": "a + b"}`` form."""
    if list(vcov) != ["CRV1"]:
        raise InvalidArgumentError(
            f"vcov={vcov!r} is not allowed; the dict form supports {{'CRV1': 'a'}} or "
            "{'CRV1': 'a + b'} (cluster-robust, fixest's small-sample correction via ssc=)"
        )
    if cluster is not None and cluster != vcov["CRV1"]:
        raise InvalidArgumentError(
            f"vcov={vcov!r} conflicts with cluster={cluster!r}; pass one of them"
        )
    return vcov["CRV1"]


def resolve_vcov(vcov: Any, cluster: Any) -> tuple[str, Any]:
    """Covariance kind and cluster variables from ``vcov=`` and ``cluster=``.

    Accepts the fixest/pyfixest spellings: ``cluster="a"``, ``"a + b"``, ``"~a + b"``,
    ``["a", "b"]``; ``vcov={"CRV1": "a"}``; ``vcov="HC1"`` (= ``"hetero"``).

    >>> resolve_vcov({"CRV1": "~a + b"}, None)
    ('cluster', '~a + b')
    >>> resolve_vcov("HC1", None)
    ('hetero', None)
    """
    if isinstance(vcov, dict):
        cluster, vcov = _vcov_dict(vcov, cluster), "cluster"
    if cluster is not None:
        if vcov not in (None, "cluster"):
            raise InvalidArgumentError(
                f"vcov={vcov!r} conflicts with cluster={cluster!r}; pass one of them"
            )
        return "cluster", cluster
    if vcov is None:
        return "hetero", None
    if not isinstance(vcov, str) or vcov not in VCOV_ALIASES:
        raise InvalidArgumentError(
            f"vcov={vcov!r} is not allowed; expected one of 'iid', 'hetero' (or 'HC1'), "
            "'cluster' with cluster=, or {'CRV1': 'a + b'}"
        )
    return VCOV_ALIASES[vcov], None


def covariance(
    state: FitState, kind: str, clusters: dict[str, np.ndarray], ssc: str
) -> tuple[np.ndarray, float, str]:
    """Covariance matrix, t degrees of freedom and a label."""
    check_choice("ssc", ssc, SSC_CHOICES)
    cl = list(clusters.values())
    if kind == "cluster" and not cl:
        raise InvalidArgumentError("vcov='cluster' needs cluster= column names")
    nested = tuple(fe_nested_in(c, cl) for c in state.fe_codes) if kind == "cluster" else ()
    dof = Dof(
        nobs=state.scores.shape[0],
        k=len(state.names),
        fe_sizes=tuple(int(c.max()) + 1 for c in state.fe_codes),
        fe_nested=nested or tuple(False for _ in state.fe_codes),
        model=state.kind,
    )
    cov, df_t = sandwich(
        state.bread, state.scores, kind, ssc=ssc, dof=dof, clusters=cl, sigma2=state.sigma2
    )
    label = kind if kind != "cluster" else "cluster: " + "+".join(k[8:] for k in clusters)
    return cov, df_t, f"{label} (ssc={ssc})"


@dataclass(frozen=True, repr=False, kw_only=True)
class HDFEResults(EstimationResults):
    """Results of a fixed-effects estimator (frozen).

    Extra attributes: ``cov`` (covariance DataFrame), ``dropped`` (DataFrame indexed by
    input row labels with a ``reason`` column), ``collinear`` (DataFrame of the regressors
    dropped as absorbed by the fixed effects or collinear, with a ``reason``; they are not
    in ``params`` and appear in ``tidy()`` with missing values and in ``summary()`` as
    dropped), ``formula``, ``fixed_effects`` (names), ``iterations``, ``converged``,
    ``ssc``.

    Inference follows fixest and pyfixest: p-values and intervals use the normal (z) for
    PPML and Student t for OLS, with G - 1 degrees of freedom when clustered (G = the
    smallest number of clusters) and N - K otherwise (``df_resid``; None means normal).
    """

    cov: pd.DataFrame
    dropped: pd.DataFrame
    formula: str
    fixed_effects: tuple[str, ...]
    iterations: int = 0
    converged: bool = True
    ssc: str = "fixest"
    collinear: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"reason": pd.Series(dtype=str)})
    )
    state: FitState = field(repr=False, compare=False)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table (see :meth:`EstimationResults.tidy`); regressors dropped as
        collinear or absorbed follow as rows with missing values."""
        table = super().tidy(level=level)
        if self.collinear.empty:
            return table
        extra = pd.DataFrame({"term": self.collinear.index.astype(str)})
        return pd.concat([table, extra], ignore_index=True)

    def summary(self) -> str:
        """Plain-text summary; dropped regressors are listed with the reason."""
        text = super().summary()
        lines = [f"  {term}: dropped ({why})" for term, why in self.collinear["reason"].items()]
        return "\n".join([text, "Dropped regressors:", *lines]) if lines else text

    def with_vcov(
        self,
        vcov: str | None = None,
        *,
        cluster: Any = None,
        data: pd.DataFrame | None = None,
        ssc: str | None = None,
    ) -> HDFEResults:
        """Same estimates with another covariance (returns a new object).

        Parameters
        ----------
        vcov : {"iid", "hetero", "HC1", "cluster"} or dict, optional
            Covariance kind (default ``"hetero"``, or ``"cluster"`` with ``cluster``);
            ``{"CRV1": "a + b"}`` as in pyfixest.
        cluster : str or list of str, optional
            Cluster column names (``"a"``, ``"a + b"``, ``"~a + b"``), looked up in
            ``data`` (the estimation data).
        data : DataFrame, optional
            Needed with ``cluster``; rows are matched by index label.
        ssc : {"fixest", "stata", "cluster", "none"}, optional
            Small-sample convention (default: the one of this object).
        """
        kind, cluster = resolve_vcov(vcov, cluster)
        clusters: dict[str, np.ndarray] = {}
        if cluster is not None:
            if data is None:
                raise InvalidArgumentError("cluster= needs data= (the estimation data)")
            names = cluster_columns(cluster, data)
            sub = data.loc[self.state.index]
            clusters = cluster_code_arrays(names, sub)
            if any((c < 0).any() for c in clusters.values()):
                raise InvalidArgumentError(f"cluster={cluster!r} has missing values")
        ssc = self.ssc if ssc is None else ssc
        cov, df_t, label = covariance(self.state, kind, clusters, ssc)
        fields = _cov_fields(self.state.names, cov, df_t, label, ssc)
        if self.state.kind == "ml":  # z inference for PPML (fixest, pyfixest)
            fields["df_resid"] = None
        return dataclasses.replace(self, **fields)

    def fixef(self) -> dict[str, pd.Series]:
        """Estimated fixed effects, one Series per fixed effect indexed by its levels.

        Normalisation as in fixest: every fixed effect except the first has its first
        level set to 0 (the sums over fixed effects, which enter predictions, are unique
        when the fixed-effect graph is connected).
        """
        out = {}
        for name, terms, levels, coefs in zip(
            self.state.fe_names,
            self.state.fe_terms,
            self.state.fe_levels,
            self.state.fe_coefs,
            strict=True,
        ):
            idx = (
                pd.Index(levels.iloc[:, 0], name=name)
                if len(terms) == 1
                else pd.MultiIndex.from_frame(levels, names=list(terms))
            )
            out[name] = pd.Series(coefs, index=idx, name=name)
        return out

    def predict(self, newdata: pd.DataFrame, *, type: str = "response") -> pd.Series:
        """Predictions for ``newdata`` (fixed-effect levels not seen in the fit give NaN).

        Parameters
        ----------
        newdata : DataFrame
            Must contain the regressor and fixed-effect columns (and the offset column if the
            model used one given by name; array offsets are not applied).
        type : {"response", "link"}
            Fitted mean (``exp`` of the index for PPML) or the linear index.
        """
        check_choice("type", type, ("response", "link"))
        from formulaic import model_matrix

        if self.state.i_levels:
            _, newdata, _ = expand_i_terms(self.state.rhs, newdata, self.state.i_levels)
        X = model_matrix(self.state.spec, newdata, na_action="ignore")
        cols = [str(c) for c in X.columns]
        X = np.asarray(X, dtype=float)[:, [cols.index(n) for n in self.state.names]]
        eta = X @ self.params.reindex(self.state.names).to_numpy()
        for terms, levels, coefs in zip(
            self.state.fe_terms, self.state.fe_levels, self.state.fe_coefs, strict=True
        ):
            eta = eta + _map_levels(newdata, terms, levels, coefs)
        offset = self.state.offset_column
        if offset is not None:
            eta = eta + newdata[offset].to_numpy(dtype=float)
        out = np.exp(eta) if (type == "response" and self.state.link == "log") else eta
        return pd.Series(out, index=newdata.index, name="prediction")


def _map_levels(
    newdata: pd.DataFrame, terms: tuple[str, ...], levels: pd.DataFrame, coefs: np.ndarray
) -> np.ndarray:
    table = levels.assign(_coef=coefs)
    merged = newdata[list(terms)].merge(table, on=list(terms), how="left")
    return merged["_coef"].to_numpy(dtype=float)


def _cov_fields(
    names: list[str], cov: np.ndarray, df_t: float, label: str, ssc: str
) -> dict[str, Any]:
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    return {
        "std_errors": pd.Series(se, index=names, name="std_error"),
        "cov": pd.DataFrame(cov, index=names, columns=names),
        "df_resid": float(df_t),
        "cov_type": label,
        "ssc": ssc,
    }


def fe_level_tables(
    data: pd.DataFrame, terms: tuple[tuple[str, ...], ...], old_codes: list[np.ndarray]
) -> list[pd.DataFrame]:
    """Level tables of the fixed effects restricted to the levels kept in the fit."""
    out = []
    for names, used in zip(terms, old_codes, strict=True):
        _, levels = factorize_fe(data, names)
        out.append(levels.iloc[used].reset_index(drop=True))
    return out

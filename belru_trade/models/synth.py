"""Synthetic control for one treated flow with a donor pool (Abadie, Diamond & Hainmueller)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from belru_trade._frames import as_pandas, period_index
from belru_trade._validation import check_choice, check_period, check_unique_columns
from belru_trade.errors import (
    BelruTradeWarning,
    ConvergenceError,
    InvalidArgumentError,
    ShortSeriesError,
)
from belru_trade.models.its.design import coerce_series
from belru_trade.trade.selection import select

__all__ = ["POOR_FIT", "SynthResults", "synth", "synth_weights"]

# short names for the private helpers' signatures
_DF = pd.DataFrame
_Arr = np.ndarray

POOR_FIT = 0.10  # pre-RMSPE / mean |treated pre-period outcome| above which a warning is given


def synth_weights(x1: np.ndarray, X0: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """Convex weights minimising ``(x1 - X0 w)' V (x1 - X0 w)``, ``w >= 0``, ``sum w = 1``.

    Solved on a problem scaled to unit size: Lawson-Hanson NNLS with the adding-up
    constraint as a heavily weighted extra row gives the support, the KKT system on that
    support gives the exact weights, and the KKT conditions are checked on every donor;
    if they fail, SLSQP (analytic gradient) polishes from there. Raises
    ConvergenceError if that fails too.

    >>> X0 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> synth_weights(X0 @ np.array([0.25, 0.75]), X0).round(6).tolist()
    [0.25, 0.75]
    """
    J = X0.shape[1]
    v = np.ones(len(x1)) if v is None else np.asarray(v, dtype=float)
    scale = np.sqrt(np.sum(v * x1**2)) + np.sqrt(np.sum(v[:, None] * X0**2)) + 1e-300
    A = X0 * np.sqrt(v)[:, None] / scale
    b = x1 * np.sqrt(v) / scale
    H = A.T @ A
    f = A.T @ b

    start = _polish(H, f, _nnls_start(A, b))
    if _kkt_holds(H, f, start):
        return start

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        Hw = H @ w
        return float(w @ Hw - 2 * f @ w), 2 * (Hw - f)

    res = optimize.minimize(  # type: ignore[call-overload]  # scipy-stubs reject the dict constraint
        objective,
        start,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * J,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(J)}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    if not res.success:
        raise ConvergenceError(f"synthetic-control weights: SLSQP failed ({res.message})")
    w = np.clip(res.x, 0.0, None)
    return _polish(H, f, w / w.sum())


def _nnls_start(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Simplex-constrained least squares, the equality as a heavily weighted row (NNLS)."""
    J = A.shape[1]
    big = 1e3 * max(1.0, float(np.abs(A).max()))
    try:
        w, _ = optimize.nnls(np.vstack([A, np.full((1, J), big)]), np.r_[b, big], maxiter=50 * J)
    except RuntimeError:  # iteration limit: start SLSQP from equal weights
        return np.full(J, 1.0 / J)
    total = w.sum()
    return w / total if total > 0 else np.full(J, 1.0 / J)


def _kkt_holds(H: np.ndarray, f: np.ndarray, w: np.ndarray) -> bool:
    """KKT conditions of the simplex QP: equal gradients on the support, no smaller off it."""
    g = 2 * (H @ w - f)
    support = w > 0
    if not support.any() or abs(w.sum() - 1.0) > 1e-12:
        return False
    lam = -float(np.mean(g[support]))
    tol = 1e-9 * (1.0 + float(np.abs(g).max()) + abs(lam))
    return bool(np.all(np.abs(g[support] + lam) <= tol) and np.all(g[~support] + lam >= -tol))


def _polish(H: np.ndarray, f: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Solve the KKT system on SLSQP's support exactly; keep it if feasible and no worse."""
    support = w > 1e-6 * w.max()
    m = int(support.sum())
    kkt = np.zeros((m + 1, m + 1))
    kkt[:m, :m] = 2 * H[np.ix_(support, support)]
    kkt[:m, m] = kkt[m, :m] = 1.0
    try:
        sol = np.linalg.solve(kkt, np.r_[2 * f[support], 1.0])
    except np.linalg.LinAlgError:
        return w
    exact = np.zeros_like(w)
    exact[support] = sol[:m]
    loss = lambda x: x @ H @ x - 2 * f @ x  # noqa: E731
    if (exact >= 0).all() and loss(exact) <= loss(w) + 1e-15:
        return exact
    return w


@dataclass(frozen=True)
class SynthResults:
    """Results of :func:`synth` (immutable).

    Attributes
    ----------
    weights : pandas.Series
        Donor weights (non-negative, sum to one).
    path : pandas.DataFrame
        By period: ``treated``, ``synthetic``, ``gap`` (treated minus synthetic).
    pre_rmspe, post_rmspe, rmspe_ratio : float
        Root mean squared gap before / after ``start`` and post/pre ratio.
    pre_rmspe_relative : float
        ``pre_rmspe`` divided by the treated unit's mean absolute pre-period outcome; above
        ``POOR_FIT`` (10 %) a warning says the synthetic control does not track the
        treated unit.
    predictor_weights : pandas.Series or None
        ``V`` on the standardised predictors when chosen by ``predictor_weights='nested'``.
    placebos : pandas.DataFrame or None
        In-space placebos, one row per unit (the treated unit included): ``pre_rmspe``,
        ``post_rmspe``, ``rmspe_ratio``, ``treated`` (bool).
    placebo_gaps : pandas.DataFrame or None
        Gap paths of every placebo unit (columns).
    p_value : float
        Share of units whose RMSPE ratio is at least the treated unit's (Abadie et al.
        2010); NaN without placebos.
    start : pandas.Period
    """

    weights: pd.Series
    path: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float
    placebos: pd.DataFrame | None
    placebo_gaps: pd.DataFrame | None
    p_value: float
    start: pd.Period
    predictor_balance: pd.DataFrame
    pre_rmspe_relative: float = float("nan")
    predictor_weights: pd.Series | None = None

    def summary(self) -> str:
        """Printable text: donor weights, pre-period fit, RMSPE ratio and p-value."""
        return repr(self)

    def __repr__(self) -> str:
        donors = ", ".join(f"{k} {v:.3f}" for k, v in self.weights[self.weights > 1e-4].items())
        return (
            f"Synthetic control from {self.start}: weights {donors}; pre-RMSPE "
            f"{self.pre_rmspe:.4g} ({self.pre_rmspe_relative:.1%} of the treated pre-period "
            f"mean), post/pre ratio {self.rmspe_ratio:.3g}, p = {self.p_value:.3f}"
        )

    def tidy(self) -> pd.DataFrame:
        """One row: average post-period gap (treated minus synthetic), its relative size,
        the cumulative gap, RMSPE figures and the placebo p-value."""
        post = self.path.loc[self.path.index >= self.start]
        return pd.DataFrame(
            {
                "term": ["average_gap"],
                "estimate": [post["gap"].mean()],
                "relative": [post["gap"].sum() / post["synthetic"].sum()],
                "cumulative_gap": [post["gap"].sum()],
                "pre_rmspe": [self.pre_rmspe],
                "pre_rmspe_relative": [self.pre_rmspe_relative],
                "post_rmspe": [self.post_rmspe],
                "rmspe_ratio": [self.rmspe_ratio],
                "p_value": [self.p_value],
            }
        )

    def plot(self, *, kind: str = "gap", unit: str | None = None, ax: Any = None) -> Any:
        """``kind='gap'``: treated gap with placebo gaps in grey; ``'paths'``: both paths.

        Returns a :class:`matplotlib.figure.Figure` (that of ``ax`` when given).
        """
        from belru_trade.plotting import (
            PALETTE,
            label_axes,
            mark_interventions,
            on_axes,
            series_line,
            time_axis,
        )

        if kind not in ("gap", "paths"):
            raise InvalidArgumentError(f"kind={kind!r} is not allowed; expected 'gap' or 'paths'")
        fig, ax = on_axes(ax)
        index = self.path.index
        if kind == "paths":
            series_line(ax, index, self.path["treated"], role="fitted", label="treated")
            series_line(ax, index, self.path["synthetic"], role="counterfactual", style="--",
                        label="synthetic")  # fmt: skip
            label_axes(ax, y="Value", unit=unit, title="Synthetic control: paths")
            ax.legend(loc="best", fontsize=8)
        else:
            if self.placebo_gaps is not None:
                for col in self.placebo_gaps.columns:
                    series_line(ax, index, self.placebo_gaps[col], role="placebo", linewidth=0.7)
            series_line(ax, index, self.path["gap"], role="fitted", linewidth=1.5,
                        label="treated gap")  # fmt: skip
            ax.axhline(0.0, color=PALETTE["zero"], linewidth=0.8)
            label_axes(ax, y="Gap (treated - synthetic)", unit=unit, title="Synthetic control")
        mark_interventions(ax, [str(self.start)])
        time_axis(ax)
        return fig


def _wide(
    data: pd.DataFrame,
    unit: str | None,
    selector: dict | None,
    column: str,
    treated: str | None = None,
) -> pd.DataFrame:
    data = as_pandas(data)
    if "period" not in data.columns:
        wide = data.copy()
    else:
        if unit is None or unit not in data.columns:
            raise InvalidArgumentError(f"unit={unit!r} must name a panel column (e.g. 'partner')")
        rows = select(data, selector)
        wide = rows.pivot_table(index="period", columns=unit, values=column, aggfunc="sum")
        if not pd.api.types.is_integer_dtype(wide.index.dtype):  # integer years stay
            wide.index = pd.PeriodIndex(wide.index)
    zero = [c for c in wide.columns if str(c) != str(treated) and (wide[c].fillna(1.0) == 0).all()]
    if zero:
        warnings.warn(
            f"donors {[str(c) for c in zero]} are zero in every period and were dropped",
            BelruTradeWarning,
            stacklevel=3,
        )
        wide = wide.drop(columns=zero)
    for col in wide.columns:
        wide[col] = coerce_series(wide[col], name=f"data[{col!r}]").to_numpy()
    wide.index = coerce_series(pd.Series(1.0, index=wide.index), name="data").index
    wide.columns = wide.columns.astype(str)
    return wide


def _fit_one(
    Y: pd.DataFrame, treated: str, donors: list[str], pre: _Arr, P: _DF | None, v: _Arr | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    if P is None:
        x1, X0 = Y.loc[pre, treated].to_numpy(), Y.loc[pre, donors].to_numpy()
    else:
        x1, X0 = P[treated].to_numpy(float), P[donors].to_numpy(float)
    w = synth_weights(x1, X0, v)
    synthetic = Y[donors].to_numpy() @ w
    gap = Y[treated].to_numpy() - synthetic
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[~pre] ** 2)))
    return w, synthetic, gap, pre_rmspe, post_rmspe


def _predictor_weights(P: pd.DataFrame | None, weights: Any) -> np.ndarray | None:
    if P is None:
        return None if weights is None else np.asarray(weights, float)
    if weights is None:  # normalise every predictor by its spread across units
        spread = P.var(axis=1, ddof=1).to_numpy()
        return 1.0 / np.where(spread > 0, spread, 1.0)
    v = pd.Series(weights).reindex(P.index) if isinstance(weights, dict | pd.Series) else weights
    v = np.asarray(v, dtype=float)
    if v.shape != (len(P),) or not np.all(np.isfinite(v)) or (v < 0).any():
        raise InvalidArgumentError(
            f"predictor_weights must be {len(P)} non-negative numbers (one per predictor)"
        )
    return v


def _placebos(
    Y: pd.DataFrame, treated: str, donors: list[str], pre: _Arr, P: _DF | None, v: _Arr | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, gaps = [], {}
    for unit in donors:
        pool = [d for d in donors if d != unit]
        _, _, gap, pre_r, post_r = _fit_one(Y, unit, pool, pre, P, v)
        gaps[unit] = gap
        rows.append({"unit": unit, "pre_rmspe": pre_r, "post_rmspe": post_r})
    table = pd.DataFrame(rows)
    table["rmspe_ratio"] = table["post_rmspe"] / table["pre_rmspe"]
    return table, pd.DataFrame(gaps, index=Y.index)


def synth(
    data: pd.DataFrame,
    treated: str,
    start: Any,
    *,
    donors: Sequence[str] | None = None,
    predictors: pd.DataFrame | None = None,
    predictor_weights: Any = None,
    placebos: bool = True,
    unit: str | None = None,
    selector: dict[str, Any] | None = None,
    column: str = "value",
) -> SynthResults:
    """Synthetic control: a convex combination of donor flows tracking the treated flow.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide (index = consecutive periods, dates or integer years such as 2010, 2011, ...;
        one column per unit) or a tidy panel with
        ``unit`` naming the column that identifies units (e.g. ``'partner'`` for BE exports
        of one product to many destinations) and ``selector`` filtering rows.
    treated : str
        The treated unit (column).
    start : str, int or Period
        First treated period (``2014`` or ``"2014"`` for annual data).
    donors : sequence of str, optional
        Donor pool (default: every other unit).
    predictors : pandas.DataFrame, optional
        Predictor values (rows = predictors, columns = units, e.g. pre-period averages,
        GDP). Default: every pre-period outcome is a predictor (unit weights).
    predictor_weights : sequence, dict or 'nested', optional
        Diagonal of ``V``; default with ``predictors``: inverse cross-unit variance of each
        predictor (fixed). ``'nested'`` chooses ``V`` by the nested optimisation of Abadie,
        Diamond & Hainmueller (2010) (:mod:`belru_trade.models.synth_v`); placebos then
        reuse the treated unit's ``V``.
    placebos : bool, default True
        Run in-space placebos (each donor treated in turn, the rest as its pool).

    Returns
    -------
    SynthResults

    Raises
    ------
    InvalidArgumentError
        Unknown units, bad predictors, gaps or missing values.
    ShortSeriesError
        Fewer than 2 pre or 1 post periods.
    ConvergenceError
        The QP solver failed.

    Notes
    -----
    Weights solve ``min_w (X1 - X0 w)' V (X1 - X0 w)`` s.t. ``w_j >= 0``, ``sum_j w_j = 1``;
    the synthetic path is ``Y0 w`` and the gap ``Y1 - Y0 w``. Inference: the treated
    unit's post/pre RMSPE ratio ranked among the in-space placebos; the p-value is
    ``#{units with ratio >= treated ratio} / (J + 1)``.

    References
    ----------
    Abadie, Diamond & Hainmueller (2010), JASA 105(490):493-505.
    Abadie (2021), J. Econ. Lit. 59(2):391-425.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import belru_trade as bt
    >>> idx = pd.period_range("2010-01", periods=60, freq="M")
    >>> rng = np.random.default_rng(0)
    >>> donors = pd.DataFrame(rng.normal(100, 10, (60, 4)).cumsum(0), index=idx,
    ...                       columns=["DE", "FR", "NL", "PL"])
    >>> data = donors.assign(RU=0.7 * donors["DE"] + 0.3 * donors["NL"])
    >>> res = bt.synth(data, treated="RU", start="2014-08", placebos=False)
    >>> res.weights.round(3).to_dict()
    {'DE': 0.7, 'FR': 0.0, 'NL': 0.3, 'PL': 0.0}
    """
    check_unique_columns("data", data)
    check_choice("placebos", placebos, (True, False))
    Y = _wide(data, unit, selector, column, treated)
    if treated not in Y.columns:
        raise InvalidArgumentError(f"treated={treated!r} is not a unit; units: {list(Y.columns)}")
    pool = [str(d) for d in (donors if donors is not None else Y.columns) if str(d) != treated]
    unknown = [d for d in pool if d not in Y.columns]
    if unknown or len(pool) < 2:
        raise InvalidArgumentError(
            f"donors={list(donors or [])!r}: unknown units {unknown} or fewer than 2 donors"
        )
    first = check_period("start", start, period_index(Y).freqstr[0])
    pre = np.asarray(Y.index < first)
    if pre.sum() < 2 or (~pre).sum() < 1:
        raise ShortSeriesError(
            f"start={start!r} leaves {pre.sum()} pre and {(~pre).sum()} post periods; "
            "need at least 2 and 1"
        )
    P = None
    if predictors is not None:
        missing = [u for u in [treated, *pool] if u not in predictors.columns]
        if missing:
            raise InvalidArgumentError(f"predictors lacks columns for units {missing}")
        P = predictors.copy()
        P.columns = P.columns.astype(str)
    v, v_report = _choose_v(Y, treated, pool, pre, P, predictor_weights)
    w, synthetic, gap, pre_r, post_r = _fit_one(Y, treated, pool, pre, P, v)
    res = _results(Y, treated, pool, pre, P, v, first, placebos, (w, synthetic, gap, pre_r, post_r))
    return dataclasses.replace(res, predictor_weights=v_report)


def _choose_v(
    Y: pd.DataFrame,
    treated: str,
    pool: list[str],
    pre: np.ndarray,
    P: pd.DataFrame | None,
    predictor_weights: Any,
) -> tuple[np.ndarray | None, pd.Series | None]:
    if not isinstance(predictor_weights, str):
        return _predictor_weights(P, predictor_weights), None
    if predictor_weights != "nested" or P is None:
        raise InvalidArgumentError(
            f"predictor_weights={predictor_weights!r}: the only named choice is 'nested', "
            "which needs predictors"
        )
    from belru_trade.models.synth_v import nested_v

    fit = nested_v(
        P[treated].to_numpy(float),
        P[pool].to_numpy(float),
        Y.loc[pre, treated].to_numpy(),
        Y.loc[pre, pool].to_numpy(),
        solve=synth_weights,
    )
    return fit.v, pd.Series(fit.v_scaled, index=P.index, name="V")


def _results(
    Y: pd.DataFrame,
    treated: str,
    pool: list[str],
    pre: np.ndarray,
    P: pd.DataFrame | None,
    v: np.ndarray | None,
    first: pd.Period,
    placebos: bool,
    fit: tuple[np.ndarray, np.ndarray, np.ndarray, float, float],
) -> SynthResults:
    w, synthetic, gap, pre_r, post_r = fit
    ratio = post_r / pre_r if pre_r > 0 else np.inf
    table = gaps = None
    p_value = float("nan")
    if placebos:
        table, gaps = _placebos(Y, treated, pool, pre, P, v)
        table["treated"] = False
        own = pd.DataFrame(
            [{"unit": treated, "pre_rmspe": pre_r, "post_rmspe": post_r, "rmspe_ratio": ratio}]
        ).assign(treated=True)
        table = pd.concat([own, table], ignore_index=True)
        p_value = float((table["rmspe_ratio"] >= ratio).mean())
    if pre_r == 0:
        warnings.warn("pre-period fit is exact (RMSPE 0)", BelruTradeWarning, stacklevel=3)
    scale = float(np.mean(np.abs(Y.loc[pre, treated])))
    relative = pre_r / scale if scale > 0 else float("inf")
    if relative > POOR_FIT:
        warnings.warn(
            f"poor pre-period fit: RMSPE {pre_r:.4g} is {relative:.0%} of the treated unit's "
            f"mean pre-period outcome ({scale:.4g}); the synthetic control does not track "
            f"{treated!r}, so its gap and p-value are not informative (Abadie 2021 advises "
            "against using it); try predictors, other donors or a comparative ITS",
            BelruTradeWarning,
            stacklevel=3,
        )
    x1 = Y.loc[pre, treated] if P is None else P[treated]
    X0 = Y.loc[pre, pool] if P is None else P[pool]
    balance = pd.DataFrame(
        {"treated": x1.to_numpy(), "synthetic": X0.to_numpy() @ w, "donor_mean": X0.mean(axis=1)}
    )
    return SynthResults(
        weights=pd.Series(w, index=pool, name="weight"),
        path=pd.DataFrame(
            {"treated": Y[treated].to_numpy(), "synthetic": synthetic, "gap": gap}, index=Y.index
        ),
        pre_rmspe=pre_r,
        post_rmspe=post_r,
        rmspe_ratio=ratio,
        placebos=table,
        placebo_gaps=gaps,
        p_value=p_value,
        start=first,
        predictor_balance=balance.set_index(x1.index),
        pre_rmspe_relative=relative,
    )

"""Ex-post lost trade of sanctions and "friendly fire" (``bt.lost_trade``).

Following Crozet & Hinz (2020), lost trade is the trade predicted without the measures minus
actual trade. The prediction comes from a product-level gravity (PPML) fit on the exporters'
monthly flows of each product to the target:

    X_ipt = exp(b_T * T_ipt + b_F * F_ipt + FE_ip + FE_pt) * e_ipt,

where ``T`` marks flows covered by the events (sanctioning origin, listed product, in force:
:func:`belru_trade.events.treatment`) and ``F`` ("friendly fire") marks the same origins'
flows of products *not* listed, after the measures started. Exporters outside the events'
scope are the controls; product x month effects absorb the target's demand for each product.
Without the measures a treated cell would have been ``X_hat * exp(-b)``; lost trade per cell
is ``X_hat * exp(-b) - X``. Confidence intervals use the delta method on ``(b_T, b_F)``
(cluster-robust by exporter x product), holding the fixed effects at their estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade._validation import check_choice, check_period, check_positive_int
from belru_trade._warnings import expected
from belru_trade.errors import InvalidArgumentError, NotCoveredError, SeparationWarning
from belru_trade.trade.selection import select

__all__ = ["LostTradeResult", "LostTradeResults", "lost_trade"]

_TERMS = ("targeted", "friendly_fire")


@dataclass(frozen=True)
class LostTradeResults:
    """Result of :func:`lost_trade` (immutable).

    Attributes
    ----------
    cells : DataFrame
        Treated cells: ``reporter``, ``product``, ``sector``, ``period``, ``group``
        (``targeted`` / ``non-targeted``), ``actual``, ``predicted``, ``counterfactual``,
        ``lost``.
    params : Series
        ``targeted`` and ``friendly_fire`` PPML coefficients.
    cov : DataFrame
        Their covariance.
    level : float
        Confidence level.
    events : tuple of str
    currency : str
        Currency of the values (``currency`` column of the panel, e.g. "USD" for UN
        Comtrade); the summary's money columns are in it.
    """

    cells: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    level: float
    events: tuple[str, ...]
    currency: str = "unknown currency"

    def summary(self, by: Sequence[str] = ("reporter", "group"), window: Any = None) -> str:
        """Printable text: the coefficients and the :meth:`tidy` table.

        Changed: ``summary()`` used to return the table itself, which is now :meth:`tidy`
        (every results class: ``summary()`` text, ``tidy()`` DataFrame).
        """
        table = self.tidy(by, window)
        params = ", ".join(f"{k} {v:.4f}" for k, v in self.params.items())
        return "\n".join(
            [
                f"Lost trade ({', '.join(self.events)}), {self.currency}, {self.level:.0%} "
                f"delta-method intervals; PPML coefficients: {params}",
                table.to_string(index=False, float_format=lambda v: f"{v:.6g}"),
            ]
        )

    def tidy(self, by: Sequence[str] = ("reporter", "group"), window: Any = None) -> pd.DataFrame:
        """Lost trade cumulated over ``window`` by the given keys, with delta-method CIs.

        Parameters
        ----------
        by : sequence of str
            Any of ``reporter``, ``product``, ``sector``, ``period``, ``group``.
        window : (start, end), optional
            Months to cumulate over (inclusive); default all treated months.

        Returns
        -------
        DataFrame
            ``actual``, ``counterfactual``, ``lost``, ``se``, ``conf_low``, ``conf_high``
            (in ``currency``), ``lost_share`` (lost / counterfactual) and ``currency``.
        """
        by = list(by)
        for key in by:
            check_choice("by", key, ("reporter", "product", "sector", "period", "group"))
        cells = _in_window(self.cells, window)
        if cells.empty:
            raise NotCoveredError(f"window={window!r}: no treated cells in it")
        q = stats.norm.ppf(0.5 + self.level / 2)
        cov = self.cov.reindex(index=_TERMS, columns=_TERMS).fillna(0.0).to_numpy()
        rows = []
        for key, group in cells.groupby(by, sort=True) if by else [((), cells)]:
            grad = np.array(
                [-group.loc[group["term"] == t, "counterfactual"].sum() for t in _TERMS]
            )
            se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
            lost = float(group["lost"].sum())
            cf = float(group["counterfactual"].sum())
            key = key if isinstance(key, tuple) else (key,)
            rows.append(
                (*key, float(group["actual"].sum()), cf, lost, se, lost - q * se, lost + q * se)
            )
        cols = [*by, "actual", "counterfactual", "lost", "se", "conf_low", "conf_high"]
        out = pd.DataFrame(rows, columns=cols)
        out["lost_share"] = out["lost"] / out["counterfactual"]
        out["currency"] = self.currency
        return out


def _in_window(cells: pd.DataFrame, window: Any) -> pd.DataFrame:
    if window is None:
        return cells
    start, end = _window(window)
    return cells[(cells["period"] >= start) & (cells["period"] <= end)]


def _window(window: Any) -> tuple[pd.Period, pd.Period]:
    if isinstance(window, str):
        window = window.split(":")
    if not isinstance(window, Sequence) or len(window) != 2:
        raise InvalidArgumentError(f"window={window!r} must be (start, end) or 'YYYY-MM:YYYY-MM'")
    start = check_period("window", window[0], "M")
    end = check_period("window", window[1], "M", side="end")
    if end < start:
        raise InvalidArgumentError(f"window={window!r} ends before it starts")
    return start, end


def _sector(code: str, period: pd.Period) -> str:
    from belru_trade.trade import products

    try:
        name = products.sector_of(code, period)
    except Exception:  # registry lookups are best effort: fall back to the HS chapter
        name = None
    return name or f"HS{code[:2]}"


def _complete(rows: pd.DataFrame) -> pd.DataFrame:
    """Zero-fill months in which a reporter reported other products but not this one."""
    span = rows.groupby("reporter")["period"].agg(["min", "max"])
    frames = []
    for (rep, prod), group in rows.groupby(["reporter", "product"], sort=False):
        months = pd.period_range(span.loc[rep, "min"], span.loc[rep, "max"], freq="M")
        values = group.set_index("period")["value"].reindex(months, fill_value=0.0)
        frames.append(
            pd.DataFrame({"reporter": rep, "product": prod, "period": months, "value": values})
        )
    return pd.concat(frames, ignore_index=True)


def _design(
    panel: pd.DataFrame, events: list[str], target: str, flow: str, span: tuple
) -> pd.DataFrame:
    from belru_trade import events as registry

    rows = select(panel, partner=target, flow=flow, missing="drop", exclude={"product": "TOTAL"})
    rows = rows[rows["reporter"].str.fullmatch(r"[A-Z]{2}")]  # drop aggregates (EU28, ...)
    rows = select(rows, period=slice(span[0], span[1]))
    if rows.empty:
        raise NotCoveredError(f"the panel has no {flow}s with {target} to estimate lost trade")
    length = rows["product"].str.len().mode().iloc[0]
    rows = rows[rows["product"].str.len() == length]
    rows = _complete(rows[["reporter", "product", "period", "value"]])
    rows = rows.assign(partner=target, flow=flow)
    targeted = registry.treatment(rows, events).to_numpy(bool)
    months = pd.DataFrame({"period": rows["period"].unique()})
    step = registry.treatment(months.assign(reporter="", partner="", product="", flow=flow),
                              events, kind="step")  # fmt: skip
    flags = dict(zip(months["period"], step.to_numpy(bool), strict=True))
    post = rows["period"].map(flags).to_numpy(bool)
    origins = set().union(*(registry.get(e).origins or set() for e in events))
    sanctioning = rows["reporter"].isin(origins).to_numpy()
    rows["targeted"] = targeted.astype(float)
    rows["friendly_fire"] = (sanctioning & post & ~targeted).astype(float)
    rows["ip"] = rows["reporter"] + "_" + rows["product"]
    rows["pt"] = rows["product"] + "_" + rows["period"].astype(str)
    return rows


def lost_trade(
    panel: pd.DataFrame | None = None,
    events: str | Sequence[str] = "RU-2014-RES778",
    *,
    target: str = "RU",
    flow: str = "export",
    reporter: str | Sequence[str] | None = None,
    window: Any = None,
    pre_months: int = 36,
    level: float = 0.95,
) -> LostTradeResults:
    """Trade lost to sanctions: predicted without the measures minus actual.

    Parameters
    ----------
    panel : DataFrame, optional
        Tidy panel of every exporter's monthly flows of products with ``target``
        (sanctioning and non-sanctioning exporters). Default: the snapshot's UN Comtrade
        extract (meat and fish trade with Russia, 2010-2020; USD), present in the source tree
        only (not in the wheel: UN Comtrade's terms); elsewhere pass a panel fetched with
        ``bt.sources.comtrade``.
    events : str or sequence of str
        Registry event ids defining the measures (:mod:`belru_trade.events`).
    target : str, default "RU"
        The partner country.
    flow : {"export", "import"}
        ``"export"``: reporters' exports to the target (mirror of the target's imports).
    reporter : str or list of str, optional
        Keep only these reporters in the result (the fit always uses all exporters).
    window : (start, end) or "YYYY-MM:YYYY-MM", optional
        Keep only treated months in this window; the fit uses data up to its end.
    pre_months : int, default 36
        Months before the first event's entry into force used in the fit.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    LostTradeResults
        ``cells`` (by reporter, product, sector, month, targeted or not), ``summary(by=...,
        window=...)`` with delta-method intervals.

    Raises
    ------
    InvalidArgumentError
        Bad flow, level or window.
    NotCoveredError
        No flows with the target, no treated cells, or a reporter not in the panel.

    Notes
    -----
    ``X_ipt = exp(b_T T_ipt + b_F F_ipt + FE_ip + FE_pt)``; lost trade of a treated cell
    ``L = X_hat exp(-b) - X``; ``Var(sum L) = g' V g`` with ``g_k = -sum_k X_hat exp(-b_k)``.

    References
    ----------
    Crozet, M., & Hinz, J. (2020). Friendly fire: the trade impact of the Russia sanctions
    and counter-sanctions. Economic Policy 35(101), 97-146.

    Examples
    --------
    >>> per = pd.period_range("2014-02", "2014-12", freq="M")
    >>> rows = [(r, "RU", p, "export", m, 100.0 * (1 + 0.1 * ((k * 7 + j * 3 + i) % 5))
    ...          * (0.2 if (r in ("BE", "NL") and p == "0203" and m >= per[6]) else 1.0))
    ...         for i, r in enumerate(["BE", "NL", "BR", "AR"])
    ...         for j, p in enumerate(["0203", "0204"]) for k, m in enumerate(per)]
    >>> panel = pd.DataFrame(rows, columns=["reporter", "partner", "product", "flow",
    ...                                     "period", "value"])
    >>> res = lost_trade(panel, "RU-2014-RES778")
    >>> round(float(res.params["targeted"]), 2)
    -1.58
    >>> res.tidy(by=["group"])["group"].tolist()
    ['non-targeted', 'targeted']
    """
    check_choice("flow", flow, ("export", "import"))
    if not 0 < level < 1:
        raise InvalidArgumentError(f"level={level!r} must be strictly between 0 and 1")
    ids = [events] if isinstance(events, str) else list(events)
    if panel is None:
        from belru_trade.store.snapshot import load_snapshot

        panel = load_snapshot("comtrade", partner=target, flow=flow)
    rows = _design(panel, ids, target, flow, _span(ids, window, pre_months))
    terms = [t for t in _TERMS if rows[t].any()]
    if not terms:
        raise NotCoveredError(f"events={ids!r}: no treated flows in the panel")
    fit = _fit(rows, terms)
    cells = _cells(rows, fit, terms)
    if reporter is not None:
        wanted = [reporter] if isinstance(reporter, str) else list(reporter)
        missing = sorted(set(wanted) - set(cells["reporter"]))
        if missing:
            raise NotCoveredError(f"reporter={missing!r}: no treated flows for it in the panel")
        cells = select(cells, reporter=wanted)
    cells = _in_window(cells, window).reset_index(drop=True)
    params = fit.params.reindex(list(terms))
    cov = fit.cov.loc[list(terms), list(terms)]
    return LostTradeResults(cells, params, cov, level, tuple(ids), _currency(panel))


def _currency(panel: pd.DataFrame) -> str:
    if "currency" not in panel:
        return "unknown currency"
    found = sorted(str(c) for c in panel["currency"].dropna().unique())
    return "/".join(found) if found else "unknown currency"


def _span(ids: list[str], window: Any, pre_months: int) -> tuple[pd.Period, pd.Period]:
    from belru_trade import events as registry

    check_positive_int("pre_months", pre_months, 6)
    first = min(pd.Period(registry.get(e).in_force, freq="M") for e in ids)
    end = _window(window)[1] if window is not None else pd.Period("2100-12", freq="M")
    return first - pre_months, end


def _fit(rows: pd.DataFrame, terms: list[str]):
    from belru_trade.models.hdfe.ppml import ALL_ZERO_GROUPS_DROPPED, VANISHING_MEANS, ppml

    # the ReLU separation check is slow on zero-filled monthly panels; the FE and simplex
    # checks cover the all-zero groups and regressor separation of 0/1 dummies. Expected,
    # so not shown: all-zero groups of the zero-filled panel, and zero cells whose fitted
    # means vanish (they predict no trade, so they add nothing to lost trade). Anything
    # else (separation by the regressors, few clusters, ...) reaches the user.
    with expected(
        (SeparationWarning, ALL_ZERO_GROUPS_DROPPED), (SeparationWarning, VANISHING_MEANS)
    ):
        return ppml(
            f"value ~ {' + '.join(terms)} | ip + pt",
            data=rows,
            cluster="ip",
            separation=("fe", "simplex"),
            drop_collinear=False,
        )


def _cells(rows: pd.DataFrame, fit: Any, terms: list[str]) -> pd.DataFrame:
    treated = rows[rows[terms].sum(axis=1) > 0].copy()
    kept = treated.index.difference(fit.dropped.index) if len(fit.dropped) else treated.index
    treated = treated.loc[kept]
    predicted = fit.predict(treated).to_numpy()
    term = np.where(treated["targeted"] > 0, "targeted", "friendly_fire")
    beta = fit.params.reindex(_TERMS).fillna(0.0)
    counterfactual = predicted * np.exp(-beta.loc[term].to_numpy())
    first = treated["period"].min()
    sectors = {p: _sector(p, first) for p in treated["product"].unique()}
    return pd.DataFrame(
        {
            "reporter": treated["reporter"].to_numpy(),
            "product": treated["product"].to_numpy(),
            "sector": treated["product"].map(sectors).to_numpy(),
            "period": treated["period"].to_numpy(),
            "term": term,
            "group": np.where(term == "targeted", "targeted", "non-targeted"),
            "actual": treated["value"].to_numpy(dtype=float),
            "predicted": predicted,
            "counterfactual": counterfactual,
            "lost": counterfactual - treated["value"].to_numpy(dtype=float),
        }
    )


#: former name, kept as an alias (results classes are named ``...Results``)
LostTradeResult = LostTradeResults

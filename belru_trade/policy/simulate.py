"""Ex-ante simulation of a proposed sanction measure (``bt.Measure``, ``bt.simulate``).

For each sender member state and sector (HS chapter) the simulation projects the affected
flow's recent trend over the horizon (the baseline), applies the proportional effect of the
measure (estimated from analogue measures or user-given) net of leakage through third
countries, and propagates the uncertainty of the trend, the effect and the leakage by Monte
Carlo. Both sides are reported: the cost to the sender's members and, from the same flows seen
as mirror flows, to the target.

Examples
--------
>>> m = Measure(sender=["BE"], target="RU", kind="export_ban", products=["7102"],
...             start="2021-01")
>>> m.describe()
'export ban by BE on RU, products 7102, from 2021-01'
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from belru_trade._validation import check_int_range
from belru_trade.errors import BelruTradeWarning, InvalidArgumentError
from belru_trade.policy.baseline import Trend, affected_flows, fit_trends
from belru_trade.policy.effects import TRANSIT, Effect
from belru_trade.policy.measure import Analogue, Leakage, Measure, default_analogues
from belru_trade.policy.resolve import resolve_effect, resolve_leakage
from belru_trade.trade.selection import select

__all__ = ["Analogue", "Measure", "SimulationResult", "SimulationResults", "simulate"]

#: largest horizon simulated (20 years) and number of Monte Carlo draws
MAX_HORIZON = 240
MAX_DRAWS = 100_000
#: months of the pre-measure trend window (six at least, forty years at most)
MIN_WINDOW, MAX_WINDOW = 6, 480


@dataclass(frozen=True)
class SimulationResults:
    """Outcome of :func:`simulate` (immutable).

    Attributes
    ----------
    measure : Measure
    rows : DataFrame
        One row per member x sector: ``member``, ``sector``, ``baseline`` (projected value
        over the horizon, EUR; mean over the Monte Carlo trend draws, so that it is on the
        same footing as the expected loss), ``total_baseline`` (member's projected total
        trade with the target in the same direction, EUR, NaN if unknown).
    draws : ndarray (n_draws, n_rows)
        Monte Carlo draws of the loss (EUR) per row.
    leakage_draws : ndarray (n_draws,)
    effect : Effect
    leakage : Leakage
    assumptions : dict
        Every assumption, printed in the brief.
    level : float
        Interval level.
    baseline_draws : ndarray (n_draws, n_rows), optional
        Monte Carlo draws of the baseline (EUR) per row; the loss of a draw never exceeds
        the baseline of the same draw.
    """

    measure: Measure
    rows: pd.DataFrame
    draws: np.ndarray
    leakage_draws: np.ndarray
    effect: Effect
    leakage: Leakage
    assumptions: dict = field(default_factory=dict)
    level: float = 0.95
    baseline_draws: np.ndarray | None = None

    def _summarise(self, frame: pd.DataFrame, draws: np.ndarray) -> pd.DataFrame:
        q = (1 - self.level) / 2
        out = frame.copy()
        out["expected_loss"] = draws.mean(0)
        out["loss_low"] = np.quantile(draws, q, axis=0)
        out["loss_high"] = np.quantile(draws, 1 - q, axis=0)
        out["leakage_share"] = float(self.leakage_draws.mean())
        with np.errstate(divide="ignore", invalid="ignore"):
            out["share_of_total"] = out["expected_loss"] / out["total_baseline"]
        return out

    def summary(self) -> str:
        """Printable text: the expected total loss with its interval, then :meth:`tidy`."""
        total = ", ".join(f"{k} {v:.6g}" for k, v in self.total().items())
        head = f"{self.measure.describe()}; {self.level:.0%} intervals: {total}"
        return head + "\n" + self.tidy().to_string(float_format=lambda v: f"{v:.6g}")

    def table(self, side: str = "sender", by: str = "sector") -> pd.DataFrame:
        """Per member (Belgium first) and sector: baseline, expected loss, interval, shares.

        Parameters
        ----------
        side : {"sender", "target"}
            ``"sender"``: cost to each member; ``"target"``: the target's loss of the same
            flows (mirror view), by sector.
        by : {"sector", "member"}
            Sender side only: member x sector rows or one row per member.

        Returns
        -------
        DataFrame
            ``baseline``, ``expected_loss``, ``loss_low``, ``loss_high``, ``leakage_share``,
            ``share_of_total`` (loss / the member's projected total trade with the target in
            the same direction; for the target: / its total trade with the senders).
        """
        if side not in ("sender", "target") or by not in ("sector", "member"):
            raise InvalidArgumentError(
                f"side={side!r}, by={by!r}: expected side in ('sender', 'target') and "
                "by in ('sector', 'member')"
            )
        keys = ["sector"] if side == "target" else (["member"] if by == "member" else None)
        out = self._summarise(self.rows, self.draws) if keys is None else self._grouped(keys)
        return _order(out, "member" in out.columns)

    tidy = table  # the name every results class shares for its DataFrame

    def _grouped(self, keys: list[str]) -> pd.DataFrame:
        groups = cast(dict[Any, np.ndarray], self.rows.groupby(keys, sort=False).indices)
        frame = pd.DataFrame(
            {
                **{k: [g if len(keys) == 1 else g[i] for g in groups] for i, k in enumerate(keys)},
                "baseline": [self.rows["baseline"].iloc[ix].sum() for ix in groups.values()],
                "total_baseline": [
                    _total(self.rows, ix, keys == ["sector"]) for ix in groups.values()
                ],
            }
        )
        draws = np.column_stack([self.draws[:, ix].sum(1) for ix in groups.values()])
        return self._summarise(frame, draws)

    def total(self) -> dict[str, float]:
        """Expected total loss over all members and sectors with its interval."""
        q = (1 - self.level) / 2
        s = self.draws.sum(1)
        out = {
            "baseline": float(self.rows["baseline"].sum()),
            "expected_loss": float(s.mean()),
            "loss_low": float(np.quantile(s, q)),
            "loss_high": float(np.quantile(s, 1 - q)),
        }
        if self.baseline_draws is not None:
            base = self.baseline_draws.sum(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(base > 0, s / base, np.nan)
            out |= {
                "baseline_low": float(np.quantile(base, q)),
                "baseline_high": float(np.quantile(base, 1 - q)),
                "loss_share": float(np.nanmean(share)),
                "loss_share_low": float(np.nanquantile(share, q)),
                "loss_share_high": float(np.nanquantile(share, 1 - q)),
            }
        return out

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of the expected loss per member with its interval (a Figure).

        See :func:`belru_trade.policy.brief.plot_members`.
        """
        from belru_trade.policy.brief import plot_members

        return plot_members(self, ax=ax)

    def brief(self, fmt: str = "markdown") -> str:
        """One-page decision brief (``"markdown"`` or ``"html"``) with every assumption."""
        from belru_trade.policy.brief import render

        return render(self, fmt)


def _total(rows: pd.DataFrame, ix: np.ndarray, by_sector: bool) -> float:
    if by_sector:  # the target's total trade with all senders
        per_member = rows.drop_duplicates("member")["total_baseline"]
        return float(per_member.sum(min_count=1))
    return float(rows["total_baseline"].iloc[ix].iloc[0])


def _order(table: pd.DataFrame, has_member: bool) -> pd.DataFrame:
    table = table.sort_values("expected_loss", ascending=False, kind="stable")
    if has_member:
        first = table["member"] == "BE"
        table = pd.concat([table[first], table[~first]])
    return table.reset_index(drop=True)


def _default_panel(measure: Measure) -> pd.DataFrame:
    from belru_trade.store.snapshot import load_snapshot

    parts = [
        load_snapshot("comext_sanctioned", partner=[measure.target, *TRANSIT]),
        load_snapshot("comext_totals", partner=[measure.target, *TRANSIT]),
    ]
    return pd.concat(parts, ignore_index=True)


def _phase_weights(measure: Measure, horizon: int) -> np.ndarray:
    months = np.arange(horizon, dtype=float)
    if not measure.phase_in:
        return np.ones(horizon)
    return np.minimum(1.0, (months + 1) / measure.phase_in)


def _projections(
    trends: dict[tuple[str, str], Trend],
    periods: pd.PeriodIndex,
    rng: np.random.Generator,
    n_draws: int,
) -> tuple[list[tuple[str, str]], np.ndarray]:
    keys = [k for k, t in trends.items() if t.n > 0]
    paths = np.stack([trends[k].project(periods, trends[k].draw(rng, n_draws)) for k in keys], 1)
    return keys, paths  # paths: (n_draws, n_series, horizon)


def _given_totals(totals: Any) -> dict[str, float]:
    try:
        out = {str(k): float(v) for k, v in dict(totals).items()}
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError("totals must map member ISO2 codes to EUR values") from exc
    bad = {k: v for k, v in out.items() if not v > 0}
    if bad:
        raise InvalidArgumentError(f"totals must be positive; got {bad}")
    return out


def _totals(
    panel: pd.DataFrame, measure: Measure, before: Any, window: int, periods: pd.PeriodIndex
) -> dict[str, float]:
    where = {"reporter": measure.sender, "partner": measure.target, "flow": measure.flow}
    rows = select(panel, where, product="TOTAL", missing="drop")
    if rows.empty:
        return {}
    rows = rows.assign(sector="TOTAL")[["reporter", "sector", "period", "value"]]
    trends, _ = fit_trends(rows, before=before, window=window)
    return {k[0]: float(t.project(periods).sum()) for k, t in trends.items() if t.n > 0}


def simulate(
    measure: Measure,
    panel: pd.DataFrame | None = None,
    *,
    elasticity: Any = "estimated",
    analogues: Sequence[Any] | Any = None,
    analogue_method: str = "auto",
    leakage: Any = 0.0,
    horizon_months: int = 24,
    window: int = 24,
    controls: Sequence[str] | None = None,
    totals: Any = None,
    n_draws: int = 2000,
    level: float = 0.95,
    seed: int | None = 0,
) -> SimulationResults:
    """Simulate the trade cost of a proposed measure, with a Monte Carlo interval.

    Parameters
    ----------
    measure : Measure
        The proposed measure.
    panel : DataFrame, optional
        Tidy trade panel (:mod:`belru_trade.trade.panel` schema) with the members' monthly flows of
        the products with the target (and the control partners if the effect is estimated),
        and ``product == "TOTAL"`` rows for the shares. Default: the embedded snapshot
        (``comext_sanctioned`` + ``comext_totals``, 2020-01..2022-11).
    elasticity : "estimated", float or (float, float)
        ``"estimated"``: from ``analogues`` (PPML DiD, :mod:`belru_trade.policy.effects`);
        a number: proportional change of the targeted flow (``-0.9`` = -90%); a pair: change
        and its standard deviation.
    analogues : event id, Analogue or list of them, optional
        Past measures whose effect is used (pooled by inverse variance). Default (with
        ``elasticity="estimated"``): :func:`~belru_trade.policy.measure.default_analogues`,
        the registry's earlier measures on the same products and flow, else the same
        products under the EU's 2022 sanctions on Russia.
    analogue_method : {"auto", "did", "its"}, default "auto"
        ``"did"``: product-level PPML difference in differences against control partners;
        ``"its"``: quasi-Poisson interrupted time series of the senders' summed flow;
        ``"auto"``: "did" when the panel has clean control partners, else "its" (the
        embedded snapshot has only Russia and its neighbours, which are transit routes).
    leakage : float, (float, float) or "estimated"
        Share of the lost direct flow still reaching the target via third countries (reduces
        the loss on both sides); a pair gives mean and standard deviation; ``"estimated"``:
        from the diversion estimator (:func:`bt.diversion`) on the first analogue, which
        needs the transit countries' flows to the target in the panel.
    horizon_months : int, default 24
        Months from ``measure.start`` over which losses are summed.
    window : int, default 24
        Months of data before the start used for the trend baseline (6 to 480).
    controls : sequence of str, optional
        Control partners of the analogue DiD. Default: the panel's partners without the
        target, the Eurasian Economic Union members and the documented transit routes
        (:func:`belru_trade.policy.effects.clean_controls`); the transit countries of the
        leakage estimate (:data:`belru_trade.policy.effects.TRANSIT`) are never controls.
    totals : mapping or Series, optional
        Each member's total exports (export ban) or imports (import ban) with the world over
        the horizon, EUR, for ``share_of_total``. Default: the member's projected total trade
        with the target (``product == "TOTAL"`` rows of the panel).
    n_draws : int, default 2000
        Monte Carlo draws.
    level : float, default 0.95
        Interval level.
    seed : int, optional
        Random seed (reproducible by default).

    Returns
    -------
    SimulationResults
        ``table()``, ``total()``, ``plot()``, ``brief()``.

    Raises
    ------
    InvalidArgumentError
        Bad elasticity, leakage outside [0, 1], start before the data, bad horizon; the
        message names the argument.
    NotCoveredError
        The panel has no flows for the measure's products (unknown product) or analogue.

    Notes
    -----
    Loss of row r in draw k: ``L_rk = sum_m B_rkm * w_m * (1 - exp(b_k)) * (1 - s_k)`` with
    ``B_rkm`` the trend projection under drawn trend coefficients, ``w_m`` the phase-in weight,
    ``b_k ~ N(b_hat, se^2)`` the log effect and ``s_k`` the leakage share. The interval is the
    central ``level`` range of the draws.

    References
    ----------
    Crozet, M., & Hinz, J. (2020). Friendly fire: the trade impact of the Russia sanctions
    and counter-sanctions. Economic Policy 35(101), 97-146.

    Examples
    --------
    Belgian and French perfume and cosmetics exports to Russia (snapshot), a given -90%
    effect, 30% leakage:

    >>> m = Measure(sender=["BE", "FR"], target="RU", kind="export_ban", products=["3303", "3304"],
    ...             start="2022-01")
    >>> out = simulate(m, elasticity=(-0.9, 0.05), leakage=0.3, horizon_months=12,
    ...                n_draws=200)
    >>> out.table(by="member")["member"].tolist()
    ['BE', 'FR']
    >>> bool((out.table()["loss_low"] <= out.table()["loss_high"]).all())
    True
    """
    if not isinstance(measure, Measure):
        raise InvalidArgumentError(f"measure must be a bt.Measure; got {type(measure).__name__}")
    horizon = check_int_range("horizon_months", horizon_months, 1, MAX_HORIZON)
    n_draws = check_int_range("n_draws", n_draws, 100, MAX_DRAWS)
    window = check_int_range("window", window, MIN_WINDOW, MAX_WINDOW)
    if seed is not None:
        check_int_range("seed", seed, 0, 2**32 - 1)
    if not isinstance(leakage, str):
        resolve_leakage(leakage)  # validate before loading data
    if not 0 < level < 1:
        raise InvalidArgumentError(f"level={level!r} must be strictly between 0 and 1")
    panel = _default_panel(measure) if panel is None else panel
    flows = affected_flows(
        panel, members=measure.sender, partner=measure.target, flow=measure.flow,
        products=measure.products, exemptions=measure.exemptions,
    )  # fmt: skip
    trends, origin = fit_trends(flows, before=measure.start, window=window)
    if not analogues and (elasticity == "estimated" or leakage == "estimated"):
        analogues = default_analogues(measure)
    leak = resolve_leakage(leakage, analogues, panel, measure.sender)
    effect = resolve_effect(elasticity, analogues, panel, measure.sender, controls, analogue_method)
    rng = np.random.default_rng(seed)
    periods = pd.period_range(measure.start, periods=horizon, freq="M")
    keys, paths = _projections(trends, periods, rng, n_draws)
    if effect.change > 0:
        warnings.warn(
            f"the effect is positive ({effect.change:+.1%}): the measure raises the flow",
            BelruTradeWarning,
            stacklevel=2,
        )
    cut = -np.expm1(rng.normal(effect.log_ratio, effect.se, n_draws))
    leak_draws = leak.draw(rng, n_draws)
    weighted = (paths * _phase_weights(measure, horizon)).sum(2)
    weighted_base = paths.sum(2)
    draws = weighted * (cut * (1 - leak_draws))[:, None]
    given = totals is not None
    totals = (
        _given_totals(totals) if given else _totals(panel, measure, measure.start, window, periods)
    )
    rows = pd.DataFrame(
        {
            "member": [k[0] for k in keys],
            "sector": [k[1] for k in keys],
            "baseline": weighted_base.mean(0),
            "total_baseline": [totals.get(k[0], np.nan) for k in keys],
        }
    )
    assumptions = _assumptions(measure, flows, origin, window, horizon, effect, leak)
    if given:
        assumptions["Shares"] = "loss / the member's total trade with the world (user-given)"
    assumptions.update({"Monte Carlo": f"{n_draws} draws, seed {seed}, {level:.0%} interval"})
    return SimulationResults(
        measure, rows, draws, leak_draws, effect, leak, assumptions, level, weighted_base
    )


def _assumptions(
    measure: Measure,
    flows: pd.DataFrame,
    origin: pd.Period,
    window: int,
    horizon: int,
    effect: Effect,
    leak: Leakage,
) -> dict[str, str]:
    first = flows["period"].min()
    return {
        "Measure": measure.describe(),
        "Affected flows": (
            f"members' {measure.flow}s {'to' if measure.flow == 'export' else 'from'} "
            f"{measure.target} of codes matching {', '.join(measure.products)} (shortest "
            f"matching code length, no double counting), data {first}..{flows['period'].max()}"
        ),
        "Baseline": (
            f"log-linear trend per member x sector fitted on the {window} months up to "
            f"{origin}, projected over {horizon} months from {measure.start} (smearing "
            "correction; trend-coefficient uncertainty drawn from its normal approximation)"
        ),
        "Effect size": f"{effect.change:+.1%} (log {effect.log_ratio:.3f}, se "
        f"{effect.se:.3f}); {effect.source}",
        "Leakage": f"{leak.mean:.0%} (sd {leak.sd:.2f}); {leak.source}; reduces the loss on "
        "both sides (default 0%: no goods reach the target through third countries)",
        "Redirection to other markets": "not modelled (0%): goods the measure stops count as "
        "lost even if sold elsewhere, so the figure is gross trade at risk, not a cost or a "
        "welfare loss",
        "Target side": "mirror view: the senders' recorded flows are the target's flows "
        "(no CIF/FOB adjustment)",
        "Shares": "loss / the member's projected total trade with the target in the same "
        "direction (comext_totals TOTAL); totals with the world are not in the panel",
    }


#: former name, kept as an alias (results classes are named ``...Results``)
SimulationResult = SimulationResults

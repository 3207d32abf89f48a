"""Ex-ante simulation: real snapshot data, interval coverage with a known effect, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, NotCoveredError
from belru_trade.policy.simulate import Analogue

# 4th package (Council Regulation (EU) 2022/428 of 15 March 2022, Annex XVIII): export ban on
# luxury goods to Russia. Codes present in the snapshot's comext_sanctioned extract.
LUXURY = Analogue(
    "EU-2022-PKG4 luxury-goods export ban (Reg. 2022/428, Annex XVIII)",
    ["3303", "3304", "4202", "6204", "7102", "7113"],
    "2022-03",
)


@pytest.fixture(scope="module")
def snapshot_panel() -> pd.DataFrame:
    partners = ["RU", "KZ", "GE", "AM", "UZ", "KG"]
    return pd.concat(
        [
            bt.load_snapshot("comext_sanctioned", partner=partners, end="2022-11"),
            bt.load_snapshot("comext_totals", partner="RU"),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def cars(snapshot_panel):
    measure = bt.Measure(
        sender="EU", target="RU", kind="export_ban", products=["8703", "8708"], start="2022-03"
    )
    return bt.simulate(
        measure, snapshot_panel, elasticity="estimated", analogues=[LUXURY],
        leakage=(0.2, 0.05), horizon_months=9, n_draws=1000,
    )  # fmt: skip


def test_real_data_simulation_for_2022_analogue(cars, snapshot_panel):
    # the analogue's effect is a large, significant fall of the targeted exports
    assert cars.effect.change < -0.3
    assert cars.effect.log_ratio / cars.effect.se < -2
    members = cars.table(by="member")
    assert members.loc[0, "member"] == "BE"
    assert set(members["member"]) <= set(bt.Measure._members("EU"))
    assert (members["loss_low"] <= members["expected_loss"]).all()
    assert (members["expected_loss"] <= members["loss_high"]).all()
    assert (members["expected_loss"] < members["baseline"]).all()
    assert ((members["share_of_total"] > 0) & (members["share_of_total"] < 1)).all()
    # baseline: Belgium's trend projection is close to its level in the 12 months before
    rows = snapshot_panel[
        (snapshot_panel["reporter"] == "BE") & (snapshot_panel["partner"] == "RU")
        & snapshot_panel["product"].isin(["8703", "8708"])
        & (snapshot_panel["period"] >= pd.Period("2021-03", "M"))
        & (snapshot_panel["period"] <= pd.Period("2022-02", "M"))
    ]  # fmt: skip
    naive = rows["value"].sum() / 12 * 9
    be = members.set_index("member").loc["BE", "baseline"]
    assert 0.6 * naive < be < 1.6 * naive
    target = cars.table(side="target")
    assert target["expected_loss"].sum() == pytest.approx(cars.total()["expected_loss"])
    text = cars.brief()
    assert "Assumptions" in text and "Leakage" in text and "| BE " in text
    assert "<table" in cars.brief("html")


def test_its_analogue_agrees_with_did(cars, snapshot_panel):
    its = bt.simulate(
        cars.measure, snapshot_panel, elasticity="estimated", analogues=[LUXURY],
        analogue_method="its", leakage=0.2, horizon_months=9, n_draws=200,
    )  # fmt: skip
    assert its.effect.change < -0.3
    gap = abs(its.effect.log_ratio - cars.effect.log_ratio)
    assert gap < 2 * np.hypot(its.effect.se, cars.effect.se)
    assert "ITS" in its.assumptions["Effect size"]


def _synthetic(rng, beta, trend_b, n_months=36, start=24):
    periods = pd.period_range("2019-01", periods=n_months, freq="M")
    rows = []
    partners = ["RU", "KZ", "GE", "AM", "UZ", "KG"]
    for k in range(8):  # analogue products, DiD design
        code = f"61{k:02d}"
        pt = rng.normal(0, 0.2, n_months)
        for d in partners:
            level = rng.normal(13, 0.5)
            for m, p in enumerate(periods):
                treat = beta if (d == "RU" and m >= start) else 0.0
                mu = np.exp(level + pt[m] + treat)
                rows.append(("BE", d, code, p, mu * np.exp(rng.normal(0, 0.3) - 0.045)))
    for member, a in (("BE", 15.0), ("NL", 14.0)):  # measure products, trend + noise
        for m, p in enumerate(periods):
            mu = np.exp(a + trend_b * m)
            rows.append((member, "RU", "8703", p, mu * np.exp(rng.normal(0, 0.2))))
    frame = pd.DataFrame(rows, columns=["reporter", "partner", "product", "period", "value"])
    return frame.assign(flow="export")


def test_interval_coverage_with_known_effect():
    beta, trend_b, leak, horizon = np.log(0.4), 0.01, 0.25, 12
    covered, half, reps = 0, 0, 40
    for rep in range(reps):
        rng = np.random.default_rng(100 + rep)
        panel = _synthetic(rng, beta, trend_b)
        measure = bt.Measure(
            sender=["BE", "NL"], target="RU", kind="export_ban", products=["8703"],
            start="2022-01",
        )  # fmt: skip
        res = bt.simulate(
            measure, panel, elasticity="estimated",
            analogues=[Analogue("synthetic", ["61"], "2021-01")],
            leakage=leak, horizon_months=horizon, n_draws=400, seed=rep,
        )  # fmt: skip
        months = np.arange(36, 36 + horizon)
        true_base = sum(np.exp(a + trend_b * months).sum() * np.exp(0.02) for a in (15.0, 14.0))
        true_loss = true_base * (1 - np.exp(beta)) * (1 - leak)
        t = res.total()
        covered += t["loss_low"] <= true_loss <= t["loss_high"]
        low, high = np.quantile(res.draws.sum(1), [0.25, 0.75])
        half += low <= true_loss <= high
    # nominal 95%: accept >= 85% of 40; nominal 50% (calibration, not just width): 30%..75%
    assert covered / reps >= 0.85
    assert 0.3 <= half / reps <= 0.75


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "embargo"}, InvalidArgumentError, "kind"),
        ({"products": ["71x2"]}, InvalidArgumentError, "products"),
        ({"start": "2026-13"}, InvalidArgumentError, "start"),
        ({"sender": ["US"]}, InvalidArgumentError, "sender"),
    ],
)
def test_bad_measure_definitions(kwargs, error, match):
    base = {"sender": "EU", "target": "RU", "kind": "export_ban", "products": ["7102"],
            "start": "2022-03"}  # fmt: skip
    with pytest.raises(error, match=match):
        bt.Measure(**{**base, **kwargs})


def test_bad_simulation_inputs(snapshot_panel):
    ok = bt.Measure(sender="EU", target="RU", kind="export_ban", products=["7102"], start="2022-03")
    with pytest.raises(NotCoveredError, match="products"):
        unknown = bt.Measure(sender="EU", target="RU", kind="export_ban", products=["0808"],
                             start="2022-03")  # fmt: skip
        bt.simulate(unknown, snapshot_panel, elasticity=-0.5)
    with pytest.raises(InvalidArgumentError, match="start"):
        early = bt.Measure(sender="EU", target="RU", kind="export_ban", products=["7102"],
                           start="2019-06")  # fmt: skip
        bt.simulate(early, snapshot_panel, elasticity=-0.5)
    for bad in (1.3, -0.1, (1.5, 0.1)):
        with pytest.raises(InvalidArgumentError, match="leakage"):
            bt.simulate(ok, snapshot_panel, elasticity=-0.5, leakage=bad)
    with pytest.raises(InvalidArgumentError, match="elasticity"):
        bt.simulate(ok, snapshot_panel, elasticity=-1.5)
    # no analogue given: the default one (the same products under the 2022 sanctions) cannot
    # be estimated for rough diamonds (no EU exports to RU in the snapshot after 2022-01): a
    # named error that names the analogue
    with pytest.raises(NotCoveredError, match="analogue 'the same products under the EU"):
        bt.simulate(ok, snapshot_panel, elasticity="estimated")


def test_user_given_effect_and_plot(snapshot_panel):
    m = bt.Measure(sender=["BE", "NL"], target="RU", kind="export_ban", products=["7102"],
                   start="2022-01", phase_in=3)  # fmt: skip
    r = bt.simulate(m, snapshot_panel, elasticity=(-0.9, 0.05), leakage=0.3, n_draws=500)
    t = r.table(by="member")
    assert t["member"].iloc[0] == "BE"
    # loss = 0.9 * (1 - 0.3) of the phased-in baseline, up to the Monte Carlo noise
    assert r.total()["expected_loss"] < 0.63 * r.total()["baseline"]
    world = bt.simulate(m, snapshot_panel, elasticity=-0.9, n_draws=200, totals={"BE": 1e11})
    be = world.table(by="member").set_index("member").loc["BE"]
    assert be["share_of_total"] == pytest.approx(be["expected_loss"] / 1e11)
    assert "world" in world.assumptions["Shares"]
    fig = r.plot()
    assert fig.axes[0].get_ylabel() == "Expected loss (EUR m)"


def test_estimated_leakage_from_diversion():
    rng = np.random.default_rng(3)
    periods = pd.period_range("2019-01", "2021-12", freq="M")
    post = np.asarray(periods >= pd.Period("2021-01", "M"))
    direct = np.where(post, 300.0, 1000.0) + rng.normal(0, 10, len(periods))
    extra = np.where(post, 0.4 * 700.0, 0.0)  # 40% of the lost 700 per month leaks via KZ
    to_kz = 200.0 + extra + rng.normal(0, 10, len(periods))
    kz_ru = 100.0 + extra + rng.normal(0, 10, len(periods))
    rows = [("BE", "RU", v) for v in direct] + [("BE", "KZ", v) for v in to_kz]
    rows += [("KZ", "RU", v) for v in kz_ru]
    per = list(periods) * 3
    panel = pd.DataFrame(rows, columns=["reporter", "partner", "value"]).assign(
        period=per, product="6101", flow="export"
    )
    measure = bt.Measure(sender=["BE"], target="RU", kind="export_ban", products=["6101"],
                         start="2022-01")  # fmt: skip
    res = bt.simulate(
        measure, panel, elasticity=-0.7, leakage="estimated",
        analogues=[Analogue("synthetic", ["6101"], "2021-01")], n_draws=300,
    )  # fmt: skip
    assert res.leakage.mean == pytest.approx(0.4, abs=0.05)
    assert "diversion" in res.assumptions["Leakage"]
    with pytest.raises(NotCoveredError, match="transit"):
        bt.simulate(
            measure, panel[panel["reporter"] != "KZ"], elasticity=-0.7, leakage="estimated",
            analogues=[Analogue("s", ["6101"], "2021-01")],
        )  # fmt: skip


def test_transit_countries_are_never_did_controls(snapshot_panel):
    from belru_trade.policy.effects import TRANSIT, analogue_effect, clean_controls

    # the snapshot has only Russia and its neighbours: no clean control partner is left
    assert clean_controls(sorted(snapshot_panel["partner"].unique()), "RU") == ()
    with pytest.raises(InvalidArgumentError, match="transit routes"):
        analogue_effect(snapshot_panel, LUXURY, members=["BE"], controls=list(TRANSIT))


def test_brief_states_gross_trade_at_risk_baseline_interval_and_bounds(snapshot_panel):
    measure = bt.Measure(sender="EU", target="RU", kind="export_ban", products=["8703"],
                         start="2022-03")  # fmt: skip
    res = bt.simulate(measure, snapshot_panel, elasticity=(-0.8, 0.1), leakage=0.1,
                      horizon_months=9, n_draws=300)  # fmt: skip
    t = res.total()
    assert t["baseline_low"] < t["baseline"] < t["baseline_high"]
    assert 0 <= t["loss_share_low"] <= t["loss_share"] <= t["loss_share_high"] <= 1
    # each draw's loss stays within that draw's baseline
    assert (res.draws.sum(1) <= res.baseline_draws.sum(1)).all()
    text = res.brief()
    assert "Gross trade at risk" in text and "Redirection to other markets" in text
    assert "Baseline (projected flow without the measure)" in text

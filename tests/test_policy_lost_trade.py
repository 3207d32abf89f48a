"""Ex-post lost trade: known effects on simulated data, the real 2014 embargo, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.cli.main import main
from belru_trade.errors import InvalidArgumentError, NotCoveredError, UnknownCodeError

BETA_T, BETA_F = np.log(0.2), np.log(0.7)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(7)
    periods = pd.period_range("2011-08", "2015-12", freq="M")
    rows, truth = [], []
    pt = {p: rng.normal(0, 0.3, len(periods)) for p in ("0201", "0203", "0204")}
    for rep in ("BE", "NL", "DE", "BR", "AR", "CL", "CN"):
        sanctioning = rep in ("BE", "NL", "DE")
        for prod in ("0201", "0203", "0204"):
            level = rng.normal(14, 0.7)
            for m, per in enumerate(periods):
                post = sanctioning and per >= pd.Period("2014-08", "M")
                beta = (BETA_F if prod == "0204" else BETA_T) if post else 0.0
                cf = np.exp(level + pt[prod][m])
                value = cf * np.exp(beta) * np.exp(rng.normal(0, 0.1) - 0.005)
                rows.append((rep, "RU", prod, "export", per, value))
                if post:
                    truth.append((rep, prod, per, cf - value, prod != "0204"))
    panel = pd.DataFrame(
        rows, columns=["reporter", "partner", "product", "flow", "period", "value"]
    )
    true = pd.DataFrame(truth, columns=["reporter", "product", "period", "lost", "targeted"])
    return panel, true


def test_known_effects_recovered(synthetic):
    panel, true = synthetic
    res = bt.lost_trade(panel, "RU-2014-RES778", window="2014-08:2015-12")
    se = np.sqrt(np.diag(res.cov.to_numpy()))
    assert abs(res.params["targeted"] - BETA_T) < 3 * se[0]
    assert abs(res.params["friendly_fire"] - BETA_F) < 3 * se[1]
    assert se.max() < 0.1
    table = res.tidy(by=["group"]).set_index("group")
    for group, targeted in (("targeted", True), ("non-targeted", False)):
        truth = true.loc[true["targeted"] == targeted, "lost"].sum()
        row = table.loc[group]
        assert row["conf_low"] <= truth <= row["conf_high"]
        assert row["lost"] == pytest.approx(truth, rel=0.15)
        assert row["se"] > 0
    per_reporter = res.tidy(by=["reporter", "sector", "group"])
    assert set(per_reporter["reporter"]) == {"BE", "NL", "DE"}
    assert set(per_reporter["sector"]) == {"meat"}
    monthly = res.tidy(by=["period"], window=("2015-01", "2015-06"))
    assert len(monthly) == 6


def test_bad_arguments(synthetic):
    panel, _ = synthetic
    with pytest.raises(InvalidArgumentError, match="window"):
        bt.lost_trade(panel, "RU-2014-RES778", window="2015-12:2014-08")
    with pytest.raises(InvalidArgumentError, match="flow"):
        bt.lost_trade(panel, "RU-2014-RES778", flow="transit")
    with pytest.raises(NotCoveredError, match="reporter"):
        bt.lost_trade(panel, "RU-2014-RES778", reporter="FR")
    with pytest.raises(UnknownCodeError):
        bt.lost_trade(panel, "RU-2014-NOPE")


def test_cli_lost_trade_real_embargo(capsys, tmp_path):
    out = tmp_path / "lost.csv"
    code = main(["lost-trade", "--events", "RU-2014-RES778", "--reporter", "BE",
                 "--window", "2014-08:2015-12", "--out", str(out)])  # fmt: skip
    assert code == 0
    table = pd.read_csv(out)
    targeted = table[table["group"] == "targeted"].iloc[0]
    # Belgian meat/fish exports to Russia: a loss, with an interval excluding zero
    assert targeted["lost"] > 0 and targeted["conf_low"] > 0
    assert "targeted" in capsys.readouterr().out

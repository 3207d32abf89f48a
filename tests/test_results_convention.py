"""One convention for every public results class: ``summary()`` returns printable text,
``tidy()`` returns a DataFrame (statsmodels' ``print(res.summary())``, broom's ``tidy``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt


def public_results_classes() -> dict[str, type]:
    found = {}
    for info in pkgutil.walk_packages(bt.__path__, "belru_trade."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or parts[1] in ("analyses", "fetchers", "cli"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj.__module__ == info.name and name.endswith("Results"):
                found[name] = obj
    return found


CLASSES = public_results_classes()


def test_the_classes_are_found() -> None:
    expected = {"PPMLResults", "ITSResults", "LostTradeResults", "SimulationResults", "GEResults"}
    assert expected <= set(CLASSES)
    assert len(CLASSES) >= 14


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_summary_returns_text_and_tidy_a_frame(name: str) -> None:
    cls = CLASSES[name]
    assert callable(getattr(cls, "summary", None)), f"{name} has no summary()"
    assert callable(getattr(cls, "tidy", None)), f"{name} has no tidy()"
    assert inspect.signature(cls.summary).return_annotation in ("str", str)
    assert "DataFrame" in str(inspect.signature(cls.tidy).return_annotation)


def _instances() -> dict[str, object]:
    out: dict[str, object] = {}
    per = pd.period_range("2014-02", "2014-12", freq="M")
    rows = [
        (r, "RU", p, "export", m, 100.0 * (1 + 0.1 * ((k * 7 + j * 3 + i) % 5))
         * (0.2 if (r in ("BE", "NL") and p == "0203" and m >= per[6]) else 1.0))
        for i, r in enumerate(["BE", "NL", "BR", "AR"])
        for j, p in enumerate(["0203", "0204"]) for k, m in enumerate(per)
    ]  # fmt: skip
    panel = pd.DataFrame(
        rows, columns=["reporter", "partner", "product", "flow", "period", "value"]
    )
    out["LostTradeResults"] = bt.lost_trade(panel, "RU-2014-RES778")
    idx = pd.period_range("2010-01", periods=60, freq="M")
    rng = np.random.default_rng(0)
    donors = pd.DataFrame(rng.normal(100, 10, (60, 4)).cumsum(0), index=idx, columns=list("ABCD"))
    data = donors.assign(RU=0.7 * donors["A"] + 0.3 * donors["B"])
    out["SynthResults"] = bt.synth(data, treated="RU", start="2014-08", placebos=False)
    y = pd.Series(rng.uniform(80, 120, 60), index=idx)
    its = bt.its(y, "2014-01", family="quasipoisson", errors="hac")
    out["ITSResults"] = its
    out["PlaceboResults"] = its.placebo(n=5)
    out["CounterfactualResults"] = bt.comparative_counterfactual(
        y, "2014-01", y.rolling(3, min_periods=1).mean(), n_boot=99
    )
    from belru_trade.policy.ge import solve_cross_section

    flows = pd.DataFrame({"exporter": list("AABB"), "importer": list("ABAB"),
                          "trade": [8.0, 2.0, 2.0, 8.0], "t_bln": 1.0, "t_cfl": 1.0})  # fmt: skip
    out["GEResults"] = solve_cross_section(flows, reference="A")
    df = pd.DataFrame({"y": rng.poisson(5, 200).astype(float), "x": rng.normal(size=200),
                       "g": np.repeat(list("abcdefghij"), 20)})  # fmt: skip
    out["PPMLResults"] = bt.ppml("y ~ x | g", data=df)
    return out


def test_real_instances_follow_the_convention() -> None:
    for name, res in _instances().items():
        text = res.summary()
        assert isinstance(text, str) and text.strip(), name
        assert isinstance(res.tidy(), pd.DataFrame), name
        assert not res.tidy().empty, name


def test_lost_trade_summary_prints_its_tidy_table() -> None:
    res = _instances()["LostTradeResults"]
    table = res.tidy(by=["group"])
    text = res.summary(by=["group"])
    assert list(table["group"]) == ["non-targeted", "targeted"]
    assert all(g in text for g in table["group"]) and res.currency in text

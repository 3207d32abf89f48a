"""One plotting package: every plot() / plot_* returns a Figure; one palette; one period rule."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import belru_trade.analyses
import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, SeparationWarning
from belru_trade.plotting import (
    PALETTE,
    counterfactual_panel,
    mark_interventions,
    new_figure,
    on_axes,
    period_start,
    period_x,
    png_bytes,
    save_png,
)

IDX = pd.period_range("2012-01", "2016-12", freq="M")


def _series(seed: int = 0, drop: float = 0.5, stop: bool = False) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(len(IDX))
    mu = 500 * np.exp(0.005 * t + 0.2 * np.sin(2 * np.pi * IDX.month.to_numpy() / 12))
    mu = np.where(pd.Period("2014-08", "M") <= IDX, (0.0 if stop else drop) * mu, mu)
    return pd.Series(rng.poisson(mu).astype(float), index=IDX, name="flow")


def _event_panel() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    periods = pd.period_range("2013-01", "2015-12", freq="M")
    rows = []
    for unit in range(12):
        treated = unit < 6
        for p in periods:
            post = treated and p >= pd.Period("2014-08", "M")
            rows.append(
                {"reporter": "BE" if treated else "NL", "partner": "RU", "product": f"{unit:04d}",
                 "period": p, "value": float(rng.poisson(200 * (0.5 if post else 1.0))),
                 "treated": post}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _its():
    return bt.its(_series(), "2014-08")


def _stopped():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        return bt.its(_series(stop=True), "2014-08")


def _comparative():
    control = pd.DataFrame({"NL": _series(2, drop=1.0), "DE": _series(3, drop=1.0)})
    return bt.comparative_counterfactual(_series(), "2014-08", control, n_boot=99)


def _synth():
    data = pd.DataFrame({u: _series(i, drop=1.0 if u != "RU" else 0.5)
                         for i, u in enumerate(["RU", "DE", "NL", "PL"])})  # fmt: skip
    return bt.synth(data, "RU", "2014-08", placebos=False)


def _event_study():
    return bt.did(_event_panel(), window=(-4, 4), estimator="ols")


def _diversion():
    direct = _series(4)
    ins = pd.DataFrame({"LT": _series(5, drop=1.5)})
    outs = pd.DataFrame({"LT": _series(6, drop=1.5)})
    return bt.diversion(direct, ins, outs, ban="2014-08", family="gaussian", n_sim=200)


def _simulation():
    measure = bt.Measure(sender=["BE", "NL"], target="RU", kind="export_ban",
                         products=["7102"], start="2022-01")  # fmt: skip
    panel = bt.load_snapshot("comext_sanctioned", reporter=["BE", "NL"], partner="RU",
                             product="7102", end="2022-11")  # fmt: skip
    return bt.simulate(measure, panel, elasticity=(-0.9, 0.05), n_draws=200)


#: how to draw every public figure of the package: name -> function returning what plot gives
DRAWERS = {
    "belru_trade.models.its.estimator.ITSResults.plot": lambda: _its().plot(),
    "belru_trade.models.its.stopped.StoppedITSResults.plot": lambda: _stopped().plot(),
    "belru_trade.models.counterfactual.comparative.CounterfactualResults.plot": lambda: (
        _comparative().plot()
    ),
    "belru_trade.models.synth.SynthResults.plot": lambda: _synth().plot(kind="paths"),
    "belru_trade.models.did.estimator.DiDResults.plot": lambda: _event_study().plot(),
    "belru_trade.models.did.sensitivity.SensitivityResults.plot": lambda: (
        _event_study().sensitivity(mbar=[0, 1]).plot()
    ),
    "belru_trade.models.diversion.DiversionResults.plot": lambda: _diversion().plot(unit="t"),
    "belru_trade.policy.simulate.SimulationResults.plot": lambda: _simulation().plot(),
    "belru_trade.policy.brief.plot_members": lambda: importlib.import_module(
        "belru_trade.policy.brief"
    ).plot_members(_simulation()),
    "belru_trade.models.its.counterfactual.plot_counterfactual": lambda: importlib.import_module(
        "belru_trade.models.its.counterfactual"
    ).plot_counterfactual(_its(), unit="t", title="ITS"),
    "belru_trade.analyses._common.figures.plot_its": lambda: importlib.import_module(
        "belru_trade.analyses._common.figures"
    ).plot_its(new_figure()[1], _its().counterfactual(), ["2014-08"], label="flow", unit="t"),
}


def _public_plotters() -> set[str]:
    """Every ``plot`` method of a class and every ``plot_*`` function defined in the package."""
    found = set()
    packages = [bt, belru_trade.analyses]
    for package in packages:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".fetchers" in info.name or info.name.startswith("belru_trade.cli"):
                continue
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if getattr(obj, "__module__", None) != module.__name__:
                    continue
                if inspect.isclass(obj) and "plot" in vars(obj):
                    found.add(f"{module.__name__}.{obj.__qualname__}.plot")
                elif inspect.isfunction(obj) and name.startswith("plot_"):
                    found.add(f"{module.__name__}.{name}")
    return found


def test_every_plotter_is_covered_here():
    """A new plot() or plot_* must be added to DRAWERS (and so checked to return a Figure)."""
    assert _public_plotters() == set(DRAWERS)


@pytest.mark.parametrize("name", sorted(DRAWERS))
def test_every_plotter_returns_a_figure_without_pyplot(name):
    backend = matplotlib.get_backend()
    fig = DRAWERS[name]()
    assert isinstance(fig, Figure), f"{name} returned {type(fig).__name__}"
    assert fig.axes and any(ax.has_data() for ax in fig.axes)
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.get_backend() == backend  # no matplotlib.use


def test_plot_on_given_axes_returns_that_figure():
    fig, (left, right) = new_figure(1, 2)
    res = _its()
    assert res.plot(ax=right) is fig
    assert right.has_data() and not left.has_data()
    with pytest.raises(InvalidArgumentError, match="ax is a str"):
        on_axes("not axes")


def test_period_axis_rule_mid_period_points_and_lines_at_period_start():
    # hand-computed: February 2022 has 28 days -> middle 14 days in, 15 Feb 00:00; 2020
    # (366 days) -> 183 days in, 2 July 00:00; 2021 (365) -> 182.5 days in, 2 July 12:00;
    # Q1 2021 (90 days) -> 45 days in, 15 Feb 2021 00:00
    assert pd.Timestamp(period_x(pd.PeriodIndex(["2022-02"], freq="M"))[0]) == pd.Timestamp(
        "2022-02-15"
    )
    assert pd.Timestamp(period_x(["2020"])[0]) == pd.Timestamp("2020-07-02 00:00")
    assert pd.Timestamp(period_x(["2021"])[0]) == pd.Timestamp("2021-07-02 12:00")
    assert pd.Timestamp(period_x(pd.PeriodIndex(["2021Q1"], freq="Q"))[0]) == pd.Timestamp(
        "2021-02-15 00:00"
    )
    stamps = pd.DatetimeIndex(["2022-02-24"])
    assert pd.Timestamp(period_x(stamps)[0]) == stamps[0]  # dates stay where they fall
    assert period_start("2014-08") == pd.Timestamp("2014-08-01")
    assert period_start("2022-02-24") == pd.Timestamp("2022-02-24")


def test_counterfactual_panel_places_points_and_line_by_the_rule():
    idx = pd.period_range("2014-05", periods=6, freq="M")
    table = pd.DataFrame({"observed": [5.0, 6, 5, 2, 2, 1], "fitted": [5.0, 5, 5, 2, 2, 1],
                          "counterfactual": [5.0] * 6, "cf_low": [4.0] * 6,
                          "cf_high": [6.0] * 6}, index=idx)  # fmt: skip
    _, ax = new_figure()
    counterfactual_panel(ax, table, ["2014-08"], y="Exports", unit="t", title="T")
    lines = {line.get_label(): line for line in ax.get_lines()}
    x_obs = matplotlib.dates.num2date(lines["observed"].get_xdata(orig=False))
    # mid-month: 15.5 days into May, Jul, Aug, Oct (31 days), 15 days into Jun, Sep (30 days)
    assert [(d.day, d.hour) for d in x_obs] == [(16, 12), (16, 0), (16, 12), (16, 12), (16, 0),
                                                (16, 12)]  # fmt: skip
    cf = lines["counterfactual"]
    assert len(cf.get_xdata()) == 3  # drawn from the intervention on (a fitted path exists)
    assert cf.get_color() == PALETTE["counterfactual"]
    (vline,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"
                and line.get_color() == PALETTE["intervention"]]  # fmt: skip
    line_x = pd.Timestamp(vline.get_xdata()[0])
    assert line_x == pd.Timestamp("2014-08-01")
    assert ax.get_ylabel() == "Exports (t)"
    # the line lies between the last pre-period point and the first post-period point
    points = [pd.Timestamp(d).tz_localize(None) for d in x_obs]
    assert points[2] < line_x < points[3]


def test_mark_interventions_labels_and_palette():
    _, ax = new_figure()
    ax.plot(period_x(IDX[:30]), np.arange(30.0))
    mark_interventions(ax, ["2012-06", "2013-02-24"], labels=["ban", "second"])
    assert [t.get_text() for t in ax.texts] == ["ban", "second"]
    assert {t.get_color() for t in ax.texts} == {PALETTE["intervention"]}


def test_save_png_is_atomic_and_drawn_once(tmp_path, monkeypatch):
    fig = _its().plot()
    draws = []
    original = Figure.draw

    def counting(self, renderer):
        draws.append(renderer)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    path = save_png(fig, tmp_path / "sub" / "its.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    # constrained layout: one layout pass (drawing disabled) and one rendering, no
    # bbox_inches="tight" pass on top
    assert len(draws) == 2
    assert not list((tmp_path / "sub").glob("*.tmp"))

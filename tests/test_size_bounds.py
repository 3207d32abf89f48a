"""Size-like arguments of the public API are bounded with a named error, before any work.

Each case passes the first value past the bound (or a value of the wrong kind) and expects
:class:`~belru_trade.errors.InvalidArgumentError` naming the argument, the value and the
allowed range. Values just past the bound keep the cases cheap even where the bound is
missing (then the call simply succeeds and the test fails).

=========================================================  ==================================
argument                                                   allowed
=========================================================  ==================================
diversion n_sim / harmonics / seed                         [100, 100000] / [1, 6] / [0, 2**32-1]
its harmonics; ITSResults.counterfactual n_sim / seed      [1, 6]; [100, 100000] / [0, 2**32-1]
ITSResults.placebo n                                       [1, 1000]
stopped ITS counterfactual n_sim                           [100, 100000]
fixed_b_tidy n_rep / seed                                  [200, 100000] / [0, 2**32-1]
comparative_counterfactual n_boot / seed                   [99, 100000] / [0, 2**32-1]
counterfactual block (all three functions)                 [1, pre-period length]
synth_counterfactual n_boot / seed                         [99, 100000] / [0, 2**32-1]
joint_lost n_boot / seed / harmonics                       [99, 100000] / [0, 2**32-1] / [1, 6]
scan chunk_size / harmonics / hac_lags                     [1, 1000000] / [1, 6] / [0, n // 4]
did window ends                                            [-600, 600] each
DiDResults.sensitivity mbar                                1 to 1000 numbers >= 0
synth placebos                                             True or False (not a count)
simulate window; Measure phase_in; ``--phase-in``          [6, 480]; [0, 240]; exit 2
=========================================================  ==================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.cli.main import main
from belru_trade.errors import InvalidArgumentError
from belru_trade.models.its.fixed_b import fixed_b_tidy

IDX = pd.period_range("2011-01", "2016-12", freq="M")
POST = np.asarray(pd.Period("2014-08", "M") <= IDX)
RNG = np.random.default_rng(7)
SEED_MAX = 2**32 - 1


def _range(name: str, value: object, lo: object, hi: object) -> str:
    return rf"{name}={value} is outside the allowed range \[{lo}, {hi}\]"


@pytest.fixture(scope="module")
def series() -> pd.Series:
    return pd.Series(RNG.poisson(np.where(POST, 400.0, 800.0)).astype(float), index=IDX)


@pytest.fixture(scope="module")
def wide(series) -> pd.DataFrame:
    control = pd.Series(RNG.poisson(600.0, len(IDX)).astype(float), index=IDX)
    other = pd.Series(RNG.poisson(500.0, len(IDX)).astype(float), index=IDX)
    third = pd.Series(RNG.poisson(700.0, len(IDX)).astype(float), index=IDX)
    return pd.DataFrame({"T": series, "A": control, "B": other, "C": third})


@pytest.fixture(scope="module")
def its_fit(series):
    return bt.its(series, "2014-08", seasonality=None)


def _diversion(**kw):
    direct = pd.Series(np.where(POST, 0.0, 100.0) + RNG.normal(0, 2, len(IDX)), index=IDX)
    to_lt = pd.DataFrame({"LT": 20 + 50 * POST + RNG.normal(0, 2, len(IDX))}, index=IDX)
    lt_ru = pd.DataFrame({"LT": 5 + 50 * POST + RNG.normal(0, 2, len(IDX))}, index=IDX)
    return bt.diversion(direct, to_lt, lt_ru, ban="2014-08", seasonality=None, **kw)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_sim": 100_001}, _range("n_sim", 100001, 100, 100000)),
        ({"harmonics": 7}, _range("harmonics", 7, 1, 6)),
        ({"seed": -1}, _range("seed", -1, 0, SEED_MAX)),
    ],
)
def test_diversion_sizes(options, message) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _diversion(**options)


def test_its_sizes(series, its_fit) -> None:
    with pytest.raises(InvalidArgumentError, match=_range("harmonics", 7, 1, 6)):
        bt.its(series, "2014-08", seasonality=None, harmonics=7)
    with pytest.raises(InvalidArgumentError, match=_range("n_sim", 100001, 100, 100000)):
        its_fit.counterfactual(n_sim=100_001)
    with pytest.raises(InvalidArgumentError, match=_range("seed", -1, 0, SEED_MAX)):
        its_fit.counterfactual(seed=-1)
    with pytest.raises(InvalidArgumentError, match=_range("n", 1001, 1, 1000)):
        its_fit.placebo(n=1001)


def test_stopped_its_counterfactual_draws_bounded() -> None:
    y = pd.Series(np.where(POST, 0.0, RNG.poisson(800.0, len(IDX))), index=IDX)
    with pytest.warns(bt.errors.SeparationWarning):
        res = bt.its(y, "2014-08")
    assert res.extra["status"] == "trade stopped"
    with pytest.raises(InvalidArgumentError, match=_range("n_sim", 100001, 100, 100000)):
        res.counterfactual(n_sim=100_001)


def test_fixed_b_sizes(its_fit) -> None:
    with pytest.raises(InvalidArgumentError, match=_range("n_rep", 100001, 200, 100000)):
        fixed_b_tidy(its_fit, n_rep=100_001)
    with pytest.raises(InvalidArgumentError, match=_range("seed", -1, 0, SEED_MAX)):
        fixed_b_tidy(its_fit, seed=-1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_boot": 100_001}, _range("n_boot", 100001, 99, 100000)),
        ({"seed": -1}, _range("seed", -1, 0, SEED_MAX)),
    ],
)
def test_counterfactual_draws(wide, options, message) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        bt.comparative_counterfactual(wide["T"], "2014-08", wide["A"], **options)
    with pytest.raises(InvalidArgumentError, match=message):
        bt.synth_counterfactual(wide, "T", "2014-08", **options)
    with pytest.raises(InvalidArgumentError, match=message):
        bt.joint_lost(wide[["T", "A"]], "2014-08", seasonality=None, **options)


@pytest.mark.filterwarnings("ignore:poor pre-period fit")
def test_block_lengths_bounded_by_the_pre_period(wide) -> None:
    # checked for every noise model (the default 'ar1' used to ignore a bad block silently)
    message = _range("block", 1000000, 1, 43)  # 43 pre-period months
    with pytest.raises(InvalidArgumentError, match=message):
        bt.comparative_counterfactual(wide["T"], "2014-08", wide["A"], n_boot=99, block=10**6)
    with pytest.raises(InvalidArgumentError, match=message):
        bt.joint_lost(wide[["T", "A"]], "2014-08", seasonality=None, n_boot=99, block=10**6)
    with pytest.raises(InvalidArgumentError, match=_range("block", 0, 1, 43)):
        bt.synth_counterfactual(wide, "T", "2014-08", n_boot=99, block=0)


def test_joint_lost_harmonics(wide) -> None:
    with pytest.raises(InvalidArgumentError, match=_range("harmonics", 7, 1, 6)):
        bt.joint_lost(wide[["T", "A"]], "2014-08", seasonality=None, n_boot=99, harmonics=7)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"chunk_size": 1_000_001}, _range("chunk_size", 1000001, 1, 1000000)),
        ({"harmonics": 7, "seasonality": None}, _range("harmonics", 7, 1, 6)),
        ({"hac_lags": 1000}, r"hac_lags=1000 is too large for 72 observations; expected 0 to 18"),
    ],
)
def test_scan_sizes(wide, options, message) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        bt.scan(wide, "2014-08", **options)


def _did_panel() -> pd.DataFrame:
    periods = pd.period_range("2013-01", "2015-12", freq="M")
    rows = [(p, d, t) for p in range(4) for d in ("RU", "DE") for t in periods]
    df = pd.DataFrame(rows, columns=["product", "partner", "period"])
    df["treated"] = ((df["product"] < 2) & (df["period"] >= pd.Period("2014-08", "M"))).astype(int)
    df["value"] = 1.0 - 0.5 * df["treated"] + RNG.normal(0, 0.3, len(df))
    return df


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ((-601, 12), _range(r"window\[0\]", -601, -600, 600)),
        ((-12, 10**9), _range(r"window\[1\]", 1000000000, -600, 600)),
        ((-6.5, 6), r"window\[0\]=-6.5 is not an integer"),
        ("-6:6", "is not a pair"),
    ],
)
def test_did_window_bounded(window, message) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        bt.did(_did_panel(), window=window, estimator="ols")


def test_did_sensitivity_mbar_bounded() -> None:
    res = bt.did(_did_panel(), window=(-6, 6), estimator="ols")
    with pytest.raises(InvalidArgumentError, match="more than 1000 values"):
        res.sensitivity(mbar=np.linspace(0, 2, 1001))
    with pytest.raises(InvalidArgumentError, match="not a sequence of numbers"):
        res.sensitivity(mbar="abc")
    assert len(res.sensitivity(mbar=1.0).table) > 0  # a bare number is one value


def test_synth_placebos_is_a_switch_not_a_count(wide) -> None:
    with pytest.raises(InvalidArgumentError, match="placebos=1000 is not allowed"):
        bt.synth(wide, "T", "2014-08", placebos=1000)


def test_simulate_window_and_phase_in_bounded(capsys, tmp_path) -> None:
    measure = bt.Measure(sender="BE", target="RU", kind="export_ban", products=["8703"],
                         start="2022-03")  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=_range("window", 481, 6, 480)):
        bt.simulate(measure, elasticity=-0.5, window=481)
    with pytest.raises(InvalidArgumentError, match=r"phase_in=241 must be None or an int in"):
        bt.Measure(sender="BE", target="RU", kind="export_ban", products=["8703"],
                   start="2022-03", phase_in=241)  # fmt: skip
    argv = ["simulate", "--sender", "BE", "--kind", "export_ban", "--products", "8703",
            "--start", "2022-03", "--elasticity", "-0.5", "--draws", "200",
            "--phase-in", "241", "--out", str(tmp_path / "b")]  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and "phase_in=241" in capsys.readouterr().err

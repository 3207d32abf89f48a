"""Warnings the user should see reach them; the expected, benign ones named in the code do
not. No block of the library silences every warning any more."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import ConvergenceWarning, SeparationWarning, SpecificationError

ROOT = Path(bt.__file__).resolve().parent


def _recorded(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, caught


def test_no_blanket_simplefilter_ignore_left() -> None:
    from belru_trade import analyses

    pattern = re.compile(r"simplefilter\(\s*\"ignore\"")
    sources = [*ROOT.rglob("*.py"), *Path(analyses.__path__[0]).rglob("*.py")]
    offenders = [str(p) for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def _meat_panel(zero_friendly_fire: bool) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    periods = pd.period_range("2011-08", "2015-12", freq="M")
    rows = []
    for rep in ("BE", "NL", "DE", "BR", "AR", "CL", "CN"):
        for prod in ("0201", "0203", "0204"):
            level = rng.normal(14, 0.7)
            for per in periods:
                post = rep in ("BE", "NL", "DE") and per >= pd.Period("2014-08", "M")
                value = np.exp(level + rng.normal(0, 0.1))
                if zero_friendly_fire and post and prod == "0204":
                    value = 0.0  # the non-listed heading stops: friendly fire separates
                rows.append((rep, "RU", prod, "export", per, value))
    return pd.DataFrame(rows, columns=["reporter", "partner", "product", "flow", "period", "value"])


def test_lost_trade_separation_by_the_regressors_reaches_the_user() -> None:
    """When every friendly-fire cell is zero the dummy separates those observations; the
    user now sees why the term cannot be estimated (it was silenced before)."""
    panel = _meat_panel(zero_friendly_fire=True)
    with (
        pytest.warns(SeparationWarning, match="separated by regressors"),
        pytest.raises(SpecificationError, match="friendly_fire"),
    ):
        bt.lost_trade(panel, "RU-2014-RES778", window="2014-08:2015-12")


def test_lost_trade_expected_ppml_warnings_are_not_shown() -> None:
    """Zero-filled real Comtrade panel (the 2014 embargo): PPML reports zero cells with
    vanishing fitted means, expected there and irrelevant to lost trade; not shown."""
    from belru_trade.models.hdfe.ppml import VANISHING_MEANS, ppml
    from belru_trade.policy.lost_trade import _design, _span

    panel = bt.load_snapshot("comtrade", partner="RU", flow="export")
    events = ["RU-2014-RES778"]
    rows = _design(panel, events, "RU", "export", _span(events, "2014-08:2015-12", 36))
    formula = "value ~ targeted + friendly_fire | ip + pt"
    fe_simplex = ("fe", "simplex")
    _, direct = _recorded(lambda: ppml(formula, data=rows, cluster="ip", separation=fe_simplex))
    assert any(re.match(VANISHING_MEANS, str(w.message)) for w in direct)  # it does occur
    res, caught = _recorded(
        lambda: bt.lost_trade(panel, "RU-2014-RES778", window="2014-08:2015-12")
    )
    assert not [w for w in caught if issubclass(w.category, SeparationWarning)]
    assert res.params.notna().all()


def _random_walk(seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.period_range("2010-01", periods=48, freq="M")
    return pd.Series(100 + np.cumsum(rng.normal(0, 5, 48)), index=index)


@pytest.mark.parametrize("seed", [0, 4])
def test_arima_non_convergence_is_shown_exactly_when_statsmodels_reports_it(seed: int) -> None:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning
    from statsmodels.tsa.arima.model import ARIMA

    y = _random_walk(seed)
    options = {"family": "gaussian", "errors": "arima", "seasonality": None}
    res, caught = _recorded(lambda: bt.its(y, "2013-01", arima_order=(2, 2), **options))
    ours = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    _, raw = _recorded(
        lambda: ARIMA(y.to_numpy(), exog=res.design.X.to_numpy(), order=(2, 0, 2), trend="n").fit()
    )
    theirs = [w for w in raw if issubclass(w.category, SMConvergenceWarning)]
    assert bool(ours) == bool(theirs)
    assert all("ARMA(2,2)" in str(w.message) for w in ours)
    assert not [w for w in caught if w.category.__module__.startswith("statsmodels")]


def test_arima_order_search_hides_the_candidates_warnings() -> None:
    """A candidate of the (p, q) search that statsmodels says did not converge (or started
    from inadmissible values) is not shown: it may not be the order chosen, and the chosen
    fit's convergence is checked and reported separately (test above)."""
    from statsmodels.tsa.arima.model import ARIMA

    from belru_trade.models.its.fit import _sarimax

    y = _random_walk(0)
    X = bt.its(y, "2013-01", family="gaussian", errors="hac", seasonality=None).design.X
    _, raw = _recorded(
        lambda: ARIMA(y.to_numpy(), exog=X.to_numpy(), order=(2, 0, 2), trend="n").fit()
    )
    assert [w for w in raw if w.category.__module__.startswith("statsmodels")]  # it warns
    _, caught = _recorded(lambda: _sarimax(y.to_numpy(), X, (2, 2)))
    assert not [w for w in caught if w.category.__module__.startswith("statsmodels")]


def test_placebo_separation_is_reported_once_and_reaches_the_analyses() -> None:
    from belru_trade.analyses._common.its_rows import _placebo_p

    rng = np.random.default_rng(1)
    values = rng.uniform(80, 120, 60)
    values[40:48] = 0.0  # trade stops in the last pre-period months
    y = pd.Series(values, index=pd.period_range("2010-01", periods=60, freq="M"))
    res = bt.its(y, "2014-01", family="quasipoisson", errors="hac")
    placebo, caught = _recorded(lambda: res.placebo(n=10))
    separated = [w for w in caught if issubclass(w.category, SeparationWarning)]
    assert len(separated) == 1  # once, not once per placebo fit
    stopped = int(np.isneginf(placebo.placebos["statistic"]).sum())
    assert stopped >= 1 and str(separated[0].message).startswith(f"{stopped} of the 10")
    assert separated[0].filename == __file__  # points at the call of placebo()
    p, caught = _recorded(lambda: _placebo_p(res, 10))
    separated = [w for w in caught if issubclass(w.category, SeparationWarning)]
    assert len(separated) == 1 and p == placebo.p_value
    assert re.match(
        r"\d+ of the 10 placebo fits are \(quasi-\)separated", str(separated[0].message)
    )
    assert 0 < p <= 1


def test_analysis_its_fit_passes_on_warnings_it_does_not_handle() -> None:
    """fit_its records SeparationWarning to switch model; any other warning of the fit
    (here the ARMA non-convergence) used to be swallowed with it and is now shown."""
    from belru_trade.analyses._common.its_rows import fit_its

    options = {"family": "gaussian", "errors": "arima", "arima_order": (2, 2)}
    with pytest.warns(ConvergenceWarning, match=r"ARMA\(2,2\)"):
        _, note = fit_its(_random_walk(0), "2013-01", seasonality=None, **options)
    assert note == ""


def test_batch_glm_floating_point_conditions_raise_no_runtime_warning() -> None:
    """The batch IRLS (scan, comparative-counterfactual bootstrap) starts from log(mean)
    and meets log(0) on an all-zero resampled series; that is handled (the fit's
    convergence is checked), so no RuntimeWarning reaches the user, and the other
    series' estimates equal statsmodels' Poisson GLM."""
    import statsmodels.api as sm

    from belru_trade.models.scan.core import fit_batch_glm

    rng = np.random.default_rng(5)
    B = np.c_[np.ones(36), np.arange(36) / 36]
    y = rng.poisson(np.exp(3 + 0.5 * B[:, 1])).astype(float)
    Y = np.c_[y, np.zeros(36)]
    fit, caught = _recorded(
        lambda: fit_batch_glm(B, Y, log_offset=None, quasi=True, errors="model", lags=0)
    )
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    reference = sm.GLM(y, B, family=sm.families.Poisson()).fit().params
    np.testing.assert_allclose(fit.params[0], reference, rtol=1e-7)

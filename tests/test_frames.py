"""Input tables: polars and pyarrow frames give the pandas results; other types a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"g": np.repeat(np.arange(30), 6), "x": rng.normal(size=180)})
    d["y"] = rng.poisson(np.exp(1 + 0.5 * d["x"])).astype(float)
    return d


def _converters():
    out = [pytest.param(pa.Table.from_pandas, id="pyarrow")]
    try:
        import polars as pl
    except ImportError:
        return out
    return [*out, pytest.param(pl.from_pandas, id="polars")]


@pytest.mark.parametrize("convert", _converters())
def test_estimators_accept_polars_and_pyarrow(frame, convert):
    native = convert(frame)
    for fit in (bt.ols, bt.ppml):
        ours = fit("y ~ x | g", native, cluster="g")
        ref = fit("y ~ x | g", frame, cluster="g")
        assert ours.params["x"] == ref.params["x"]
        assert ours.std_errors["x"] == ref.std_errors["x"]
    periods = pd.period_range("2010-01", periods=72, freq="M")
    panel = pd.DataFrame({"period": periods.astype(str), "partner": "RU", "value": 0.0})
    panel["value"] = np.random.default_rng(1).poisson(50, 72).astype(float)
    series = pd.Series(panel["value"].to_numpy(), index=periods)
    a = bt.its(convert(panel), "2014-08", selector={"partner": "RU"})
    b = bt.its(series, "2014-08")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-12)


def test_other_types_get_a_clear_error(frame):
    with pytest.raises(InvalidArgumentError, match=r"data is a builtins.dict; expected a pandas"):
        bt.ols("y ~ x", frame.to_dict())
    with pytest.raises(InvalidArgumentError, match=r"y is a builtins.list; expected a pandas"):
        bt.its([1.0, 2.0], "2014-08")
    with pytest.raises(InvalidArgumentError, match=r"expected a pandas\.DataFrame"):
        bt.synth({"a": [1.0]}, treated="a", start="2014")

"""Deflators, exchange rates and unit values against published rates and hand calculations.

Published figures used (independent of the code): Eurostat's euro-area HICP inflation
(October 2022 year-on-year 10.6 %, 2022 annual average 8.4 %, 2023 annual average 5.4 %)
and the ECB's annual average reference rates (EUR/USD 2010 1.3257, 2014 1.3285, 2022 1.0530;
EUR/RUB 2014 50.9518, 2015 68.0720, 2021 87.1527), monthly EUR/USD January 2015 1.1621.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, NotCoveredError
from belru_trade.trade.panel import validate
from belru_trade.trade.prices import exchange_rate, price_index, unit_values


def _panel(periods, values, *, freq="M", currency="EUR", product="0401", quantity=None):
    n = len(periods)
    return pd.DataFrame(
        {
            "reporter": ["BE"] * n,
            "partner": ["RU"] * n,
            "product": [product] * n if isinstance(product, str) else product,
            "nomenclature": ["CN"] * n,
            "flow": ["export"] * n,
            "period": pd.PeriodIndex(periods, freq=freq),
            "value": np.asarray(values, float),
            "currency": [currency] * n,
            "quantity": np.full(n, np.nan) if quantity is None else np.asarray(quantity, float),
            "unit": ["kg"] * n,
            "source": ["comext"] * n,
            "flag": [None] * n,
        }
    )


def test_monthly_deflation_matches_published_inflation():
    # same nominal value a year apart, in October 2021 prices: ratio = 1 / (1 + 10.6 %)
    out = bt.deflate(_panel(["2021-10", "2022-10"], [1000.0, 1000.0]), base="2021-10")
    assert out["value"].iloc[0] == pytest.approx(1000.0, rel=1e-12)  # base month unchanged
    assert out["value"].iloc[1] == pytest.approx(1000.0 / 1.106, rel=6e-4)
    np.testing.assert_array_equal(out["value_nominal"], [1000.0, 1000.0])
    validate(out[list(bt.panel.COLUMNS)])


def test_annual_panel_uses_annual_average_index():
    out = bt.deflate(_panel(["2021", "2022", "2023"], [100.0] * 3, freq="Y"), base=2021)
    assert out["value"].iloc[1] == pytest.approx(100 / 1.084, rel=6e-4)
    assert out["value"].iloc[2] == pytest.approx(100 / (1.084 * 1.054), rel=1e-3)
    assert price_index(freq="Y")["2015"] == pytest.approx(100.0, abs=0.005)


def test_rebasing_is_a_pure_rescaling_and_user_index_annual():
    panel = _panel(["2014-01", "2018-06"], [50.0, 80.0])
    a = bt.deflate(panel, base=2015)["value"].to_numpy()
    b = bt.deflate(panel, base="2020-03")["value"].to_numpy()
    assert a[1] / a[0] == pytest.approx(b[1] / b[0], rel=1e-12)
    own = pd.Series([100.0, 110.0], index=pd.PeriodIndex(["2014", "2018"], freq="Y"))
    out = bt.deflate(panel, index=own)  # a monthly panel takes its year's value
    np.testing.assert_allclose(out["value"], [50.0, 80.0 / 1.1])


@pytest.mark.parametrize(
    ("periods", "freq", "kwargs"),
    [
        (["2025-04"], "M", {}),  # after the HICP ends (2025-03)
        (["1998-12"], "M", {}),
        (["2025"], "Y", {}),  # incomplete year
        (["2020-01"], "M", {"base": 1990}),
    ],
)
def test_outside_coverage_raises(periods, freq, kwargs):
    with pytest.raises(NotCoveredError):
        bt.deflate(_panel(periods, [1.0] * len(periods), freq=freq), **kwargs)


def test_bad_index_names_the_argument():
    with pytest.raises(InvalidArgumentError, match="index"):
        bt.deflate(_panel(["2020-01"], [1.0]), index="cpi_be")
    with pytest.raises(InvalidArgumentError, match="index"):
        bt.deflate(_panel(["2020-01"], [1.0]), index=[1, 2])


def test_ecb_annual_averages_reproduced():
    usd = exchange_rate("USD", freq="Y")
    rub = exchange_rate("RUB", freq="Y")
    for year, published in (("2010", 1.3257), ("2014", 1.3285), ("2022", 1.0530)):
        assert usd[year] == pytest.approx(published, abs=5e-5)
    for year, published in (("2014", 50.9518), ("2015", 68.0720), ("2021", 87.1527)):
        assert rub[year] == pytest.approx(published, abs=5e-5)


def test_rouble_and_partial_months_not_covered():
    rub = exchange_rate("RUB")
    assert str(rub.index.min()) == "2005-04" and str(rub.index.max()) == "2022-02"
    assert pd.Period("2022-03", "M") not in rub.index  # one fixing only
    assert pd.Period("2025-05", "M") not in exchange_rate("USD").index  # 6 fixings


def test_currency_conversion_monthly_and_annual():
    usd = _panel(["2015-01"], [1.1621e6], currency="USD")
    eur = bt.convert_currency(usd, to="EUR")
    assert eur["value"].iloc[0] == pytest.approx(1e6, rel=5e-5)
    assert eur["currency"].iloc[0] == "EUR"
    annual = bt.convert_currency(_panel(["2014"], [1e6], freq="Y"), to="USD")
    assert annual["value"].iloc[0] == pytest.approx(1.3285e6, rel=5e-5)
    with pytest.raises(NotCoveredError):
        bt.convert_currency(_panel(["2025-05"], [1.0], currency="USD"), to="EUR")
    same = bt.convert_currency(_panel(["2030-01"], [7.0]), to="EUR")  # nothing to convert
    assert same["value"].iloc[0] == 7.0


def test_unit_values_laspeyres_volume_by_hand():
    # product A: 10 EUR/kg in base, B: 2 EUR/kg; in t1 A 5 kg for 60 EUR, B 30 kg for 90 EUR
    panel = _panel(
        ["2014-01", "2014-01", "2015-01", "2015-01"],
        [100.0, 40.0, 60.0, 90.0],
        product=["0401", "0402", "0401", "0402"],
        quantity=[10.0, 20.0, 5.0, 30.0],
    )
    out = unit_values(panel, base="2014-01").set_index("period")
    t1 = out.loc[pd.Period("2015-01", "M")]
    assert t1["volume"] == pytest.approx(10 * 5 + 2 * 30)  # base unit values x quantities
    assert t1["volume_index"] == pytest.approx(100 * 110 / 140)
    assert t1["value_index"] == pytest.approx(100 * 150 / 140)
    assert t1["price_index"] == pytest.approx(100 * 150 / 110)

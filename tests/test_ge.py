"""General-equilibrium counterfactuals: the book's NAFTA application and invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import ConvergenceError, InvalidArgumentError
from belru_trade.policy.ge import solve_cross_section
from belru_trade.policy.ge_solver import solve_full_yotov2016, solve_resistances, trade_matrix

DATA = Path(__file__).parent / "data"
NAFTA = ("CAN", "MEX", "USA")


@pytest.fixture(scope="module")
def nafta_panel() -> pd.DataFrame:
    d = pd.read_csv(DATA / "reference" / "yotov2016_agtpa_applications.csv.gz")
    d = d[d["year"].isin(range(1986, 2007, 4))].reset_index(drop=True)
    both = d["exporter"].isin(NAFTA) & d["importer"].isin(NAFTA)
    d["rta_no_nafta"] = np.where(both, 0.0, d["rta"])
    return d


@pytest.fixture(scope="module")
def nafta_book(nafta_panel):
    return bt.ge(
        nafta_panel, policy="rta", counterfactual="rta_no_nafta", baseline_year=1994,
        sigma=7, reference="DEU", method="yotov2016",
    )  # fmt: skip


def test_stage_one_rta_matches_stata_log(nafta_book):
    # Stata log (Chapter 2, RTAsEffects.log): RTA .5571853
    assert nafta_book.params["rta"] == pytest.approx(0.5571853, abs=5e-6)


# Tolerances from the published precision (2 decimals: half a unit is 0.005 pp). The two
# export columns are held to 0.015 pp: the book's export changes sit up to 0.014 pp above the
# ones computed here for every method and stopping rule tried (already in the conditional
# column, before the full-endowment loop), a gap not traced to a documented step of the
# do-file; every other column agrees within 0.005.
NAFTA_TOL = {
    "exports_cdl": 0.015,
    "exports_full": 0.015,
    "rgdp_full": 0.005,
    "imr_full": 0.005,
    "omr_full": 0.005,
    "price_full": 0.005,
}


def test_nafta_reproduces_published_table(nafta_book):
    published = pd.read_csv(DATA / "policy" / "yotov2016_nafta_ge_published.csv", index_col=0)
    ours = nafta_book.table(style="book").loc[published.index, published.columns]
    for column, tol in NAFTA_TOL.items():
        np.testing.assert_allclose(ours[column], published[column], atol=tol, err_msg=column)
    # signs of every entry the table does not round to zero
    shown = published.abs() >= 0.01
    assert ((np.sign(ours) == np.sign(published)) | ~shown).all().all()
    assert nafta_book.iterations == 3  # the Stata log stops after three iterations


def test_book_loop_raises_when_its_rule_is_not_met():
    rng = np.random.default_rng(5)
    x = rng.uniform(1, 10, (4, 4)) + np.diag(rng.uniform(50, 100, 4))
    t_bln = rng.uniform(0.3, 1, (4, 4))
    np.fill_diagonal(t_bln, 1.0)
    t_cfl = t_bln * np.where(np.eye(4) == 1, 1.0, 0.8)
    kw = {"sigma": 7, "reference": 0}
    assert solve_full_yotov2016(t_bln, t_cfl, x, **kw)["iterations"] < 100
    with pytest.raises(ConvergenceError, match="maxiter=1"):
        solve_full_yotov2016(t_bln, t_cfl, x, maxiter=1, **kw)
    with pytest.raises(ConvergenceError, match="tol=1e-14"):
        solve_full_yotov2016(t_bln, t_cfl, x, tol=1e-14, maxiter=5, **kw)


def test_exact_equilibrium_conditions(nafta_panel):
    res = bt.ge(
        nafta_panel, policy="rta", counterfactual="rta_no_nafta", baseline_year=1994,
        reference="DEU",
    )  # fmt: skip
    book = pd.read_csv(DATA / "policy" / "yotov2016_nafta_ge_published.csv", index_col=0)
    table = res.table(style="book")
    # conditional GE does not depend on the full-endowment loop: same as published
    np.testing.assert_allclose(
        table.loc[book.index, "exports_cdl"], book["exports_cdl"], atol=NAFTA_TOL["exports_cdl"]
    )
    c = res.countries
    # market clearing in the full equilibrium: p = (OMR'/OMR)^(1/sigma) with IMR_ref = 1
    np.testing.assert_allclose(
        c["price_full"], (c["omr_full"] / c["omr_bln"]) ** (1 / 7), rtol=1e-8
    )
    assert c.loc["DEU", "imr_full"] == pytest.approx(1.0)
    f = res.flows.assign(x=res.flows["trade_full"])
    sales = f.groupby("exporter")["x"].sum()
    np.testing.assert_allclose(sales.loc[c.index], c["output_full"], rtol=1e-8)
    # NAFTA members gain, and the book's early-stopped loop lies within 1 pp of the limit
    assert (table.loc[list(NAFTA), "rgdp_full"] > 0).all()
    assert np.abs(table.loc[book.index, "exports_full"] - book["exports_full"]).max() < 1.0


def test_zero_counterfactual_gives_zero_effects(nafta_panel):
    res = bt.ge(
        nafta_panel, policy="rta", counterfactual="rta", baseline_year=1994, reference="DEU"
    )
    assert np.abs(res.table().to_numpy()).max() < 1e-6


def test_cross_section_zero_change_and_errors():
    rng = np.random.default_rng(1)
    n = 6
    names = [f"C{k}" for k in range(n)]
    x = rng.uniform(1, 10, (n, n)) + np.diag(rng.uniform(50, 100, n))
    t = rng.uniform(0.1, 1, (n, n))
    np.fill_diagonal(t, 1.0)
    f = pd.DataFrame({
        "exporter": np.repeat(names, n), "importer": np.tile(names, n),
        "trade": x.ravel(), "t_bln": t.ravel(), "t_cfl": t.ravel(),
    })  # fmt: skip
    for method in ("exact", "yotov2016"):
        r = solve_cross_section(f, method=method)
        assert np.abs(r.table().to_numpy()).max() < 1e-6
    with pytest.raises(InvalidArgumentError, match="sigma"):
        solve_cross_section(f, sigma=0.5)
    with pytest.raises(InvalidArgumentError, match="reference"):
        solve_cross_section(f, reference="XX")
    with pytest.raises(InvalidArgumentError, match="method"):
        solve_cross_section(f, method="magic")
    with pytest.raises(InvalidArgumentError, match="pairs"):
        solve_cross_section(f.iloc[1:])


def test_resistances_reproduce_row_and_column_sums():
    rng = np.random.default_rng(2)
    t = rng.uniform(0.2, 1, (5, 5))
    y = rng.uniform(1, 5, 5)
    e = y * rng.uniform(0.8, 1.2, 5)
    e = e * y.sum() / e.sum()
    omr, imr = solve_resistances(t, y, e, reference=0)
    x = trade_matrix(t, y, e, omr, imr)
    np.testing.assert_allclose(x.sum(1), y, rtol=1e-10)
    np.testing.assert_allclose(x.sum(0), e, rtol=1e-10)

"""Country arguments normalised through bt.codes (ISO2 any case, ISO3, names) or rejected."""

from __future__ import annotations

import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, UnknownCodeError
from belru_trade.geo.codes import country
from belru_trade.policy.measure import Measure


def test_country_normaliser():
    assert [country(v) for v in ("be", "BE", "BEL", "Belgium", "Belgique")] == ["BE"] * 5
    assert country("EL") == "GR" and country("uk") == "GB" and country("world") == "WORLD"
    with pytest.raises(UnknownCodeError, match="reporter='XX'"):
        country("XX", "reporter")
    with pytest.raises(InvalidArgumentError, match="not a country code"):
        country(56, "reporter")


def test_load_snapshot_normalises_reporter():
    """Before: reporter='be', 'BEL' or 'Belgium' silently returned an empty frame."""
    ref = bt.load_snapshot("comext_total_exports", reporter="BE", start="2019", end="2019")
    assert len(ref) == 12 and set(ref["reporter"]) == {"BE"}
    for spelling in ("be", "BEL", "Belgium"):
        got = bt.load_snapshot("comext_total_exports", reporter=spelling, start="2019", end="2019")
        assert got.equals(ref)
    partner = bt.load_snapshot("comext_total_exports", reporter="BE", partner="Russia")
    assert set(partner["partner"]) <= {"RU"} and len(partner) > 0
    with pytest.raises(UnknownCodeError, match="reporter='XX'"):
        bt.load_snapshot("comext_total_exports", reporter="XX")


def test_measure_normalises_target_and_sender():
    kw = {"kind": "export_ban", "products": ["7102"], "start": "2026-07"}
    m = Measure(sender=["be", "Germany", "NLD"], target="ru", **kw)
    assert m.target == "RU" and m.sender == ("BE", "DE", "NL")
    assert Measure(sender="EU", target="Russian Federation", **kw).target == "RU"
    with pytest.raises(UnknownCodeError, match="target='XX'"):
        Measure(sender="EU", target="XX", **kw)
    with pytest.raises(InvalidArgumentError, match="aggregate"):
        Measure(sender="EU", target="WORLD", **kw)
    with pytest.raises(InvalidArgumentError, match="not EU member states"):
        Measure(sender=["US"], target="RU", **kw)


def test_sources_normalise_country_arguments_like_the_cli():
    """bt.sources plans the same request for 'be'/'BEL'/'Belgium' as for 'BE'."""
    from belru_trade.store import sources

    plans = [
        sources.comext(
            reporter=r, partner="ru", product="080830", start="2014-01", end="2014-02", dry_run=True
        )
        for r in ("BE", "be", "BEL", "Belgium")
    ]
    urls = [[req.full_url for req in plan] for plan in plans]
    assert all(u == urls[0] for u in urls[1:])
    with pytest.raises(bt.UnknownCodeError, match="reporter"):
        sources.comext(
            reporter="XX",
            partner="RU",
            product="080830",
            start="2014-01",
            end="2014-02",
            dry_run=True,
        )

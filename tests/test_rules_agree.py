"""The fetchers' validators and the library's rules accept and refuse the same inputs.

The fetchers import nothing of belru_trade, so they hold their own validators
(``belru_trade.fetchers._rules``); the library holds one strict period parser
(``belru_trade.periods.parse_period``) and one product-code rule
(``belru_trade._validation.check_product_code``). One table of valid and hostile inputs is
fed to all of them; the expected outcomes are written by hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from belru_trade.fetchers.comtrade_query import comtrade_query
from belru_trade.fetchers.errors import InvalidQueryError
from belru_trade.fetchers.eurostat_query import comext_query

from belru_trade._validation import check_product_code
from belru_trade.errors import InvalidArgumentError
from belru_trade.periods import parse_period

FULLWIDTH = "\uff12\uff10\uff11\uff14"  # '2014' in fullwidth digits
ARABIC = "\u0662\u0660\u0661\u0664"  # '2014' in Arabic-Indic digits
NO = None

# input -> (library month, Comext month, Comtrade month): the month accepted, or None.
# The library accepts more shapes than the fetchers (days, quarters, a bare year); the
# fetchers never accept what the library refuses, and agree with it on their own shapes.
# (France, 251, reports to Comtrade over the whole range; Belgium changes code in 1999.)
MONTHS = {
    "2014-08": ("2014-08", "2014-08", "2014-08"),
    "201408": ("2014-08", NO, "2014-08"),
    "201401 ": ("2014-01", NO, "2014-01"),
    " 2014-01\n": ("2014-01", "2014-01", "2014-01"),
    "1900-01": ("1900-01", "1900-01", "1900-01"),
    "2100-12": ("2100-12", "2100-12", "2100-12"),
    "2014-13": (NO, NO, NO),
    "2014-00": (NO, NO, NO),
    "201413": (NO, NO, NO),
    "2014M00": (NO, NO, NO),
    "2014M01": (NO, NO, NO),
    "2014-1": (NO, NO, NO),
    "14-08": (NO, NO, NO),
    "2014/08": (NO, NO, NO),
    "2014-08\n2015": (NO, NO, NO),
    "2014-08x": (NO, NO, NO),
    "1899-12": (NO, NO, NO),
    "2101-01": (NO, NO, NO),
    "0000-01": (NO, NO, NO),
    f"{FULLWIDTH}-08": (NO, NO, NO),
    f"{ARABIC}-08": (NO, NO, NO),
    "2014-0\uff18": (NO, NO, NO),
    f"{FULLWIDTH}08": (NO, NO, NO),
    "": (NO, NO, NO),
    "2014-08-01": ("2014-08", NO, NO),
    "2014Q3": ("2014-07", NO, NO),
}

YEARS = {
    "2014": ("2014", "2014", "2014"),
    " 2014 ": ("2014", "2014", "2014"),
    "1900": ("1900", "1900", "1900"),
    "1899": (NO, NO, NO),
    "2101": (NO, NO, NO),
    "20140": (NO, NO, NO),
    "214": (NO, NO, NO),
    FULLWIDTH: (NO, NO, NO),
    ARABIC: (NO, NO, NO),
    "2014\u00b2": (NO, NO, NO),  # superscript two: str.isdigit() is True for it
}

# input -> (library with Comext lengths, Comext, library with Comtrade lengths, Comtrade)
PRODUCTS = {
    "080830": ("080830", "080830", "080830", "080830"),
    "0808 ": ("0808", "0808", "0808", "0808"),
    " 08\n": ("08", "08", "08", "08"),
    "08083000": ("08083000", "08083000", NO, NO),
    "TOTAL": ("TOTAL", "TOTAL", "TOTAL", "TOTAL"),
    "total": ("TOTAL", "TOTAL", "TOTAL", "TOTAL"),
    "\uff34\uff2f\uff34\uff21\uff2c": (NO, NO, NO, NO),  # fullwidth TOTAL
    "08O8": (NO, NO, NO, NO),
    "\uff10\uff18\uff10\uff18": (NO, NO, NO, NO),
    "\u0660\u0668\u0660\u0668": (NO, NO, NO, NO),
    "\u00b2\u00b2": (NO, NO, NO, NO),
    "8": (NO, NO, NO, NO),
    "080": (NO, NO, NO, NO),
    "08083": (NO, NO, NO, NO),
    "0808300000": (NO, NO, NO, NO),
    "080830000000000000": (NO, NO, NO, NO),
    "0808.30": (NO, NO, NO, NO),
    "08 08": (NO, NO, NO, NO),
    "-0808": (NO, NO, NO, NO),
    "": (NO, NO, NO, NO),
}


def _library(value, freq: str) -> str | None:
    try:
        return str(parse_period(value, freq))
    except InvalidArgumentError:
        return None


def _comext(value, freq: str) -> str | None:
    try:
        query = comext_query("BE", "RU", "080830", freq=freq, start=value, end=value)
    except InvalidQueryError:
        return None
    return query.since


def _comtrade(value, freq: str) -> str | None:
    try:
        query = comtrade_query(251, 643, "080830", freq=freq, start=value, end=value)
    except InvalidQueryError:
        return None
    (period,) = query.periods
    return period if freq == "A" else f"{period[:4]}-{period[4:]}"


def _agree(library: str | None, *fetchers: str | None) -> None:
    for fetched in fetchers:
        if fetched is not None:  # a fetcher never accepts what the library refuses
            assert library == fetched


@pytest.mark.parametrize("text", sorted(MONTHS))
def test_monthly_periods(text) -> None:
    got = (_library(text, "M"), _comext(text, "M"), _comtrade(text, "M"))
    assert got == MONTHS[text]
    _agree(*got)


@pytest.mark.parametrize("text", sorted(YEARS))
def test_annual_periods(text) -> None:
    got = (_library(text, "A"), _comext(text, "A"), _comtrade(text, "A"))
    assert got == YEARS[text]
    _agree(*got)


def test_integer_periods_agree() -> None:
    assert (_library(2014, "A"), _comext(2014, "A"), _comtrade(2014, "A")) == ("2014",) * 3
    assert (_library(201408, "M"), _comtrade(201408, "M")) == ("2014-08", "2014-08")
    for flag in (True, False):
        assert (_library(flag, "A"), _comext(flag, "A"), _comtrade(flag, "A")) == (NO,) * 3


def _rule(value, lengths) -> str | None:
    try:
        return check_product_code("product", value, lengths=lengths, allow_total=True)
    except InvalidArgumentError:
        return None


def _comext_product(value) -> str | None:
    try:
        return comext_query("BE", "RU", value, freq="A", start="2014", end="2014").codes("product")[
            0
        ]
    except InvalidQueryError:
        return None


def _comtrade_product(value) -> str | None:
    try:
        return comtrade_query(56, 643, value, freq="A", start="2014", end="2014").products[0]
    except InvalidQueryError:
        return None


@pytest.mark.parametrize("text", sorted(PRODUCTS))
def test_product_codes(text) -> None:
    got = (
        _rule(text, (2, 4, 6, 8)),
        _comext_product(text),
        _rule(text, (2, 4, 6)),
        _comtrade_product(text),
    )
    assert got == PRODUCTS[text]
    assert got[0] == got[1] and got[2] == got[3]


@pytest.mark.parametrize("value", [80830, 8703, 8.0, None, b"0808"])
def test_non_strings_are_refused_as_product_codes_by_all(value) -> None:
    # an integer has lost its leading zeros (80830 was '080830')
    assert _rule(value, (2, 4, 6, 8)) is None
    assert _comext_product(value) is None
    assert _comtrade_product(value) is None


def test_the_library_refuses_hostile_codes_before_the_fetchers_see_them() -> None:
    from belru_trade.store import sources

    for bad in ("08O8", "\uff10\uff18\uff10\uff18", "0808300000", 8703):
        with pytest.raises(InvalidArgumentError, match="product"):
            sources.comext("BE", "RU", bad, start="2014-01", end="2014-02", dry_run=True)
        with pytest.raises(InvalidArgumentError, match="product"):
            sources.comtrade("BE", "RU", bad, start="2014-01", end="2014-02", dry_run=True,
                             api_key="")  # fmt: skip


def _non_docstring_strings(tree) -> list:
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            docs.add(id(body[0].value))
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def test_no_pattern_uses_unicode_digits() -> None:
    """``\\d`` matches every Unicode decimal digit; the rules allow ASCII ``[0-9]`` only."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for folder in ("belru_trade", "fetchers"):
        for path in (root / folder).rglob("*.py"):
            for node in _non_docstring_strings(ast.parse(path.read_text())):
                if "\\d" in node.value:
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []

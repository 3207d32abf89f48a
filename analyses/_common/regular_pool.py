"""The headline control pool of the 2014 designs: controls that filed in every month.

Under the rule of :mod:`~belru_trade.analyses._common.comtrade_filing`, a month in which a
control filed nothing with the partner is missing, and a group total is missing when such
controls carried more than 1% of the group's pre-period volume. A few irregular reporters
of the clean control pool (e.g. Uruguay, Morocco, Korea) then leave the controls' total
missing in half of the post-embargo months. The headline comparison is therefore built from
the **regular pool**: the clean controls (after the exclusion of the Eurasian Economic Union
members and the transit routes) that filed in every month of the design window, pre and
post. The full pool, with its missing months, is a sensitivity row.

A regular pool is too small for a product group when fewer than :data:`MIN_CONTROLS` of its
members shipped at least :data:`MIN_PRE_TONNES` tonnes of the group's products over the
pre-period (the threshold of the event studies' flows); the headline then falls back to the
full pool, and the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from belru_trade.analyses._common.comtrade_filing import ComtradeFiling

__all__ = [
    "MIN_CONTROLS",
    "MIN_PRE_TONNES",
    "POOL_CAVEAT",
    "ControlPool",
    "control_pool",
    "pool_groups",
    "pool_table",
]

#: fewest regular controls shipping the product group for the regular pool to be the headline
MIN_CONTROLS = 5
#: pre-period tonnes from which a control counts as shipping the group (as the event studies)
MIN_PRE_TONNES = 120.0

#: the rule, as a caveat of the 2014 analyses
POOL_CAVEAT = (
    "Control pool: the headline comparison uses the controls (after the EAEU and transit "
    "exclusions) that filed in every month of the design window 2012-01..2016-07, so that "
    "the controls' total is observed in every month; all controls, with the months of "
    "irregular reporters missing, are a sensitivity row (the event studies, which need no "
    "group total, keep all controls). No month of a regular control is missing, so the 1% "
    "tolerance for group totals matters only for the full pool and the treated origins "
    "outside the EU (a 0% tolerance is a sensitivity row). Where fewer than "
    f"{MIN_CONTROLS} of the regular controls shipped at least {MIN_PRE_TONNES:.0f} t of a "
    "product group before the embargo, that group's headline falls back to all controls; "
    "the table of control pools says which pool each group uses. The controls may "
    "themselves have gained from the embargo, as Russian buyers turned to suppliers it did "
    "not cover; a control that gained makes the embargoed origins' loss look larger by its "
    "gain, so read the control-based loss beside the controls' own level change (in the "
    "comparative ITS table) and the own-trend row."
)


@dataclass(frozen=True)
class ControlPool:
    """The control pools of one product group of a 2014 design.

    Attributes
    ----------
    group : str
        The product group (e.g. "dairy").
    full : tuple of str
        All clean controls (irregular months missing): the sensitivity pool.
    regular : tuple of str
        The clean controls that filed in every month of ``window``.
    shipping : tuple of str
        Members of ``regular`` shipping at least :data:`MIN_PRE_TONNES` of the group over the
        pre-period.
    shipping_all : tuple of str
        Members of ``full`` doing so.
    share : float
        The regular pool's share of the full pool's pre-period volume of the group (0-1).
    window : tuple of str
        First and last month of the design window.
    """

    group: str
    full: tuple[str, ...]
    regular: tuple[str, ...]
    shipping: tuple[str, ...]
    shipping_all: tuple[str, ...]
    share: float
    window: tuple[str, str]

    @property
    def fallback(self) -> bool:
        """True when the regular pool is too small and the headline uses the full pool."""
        return len(self.shipping) < MIN_CONTROLS

    @property
    def headline(self) -> tuple[str, ...]:
        """The controls of the headline comparison."""
        return self.full if self.fallback else self.regular

    @property
    def label(self) -> str:
        """The headline controls in words ("never-embargoed controls that filed in every
        month" or, after a fallback, "all never-embargoed controls, irregular months
        missing")."""
        if self.fallback:
            return "all never-embargoed controls, irregular months missing"
        return "never-embargoed controls that filed in every month"

    def note(self) -> str:
        """One sentence saying which pool the headline uses and why."""
        first, last = self.window
        if self.fallback:
            return (
                f"{self.group}: only {len(self.shipping)} of the controls that filed in every "
                f"month {first}..{last} shipped at least {MIN_PRE_TONNES:.0f} t before the "
                f"embargo (fewer than {MIN_CONTROLS}); the headline falls back to all "
                "controls, irregular months missing."
            )
        return (
            f"{self.group}: headline controls are the {len(self.regular)} controls that filed "
            f"in every month {first}..{last} ({len(self.shipping)} of them shipping at least "
            f"{MIN_PRE_TONNES:.0f} t before the embargo, {100 * self.share:.0f}% of all "
            "controls' pre-embargo volume)."
        )


def _pre_tonnes(
    rows: pd.DataFrame, products: Iterable[str] | None, start: str, pre_end: str
) -> pd.Series:
    sub = rows[rows["quantity"].notna()]
    if products is not None:
        sub = sub[sub["product"].isin(set(products))]
    periods = pd.PeriodIndex(sub["period"], freq="M")
    inside = (periods >= pd.Period(start, freq="M")) & (periods <= pd.Period(pre_end, freq="M"))
    return sub[inside].groupby("reporter")["quantity"].sum() / 1e3


def control_pool(
    rows: pd.DataFrame,
    filing: ComtradeFiling,
    controls: Iterable[str],
    *,
    group: str,
    start: str,
    end: str,
    pre_end: str,
    products: Iterable[str] | None = None,
) -> ControlPool:
    """The regular and the full control pool of one product group.

    Parameters
    ----------
    rows : DataFrame
        Export rows to the partner (``reporter``, ``product``, ``period``, ``quantity`` in
        kg).
    filing : ComtradeFiling
        The filed months of the extract.
    controls : iterable of str
        The clean control pool.
    group : str
        Label of the product group.
    start, end : str
        The design window (every month of it must be filed for the regular pool).
    pre_end : str
        Last pre-period month (the volumes that count a control as shipping).
    products : iterable of str, optional
        The group's products (default: every product of ``rows``).

    Examples
    --------
    >>> p = pd.DataFrame({"source": "comtrade", "partner": "RU", "reporter": ["NZ", "NZ", "UY"],
    ...     "product": "0401", "quantity": 2e5,
    ...     "period": pd.PeriodIndex(["2020-01", "2020-02", "2020-01"], freq="M")})
    >>> f = ComtradeFiling.from_panel(p, "RU", start="2020-01", end="2020-02")
    >>> pool = control_pool(p, f, ["NZ", "UY"], group="dairy", start="2020-01",
    ...     end="2020-02", pre_end="2020-01")
    >>> pool.regular, pool.full, pool.fallback, pool.headline
    (('NZ',), ('NZ', 'UY'), True, ('NZ', 'UY'))
    """
    full = tuple(sorted(set(controls)))
    regular = filing.regular(full, start, end)
    tonnes = _pre_tonnes(rows[rows["reporter"].isin(full)], products, start, pre_end)
    shipping_all = tuple(r for r in full if tonnes.get(r, 0.0) >= MIN_PRE_TONNES)
    shipping = tuple(r for r in regular if r in shipping_all)
    total = float(tonnes.sum())
    share = float(tonnes.reindex(regular).fillna(0.0).sum()) / total if total > 0 else 0.0
    return ControlPool(group, full, regular, shipping, shipping_all, share, (start, end))


def pool_table(pools: Iterable[ControlPool]) -> pd.DataFrame:
    """Both pools per product group: members, how many ship the group, which is the headline.

    Columns: ``product group``, ``pool``, ``controls``, ``number``, ``shipping at least 120 t
    before the embargo``, ``share of all controls' pre-embargo volume (%)``, ``used for``.
    """
    out = []
    for pool in pools:
        first, last = pool.window
        for name, members, shipping, share in (
            (f"filed in every month {first}..{last}", pool.regular, pool.shipping, pool.share),
            ("all controls, irregular months missing", pool.full, pool.shipping_all, 1.0),
        ):
            headline = members == pool.headline
            out.append(
                {
                    "product group": pool.group,
                    "pool": name,
                    "controls": ", ".join(members),
                    "number": len(members),
                    f"shipping at least {MIN_PRE_TONNES:.0f} t before the embargo": len(shipping),
                    "share of all controls' pre-embargo volume (%)": 100 * share,
                    "used for": "headline" if headline else "sensitivity row",
                }
            )
    return pd.DataFrame(out)


def pool_groups(pools: Iterable[ControlPool]) -> dict[str, tuple[str, ...]]:
    """The control groups of ``provenance.json`` (ISO alpha-2 codes per group).

    The headline pool (the regular pool, or all controls for the product groups that fall
    back), the full pool and the candidates left out as EAEU members or transit routes.
    The pools of one analysis share their members: filing is per reporter, not per product.
    """
    import belru_trade as bt

    pools = list(pools)
    first, last = pools[0].window
    regular = [p.group for p in pools if not p.fallback]
    fallback = [p.group for p in pools if p.fallback]
    full = "all never-embargoed origins, irregular months missing"
    out = {}
    if regular:
        scope = f" ({', '.join(regular)})" if fallback else ""
        key = f"controls (headline{scope}): never-embargoed origins that filed in every month "
        out[f"{key}{first}..{last}"] = pools[0].regular
    if fallback:
        key = f"controls (headline, {', '.join(fallback)}: the regular pool is too small): "
        out[key + full] = pools[0].full
    out[f"controls (sensitivity rows, event studies): {full}"] = pools[0].full
    out["left out of the controls: Eurasian Economic Union and transit routes"] = tuple(
        sorted(set(bt.codes.embargo_control_origins()) - set(pools[0].full))
    )
    return out

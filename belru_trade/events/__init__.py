"""Sanction events: the registry, the scope rules and treatment indicators.

The registry (``belru_trade/data/sanction_events.csv``, 59 events; provenance in
``PROVENANCE_registries.md`` and the shared ``events/PROVENANCE.md``) lists Russia's food
embargo 2014-2026, the EU 2014 and 2022-2026 packages, diamond, LNG and gas measures.

Scope of an event
-----------------
* Russian (``RU``) events: banned goods originate in the target countries (``EU28``/``EU27``
  expand to the EU member states on the date, the United Kingdom included until the end of
  the Brexit transition on 2020-12-31; ``all embargoed origins`` expands to
  :func:`belru_trade.geo.codes.embargo_origins`), destination Russia.
* EU import bans: origin Russia, destination the EU member states on the date. Export
  measures (``direction`` = ``export`` in the registry: Reg. 833/2014, 960/2014, the 2022
  export bans 2022/328, 2022/394, the luxury-goods ban of 2022/428 and the Belarus
  measures of 2022/355): origin the imposing party's members, destination the target
  (Russia or Belarus). G7 measures: destination the G7 countries and the EU members; US:
  the United States; BE: Belgium. The G7 oil price cap (maritime services) has no
  destination restriction.
* Origin-specific Russian bans before the 2014 embargo (Lithuanian dairy from 2013-10-07,
  EU pork and live pigs from 2014-01-29, Polish fruit and vegetables from 2014-08-01) run
  until the embargo took the products over.
* CN codes and value thresholds below the HS prefixes (the luxury-goods export ban of Reg.
  2022/428, as far as a source states them) are in :func:`product_scope`.
* HS codes are prefixes of HS2012+ codes. Before HS2012 the pear code 080830 did not exist;
  the old 080820 (pears and quinces) is matched in its place.
* Carve-out rows (``RU-2014-RES830``, ``RU-2021-LIST-AMEND``) are exemptions, not
  additions: they never create treatment. Where an exemption is a whole HS6 code (seed
  potatoes, 070110, by Res. 830) the code is removed from the Russian embargo's treatment
  from the exemption's date; the other exemptions (lactose-free dairy, smolt, seeds, whey
  D90, snails) are narrower than any HS6 code and are not subtracted.
* An event applies from ``in_force`` to ``ended``. Rows of the Russian food-embargo regime
  without an end of their own run to the end of the extension chain (2026-12-31,
  Decree 807). Month-only dates (``2015-08``) are read as the announcement day when it falls
  in that month, otherwise as the first day of the month.

Examples
--------
>>> from belru_trade import events
>>> ev = events.get("RU-2014-RES778")
>>> str(ev.in_force.date()), str(ev.effective_end.date()), "BE" in ev.origins
('2014-08-07', '2026-12-31', True)
>>> "EU-2023-PKG12-DIAMONDS-DIRECT" in set(events.affecting(product="710231", origin="RU",
...     destination="BE", date="2024-02")["event_id"])
True
"""

from __future__ import annotations

from belru_trade.events.coverage import affecting
from belru_trade.events.registry import Event, event_ids, get, load
from belru_trade.events.scopes import product_scope
from belru_trade.events.treatment import treatment

__all__ = ["Event", "affecting", "event_ids", "get", "load", "product_scope", "treatment"]

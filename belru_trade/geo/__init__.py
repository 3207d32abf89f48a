"""Geography: country codes, names and dated country groups (``bt.codes``).

The canonical geography code of belru_trade is the ISO 3166-1 alpha-2 code (``GR``, ``GB``;
``XK`` for Kosovo); Eurostat's ``EL``/``UK`` are translated on input and output, and
aggregates (``EU27_2020``, ``EXTRA_EU27_2020``, ``WORLD``, ...) are explicit codes.

Modules
-------
codes
    One code in one scheme to another: :func:`to_iso2`, :func:`iso3`, :func:`m49`,
    :func:`comtrade_code` (dated: Belgium is 58 before 1999 and 56 after), ...
names
    Spellings used by sources to codes: :func:`from_name`; any code or name of one country:
    :func:`country`.
harmonise
    Many codes or names at once: :func:`harmonise`.
groups
    Dated groups (EU members on a date, Russia's embargo list) and control pools.

Registry files (``belru_trade/data/``, provenance in ``PROVENANCE_registries.md``):
``countries.csv``, ``comtrade_codes.csv``, ``country_aliases.csv``, ``country_groups.csv``.

Examples
--------
>>> from belru_trade import geo
>>> geo.to_iso2("EL", scheme="eurostat"), geo.eurostat_code("GB")
('GR', 'UK')
>>> geo.from_name("Czech Rep.", scheme="comtrade")
'CZ'
>>> geo.is_member("GB", "EU28", "2019-06")
True
"""

from __future__ import annotations

from belru_trade.geo.codes import (
    AGGREGATES,
    ComtradeCode,
    comtrade_code,
    comtrade_info,
    countries,
    country,
    eurostat_code,
    iso3,
    known_geo_codes,
    m49,
    name,
    to_iso2,
)
from belru_trade.geo.groups import (
    embargo_control_origins,
    embargo_origins,
    group_members,
    groups,
    is_member,
    russia_control_pool,
)
from belru_trade.geo.harmonise import harmonise
from belru_trade.geo.names import from_name

__all__ = [
    "AGGREGATES",
    "ComtradeCode",
    "comtrade_code",
    "comtrade_info",
    "countries",
    "country",
    "embargo_control_origins",
    "embargo_origins",
    "eurostat_code",
    "from_name",
    "group_members",
    "groups",
    "harmonise",
    "is_member",
    "iso3",
    "known_geo_codes",
    "m49",
    "name",
    "russia_control_pool",
    "to_iso2",
]

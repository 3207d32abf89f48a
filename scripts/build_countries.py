"""Developer script: regenerate the country registry files in ``belru_trade/data/``.

Not used at run time. Run from the repository root::

    python scripts/build_countries.py \
        --reporters REPORTERS_JSON

Inputs
------
* UN Comtrade reference list of reporters (``reference_Reporters.json``, 255 rows with
  ISO alpha-2/alpha-3, validity dates and the group flag): Comtrade codes and names.
* Unicode CLDR territory data as shipped by the ``babel`` package (a development-only
  dependency, imported inside :func:`main`): ISO 3166 alpha-2 list, alpha-3 and UN M49
  numeric codes, English and French territory names.
* The hand-written tables below: historical entities, Eurostat special partner codes,
  legacy Comtrade spellings and Eurostat labels that neither source carries.

Outputs (written atomically): ``countries.csv``, ``comtrade_codes.csv``,
``country_aliases.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from belru_trade._outputs import atomic_open

DATA = Path(__file__).resolve().parents[1] / "belru_trade" / "data"

# CLDR maps several numeric/alpha-3 codes to one alpha-2 (deprecated codes); pick ISO's.
M49_OVERRIDE = {"ET": "231", "DE": "276", "SD": "729", "YE": "887", "FR": "250"}
ISO3_OVERRIDE = {"MM": "MMR", "CD": "COD", "DE": "DEU", "FR": "FRA", "TL": "TLS", "YE": "YEM"}
EUROSTAT_CODE = {"GR": "EL", "GB": "UK"}

# iso2, iso3, m49, name, valid_from, valid_to, kind, note
EXTRA_ROWS = [
    ("SU", "SUN", "810", "USSR", "", "1991-12-25", "historical", "ISO 3166-3 SUHH"),
    ("YU", "YUG", "890", "Yugoslavia (SFR)", "", "1992-04-27", "historical", "ISO 3166-3 YUCS"),
    ("DD", "DDR", "278", "German Democratic Republic", "", "1990-10-02", "historical", "DDDE"),
    ("CS", "SCG", "891", "Serbia and Montenegro", "1992-04-27", "2006-06-02", "historical", "CSXX"),
    ("CSHH", "CSK", "200", "Czechoslovakia", "", "1992-12-31", "historical", "ISO 3166-3 CSHH"),
    ("AN", "ANT", "530", "Netherlands Antilles", "", "2010-10-09", "historical", "ISO 3166-3 ANHH"),
    ("XK", "XKX", "", "Kosovo", "2008-02-17", "", "country", "user-assigned code XK (EU/IMF)"),
    ("XC", "", "", "Ceuta", "", "", "special", "Eurostat GEONOM code; part of ES in ISO"),
    ("XL", "", "", "Melilla", "", "", "special", "Eurostat GEONOM code; part of ES in ISO"),
]
# Eurostat GEONOM special partners (codes from the GEONOM list; the shared extract carries
# labels only, so these codes were assigned by the compiler: see PROVENANCE_registries.md)
SPECIAL_ROWS = [
    ("QP", "High seas"),
    ("QR", "Stores and provisions within the framework of intra-Union trade"),
    ("QS", "Stores and provisions within the framework of extra-Union trade"),
    ("QV", "Countries and territories not specified within the framework of intra-Union trade"),
    ("QW", "Countries and territories not specified within the framework of extra-Union trade"),
    (
        "QY",
        "Countries and territories not specified for commercial or military reasons in the "
        "framework of intra-Union trade",
    ),
    (
        "QZ",
        "Countries and territories not specified for commercial or military reasons in the "
        "framework of extra-Union trade",
    ),
]
# Comtrade codes without an ISO2 of their own -> our code (None = no equivalent)
COMTRADE_ISO_OVERRIDE = {
    "0": "WORLD",
    "97": "EU",
    "975": "ASEAN",
    "490": "TW",
    "200": "CSHH",
    "891": "CS",
}
COMTRADE_EXTRA = [("0", "World", "", "", True)]
COMTRADE_NOTES = {
    "58": "Belgium-Luxembourg: includes LU; valid to 1998-12-31",
    "490": "Other Asia, nes: Taiwan in practice (Comtrade does not name it)",
    "251": "France incl. Monaco",
    "757": "Switzerland incl. Liechtenstein",
    "842": "USA incl. Puerto Rico and US Virgin Islands",
    "579": "Norway incl. Svalbard and Jan Mayen",
    "699": "India from 1975",
    "381": "Italy (code used in Comtrade monthly extracts; = ISO 380)",
}

# (alias, code, scheme)
ALIASES = [
    # legacy UN Comtrade spellings (embargo_2014 and energy extracts)
    ("Czech Rep.", "CZ", "comtrade"),
    ("Faeroe Isds", "FO", "comtrade"),
    ("EU-28", "EU28", "comtrade"),
    ("EU-27", "EU27_2020", "comtrade"),
    ("EU", "EU", "comtrade"),
    ("European Union", "EU", "any"),
    ("World", "WORLD", "any"),
    ("ASEAN (code 975)", "ASEAN", "comtrade"),
    ("ASEAN", "ASEAN", "any"),
    ("TFYR of Macedonia", "MK", "comtrade"),
    ("United States of America", "US", "comtrade"),
    ("USA", "US", "comtrade"),
    ("Turkey", "TR", "any"),
    ("Dem.Rep. of the Congo", "CD", "comtrade"),
    ("Bolivia", "BO", "any"),
    ("Swaziland", "SZ", "any"),
    ("Cape Verde", "CV", "any"),
    ("Other Asia, nes", "TW", "comtrade"),
    ("Moldova", "MD", "any"),
    ("Italy", "IT", "any"),
    ("Sudan", "SD", "comtrade"),
    ("Fmr USSR", "SU", "comtrade"),
    ("Serbia and Montenegro", "CS", "any"),
    ("Czechoslovakia", "CSHH", "any"),
    # Eurostat English labels (after the "(incl. ...)" suffix is stripped)
    ("Hong Kong", "HK", "eurostat"),
    ("Macao", "MO", "eurostat"),
    ("Congo, Democratic Republic of", "CD", "eurostat"),
    ("Iran, Islamic Republic of", "IR", "eurostat"),
    ("Korea, Republic of", "KR", "eurostat"),
    ("Korea, Democratic People’s Republic of", "KP", "eurostat"),
    ("Lao People’s Democratic Republic", "LA", "eurostat"),
    ("Micronesia, Federated States of", "FM", "eurostat"),
    ("Moldova, Republic of", "MD", "eurostat"),
    ("Bolivia, Plurinational State of", "BO", "eurostat"),
    ("Venezuela, Bolivarian Republic of", "VE", "eurostat"),
    ("Tanzania, United Republic of", "TZ", "eurostat"),
    ("Syrian Arab Republic", "SY", "eurostat"),
    ("Occupied Palestinian Territory", "PS", "eurostat"),
    ("Virgin Islands, British", "VG", "eurostat"),
    ("Virgin Islands, United States", "VI", "eurostat"),
    ("Cocos Islands", "CC", "eurostat"),
    ("Falkland Islands", "FK", "eurostat"),
    ("Heard Island and McDonald Islands", "HM", "eurostat"),
    ("South Georgia and South Sandwich Islands", "GS", "eurostat"),
    ("St Kitts and Nevis", "KN", "eurostat"),
    ("St Lucia", "LC", "eurostat"),
    ("St Pierre and Miquelon", "PM", "eurostat"),
    ("St Vincent and the Grenadines", "VC", "eurostat"),
    ("Saint Helena, Ascension and Tristan da Cunha", "SH", "eurostat"),
    ("Sint Maarten", "SX", "eurostat"),
    ("Bonaire, Sint Eustatius and Saba", "BQ", "eurostat"),
    ("Holy See", "VA", "eurostat"),
    ("French Southern Territories", "TF", "eurostat"),
    ("Pitcairn", "PN", "eurostat"),
    ("United States Minor Outlying Islands", "UM", "eurostat"),
    ("Extra-EU27", "EXTRA_EU27_2020", "eurostat"),
    ("Intra-EU27", "INTRA_EU27_2020", "eurostat"),
    ("Extra-EU", "EXTRA_EU", "eurostat"),
    ("Intra-EU", "INTRA_EU", "eurostat"),
    ("EU27_2020", "EU27_2020", "eurostat"),
    ("European Union - 27 countries (from 2020)", "EU27_2020", "eurostat"),
    ("European Union - 28 countries (2013-2020)", "EU28", "eurostat"),
    ("Euro area", "EA", "eurostat"),
    ("Euro area - 19 countries", "EA19", "eurostat"),
    ("Euro area - 20 countries", "EA20", "eurostat"),
    ("European Union - 28 countries", "EU28", "eurostat"),
    ("European Union - 27 countries", "EU27_2020", "eurostat"),
    # Eurostat French labels of the 2016 file (after the "(...)" suffix is stripped)
    ("Extra-UE27", "EXTRA_EU27_2020", "french"),
    ("Intra-UE27", "INTRA_EU27_2020", "french"),
    ("Corée, République de", "KR", "french"),
    ("Corée, République populaire démocratique de", "KP", "french"),
    ("Congo, République démocratique du", "CD", "french"),
    ("Iran, République islamique d’", "IR", "french"),
    ("Moldavie, République de", "MD", "french"),
    ("Bolivie, Etat plurinational de", "BO", "french"),
    ("Venezuela, République bolivarienne du", "VE", "french"),
    ("Tanzanie, République unie de", "TZ", "french"),
    ("Micronésie, Etats fédérés de", "FM", "french"),
    ("République arabe syrienne", "SY", "french"),
    ("République démocratique populaire lao", "LA", "french"),
    ("Territoire palestinien occupé", "PS", "french"),
    ("Iles Vierges britanniques", "VG", "french"),
    ("Iles Vierges des Etats-Unis", "VI", "french"),
    ("Iles Falkland", "FK", "french"),
    ("Iles Cocos", "CC", "french"),
    ("Iles Turks-et-Caïcos", "TC", "french"),
    ("Iles Géorgie du Sud et Sandwich du Sud", "GS", "french"),
    ("Terres australes françaises", "TF", "french"),
    ("Sainte-Hélène, Ascension et Tristan da Cunha", "SH", "french"),
    ("Saint-Siège", "VA", "french"),
    ("Sint-Maarten", "SX", "french"),
    ("Bonaire, Saint-Eustache et Saba", "BQ", "french"),
    ("Timor-Oriental", "TL", "french"),
    ("Iles Heard et McDonald", "HM", "french"),
    ("Saint-Christophe-et-Nevis", "KN", "french"),
    ("Tokélaou", "TK", "french"),
    ("Pitcairn", "PN", "french"),
    ("Cap-Vert", "CV", "french"),
    ("Haute mer", "QP", "french"),
    ("Avitaillement et soutage dans le cadre des échanges intra-UE", "QR", "french"),
    ("Avitaillement et soutage dans le cadre des échanges avec les pays tiers", "QS", "french"),
    ("Pays et territoires non déterminés dans le cadre des échanges intra-UE", "QV", "french"),
    (
        "Pays et territoires non déterminés dans le cadre des échanges avec les pays tiers",
        "QW",
        "french",
    ),
    (
        "Pays et territoires non précisés pour des raisons commerciales ou militaires dans le "
        "cadre des échanges intra-UE",
        "QY",
        "french",
    ),
    (
        "Pays et territoires non précisés pour des raisons commerciales ou militaires dans le "
        "cadre des échanges avec les pays tiers",
        "QZ",
        "french",
    ),
]

COUNTRY_FIELDS = [
    "iso2",
    "iso3",
    "m49",
    "comtrade",
    "eurostat",
    "name",
    "comtrade_name",
    "valid_from",
    "valid_to",
    "kind",
    "note",
]


def _write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with atomic_open(path, text=True, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _cldr_tables() -> tuple[dict, dict, dict, dict]:
    from babel import Locale  # development-only dependency
    from babel.core import get_global

    aliases = get_global("territory_aliases")
    m49: dict[str, str] = {}
    iso3: dict[str, str] = {}
    for key, targets in aliases.items():
        if len(targets) != 1:
            continue
        if key.isdigit():
            m49.setdefault(targets[0], key)
        elif len(key) == 3 and key.isalpha():
            iso3.setdefault(targets[0], key)
    m49.update(M49_OVERRIDE)
    iso3.update(ISO3_OVERRIDE)
    return m49, iso3, dict(Locale("en").territories), dict(Locale("fr").territories)


def _comtrade_rows(reporters: list[dict]) -> list[dict]:
    rows = []
    for rec in reporters:
        code = str(rec["reporterCode"])
        iso2 = COMTRADE_ISO_OVERRIDE.get(code, rec.get("reporterCodeIsoAlpha2") or "")
        rows.append(
            {
                "code": code,
                "iso2": iso2,
                "name": rec["text"],
                "valid_from": rec.get("entryEffectiveDate", "")[:10].replace("1900-01-01", ""),
                "valid_to": (rec.get("entryExpiredDate") or "")[:10],
                "is_group": str(bool(rec.get("isGroup"))).lower(),
                "note": COMTRADE_NOTES.get(code, ""),
            }
        )
    for code, name, start, end, group in COMTRADE_EXTRA:
        rows.append(
            {
                "code": code,
                "iso2": COMTRADE_ISO_OVERRIDE[code],
                "name": name,
                "valid_from": start,
                "valid_to": end,
                "is_group": str(group).lower(),
                "note": "partner code only",
            }
        )
    rows.append(
        {
            "code": "381",
            "iso2": "IT",
            "name": "Italy",
            "valid_from": "",
            "valid_to": "",
            "is_group": "false",
            "note": COMTRADE_NOTES["381"],
        }
    )
    return sorted(rows, key=lambda r: int(r["code"]))


def _current_comtrade(comtrade: list[dict]) -> dict[str, dict]:
    current: dict[str, dict] = {}
    for row in comtrade:
        if row["valid_to"] or row["is_group"] == "true" or not row["iso2"] or row["code"] == "381":
            continue
        current.setdefault(row["iso2"], row)
    return current


def _country_rows(comtrade: list[dict]) -> list[dict]:
    m49, iso3, english, _ = _cldr_tables()
    current = _current_comtrade(comtrade)
    current["TW"] = next(r for r in comtrade if r["code"] == "490")
    rows = []
    for code in sorted(k for k in english if len(k) == 2 and k.isalpha()):
        if code not in iso3 or code in {"EU", "EZ", "UN", "QO", "XK", "AC", "CP", "DG", "TA"}:
            continue
        ct = current.get(code)
        rows.append(
            {
                "iso2": code,
                "iso3": iso3[code],
                "m49": m49.get(code, ""),
                "comtrade": ct["code"] if ct else m49.get(code, ""),
                "eurostat": EUROSTAT_CODE.get(code, code),
                "name": english[code],
                "comtrade_name": ct["name"] if ct else "",
                "valid_from": "",
                "valid_to": "",
                "kind": "country",
                "note": "" if ct else "not a Comtrade reporter; comtrade = M49",
            }
        )
    by_m49 = {r["code"]: r for r in comtrade}
    for code, alpha3, num, name, start, end, kind, note in EXTRA_ROWS:
        ct = by_m49.get(num)
        rows.append(
            {
                "iso2": code,
                "iso3": alpha3,
                "m49": num,
                "comtrade": num if ct else "",
                "eurostat": code,
                "name": name,
                "comtrade_name": ct["name"] if ct else "",
                "valid_from": start,
                "valid_to": end,
                "kind": kind,
                "note": note,
            }
        )
    for code, name in SPECIAL_ROWS:
        row = dict.fromkeys(COUNTRY_FIELDS, "")
        row.update(iso2=code, eurostat=code, name=name, kind="special", note="Eurostat GEONOM")
        rows.append(row)
    return rows


def _alias_rows(countries: list[dict], comtrade: list[dict]) -> list[dict]:
    _, _, english, french = _cldr_tables()
    known = {r["iso2"] for r in countries}
    seen: set[tuple[str, str]] = set()
    rows: list[dict] = []

    candidates = [(r["name"], r["iso2"], "comtrade") for r in comtrade if r["iso2"]]
    candidates += [(r["name"], r["iso2"], "english") for r in countries]
    candidates += [(r["name"], r["iso2"], "eurostat") for r in countries if r["kind"] == "special"]
    candidates += [(english[c], c, "english") for c in sorted(known) if c in english]
    candidates += [(french[c], c, "french") for c in sorted(known) if c in french]
    candidates += ALIASES
    for alias, code, scheme in candidates:
        if alias and (alias, scheme) not in seen:
            seen.add((alias, scheme))
            rows.append({"alias": alias, "code": code, "scheme": scheme})
    return rows


def main(argv: list[str] | None = None) -> None:
    """Regenerate the country registry CSV files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reporters", type=Path, required=True)
    args = parser.parse_args(argv)
    reporters = json.loads(args.reporters.read_text(encoding="utf-8"))["results"]
    comtrade = _comtrade_rows(reporters)
    countries = _country_rows(comtrade)
    aliases = _alias_rows(countries, comtrade)
    _write_csv(DATA / "comtrade_codes.csv", list(comtrade[0]), comtrade)
    _write_csv(DATA / "countries.csv", COUNTRY_FIELDS, countries)
    _write_csv(DATA / "country_aliases.csv", ["alias", "code", "scheme"], aliases)


if __name__ == "__main__":  # pragma: no cover
    main()

"""The data bridge: fetch Comext and Comtrade series as tidy trade panels.

The only module of belru_trade that imports :mod:`fetchers`. It translates friendly
arguments (ISO alpha-2 codes, HS strings, ``'2014-08'`` periods) into provider codes through
:mod:`belru_trade.geo.codes`, runs the fetchers through the local store
(:mod:`belru_trade.store.cache`), and harmonises the result into the panel of
:mod:`belru_trade.trade.panel`:

- countries back to ISO alpha-2 (Eurostat ``EL`` -> ``GR``; Comtrade 58 and 56 -> ``BE``;
  Eurostat ``EXT_EU27_2020`` -> ``EXTRA_EU27_2020``; Comtrade 0 -> ``WORLD``);
- Comext ``QUANTITY_IN_100KG`` times 100 -> ``quantity`` in ``kg``; Comtrade net weight in kg;
- ``value`` in ``EUR`` (Comext) or ``USD`` (Comtrade ``primaryValue``: CIF for imports, FOB for
  exports);
- flows ``import``/``export``; provider flags as words (``confidential``, ``provisional``,
  ``estimated``, ...).

Results are stored as parquet with their provenance; a second identical call sends no
request. ``offline=True`` serves only from the store and raises
:class:`~belru_trade.errors.OfflineError` listing what is missing.

Provider failures surface as :class:`belru_trade.fetchers.errors.FetchError` subclasses (re-exported
here as ``FetchError`` for callers that must not import :mod:`fetchers`).

Examples
--------
>>> plan = comext("BE", "RU", "080830", freq="M", start="2010-01", end="2016-12",
...               flow="export", dry_run=True)
>>> len(plan), plan[0].url.endswith("/statistics/1.0/data/DS-045409")
(1, True)
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import requests

from belru_trade._validation import check_choice, check_period
from belru_trade.errors import BelruTradeWarning, InvalidArgumentError, OfflineError
from belru_trade.fetchers import comtrade as _ct
from belru_trade.fetchers import eurostat as _es
from belru_trade.fetchers.errors import FetchError, InvalidQueryError, NotInStoreError
from belru_trade.fetchers.result import FetchResult, PlannedRequest
from belru_trade.geo import codes
from belru_trade.geo.harmonise import harmonise
from belru_trade.store import cache
from belru_trade.trade import panel

__all__ = ["FLAG_WORDS", "FetchError", "comext", "comtrade", "mirror"]

logger = logging.getLogger(__name__)

#: Eurostat observation flags as words (Eurostat's code list of flags)
FLAG_WORDS = {
    "c": "confidential",
    "p": "provisional",
    "e": "estimated",
    "b": "break",
    "u": "low_reliability",
    "n": "not_significant",
    "z": "not_applicable",
    "d": "definition_differs",
    "s": "eurostat_estimate",
    "r": "revised",
}
_COMEXT_AGGREGATES = {"EXTRA_EU27_2020": "EXT_EU27_2020", "INTRA_EU27_2020": "INT_EU27_2020"}
_HS_VINTAGES = {
    "H0": "HS1992",
    "H1": "HS1996",
    "H2": "HS2002",
    "H3": "HS2007",
    "H4": "HS2012",
    "H5": "HS2017",
    "H6": "HS2022",
}


def _as_list(name: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str | int) else list(value or [])
    if not items:
        raise InvalidArgumentError(f"{name}={value!r} is empty; give at least one code")
    return [str(v).strip() for v in items]


def _freq(freq: str) -> str:
    check_choice("freq", freq, ("M", "A", "Y"))
    return "A" if freq == "Y" else freq


def _bounds(freq: str, start: Any, end: Any) -> tuple[pd.Period, pd.Period]:
    if start is None or end is None:
        raise InvalidArgumentError(f"start={start!r}, end={end!r}: both periods are required")
    pandas_freq = "M" if freq == "M" else "Y"
    first = check_period("start", start, pandas_freq)
    last = check_period("end", end, pandas_freq)
    if first > last:
        raise InvalidArgumentError(f"start={start!r} is after end={end!r}")
    return first, last


def _flag_words(flags: Any) -> str | None:
    if flags is None or (isinstance(flags, float) and np.isnan(flags)):
        return None
    words = [FLAG_WORDS.get(letter, letter) for letter in str(flags)]
    return ";".join(dict.fromkeys(words)) or None


def _run(fetch: Any, query: Any, offline: bool, **options: Any) -> FetchResult:
    try:
        return fetch(query, store=cache.RawStore(), offline=offline, **options)
    except NotInStoreError as exc:
        raise OfflineError(
            f"offline=True but the local store ({cache.root()}) lacks "
            f"{len(exc.missing)} request(s): {'; '.join(exc.missing[:5])}"
        ) from exc


def _cached(provider: str, key: dict[str, Any], refresh: bool) -> pd.DataFrame | None:
    if refresh:
        return None
    hit = cache.load_tidy(provider, key)
    if hit is None:
        return None
    frame, provenance = hit
    frame.attrs["provenance"] = provenance
    frame.attrs["requests_sent"] = 0
    logger.info("%s query served from the local store", provider)
    return frame


def _store(provider: str, key: dict[str, Any], frame: pd.DataFrame, result: FetchResult):
    provenance = result.provenance.to_dict()
    frame.attrs["provenance"] = provenance
    frame.attrs["requests_sent"] = provenance["requests_sent"]
    cache.save_tidy(provider, key, frame, provenance)
    return frame


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """String columns as object dtype with None for missing (as in ``panel.empty_panel``)."""
    for column in ("reporter", "partner", "product", "nomenclature", "flow", "currency",
                   "unit", "source", "flag"):  # fmt: skip
        series = frame[column].astype(object)
        frame[column] = series.where(series.notna(), None)
    return frame


# ----------------------------------------------------------------------------- Comext


def _eurostat_geo(name: str, value: Any) -> list[str]:
    out = []
    for item in _as_list(name, value):
        iso = codes.to_iso2(item)
        out.append(_COMEXT_AGGREGATES.get(iso) or codes.eurostat_code(iso))
    return out


def _geo_back(values: pd.Series) -> pd.Series:
    back = {v: k for k, v in _COMEXT_AGGREGATES.items()}
    mapping = {
        code: back.get(code) or codes.to_iso2(code, scheme="eurostat") for code in set(values)
    }
    return values.map(mapping).astype(object)


def comext(
    reporter: str | Sequence[str],
    partner: str | Sequence[str],
    product: str | Sequence[str],
    *,
    freq: str = "M",
    start: Any = None,
    end: Any = None,
    flow: str = "both",
    quantity: bool = True,
    offline: bool = False,
    refresh: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    session: requests.Session | None = None,
    base_url: str | None = None,
    policy: Any = None,
) -> pd.DataFrame | list[PlannedRequest]:
    """Eurostat Comext (``DS-045409``) trade as a tidy panel.

    Parameters
    ----------
    reporter, partner : str or list of str
        ISO alpha-2 codes or aggregates (``EU27_2020``, ``EXTRA_EU27_2020``, ``WORLD``).
    product : str or list of str
        ``'TOTAL'`` or HS2/HS4/HS6/CN8 code strings (leading zeros kept).
    freq : {'M', 'A'}
    start, end : str
        ``'YYYY-MM'`` (monthly) or ``'YYYY'`` (annual), inclusive.
    flow : {'import', 'export', 'both'}
    quantity : bool
        Also fetch ``QUANTITY_IN_100KG`` (converted to kg).
    offline : bool
        Serve only from the local store; :class:`OfflineError` lists what is missing.
    refresh : bool
        Ignore a stored tidy result (raw responses are still reused).
    dry_run : bool
        Return the planned requests without sending any.
    progress : bool
        tqdm bar when more than one request is needed.
    session : requests.Session, optional
    base_url : str, optional
        Comext host override (else ``BELRU_TRADE_COMEXT_URL``).
    policy : belru_trade.fetchers.http.RetryPolicy, optional
        Timeouts, retries and backoff (defaults: 4 retries, 1 s doubling, 120 s cap on
        ``Retry-After``, timeouts 10 s connect / 120 s read).

    Returns
    -------
    pandas.DataFrame
        The panel of :mod:`belru_trade.trade.panel` (source ``'comext'``, currency ``'EUR'``,
        unit ``'kg'``); ``attrs['provenance']`` holds the provenance dict and
        ``attrs['requests_sent']`` the requests this call sent (0 when served from the store).

    Raises
    ------
    InvalidArgumentError
        A bad argument, or a code Eurostat does not know (it drops them silently).
    OfflineError
    belru_trade.fetchers.errors.FetchError
        Network failures after retries (``RateLimitError``, ``ServerError``, ...).

    Examples
    --------
    >>> [r.label for r in comext("BE", "RU", "080830", start="2013-01", end="2014-12",
    ...                          flow="export", dry_run=True)]
    ['DS-045409 48 cells']
    """
    freq = _freq(freq)
    check_choice("flow", flow, ("import", "export", "both"))
    first, last = _bounds(freq, start, end)
    fmt = "%Y-%m" if freq == "M" else "%Y"
    indicators = ["VALUE_IN_EUROS", *(["QUANTITY_IN_100KG"] if quantity else [])]
    try:
        query = _es.comext_query(
            _eurostat_geo("reporter", reporter), _eurostat_geo("partner", partner),
            _as_list("product", product), flow=flow, freq=freq, start=first.strftime(fmt),
            end=last.strftime(fmt), indicators=indicators,
        )  # fmt: skip
    except InvalidQueryError as exc:
        raise InvalidArgumentError(str(exc)) from exc
    key = {"source": "comext", **query.as_dict()}
    if dry_run:
        return _es.build_request(query, base_url=base_url)
    hit = _cached("comext", key, refresh)
    if hit is not None:
        return hit
    try:
        result = _run(_es.fetch, query, offline, session=session, base_url=base_url,
                      progress=progress, policy=policy)  # fmt: skip
    except InvalidQueryError as exc:
        raise InvalidArgumentError(str(exc)) from exc
    return _store("comext", key, _comext_panel(result.frame, freq), result)


def _periods(values: pd.Series, freq: str) -> pd.PeriodIndex:
    """Period index from period strings, parsing each distinct string once."""
    codes_, uniques = pd.factorize(values.astype(str))
    return pd.PeriodIndex(list(uniques), freq="M" if freq == "M" else "Y").take(codes_)


def _merge_flags(value_flag: pd.Series, quantity_flag: pd.Series) -> pd.Series:
    joined = value_flag.fillna("").astype(str) + quantity_flag.fillna("").astype(str)
    words = {text: _flag_words("".join(dict.fromkeys(text))) for text in joined.unique()}
    return joined.map(words).astype(object)


def _comext_panel(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    if frame.empty:
        return panel.empty_panel()
    frame = frame.copy()
    frame["flow"] = frame["flow"].map({"1": "import", "2": "export"})
    keys = ["reporter", "partner", "product", "flow", "period"]
    wide = frame.set_index([*keys, "indicators"])[["value", "flag"]].unstack("indicators")
    out = wide.index.to_frame(index=False)
    empty = pd.Series(np.nan, index=wide.index)

    def column(kind: str, indicator: str) -> pd.Series:
        return wide[(kind, indicator)] if (kind, indicator) in wide.columns else empty

    value = column("value", "VALUE_IN_EUROS").to_numpy(dtype="float64")
    mass = column("value", "QUANTITY_IN_100KG").to_numpy(dtype="float64")
    flags = _merge_flags(
        column("flag", "VALUE_IN_EUROS").reset_index(drop=True),
        column("flag", "QUANTITY_IN_100KG").reset_index(drop=True),
    )
    product = out["product"].astype(str)
    result = pd.DataFrame(
        {
            "reporter": _geo_back(out["reporter"]),
            "partner": _geo_back(out["partner"]),
            "product": product.astype(object),
            "nomenclature": np.where(product == "TOTAL", "TOTAL",
                                     np.where(product.str.len() == 8, "CN", "HS")),
            "flow": out["flow"].astype(object),
            "period": _periods(out["period"], freq),
            "value": value,
            "currency": "EUR",
            "quantity": mass * 100.0,
            "unit": np.where(np.isnan(mass), None, "kg"),
            "source": "comext",
            "flag": flags.to_numpy(),
        }
    )  # fmt: skip
    result = result[result["value"].notna() | result["quantity"].notna() | result["flag"].notna()]
    return panel.validate(_objects(result.sort_values(keys).reset_index(drop=True)))


# ----------------------------------------------------------------------------- Comtrade


def _segments(
    reporters: list[str], partners: list[str], first: pd.Period, last: pd.Period
) -> list[tuple[pd.Period, pd.Period, list[int], list[int]]]:
    """Split the period range where a Comtrade code changes (Belgium 58 -> 56 in 1999)."""

    def codes_at(period: pd.Period) -> tuple[tuple[int, ...], tuple[int, ...]]:
        day = period.start_time.strftime("%Y-%m-%d")
        rep = tuple(codes.comtrade_code(r, day) for r in reporters)
        par = tuple(0 if p == "WORLD" else codes.comtrade_code(p, day) for p in partners)
        return rep, par

    out, seg_start, current = [], first, codes_at(first)
    for year in range(first.year + 1, last.year + 1):
        boundary = (
            pd.Period(f"{year}-01", first.freqstr)
            if first.freqstr == "M"
            else pd.Period(str(year), first.freqstr)
        )
        found = codes_at(boundary)
        if found != current:
            out.append((seg_start, boundary - 1, list(current[0]), list(current[1])))
            seg_start, current = boundary, found
    out.append((seg_start, last, list(current[0]), list(current[1])))
    return out


def comtrade(
    reporter: str | Sequence[str],
    partner: str | Sequence[str],
    product: str | Sequence[str],
    *,
    freq: str = "M",
    start: Any = None,
    end: Any = None,
    flow: str = "both",
    api_key: str | None = None,
    offline: bool = False,
    refresh: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    session: requests.Session | None = None,
    base_url: str | None = None,
    record_cap: int | None = None,
    policy: Any = None,
) -> pd.DataFrame | list[PlannedRequest]:
    """UN Comtrade goods trade as a tidy panel.

    Parameters
    ----------
    reporter, partner : str or list of str
        ISO alpha-2 codes (``WORLD`` allowed as partner); translated to Comtrade codes valid
        on each date (Belgium is 58, Belgium-Luxembourg, up to 1998 and 56 from 1999: the
        range is split there).
    product : str or list of str
        ``'TOTAL'`` or HS codes of 2, 4 or 6 digits.
    freq, start, end, flow, offline, refresh, dry_run, progress, session, policy
        As in :func:`comext`.
    api_key : str, optional
        Comtrade subscription key (else ``COMTRADE_API_KEY``, read once here; else the
        500-record preview). It is never stored, logged or part of a cache key (the key
        records only whether the preview endpoint was used).
    base_url : str, optional
        Else ``BELRU_TRADE_COMTRADE_URL``.
    record_cap : int, optional
        Records per call (500 preview, 100,000 free key, 250,000 premium).

    Warns
    -----
    BelruTradeWarning
        Reporter ``RU`` with periods from 2022: Russia stopped reporting.

    Examples
    --------
    Belgium reports as 58 (Belgium-Luxembourg) up to 1998 and 56 from 1999:

    >>> plan = comtrade("BE", "RU", "2709", freq="A", start="1996", end="2001",
    ...                 api_key="", dry_run=True)
    >>> [dict(r.params)["reporterCode"] for r in plan], [dict(r.params)["period"] for r in plan]
    (['58', '56'], ['1996,1997,1998', '1999,2000,2001'])

    Returns
    -------
    pandas.DataFrame
        Panel with source ``'comtrade'``, currency ``'USD'``, quantity = net weight in kg,
        nomenclature = HS vintage reported (``HS2012`` for ``H4``...).
    """
    freq = _freq(freq)
    check_choice("flow", flow, ("import", "export", "both"))
    first, last = _bounds(freq, start, end)
    reporters = [codes.to_iso2(r) for r in _as_list("reporter", reporter)]
    partners = [codes.to_iso2(p) for p in _as_list("partner", partner)]
    fmt = "%Y%m" if freq == "M" else "%Y"
    queries = []
    for seg_first, seg_last, rep, par in _segments(reporters, partners, first, last):
        try:
            queries.append(
                _ct.comtrade_query(rep, par, _as_list("product", product), flow=flow, freq=freq,
                                   start=seg_first.strftime(fmt), end=seg_last.strftime(fmt))
            )  # fmt: skip
        except InvalidQueryError as exc:
            raise InvalidArgumentError(str(exc)) from exc
    secret = api_key if api_key is not None else os.environ.get("COMTRADE_API_KEY", "")
    _warn_russia(reporters, last)
    options = {"session": session, "base_url": base_url, "progress": progress,
               "record_cap": record_cap, "api_key": secret, "policy": policy}  # fmt: skip
    if dry_run:
        return [r for q in queries for r in _ct.fetch(q, dry_run=True, **options)]
    key = {"source": "comtrade", "queries": [q.as_dict() for q in queries],
           "periods": [first.strftime(fmt), last.strftime(fmt)], "cap": record_cap,
           "endpoint": "data" if secret else "preview"}  # fmt: skip
    hit = _cached("comtrade", key, refresh)
    if hit is not None:
        return hit
    results = [_run(_ct.fetch, q, offline, **options) for q in queries]
    frames = [_comtrade_panel(r.frame, freq) for r in results]
    merged = pd.concat([f for f in frames if len(f)] or [panel.empty_panel()], ignore_index=True)
    return _store("comtrade", key, panel.validate(merged), _merge_provenance(results))


def _warn_russia(reporters: list[str], last: pd.Period) -> None:
    if "RU" in reporters and last.year >= 2022:
        warnings.warn(
            "Russia has not reported trade to UN Comtrade since 2022 (customs publication "
            "suspended in April 2022): expect no rows; use sources.mirror(...) or partner-side "
            "reports instead",
            BelruTradeWarning,
            stacklevel=3,
        )


def _merge_provenance(results: list[FetchResult]) -> FetchResult:
    if len(results) == 1:
        return results[0]
    first = results[0]
    from dataclasses import replace

    provenance = replace(
        first.provenance,
        urls=tuple(u for r in results for u in r.provenance.urls),
        requests_sent=sum(r.provenance.requests_sent for r in results),
        query={"segments": [dict(r.provenance.query) for r in results]},
        notes=tuple(n for r in results for n in r.provenance.notes),
    )
    return FetchResult(first.frame, provenance)


def _comtrade_panel(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    frame = frame[frame["flow"].isin(["import", "export"])]
    if frame.empty:
        return panel.empty_panel()
    product = frame["product"].astype(str)
    vintage = frame["classification"].map(_HS_VINTAGES).fillna("HS")
    result = pd.DataFrame(
        {
            "reporter": harmonise(frame["reporter_code"], scheme="comtrade").astype(object),
            "partner": harmonise(frame["partner_code"], scheme="comtrade").astype(object),
            "product": product.astype(object),
            "nomenclature": np.where(product == "TOTAL", "TOTAL", vintage),
            "flow": frame["flow"].astype(object),
            "period": _periods(frame["period"], freq),
            "value": frame["value"].astype("float64"),
            "currency": "USD",
            "quantity": frame["net_weight"].astype("float64"),
            "unit": "kg",
            "source": "comtrade",
            "flag": frame["flag"].astype(object),
        }
    )
    keys = ["reporter", "partner", "product", "flow", "period"]
    return _objects(result.sort_values(keys).reset_index(drop=True))


# ----------------------------------------------------------------------------- mirror


def mirror(
    reporter: str,
    partner: str,
    product: str | Sequence[str],
    *,
    source: str = "comtrade",
    **options: Any,
) -> pd.DataFrame:
    """Fetch both directions and align each side's exports with the other's imports.

    Parameters
    ----------
    reporter, partner : str
        ISO alpha-2 codes; both must report to ``source`` (for Comext both must be EU
        members; Russia has not reported to Comtrade since 2022: the mirror is then the
        partner's side only).
    product : str or list of str
    source : {'comtrade', 'comext'}
    **options
        Passed to :func:`comtrade` or :func:`comext` (``freq``, ``start``, ``end``, ...).

    Returns
    -------
    pandas.DataFrame
        :func:`belru_trade.trade.panel.mirror_join` of the two reports: ``exporter``,
        ``importer``, ``product``, ``period``, ``currency``, ``export_value``,
        ``import_value``, quantities, ``gap`` and ``gap_share``; ``attrs['provenance']``
        holds both provenances.
    """
    check_choice("source", source, ("comtrade", "comext"))
    if options.get("dry_run"):
        raise InvalidArgumentError("dry_run=True is not supported by mirror(); plan each side")
    options.pop("flow", None)
    fetch = comtrade if source == "comtrade" else comext
    own = fetch(reporter, partner, product, flow="both", **options)
    other = fetch(partner, reporter, product, flow="both", **options)
    joined = panel.mirror_join(pd.concat([own, other], ignore_index=True))
    joined.attrs["provenance"] = [own.attrs.get("provenance"), other.attrs.get("provenance")]
    return joined

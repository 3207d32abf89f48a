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

Provider failures surface as :class:`~belru_trade.errors.ProviderError` subclasses (the
fetcher error chained as ``__cause__``) and fetcher warnings as
:class:`~belru_trade.errors.ProviderWarning`: callers catch one root, ``BelruTradeError``.
Results are keyed in the store by the provider host too, so data fetched from an overridden
host is never served for another.

Examples
--------
>>> plan = comext("BE", "RU", "080830", freq="M", start="2010-01", end="2016-12",
...               flow="export", dry_run=True)
>>> len(plan), plan[0].url.endswith("/statistics/1.0/data/DS-045409")
(1, True)
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from belru_trade import config
from belru_trade._validation import check_choice, check_period, check_product_code
from belru_trade.config import Secret, Settings
from belru_trade.errors import (
    BelruTradeWarning,
    InvalidArgumentError,
    OfflineError,
    ProviderConnectionError,
    ProviderError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderTimeoutError,
    ProviderWarning,
)
from belru_trade.fetchers import comtrade as _ct
from belru_trade.fetchers import errors as _fe
from belru_trade.fetchers import eurostat as _es
from belru_trade.fetchers.http import resolve_base_url
from belru_trade.fetchers.result import FetchResult, PlannedRequest, redact_url
from belru_trade.geo import codes
from belru_trade.store import _provider_panels as _panels
from belru_trade.store import cache
from belru_trade.store._provider_panels import _COMEXT_AGGREGATES, FLAG_WORDS
from belru_trade.trade import panel

__all__ = ["FLAG_WORDS", "ProviderError", "comext", "comtrade", "mirror"]

logger = logging.getLogger(__name__)
_OFFLINE_HINT = (
    "; offline=True (CLI --offline) serves what the local store holds, and the embedded "
    "snapshot (belru_trade.store.snapshot.load_snapshot, `belru-trade data info`) needs no network"
)


def _as_list(name: str, value: Any, lengths: tuple[int, ...] = ()) -> list[str]:
    items = [value] if isinstance(value, str | int) else list(value or [])
    if not items:
        raise InvalidArgumentError(f"{name}={value!r} is empty; give at least one code")
    if lengths:  # product codes: the one HS/CN code rule, provider's lengths
        return [check_product_code(name, v, lengths=lengths, allow_total=True) for v in items]
    return [str(v).strip() for v in items]


def _freq(freq: str) -> str:
    check_choice("freq", freq, ("M", "A", "Y"))
    return "A" if freq == "Y" else freq


def _bounds(freq: str, start: Any, end: Any) -> tuple[pd.Period, pd.Period]:
    if start is None or end is None:
        raise InvalidArgumentError(f"start={start!r}, end={end!r}: both periods are required")
    pandas_freq = "M" if freq == "M" else "Y"
    first = check_period("start", start, pandas_freq, side="start")
    last = check_period("end", end, pandas_freq, side="end")
    if first > last:
        raise InvalidArgumentError(f"start={start!r} is after end={end!r}")
    return first, last


def _provider_error(exc: _fe.FetchError, provider: str, store: Path) -> Exception:
    """The belru_trade error for a fetcher error (the caller raises it ``from exc``)."""
    if isinstance(exc, _fe.NotInStoreError):
        return OfflineError(
            f"offline=True but the local store ({store}) lacks "
            f"{len(exc.missing)} request(s): {'; '.join(exc.missing[:5])}"
        )
    if isinstance(exc, _fe.InvalidQueryError) and not isinstance(exc, _fe.HTTPError):
        return InvalidArgumentError(str(exc))
    message = f"{provider}: {type(exc).__name__}: {exc}"
    if isinstance(exc, _fe.RateLimitError):
        return ProviderRateLimitError(message, provider=provider, retry_after=exc.retry_after)
    if isinstance(exc, _fe.RequestTimeoutError | _fe.AsyncTimeoutError):
        return ProviderTimeoutError(message + _OFFLINE_HINT, provider=provider)
    if isinstance(exc, _fe.ConnectionFailedError):
        return ProviderConnectionError(message + _OFFLINE_HINT, provider=provider)
    return ProviderResponseError(message, provider=provider)


@contextlib.contextmanager
def _bridge(provider: str, store: Path) -> Iterator[None]:
    """Raise fetcher errors as :class:`ProviderError` subclasses (``from`` the original)
    and re-issue fetcher warnings as :class:`ProviderWarning`: users catch one root."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            except _fe.FetchError as exc:
                raise _provider_error(exc, provider, store) from exc
    finally:
        _reissue(caught)  # outside the recording context


def _reissue(caught: list[warnings.WarningMessage]) -> None:
    for item in caught:
        if item.category.__module__ == _fe.__name__:
            warnings.warn(
                f"{item.category.__name__}: {item.message}", ProviderWarning, stacklevel=5
            )
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


class _WriteOnly:
    """A raw store that is written but never read (``refresh=True`` fetches again)."""

    def __init__(self, store: cache.RawStore) -> None:
        self.store = store

    def get(self, key: str) -> bytes | None:
        return None

    def put(self, key: str, body: bytes, meta: Mapping[str, Any]) -> None:
        self.store.put(key, body, meta)


def _run(fetch: Any, query: Any, cfg: _Call, **options: Any) -> FetchResult:
    raw = cache.RawStore(cfg.store)
    store = _WriteOnly(raw) if cfg.refresh and not cfg.offline else raw
    return fetch(query, store=store, offline=cfg.offline, **options)


@dataclass(frozen=True)
class _Call:
    """What one public call resolved once from its arguments and the settings."""

    store: Path
    base_url: str
    offline: bool
    refresh: bool
    key: Secret | None = None

    @property
    def host(self) -> str:
        """The provider base URL without credentials: part of every tidy store key."""
        return redact_url(resolve_base_url(self.base_url, "base_url", self.base_url))


def _call(settings: Settings | None, base_url: str | None, provider: str, **flags: bool) -> _Call:
    """Read the settings once (the environment when none are given) and fix the host."""
    cfg = config.resolve(settings)
    configured = {"comext": (cfg.comext_url, _es.COMEXT_URL),
                  "comtrade": (cfg.comtrade_url, _ct.COMTRADE_URL)}[provider]  # fmt: skip
    base = base_url or configured[0] or configured[1]
    return _Call(cfg.store_root(), base, flags["offline"], flags["refresh"], cfg.comtrade_api_key)


def _cached(provider: str, key: dict[str, Any], cfg: _Call) -> pd.DataFrame | None:
    if cfg.refresh:
        return None
    hit = cache.load_tidy(provider, key, path=cfg.store)
    if hit is None:
        return None
    frame, provenance = hit
    frame.attrs["provenance"] = provenance
    frame.attrs["requests_sent"] = 0
    logger.info("%s query served from the local store", provider)
    return frame


def _store(
    provider: str, key: dict[str, Any], frame: pd.DataFrame, result: FetchResult, cfg: _Call
):
    provenance = result.provenance.to_dict()
    frame.attrs["provenance"] = provenance
    frame.attrs["requests_sent"] = provenance["requests_sent"]
    cache.save_tidy(provider, key, frame, provenance, path=cfg.store)
    return frame


# ----------------------------------------------------------------------------- Comext


def _eurostat_geo(name: str, value: Any) -> list[str]:
    out = []
    for item in _as_list(name, value):
        iso = codes.country(item, name)
        out.append(_COMEXT_AGGREGATES.get(iso) or codes.eurostat_code(iso))
    return out


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
    settings: Settings | None = None,
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
        Fetch again: ignore the stored tidy result and the stored raw responses (the new
        ones replace them).
    dry_run : bool
        Return the planned requests without sending any.
    progress : bool
        tqdm bar when more than one request is needed.
    session : requests.Session, optional
    base_url : str, optional
        Comext host override (else ``settings.comext_url``).
    policy : belru_trade.fetchers.http.RetryPolicy, optional
        Timeouts, retries and backoff (defaults: 4 retries, 1 s doubling, 120 s cap on
        ``Retry-After``, timeouts 10 s connect / 120 s read).
    settings : belru_trade.config.Settings, optional
        Store folder, host overrides and key; else read from the environment once, here.

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
    ProviderError
        The provider failed after retries: :class:`~belru_trade.errors.ProviderConnectionError`
        (refused, unknown host: not retried), ``ProviderTimeoutError``,
        ``ProviderRateLimitError``, ``ProviderResponseError`` (error status, malformed or
        oversized body); the fetcher error is chained as ``__cause__``.

    Warns
    -----
    ProviderWarning
        Fetcher warnings (plain-http override, truncated keyless preview) re-issued.

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
    cfg = _call(settings, base_url, "comext", offline=offline, refresh=refresh)
    with _bridge("comext", cfg.store):
        query = _es.comext_query(
            _eurostat_geo("reporter", reporter), _eurostat_geo("partner", partner),
            _as_list("product", product, (2, 4, 6, 8)), flow=flow, freq=freq,
            start=first.strftime(fmt), end=last.strftime(fmt), indicators=indicators,
        )  # fmt: skip
        if dry_run:
            return _es.build_request(query, base_url=cfg.base_url)
        key = {"source": "comext", "host": cfg.host, **query.as_dict()}
        hit = _cached("comext", key, cfg)
        if hit is not None:
            return hit
        result = _run(_es.fetch, query, cfg, session=session, base_url=cfg.base_url,
                      progress=progress, policy=policy)  # fmt: skip
    return _store("comext", key, _panels.comext_panel(result.frame, freq), result, cfg)


# ----------------------------------------------------------------------------- Comtrade


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
    settings: Settings | None = None,
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
    freq, start, end, flow, offline, refresh, dry_run, progress, session, policy, settings
        As in :func:`comext`.
    api_key : str, optional
        Comtrade subscription key (else ``settings.comtrade_api_key``, from
        ``COMTRADE_API_KEY``; else the 500-record preview). It is never stored, logged or
        part of a cache key (the key records only whether the preview endpoint was used).
    base_url : str, optional
        Else ``settings.comtrade_url`` (``BELRU_TRADE_COMTRADE_URL``).
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
    reporters = [codes.country(r, "reporter") for r in _as_list("reporter", reporter)]
    partners = [codes.country(p, "partner") for p in _as_list("partner", partner)]
    fmt = "%Y%m" if freq == "M" else "%Y"
    _warn_russia(reporters, last)
    cfg = _call(settings, base_url, "comtrade", offline=offline, refresh=refresh)
    products = _as_list("product", product, (2, 4, 6))
    with _bridge("comtrade", cfg.store):
        queries = [
            _ct.comtrade_query(rep, par, products, flow=flow, freq=freq,
                               start=seg_first.strftime(fmt), end=seg_last.strftime(fmt))
            for seg_first, seg_last, rep, par in _panels.segments(reporters, partners, first, last)
        ]  # fmt: skip
        secret = _ct.check_key(
            api_key if api_key is not None else (cfg.key.reveal() if cfg.key else "")
        )
        options = {"session": session, "base_url": cfg.base_url, "progress": progress,
                   "record_cap": record_cap, "api_key": secret, "policy": policy}  # fmt: skip
        if dry_run:
            return [r for q in queries for r in _ct.fetch(q, dry_run=True, **options)]
        key = {"source": "comtrade", "queries": [q.as_dict() for q in queries],
               "host": cfg.host,
               "periods": [first.strftime(fmt), last.strftime(fmt)], "cap": record_cap,
               "endpoint": "data" if secret else "preview"}  # fmt: skip
        hit = _cached("comtrade", key, cfg)
        if hit is not None:
            return hit
        results = [_run(_ct.fetch, q, cfg, **options) for q in queries]
    frames = [_panels.comtrade_panel(r.frame, freq) for r in results]
    merged = pd.concat([f for f in frames if len(f)] or [panel.empty_panel()], ignore_index=True)
    return _store("comtrade", key, panel.validate(merged), _merge_provenance(results), cfg)


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

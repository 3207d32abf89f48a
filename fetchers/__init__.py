"""Provider clients for Eurostat (Comext, dissemination API) and UN Comtrade.

This package imports nothing from belru_trade or analyses: only the standard library,
requests and pandas.

Modules
-------
errors
    ``FetchError`` and its named subclasses (``InvalidQueryError``, ``RateLimitError`` with
    the server's wait, ``ExtractionTooBigError``, ``AsyncTimeoutError``, ``MaintenanceError``,
    ``TruncatedResponseError``, ...).
http
    The only network code: ``Transport`` (timeouts, retries with exponential backoff and
    jitter honouring ``Retry-After``) and ``Runner`` (response store, offline mode, progress).
result
    ``PlannedRequest`` (what ``build_request`` and ``dry_run=True`` return), ``Provenance``,
    ``FetchResult``, the ``ResponseStore`` protocol.
eurostat, eurostat_parse
    Comext ``DS-045409`` and any dissemination dataset; JSON-stat 2.0, SDMX 2.1 TSV/CSV.
comtrade, comtrade_parse
    UN Comtrade API v1 with chunking under the 12-period limit and the record cap.

Every client has four stages: validate, pure ``build_request``, ``fetch`` (network) and pure
parsers fed with bytes.
"""

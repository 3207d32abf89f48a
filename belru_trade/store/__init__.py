"""Data access: fetch through the providers (``sources``), the local store (``cache``), the
embedded snapshot (``snapshot``) and its provenance records (``snapshot_sources``).

``sources`` is the only module of the library that imports :mod:`belru_trade.fetchers`.
"""

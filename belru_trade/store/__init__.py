"""Data access: fetch through the providers (``sources``), the local store (``cache``), the
embedded snapshot (``snapshot``) and its provenance records (``snapshot_sources``), and the
partitioned store of Comext bulk files (``bulk``).

``sources`` is the only module of the library that imports :mod:`belru_trade.fetchers`.
"""

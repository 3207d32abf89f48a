"""Exceptions and warnings raised by belru_trade.

Every error derives from :class:`BelruTradeError` and, where it describes bad input,
also from the matching builtin (``ValueError``, ``KeyError``) so that generic handlers keep
working. Every warning derives from :class:`BelruTradeWarning`.
"""

from __future__ import annotations

__all__ = [
    "BelruTradeError",
    "BelruTradeWarning",
    "CacheIntegrityWarning",
    "CollinearityWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataValidationError",
    "EmptySelectionError",
    "FewClustersWarning",
    "InvalidArgumentError",
    "MissingDependencyError",
    "NotAStoreError",
    "NotCoveredError",
    "OfflineError",
    "OutputError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderRateLimitError",
    "ProviderResponseError",
    "ProviderTimeoutError",
    "ProviderWarning",
    "SeparationWarning",
    "ShortSeriesError",
    "SpecificationError",
    "StoreError",
    "StoreFormatError",
    "TradeStoppedError",
    "UnknownCodeError",
    "UnknownColumnError",
    "ZeroFillWarning",
]


class BelruTradeError(Exception):
    """Base class of every error raised by belru_trade."""


class InvalidArgumentError(BelruTradeError, ValueError):
    """An argument has a value outside what is allowed.

    The message names the argument, the value received and what is allowed.
    """


class UnknownCodeError(InvalidArgumentError, KeyError):
    """A country, product, sector or event code is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownColumnError(InvalidArgumentError, KeyError):
    """A selection names a column the frame does not have; the message lists its columns."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else ""


class EmptySelectionError(InvalidArgumentError):
    """A selection asked to raise when empty matched no rows.

    The message names the criteria and the values each criterion's column holds.
    """


class DataValidationError(BelruTradeError, ValueError):
    """A frame breaks the tidy trade schema.

    Attributes
    ----------
    column : str
        The column that breaks the rule.
    rule : str
        The rule broken, in words.
    values : list
        The first few offending values (or keys).
    """

    def __init__(self, column: str, rule: str, values: list | None = None) -> None:
        self.column = column
        self.rule = rule
        self.values = list(values or [])
        shown = ", ".join(repr(v) for v in self.values[:5])
        more = f" (and {len(self.values) - 5} more)" if len(self.values) > 5 else ""
        detail = f"; offending values: {shown}{more}" if self.values else ""
        super().__init__(f"column {column!r}: {rule}{detail}")


class SpecificationError(BelruTradeError, ValueError):
    """A model specification cannot be estimated (e.g. regressors absorbed by fixed effects)."""


class TradeStoppedError(SpecificationError):
    """A series is zero in every period of a segment: the Poisson level change is -infinity."""


class ConvergenceError(BelruTradeError, RuntimeError):
    """An iterative estimator did not converge; no diverged estimate is returned."""


class OfflineError(BelruTradeError, LookupError):
    """Offline mode was requested but the local store lacks what is needed."""


class NotCoveredError(BelruTradeError, LookupError):
    """The embedded snapshot or local store does not cover the requested data."""


class BelruTradeWarning(UserWarning):
    """Base class of every warning issued by belru_trade."""


class SeparationWarning(BelruTradeWarning):
    """Observations were dropped because the PPML estimate would not exist with them."""


class ConvergenceWarning(BelruTradeWarning):
    """An optimiser stopped before converging; the estimate is returned but may be off."""


class FewClustersWarning(BelruTradeWarning):
    """Too few clusters for a cluster-robust joint test of the requested number of terms."""


class CollinearityWarning(BelruTradeWarning):
    """Regressors absorbed by the fixed effects or collinear with others were dropped."""


class ZeroFillWarning(BelruTradeWarning):
    """Explicit zeros were added to a panel where rows were absent."""


class ShortSeriesError(InvalidArgumentError):
    """A time series is too short for its pre- or post-intervention segments."""


class MissingDependencyError(BelruTradeError, ImportError):
    """An optional dependency (an extra such as ``dask``) is needed but not installed."""


class CacheIntegrityWarning(BelruTradeWarning):
    """A stored entry failed its integrity check and was discarded (it will be fetched again)."""


class StoreError(BelruTradeError, OSError):
    """The local store cannot be used (its path is a file, it is read-only, ...)."""


class NotAStoreError(StoreError):
    """A folder that is not a belru_trade store was given where a store is needed.

    Raised by :func:`belru_trade.store.cache.clear` instead of deleting files it did not write.
    """


class StoreFormatError(StoreError):
    """The store was written by an incompatible version; the message says how to rebuild it."""


class ProviderError(BelruTradeError):
    """A data provider (Eurostat, UN Comtrade) failed; ``__cause__`` holds the fetcher error.

    Attributes
    ----------
    provider : str
        ``'comext'`` or ``'comtrade'``.
    """

    def __init__(self, message: str, *, provider: str = "") -> None:
        self.provider = provider
        super().__init__(message)


class ProviderConnectionError(ProviderError, ConnectionError):
    """The provider could not be reached (refused connection, unknown host, reset)."""


class ProviderTimeoutError(ProviderError, TimeoutError):
    """The provider did not answer in time (timeout, total deadline, asynchronous wait)."""


class ProviderRateLimitError(ProviderError):
    """The provider's rate limit or quota was reached.

    Attributes
    ----------
    retry_after : float or None
        Seconds the provider asked to wait, when it said.
    """

    def __init__(
        self, message: str, *, provider: str = "", retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider)


class ProviderResponseError(ProviderError):
    """The provider answered with an error status or a body that cannot be used."""


class ProviderWarning(BelruTradeWarning):
    """A provider-side caveat (e.g. a keyless Comtrade preview result may be truncated)."""


class OutputError(BelruTradeError, OSError):
    """An output (report, brief, table) cannot be written where it was asked to go."""

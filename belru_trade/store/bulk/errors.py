"""Errors and warnings of the Comext bulk store.

Every error derives from :class:`~belru_trade.errors.BelruTradeError` (and from
``ValueError`` where it describes a bad file), so a user catches one root.
"""

from __future__ import annotations

from belru_trade.errors import BelruTradeError, BelruTradeWarning

__all__ = [
    "BulkEncodingError",
    "BulkFileError",
    "BulkFormatError",
    "BulkLayoutError",
    "BulkStoreError",
    "BulkTruncatedError",
    "NonNumericProductWarning",
]


class BulkFileError(BelruTradeError, ValueError):
    """A Comext bulk file cannot be read; the message names the file and what is wrong."""


class BulkLayoutError(BulkFileError):
    """The first line of a file is not one of the known Comext bulk headers."""


class BulkEncodingError(BulkFileError):
    """A file is not ASCII/UTF-8 text (for example UTF-16 or Latin-1 bytes)."""


class BulkTruncatedError(BulkFileError):
    """A file or archive ends in the middle of a row or of a compressed stream."""


class BulkFormatError(BulkFileError):
    """A row breaks the layout: wrong number of fields, a non-numeric value, a bad FLOW or
    PERIOD code."""


class BulkStoreError(BelruTradeError, OSError):
    """The bulk store is unreadable or changed under an open handle (reopen it)."""


class NonNumericProductWarning(BelruTradeWarning):
    """Rows with confidential product codes (such as ``99RRR100`` or ``27XXXXXX``) were left
    out of a tidy panel; the bulk dataset handle still holds them."""

"""Expected warnings, named one by one, instead of silencing every warning of a block.

:func:`expected` ignores only the listed ``(category, message pattern)`` pairs inside a
block; every other warning reaches the caller as usual. :func:`gathered` collects the
warnings of one category raised by a loop of fits and issues a single warning that counts
them, so a user sees the fact once instead of once per fit (or not at all).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["expected", "gathered"]


@contextmanager
def expected(*specs: tuple[type[Warning], str]) -> Iterator[None]:
    """Ignore, inside the block, only warnings matching one of ``specs``.

    Parameters
    ----------
    *specs : (category, message) pairs
        ``message`` is a regular expression matched at the start of the warning's text
        (as in :func:`warnings.filterwarnings`).

    Examples
    --------
    >>> with expected((UserWarning, "benign")):
    ...     warnings.warn("benign: nothing to see", UserWarning)
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     with expected((UserWarning, "benign")):
    ...         warnings.warn("this one matters", UserWarning)
    >>> [str(w.message) for w in seen]
    ['this one matters']
    """
    with warnings.catch_warnings():
        for category, message in specs:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


@contextmanager
def gathered(
    category: type[Warning],
    summary: Callable[[list[str]], str],
    *,
    stacklevel: int = 3,
) -> Iterator[None]:
    """Issue the warnings of ``category`` raised in the block as one warning.

    Warnings of other categories are re-issued unchanged (same text, category and place).

    Parameters
    ----------
    category : Warning subclass
        The warnings gathered (subclasses included).
    summary : callable
        Turns the gathered messages (in order, repeats included) into the text of the
        single warning issued after the block, in the same ``category``.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` for the single warning.

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     with gathered(UserWarning, lambda m: f"{len(m)} fits warned; first: {m[0]}"):
    ...         for i in range(3):
    ...             warnings.warn(f"fit {i} is odd", UserWarning)
    >>> [str(w.message) for w in seen]
    ['3 fits warned; first: fit 0 is odd']
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    mine = [w for w in caught if issubclass(w.category, category)]
    others = [w for w in caught if not issubclass(w.category, category)]
    for w in others:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if mine:
        text = summary([str(w.message) for w in mine])
        warnings.warn(text, mine[0].category, stacklevel=stacklevel)

"""Settings read from the environment once, at the edge, and passed down.

The only module of belru_trade that reads environment variables. The command line reads them
once per command (:func:`belru_trade.cli.main.main`) and hands the :class:`Settings` to what
it calls; a library call (``sources.comtrade(...)``, ``cache.info()``) given no settings reads
them once at its start. Nothing below those entry points looks at the environment, and the
library always passes the Comtrade key and provider hosts to the fetchers explicitly (the
fetchers fall back to the environment only when used on their own).

==============================  =============================================================
variable                        setting
==============================  =============================================================
``BELRU_TRADE_CACHE``           ``cache_dir``: folder of the local store (else the platform's
                                user cache folder)
``COMTRADE_API_KEY``            ``comtrade_api_key``: a :class:`Secret`, never shown
``BELRU_TRADE_COMEXT_URL``      ``comext_url``: Comext host override
``BELRU_TRADE_COMTRADE_URL``    ``comtrade_url``: Comtrade host override
``BELRU_TRADE_EUROSTAT_URL``    ``eurostat_url``: Eurostat dissemination host override
==============================  =============================================================

The ``belru-trade`` command also sets one variable for its own process, unless it is set
already: ``ARROW_DEFAULT_MEMORY_POOL=system`` (:func:`prefer_c_allocator_for_arrow`).

Examples
--------
>>> s = Settings.from_environ({"COMTRADE_API_KEY": "k-123", "BELRU_TRADE_CACHE": "/tmp/s"})
>>> s.store_root().as_posix(), "k-123" in repr(s), s.comtrade_key()
('/tmp/s', False, 'k-123')
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENVIRONMENT", "Secret", "Settings", "resolve"]

#: setting name -> environment variable
ENVIRONMENT = {
    "cache_dir": "BELRU_TRADE_CACHE",
    "comtrade_api_key": "COMTRADE_API_KEY",
    "comext_url": "BELRU_TRADE_COMEXT_URL",
    "comtrade_url": "BELRU_TRADE_COMTRADE_URL",
    "eurostat_url": "BELRU_TRADE_EUROSTAT_URL",
}


class Secret:
    """A credential that never shows itself: ``repr``, ``str`` and formatting print ``***``.

    Only :meth:`reveal` returns the value (to be sent in a request header, nowhere else).
    It cannot be pickled, so it never lands in a cache or a results file by accident.

    >>> key = Secret("abc")
    >>> key, f"{key}", key.reveal()
    (Secret('***'), '***', 'abc')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What the environment configures, as one frozen object.

    Parameters
    ----------
    cache_dir : pathlib.Path, optional
        Folder of the local store; None for the platform's user cache folder.
    comtrade_api_key : Secret, optional
        Comtrade subscription key; None for the keyless preview endpoint.
    comext_url, comtrade_url, eurostat_url : str, optional
        Provider host overrides; None for the providers' own hosts.
    """

    cache_dir: Path | None = None
    comtrade_api_key: Secret | None = None
    comext_url: str | None = None
    comtrade_url: str | None = None
    eurostat_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the variables of :data:`ENVIRONMENT` (empty values count as unset).

        Parameters
        ----------
        environ : mapping, optional
            Defaults to :data:`os.environ`.
        """
        env = os.environ if environ is None else environ
        values = {name: env.get(var) or None for name, var in ENVIRONMENT.items()}
        cache_dir = values.pop("cache_dir")
        key = values.pop("comtrade_api_key")
        return cls(
            cache_dir=Path(cache_dir) if cache_dir else None,
            comtrade_api_key=Secret(key) if key else None,
            **values,
        )

    def store_root(self) -> Path:
        """Folder of the local store: ``cache_dir``, else the user cache folder."""
        if self.cache_dir is not None:
            return self.cache_dir
        import platformdirs

        return Path(platformdirs.user_cache_dir("belru_trade", appauthor=False))

    def comtrade_key(self) -> str:
        """The Comtrade key to send, ``''`` for none (the preview endpoint)."""
        return self.comtrade_api_key.reveal() if self.comtrade_api_key else ""


def resolve(settings: Settings | None) -> Settings:
    """``settings``, else the environment read now (a library entry point's one read)."""
    return Settings.from_environ() if settings is None else settings


def prefer_c_allocator_for_arrow(environ: MutableMapping[str, str] | None = None) -> bool:
    """Have Arrow allocate from the C library in this process, unless the user chose.

    Arrow reads ``ARROW_DEFAULT_MEMORY_POOL`` when pyarrow is loaded. Its default allocator
    (mimalloc) keeps the pages of freed buffers resident; over ``belru-trade run all`` (pandas
    string columns are Arrow buffers) that raised the peak resident memory by about 100 MB
    (BENCHMARKS.md). The command line calls this first thing, before pyarrow is imported; a
    value the user set is kept, and once pyarrow is loaded nothing is changed.

    Returns whether the variable was set here.

    >>> env = {}
    >>> prefer_c_allocator_for_arrow(env), env.get("ARROW_DEFAULT_MEMORY_POOL")
    (True, 'system')
    >>> prefer_c_allocator_for_arrow({"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"})
    False
    """
    env = os.environ if environ is None else environ
    if environ is None and "pyarrow" in sys.modules:
        return False
    if env.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    return True

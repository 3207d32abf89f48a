"""Which implementation of the demeaning and IRLS loops a fit uses.

Both modules expose the same functions with the same contracts:
:mod:`~belru_trade.models.hdfe._kernels` (compiled with numba) and
:mod:`~belru_trade.models.hdfe._kernels_numpy` (numpy and scipy.sparse). Numba is imported
only when a fit is large enough for the compiled loops to pay for it: importing it and
loading the compiled code takes about 110 MB and, on the first run after an install, several
seconds of compilation. The threshold comes from ``benchmarks/bench_kernels.py`` (numpy vs
compiled time per fit, recorded in BENCHMARKS.md).
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["NUMPY_MAX_OBS", "kernels_for"]

#: fits with at most this many observations run the numpy loops
NUMPY_MAX_OBS = 50_000


def kernels_for(nobs: int) -> ModuleType:
    """The loops for a fit of ``nobs`` observations (numba is imported only when needed).

    >>> kernels_for(1_000).__name__
    'belru_trade.models.hdfe._kernels_numpy'
    """
    if nobs <= NUMPY_MAX_OBS:
        from belru_trade.models.hdfe import _kernels_numpy

        return _kernels_numpy
    from belru_trade.models.hdfe import _kernels

    return _kernels

"""Moving-block bootstrap over time, shared by counterfactual bands and joint contrasts.

Serial correlation makes sums over consecutive periods (cumulative lost trade) far more
variable than independent draws suggest. The moving-block bootstrap (Kunsch 1989; Lahiri
2003) resamples blocks of ``L`` consecutive periods, so the dependence within a block is
kept; with ``L ~ n^(1/3)`` it is consistent for sums and means of weakly dependent series.
Drawing the same time blocks for several series keeps their cross-correlation (a joint
bootstrap), which a delta method that treats the series as independent loses.

>>> rng = np.random.default_rng(0)
>>> idx = block_indices(10, 7, block=3, size=2, rng=rng)
>>> idx.shape, bool(np.all(np.diff(idx[:, :3], axis=1) == 1))
((2, 7), True)
"""

from __future__ import annotations

import numpy as np

from belru_trade._validation import check_positive_int
from belru_trade.errors import InvalidArgumentError

__all__ = ["block_indices", "default_block_length", "percentile_interval"]


def default_block_length(n: int) -> int:
    """Rule-of-thumb block length ``max(2, round(n^(1/3)))`` (Hall, Horowitz & Jing 1995).

    >>> default_block_length(31), default_block_length(240)
    (3, 6)
    """
    return max(2, round(n ** (1.0 / 3.0)))


def block_indices(
    n_source: int, n_out: int, *, block: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices ``(size, n_out)`` into ``0..n_source-1`` built from moving blocks of ``block``.

    Each row concatenates blocks ``[s, s+1, ..., s+block-1]`` with starts drawn uniformly
    from ``0..n_source-block`` and is cut to ``n_out``.

    Raises
    ------
    InvalidArgumentError
        ``block`` larger than ``n_source``.
    """
    check_positive_int("block", block)
    if block > n_source:
        raise InvalidArgumentError(
            f"block={block} is longer than the {n_source} periods available to resample"
        )
    n_blocks = -(-n_out // block)
    starts = rng.integers(0, n_source - block + 1, size=(size, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(size, -1)
    return idx[:, :n_out]


def percentile_interval(draws: np.ndarray, level: float, axis: int = 0) -> np.ndarray:
    """Equal-tailed percentile interval ``(2, ...)`` of bootstrap draws along ``axis``."""
    alpha = (1.0 - level) / 2.0
    return np.quantile(draws, [alpha, 1.0 - alpha], axis=axis)

"""Relative-magnitude sensitivity bounds for event studies (Rambachan & Roth 2023).

Write each event-study coefficient as ``beta_k = tau_k + delta_k``: a treatment effect
(zero before treatment) plus a bias ``delta`` from differential trends, with
``delta_ref = 0`` at the omitted period. Before treatment ``delta = beta``. The relative
magnitudes restriction ``Delta^RM(Mbar)`` bounds every post-period step of the bias by
``Mbar`` times the largest pre-period step::

    |delta_{k+1} - delta_k| <= Mbar * max_{s < ref} |delta_{s+1} - delta_s|   (k >= ref)

The identified set of ``theta = sum_k l_k tau_k`` (post periods ``k = 0..T-1``) is then the
interval ``l' beta_post -/+ Mbar * M0 * S(l)`` with ``M0`` the largest pre-period step and
``S(l) = sum_j |sum_{k >= j} l_k|`` (each post step may independently take any value in
``[-Mbar M0, Mbar M0]``, and ``delta_k`` is the sum of the steps up to ``k``). Bounds only:
the sampling uncertainty of the coefficients is not part of the interval.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._validation import MAX_MBAR
from belru_trade.errors import InvalidArgumentError, SpecificationError

__all__ = ["SensitivityResult", "SensitivityResults", "relative_magnitude_bounds"]


@dataclass(frozen=True)
class SensitivityResults:
    """Identified-set bounds for several ``Mbar`` (immutable).

    ``table`` columns: mbar, target ('average' or 'event[k]'), event_time (NaN for the
    average), estimate (the point estimate, ``Mbar = 0``), lower, upper, m_pre (largest
    pre-period step of the coefficients).
    """

    table: pd.DataFrame
    estimator: str = "ols"

    def summary(self) -> str:
        """Printable text: the bounds by ``Mbar`` and target."""
        head = f"Relative-magnitude identified sets (Rambachan-Roth), {self.estimator} event study"
        return head + "\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.6g}")

    def tidy(self) -> pd.DataFrame:
        """The bounds (a copy of :attr:`table`)."""
        return self.table.copy()

    def plot(self, *, target: str = "average", ax: Any = None) -> Any:
        """Bounds against ``Mbar`` for one target.

        Returns a :class:`matplotlib.figure.Figure` (that of ``ax`` when given).
        """
        from belru_trade.plotting import bounds_panel, on_axes

        rows = self.table[self.table["target"] == target]
        if rows.empty:
            allowed = sorted(self.table["target"].unique())
            raise InvalidArgumentError(f"target={target!r} is not in the table; one of {allowed}")
        fig, ax = on_axes(ax)
        bounds_panel(
            ax,
            rows["mbar"],
            rows["estimate"],
            rows["lower"],
            rows["upper"],
            x_label="Mbar (post-period trend step / largest pre-period step)",
            y=f"Effect, {target}",
            unit="log points" if self.estimator == "ppml" else "outcome units",
            title="Relative-magnitude bounds (Rambachan & Roth 2023)",
        )
        return fig


def _consecutive(
    table: pd.DataFrame, reference: int, window: tuple[int, int], binned: bool
) -> tuple[np.ndarray, pd.Series]:
    lo, hi = window
    t = table.set_index("event_time")["estimate"]
    if binned:  # end bins pool several event times: not single steps
        t = t[(t.index > lo) & (t.index < hi)]
    pre = t[t.index <= reference].sort_index()
    post = t[t.index > reference].sort_index()
    pre_ok = np.array_equal(pre.index, np.arange(pre.index.min(), reference + 1))
    post_ok = len(post) and np.array_equal(post.index, np.arange(0, post.index.max() + 1))
    if len(pre) < 2 or not post_ok or not pre_ok:
        raise SpecificationError(
            "sensitivity bounds need consecutive single event times: at least one "
            f"pre-period besides reference={reference} and post-periods from 0 (got "
            f"{list(t.index)})"
        )
    return pre.to_numpy(float), post


def _check_mbar(mbar: Any) -> list[float]:
    """``mbar`` as 1 to ``MAX_MBAR`` finite values >= 0 (a bare number is one value)."""
    if isinstance(mbar, int | float) and not isinstance(mbar, bool):
        mbar = [mbar]
    if isinstance(mbar, str | bytes) or not isinstance(mbar, Iterable):
        raise InvalidArgumentError(f"mbar={mbar!r} is not a sequence of numbers >= 0")
    items = list(itertools.islice(iter(mbar), MAX_MBAR + 1))
    if len(items) > MAX_MBAR:
        raise InvalidArgumentError(
            f"mbar has more than {MAX_MBAR} values; the allowed length is 1 to {MAX_MBAR}"
        )
    try:
        values = [float(m) for m in items]
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"mbar={items!r} is not a sequence of numbers >= 0") from exc
    if not values or any(not np.isfinite(m) or m < 0 for m in values):
        raise InvalidArgumentError(f"mbar={items!r} must be non-empty, finite and >= 0")
    return values


def relative_magnitude_bounds(
    table: pd.DataFrame,
    mbar: Sequence[float],
    *,
    reference: int = -1,
    window: tuple[int, int] = (-12, 12),
    binned: bool = True,
    estimator: str = "ols",
) -> SensitivityResults:
    """Relative-magnitude identified sets for each post event time and their average.

    Parameters
    ----------
    table : pandas.DataFrame
        Event-study table with columns ``event_time`` and ``estimate`` (the reference period
        included with estimate 0), as :meth:`DiDResults.event_table` returns.
    mbar : sequence of float
        Values of ``Mbar >= 0`` (1 to 1,000 of them; a bare number is one value).
    reference : int, default -1
        The omitted period; must be -1 (the last pre-period).
    window, binned
        The event window; with ``binned`` its two end bins are left out.
    estimator : str
        'ppml' or 'ols' (axis label of the plot).

    Returns
    -------
    SensitivityResults

    Raises
    ------
    InvalidArgumentError
        Negative or empty ``mbar``, reference other than -1.
    SpecificationError
        Event times not consecutive around the reference.

    References
    ----------
    Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends",
    Review of Economic Studies 90(5):2555-2591.

    Examples
    --------
    >>> t = pd.DataFrame({"event_time": [-3, -2, -1, 0, 1], "estimate": [0.0, 0.1, 0, 1, 1]})
    >>> out = relative_magnitude_bounds(t, [1.0], window=(-3, 1), binned=False).table
    >>> out.loc[out["target"] == "average", ["lower", "upper"]].round(3).values.tolist()
    [[0.85, 1.15]]
    """
    values = _check_mbar(mbar)
    if reference != -1:
        raise InvalidArgumentError(
            f"reference={reference!r}: relative-magnitude bounds need reference=-1"
        )
    pre, post = _consecutive(table, reference, window, binned)
    m_pre = float(np.max(np.abs(np.diff(pre))))
    n = len(post)
    targets = {f"event[{k}]": np.eye(n)[i] for i, k in enumerate(post.index)}
    targets["average"] = np.full(n, 1.0 / n)
    rows = []
    for m in values:
        for name, weights in targets.items():
            centre = float(weights @ post.to_numpy(float))
            reach = m * m_pre * float(np.abs(np.cumsum(weights[::-1])).sum())
            event = np.nan if name == "average" else float(name[6:-1])
            rows.append((m, name, event, centre, centre - reach, centre + reach, m_pre))
    columns = ["mbar", "target", "event_time", "estimate", "lower", "upper", "m_pre"]
    return SensitivityResults(table=pd.DataFrame(rows, columns=columns), estimator=estimator)


#: former name, kept as an alias (results classes are named ``...Results``)
SensitivityResult = SensitivityResults

"""Lost trade of several flows at once, bootstrapped jointly over time: shares, contrasts.

A leakage share (excess exports to neighbours over the drop to the sanctioned partner) or
a contrast between two flows combines counterfactuals of series hit by the same shocks
(exchange rates, demand, COVID). A delta method that treats them as independent gets the
uncertainty of a ratio wrong. :func:`joint_lost` fits each flow's own pre-period path and
simulates all flows **together**: AR(1) errors with correlated innovations (default) or
the same moving time blocks for every flow, so each bootstrap draw is one coherent
history, and any function of the flows' cumulative losses (a share, a difference) gets a
percentile interval from the same draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._validation import (
    check_draws,
    check_fraction,
    check_harmonics,
    check_period,
    check_seed,
)
from belru_trade.errors import InvalidArgumentError, ShortSeriesError
from belru_trade.models.counterfactual.comparative import NOISES, _baseline
from belru_trade.models.counterfactual.refits import fit_pre
from belru_trade.models.counterfactual.resampling import (
    ar1_paths,
    block_indices,
    check_block_length,
    default_block_length,
    percentile_interval,
)
from belru_trade.models.its.design import coerce_series

__all__ = ["JointLost", "joint_lost"]


@dataclass(frozen=True)
class JointLost:
    """Cumulative lost trade of several flows with joint bootstrap draws (immutable).

    Attributes
    ----------
    observed, path : pandas.DataFrame
        Observed flows and their counterfactual paths (columns = flows).
    draws : pandas.DataFrame
        ``n_boot`` rows of simulated cumulative losses (counterfactual minus observed,
        summed over the post periods), one column per flow.
    start : pandas.Period
    level : float
    details : dict
    """

    observed: pd.DataFrame
    path: pd.DataFrame
    draws: pd.DataFrame
    start: pd.Period
    level: float
    details: dict[str, Any]

    def _post(self) -> np.ndarray:
        return np.asarray(self.observed.index >= self.start)

    def lost(self, level: float | None = None) -> pd.DataFrame:
        """Per flow: ``lost`` (cumulative counterfactual minus observed) and its interval."""
        level = self.level if level is None else check_fraction("level", level)
        post = self._post()
        point = (self.path[post] - self.observed[post]).sum()
        band = percentile_interval(self.draws.to_numpy(), level)
        return pd.DataFrame(
            {"lost": point, "lost_low": band[0], "lost_high": band[1]}, index=self.draws.columns
        )

    def share(
        self, numerator: Sequence[str], denominator: Sequence[str] | str, *,
        sign: float = -1.0, level: float | None = None,
    ) -> pd.Series:  # fmt: skip
        """``sign * sum(lost[numerator]) / sum(lost[denominator])`` with a joint interval.

        The default ``sign=-1`` turns the numerator's negative losses (excess trade) into a
        positive leakage share: excess exports to neighbours over the drop to the partner.

        Returns
        -------
        pandas.Series
            ``estimate``, ``conf_low``, ``conf_high``, ``share_positive_draws`` (share of
            draws with a positive denominator, which should be one).
        """
        level = self.level if level is None else check_fraction("level", level)
        num, den = (
            list(numerator),
            [denominator] if isinstance(denominator, str) else list(denominator),
        )
        unknown = [c for c in num + den if c not in self.draws.columns]
        if unknown:
            raise InvalidArgumentError(f"unknown flows {unknown}; flows: {list(self.draws)}")
        point = self.lost()["lost"]
        estimate = sign * point[num].sum() / point[den].sum()
        d_den = self.draws[den].sum(axis=1).to_numpy()
        ratio = sign * self.draws[num].sum(axis=1).to_numpy() / d_den
        band = percentile_interval(ratio[np.isfinite(ratio)], level)
        return pd.Series(
            {"estimate": estimate, "conf_low": band[0], "conf_high": band[1],
             "share_positive_draws": float(np.mean(d_den > 0))}
        )  # fmt: skip

    def difference(self, a: str, b: str, level: float | None = None) -> pd.Series:
        """``lost[a] - lost[b]`` with a joint interval."""
        level = self.level if level is None else check_fraction("level", level)
        point = self.lost()["lost"]
        band = percentile_interval((self.draws[a] - self.draws[b]).to_numpy(), level)
        return pd.Series({"estimate": point[a] - point[b], "conf_low": band[0],
                          "conf_high": band[1]})  # fmt: skip


def joint_lost(
    flows: pd.DataFrame,
    start: Any,
    *,
    seasonality: str | None = "fourier",
    harmonics: int = 2,
    noise: str = "ar1",
    n_boot: int = 999,
    block: int | None = None,
    level: float = 0.95,
    seed: int = 0,
) -> JointLost:
    """Own-trend counterfactuals of several flows with a joint bootstrap over time.

    Parameters
    ----------
    flows : pandas.DataFrame
        One column per flow, consecutive periods, non-negative values.
    start : str or Period
        First treated period.
    seasonality, harmonics
        Pre-period baseline, as in :func:`~belru_trade.comparative_counterfactual`.
    noise : {'ar1', 'block'}
        Joint AR(1) simulation (correlated innovations; the default) or the same moving
        blocks for every flow. ``'ar1'`` falls back to ``'block'`` when a flow has zeros
        before ``start``.
    n_boot, block, level, seed
        As in :func:`~belru_trade.comparative_counterfactual`.

    Returns
    -------
    JointLost
        ``lost()``, ``share(numerator, denominator)``, ``difference(a, b)``.

    Raises
    ------
    InvalidArgumentError
        Bad options, a flow zero in every pre-period, unknown flows.
    ShortSeriesError
        ``start`` leaves no pre- or post-period.

    Notes
    -----
    Each flow ``j`` gets the Poisson pseudo-ML pre-period path ``m_j(t) = exp(B_t b_j)``
    (constant, trend, seasonality). Per draw, all flows' pre-period outcomes are simulated
    together (``m_j`` times joint AR(1) or block-resampled ratio residuals), the paths are
    refitted, and the post-period counterfactual outcomes carry the simulated deviations;
    the draw's cumulative loss of flow ``j`` is ``sum_{t >= start} (y0*_jt - y_jt)``.
    """
    if not isinstance(flows, pd.DataFrame) or flows.shape[1] < 1:
        raise InvalidArgumentError("flows must be a DataFrame with one column per flow")
    if noise not in NOISES:
        raise InvalidArgumentError(f"noise={noise!r} is not allowed; expected one of {NOISES}")
    check_draws("n_boot", n_boot, minimum=99)
    check_seed(seed)
    check_harmonics(harmonics)
    Y = pd.DataFrame(
        {str(c): coerce_series(flows[c], name=f"flows[{c!r}]", nonnegative=True) for c in flows}
    )
    first = check_period("start", start, Y.index.freqstr[0])
    pre = np.asarray(Y.index < first)
    if not 0 < pre.sum() < len(Y):
        raise ShortSeriesError(f"start={start!r} leaves no pre- or no post-period")
    if (Y[pre].sum() <= 0).any():
        raise InvalidArgumentError("a flow is zero in every pre-period: no path to extrapolate")
    B = _baseline(Y.index, first, seasonality, harmonics)
    m = np.exp(B @ fit_pre(B[pre], Y.to_numpy()[pre]).T)  # (n, S)
    r = Y.to_numpy()[pre] / m[pre]
    if noise == "ar1" and (r <= 0).any():
        noise = "block"
    n_pre = int(pre.sum())
    block = default_block_length(n_pre) if block is None else check_block_length(block, n_pre)
    rng = np.random.default_rng(seed)
    mult = _multipliers(r, pre, noise, n_boot, block, B.shape[1], rng)  # (n_boot, n, S)
    S = Y.shape[1]
    Y_star = (m[pre][None] * mult[:, pre]).transpose(1, 2, 0).reshape(int(pre.sum()), -1)
    b = fit_pre(B[pre], Y_star).reshape(S, n_boot, -1)  # flows x draws x k
    cf = np.exp(np.einsum("tk,sbk->bts", B[~pre], b)) * mult[:, ~pre]
    lost = (cf - Y.to_numpy()[~pre][None]).sum(axis=1)
    details = {"noise": noise, "n_boot": n_boot}
    if noise == "block":
        details["block"] = block
    return JointLost(
        observed=Y, path=pd.DataFrame(m, index=Y.index, columns=Y.columns),
        draws=pd.DataFrame(lost, columns=Y.columns), start=first,
        level=check_fraction("level", level), details=details,
    )  # fmt: skip


def _multipliers(
    r: np.ndarray,
    pre: np.ndarray,
    noise: str,
    n_boot: int,
    block: int,
    n_params: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Mean-one multiplicative noise ``(n_boot, n, S)`` shared across flows per draw."""
    n, n_pre = len(pre), int(pre.sum())
    if noise == "ar1":
        paths = ar1_paths(np.log(r), n, size=n_boot, rng=rng, n_params=n_params)
        noise_ = np.exp(paths)
        return noise_ / noise_.mean(axis=(0, 1), keepdims=True)
    idx = block_indices(n_pre, n, block=block, size=n_boot, rng=rng)
    return r[idx] / r.mean(axis=0)

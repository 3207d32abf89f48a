"""Counterfactuals built from comparison units, with block-bootstrap intervals.

Two constructions of what a treated flow would have been without the intervention:

* :func:`comparative_counterfactual` (comparative ITS, a difference-in-differences
  counterfactual): the treated series' own pre-period level, trend and seasonality, moved
  after the intervention by the controls' deviation from *their* pre-period path. With no
  controls it is the own-trend ITS extrapolation (kept as a sensitivity).
* :func:`synth_counterfactual`: the synthetic-control path ``Y0 w``
  (:func:`belru_trade.models.synth.synth`).

Both return :class:`CounterfactualResults` with ``counterfactual()``, ``lost()`` and
``plot()``. Intervals are percentile intervals of a moving-block bootstrap over time
(:mod:`belru_trade.models.counterfactual.resampling`), so serial correlation in the treated series'
deviations widens cumulative intervals as it should, and every interval is equivariant to
the unit of measurement (multiplying the outcome by ``c`` multiplies every figure by ``c``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from belru_trade._frames import period_index
from belru_trade._validation import (
    check_choice,
    check_draws,
    check_fraction,
    check_period,
    check_seed,
)
from belru_trade.errors import InvalidArgumentError, ShortSeriesError
from belru_trade.models.counterfactual.refits import fit_pre, simulate_ar1, simulate_blocks
from belru_trade.models.counterfactual.resampling import (
    block_indices,
    check_block_length,
    default_block_length,
    percentile_interval,
)
from belru_trade.models.its.design import build_design, coerce_series

__all__ = ["CounterfactualResults", "comparative_counterfactual", "synth_counterfactual"]

NOISES = ("ar1", "block")


@dataclass(frozen=True)
class CounterfactualResults:
    """A counterfactual path for one treated flow with bootstrap draws (immutable).

    Attributes
    ----------
    method : str
        ``'comparative ITS'``, ``'own-trend ITS'`` or ``'synthetic control'``.
    observed, path : pandas.Series
        Observed outcome and counterfactual (expected outcome without the intervention),
        every period.
    draws : numpy.ndarray
        ``(n_boot, n_post)`` bootstrap draws of the counterfactual outcome, post periods.
    start : pandas.Period
        First treated period.
    level : float
        Default interval level.
    details : dict
        Method-specific figures (``block``, ``n_boot``, ``pre_rmspe``, weights ...).
    """

    method: str
    observed: pd.Series
    path: pd.Series
    draws: np.ndarray
    start: pd.Period
    level: float = 0.95
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Printable text: the method and the cumulative lost trade with its interval."""
        return repr(self)

    def __repr__(self) -> str:
        total = self.lost().iloc[-1]
        return (
            f"{self.method} counterfactual from {self.start}: cumulative lost "
            f"{total['cumulative_lost']:.4g} [{total['cumulative_low']:.4g}, "
            f"{total['cumulative_high']:.4g}] ({self.level:.0%}, block bootstrap)"
        )

    @property
    def post(self) -> np.ndarray:
        """Boolean mask of the post-intervention periods."""
        return np.asarray(self.observed.index >= self.start)

    def counterfactual(self, level: float | None = None) -> pd.DataFrame:
        """Observed and counterfactual paths with a prediction band after ``start``.

        Returns
        -------
        pandas.DataFrame
            Indexed by period: ``observed``, ``counterfactual``, ``cf_low``, ``cf_high``
            (band of the counterfactual outcome, NaN before ``start``).
        """
        level = self.level if level is None else check_fraction("level", level)
        band = percentile_interval(self.draws, level)
        table = pd.DataFrame({"observed": self.observed, "counterfactual": self.path})
        for name, row in (("cf_low", band[0]), ("cf_high", band[1])):
            table[name] = np.nan
            table.loc[self.post, name] = row
        return table

    def lost(self, level: float | None = None, *, freq: str | None = None) -> pd.DataFrame:
        """Lost trade after ``start``: counterfactual minus observed, and its running sum.

        Parameters
        ----------
        level : float, optional
            Interval level (default: the fit's).
        freq : {None, 'Y'}
            Per period (default) or per calendar year (partial years flagged by ``periods``).

        Returns
        -------
        pandas.DataFrame
            ``lost`` (point), ``lost_low``/``lost_high``, ``cumulative_lost``,
            ``cumulative_low``/``cumulative_high``; with ``freq='Y'`` also ``periods``.
            Positive values are trade lost.
        """
        level = self.level if level is None else check_fraction("level", level)
        y = self.observed[self.post]
        point = self.path[self.post] - y
        draws = self.draws - y.to_numpy()[None, :]
        index = y.index
        if freq is not None:
            if freq != "Y":
                raise InvalidArgumentError(f"freq={freq!r} is not allowed; expected None or 'Y'")
            years = period_index(y).year
            keys = np.unique(years)
            draws = np.stack([draws[:, years == k].sum(axis=1) for k in keys], axis=1)
            counts = pd.Series(years).value_counts().reindex(keys).to_numpy()
            point = point.groupby(years).sum()
            index = pd.Index(keys, name="year")
        band = percentile_interval(draws, level)
        cum = percentile_interval(np.cumsum(draws, axis=1), level)
        table = pd.DataFrame(
            {"lost": np.asarray(point), "lost_low": band[0], "lost_high": band[1]}, index=index
        )
        table["cumulative_lost"] = np.cumsum(np.asarray(point))
        table["cumulative_low"], table["cumulative_high"] = cum[0], cum[1]
        if freq is not None:
            table.insert(0, "periods", counts)
        return table

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row: method, total lost with interval, pre-period fit and bootstrap settings."""
        last = self.lost(level).iloc[-1]
        row = {
            "method": self.method,
            "start": str(self.start),
            "periods_after": int(self.post.sum()),
            "lost": last["cumulative_lost"],
            "lost_low": last["cumulative_low"],
            "lost_high": last["cumulative_high"],
            "relative": last["cumulative_lost"] / float(self.path[self.post].sum()),
        }
        row.update({k: v for k, v in self.details.items() if np.isscalar(v)})
        return pd.DataFrame([row])

    def plot(self, *, unit: str | None = None, title: str | None = None, ax: Any = None) -> Any:
        """Observed series, counterfactual path (labelled by method) and its band.

        Returns a :class:`matplotlib.figure.Figure` (that of ``ax`` when given).
        """
        from belru_trade.plotting import counterfactual_panel, on_axes

        fig, ax = on_axes(ax)
        table = self.counterfactual()
        counterfactual_panel(
            ax,
            table,
            [str(self.start)],
            counterfactual_label=self.method,
            y=str(self.observed.name or "y"),
            unit=unit,
            title=title or self.method,
        )
        return fig


def _baseline(
    index: pd.PeriodIndex, start: pd.Period, seasonality: str | None, harmonics: int
) -> np.ndarray:
    design = build_design(
        index, [start], seasonality=seasonality, harmonics=harmonics, slope_change=False
    )
    return design.X.iloc[:, : design.n_baseline].to_numpy()


def _check_inputs(
    y: pd.Series, controls: pd.DataFrame | None, start: Any, n_boot: int
) -> tuple[pd.Period, np.ndarray]:
    check_draws("n_boot", n_boot, minimum=99)
    first = check_period("start", start, period_index(y).freqstr[0])
    pre = np.asarray(y.index < first)
    if not 0 < pre.sum() < len(y):
        raise ShortSeriesError(f"start={start!r} leaves no pre- or no post-period in y")
    if not (y[pre] > 0).any():
        raise InvalidArgumentError("y is zero in every pre-period: no level to extrapolate")
    if controls is not None:
        if not controls.index.equals(y.index):
            raise InvalidArgumentError("controls must have exactly the periods of y")
        if (controls.sum(axis=1) <= 0).any():
            bad = controls.index[controls.sum(axis=1) <= 0].astype(str).tolist()[:5]
            raise InvalidArgumentError(f"the controls sum to zero in periods {bad}")
    return first, pre


def _observed_inputs(
    y: Any,
    controls: Any,
    start: Any,
    n_boot: int,
    *,
    missing: str,
    seasonality: str | None,
    harmonics: int,
) -> tuple[pd.Series, pd.Series | None, np.ndarray, pd.Period, np.ndarray]:
    """Validated ``y`` and controls on their observed periods (both finite), the baseline
    regressors on those periods (built on the full calendar), ``start`` and the pre mask."""
    check_choice("missing", missing, ("raise", "drop"))
    allow = missing == "drop"
    y = coerce_series(y, name="y", nonnegative=True, allow_missing=allow).astype(float)
    if isinstance(controls, pd.DataFrame):
        controls = controls.sum(axis=1, min_count=controls.shape[1])
    c = None
    if controls is not None:
        c = coerce_series(controls, name="controls", nonnegative=True, allow_missing=allow)
        if not c.index.equals(y.index):
            raise InvalidArgumentError("controls must have exactly the periods of y")
    first = check_period("start", start, period_index(y).freqstr[0])
    B = _baseline(period_index(y), first, seasonality, harmonics)
    keep = y.notna().to_numpy() & (True if c is None else c.notna().to_numpy())
    y, B = y[keep], B[keep]
    c = None if c is None else c[keep]
    first, pre = _check_inputs(y, None if c is None else c.to_frame(), start, n_boot)
    return y, c, B, first, pre


def comparative_counterfactual(
    y: pd.Series,
    start: Any,
    controls: pd.Series | pd.DataFrame | None = None,
    *,
    seasonality: str | None = "fourier",
    harmonics: int = 2,
    noise: str = "ar1",
    n_boot: int = 999,
    block: int | None = None,
    level: float = 0.95,
    seed: int = 0,
    missing: str = "raise",
) -> CounterfactualResults:
    """Comparative-ITS (difference-in-differences) counterfactual with block-bootstrap bands.

    Parameters
    ----------
    y : pandas.Series
        The treated flow (consecutive periods, non-negative).
    start : str or Period
        First treated period.
    controls : pandas.Series or DataFrame, optional
        Comparison flows on the same periods, summed into one control series. ``None``
        gives the own-trend ITS counterfactual (a sensitivity, not a comparison).
    seasonality, harmonics
        Baseline seasonality of both pre-period models, as in :func:`~belru_trade.its`.
    noise : {'ar1', 'block'}
        How the deviations are resampled (see Notes).
    n_boot : int, default 999
        Bootstrap replications (99 to 100,000).
    block : int, optional
        Block length in periods for ``noise='block'`` (default
        ``max(2, round(n_pre^(1/3)))``); 1 to the number of pre-period periods, checked
        for every noise model.
    level : float, default 0.95
    seed : int, default 0
    missing : {'raise', 'drop'}, default 'raise'
        What a NaN in ``y`` or ``controls`` means: refused, or (``'drop'``) a period not
        observed (e.g. a month a UN Comtrade reporter filed nothing), left out of the
        pre-period fits and of the lost trade; the baseline keeps calendar time and the
        AR(1) and block resampling run over the observed periods in order.

    Returns
    -------
    CounterfactualResults

    Raises
    ------
    InvalidArgumentError
        Unknown ``noise``; controls on other periods or summing to zero; a treated series
        zero before ``start``; bad options.
    ShortSeriesError
        Too few pre-period observations for the baseline terms.

    Notes
    -----
    With baseline regressors ``B_t`` (constant, trend, seasonality), Poisson pseudo-ML fits
    on the pre-period only give ``m_T(t) = exp(B_t b_T)`` for the treated series and
    ``m_C(t) = exp(B_t b_C)`` for the control sum ``c_t``. The counterfactual is::

        y0_t = m_T(t) * c_t / m_C(t)

    the treated path moved by the controls' proportional deviation from their own
    extrapolated path (parallel trends in logs after group-specific trends). The lost
    trade is ``sum_{t >= start} (y0_t - y_t)``.

    Intervals (percentiles of ``n_boot`` draws), from the pre-period ratio residuals
    ``r_T = y / m_T`` and ``r_C = c / m_C``:

    * ``noise='ar1'`` (default; parametric bootstrap): AR(1) models of ``log r_T`` and
      ``log r_C`` (bias-corrected coefficients, correlated innovations) are simulated over
      the whole sample; both models are refitted on the simulated pre-periods (parameter
      uncertainty, including how far an autocorrelated trend can be off), and each post
      period's counterfactual outcome carries the simulated treated-minus-control
      deviation (mean one). Falls back to ``'block'`` when ``y`` has zeros before
      ``start``.
    * ``noise='block'``: moving blocks of the residuals (the same periods for both series)
      replace the simulation. Measured coverage is below nominal at 31 pre-periods with
      autocorrelated errors (BENCHMARKS.md), so it is the fallback, not the default.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.period_range("2012-01", "2016-12", freq="M")
    >>> shock = np.where(idx >= pd.Period("2014-08", "M"), 0.6, 1.0)
    >>> control = pd.Series(1000.0 * shock, index=idx)
    >>> treated = pd.Series(200.0 * shock * np.where(idx >= pd.Period("2014-08", "M"), 0.5, 1),
    ...                     index=idx)
    >>> res = comparative_counterfactual(treated, "2014-08", control, n_boot=99)
    >>> round(float(res.lost().iloc[-1]["cumulative_lost"]), 6)  # 29 months x 60 lost
    1740.0
    """
    y, c, B, first, pre = _observed_inputs(
        y, controls, start, n_boot, missing=missing, seasonality=seasonality, harmonics=harmonics
    )
    check_seed(seed)
    if noise not in NOISES:
        raise InvalidArgumentError(f"noise={noise!r} is not allowed; expected one of {NOISES}")
    n_pre = int(pre.sum())
    block = default_block_length(n_pre) if block is None else check_block_length(block, n_pre)
    cvals = np.ones(len(y)) if c is None else c.to_numpy(float)
    b_T, b_C = fit_pre(B[pre], np.c_[y.to_numpy()[pre], cvals[pre]])
    m_T, m_C = np.exp(B @ b_T), np.exp(B @ b_C)
    path = m_T * cvals / m_C
    r = np.c_[y.to_numpy()[pre] / m_T[pre], cvals[pre] / m_C[pre]]
    if noise == "ar1" and (r[:, 0] <= 0).any():
        noise = "block"  # log residuals undefined: zeros before the intervention
    rng = np.random.default_rng(seed)
    sim = simulate_ar1 if noise == "ar1" else simulate_blocks
    draws = sim(B, pre, m_T, m_C, cvals, r, own=c is None, n_boot=n_boot, block=block, rng=rng)
    details = {"noise": noise, "n_boot": n_boot, "pre_rmspe": _rmspe(y, path, pre)}
    if noise == "block":
        details["block"] = block
    details["controls"] = "none (own trend)" if c is None else str(c.name or "controls")
    return CounterfactualResults(
        method="own-trend ITS" if c is None else "comparative ITS",
        observed=y,
        path=pd.Series(path, index=y.index, name="counterfactual"),
        draws=draws,
        start=first,
        level=check_fraction("level", level),
        details=details,
    )


def _rmspe(y: pd.Series, path: np.ndarray, pre: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y.to_numpy()[pre] - path[pre]) ** 2)))


def synth_counterfactual(
    data: pd.DataFrame,
    treated: str,
    start: Any,
    *,
    donors: Sequence[str] | None = None,
    n_boot: int = 999,
    block: int | None = None,
    level: float = 0.95,
    seed: int = 0,
    **synth_options: Any,
) -> CounterfactualResults:
    """Synthetic-control counterfactual (``Y0 w``) with block-bootstrap prediction bands.

    Parameters
    ----------
    data, treated, start, donors
        As in :func:`belru_trade.models.synth.synth` (wide frame or panel with ``unit``).
    n_boot, block, level, seed
        As in :func:`comparative_counterfactual`; blocks are drawn from the pre-period gaps.
    **synth_options
        Passed to :func:`~belru_trade.models.synth.synth` (``predictors``, ``unit``, ...);
        placebos are not run here.

    Returns
    -------
    CounterfactualResults
        ``details`` holds the donor ``weights`` (Series), ``pre_rmspe`` and the ratio of
        the pre-period RMSPE to the treated pre-period mean (``pre_rmspe_relative``).

    Notes
    -----
    The counterfactual outcome in post period ``t`` is ``Y0_t w + g*_t``, ``g*`` a
    moving-block resample of the pre-period gaps ``y - Y0 w`` (not centred, so a
    systematic pre-period misfit carries into the band). This is a prediction interval
    conditional on the weights ``w``; weight uncertainty is not included, and the
    placebo p-value of :func:`~belru_trade.models.synth.synth` remains the test of "no
    effect".
    """
    from belru_trade.models.synth import synth

    check_draws("n_boot", n_boot, minimum=99)
    check_seed(seed)
    res = synth(data, treated, start, donors=donors, placebos=False, **synth_options)
    path = res.path
    pre = np.asarray(path.index < res.start)
    gaps = path["gap"].to_numpy()[pre]
    n_pre = int(pre.sum())
    block = default_block_length(n_pre) if block is None else check_block_length(block, n_pre)
    rng = np.random.default_rng(seed)
    idx = block_indices(int(pre.sum()), int((~pre).sum()), block=block, size=n_boot, rng=rng)
    synthetic = path["synthetic"].to_numpy()
    draws = synthetic[~pre][None, :] + gaps[idx]
    mean_pre = float(path["treated"].to_numpy()[pre].mean())
    details = {
        "block": block,
        "n_boot": n_boot,
        "pre_rmspe": res.pre_rmspe,
        "pre_rmspe_relative": res.pre_rmspe / mean_pre if mean_pre else float("nan"),
        "weights": res.weights,
    }
    return CounterfactualResults(
        method="synthetic control",
        observed=path["treated"].rename(treated),
        path=pd.Series(synthetic, index=path.index, name="counterfactual"),
        draws=draws,
        start=res.start,
        level=check_fraction("level", level),
        details=details,
    )

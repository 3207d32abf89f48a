"""Trade that stops: detection shared by :func:`its` and :func:`scan`, and its report.

A Poisson level change has no finite estimate when a flow is zero after an intervention
(quasi-separation): IRLS either fails or drives the coefficient towards minus infinity,
so the estimate (e.g. -14.8 log points), its standard error and any counterfactual built
from the same fit are arbitrary. Both estimators apply one rule, :func:`stop_period`:

    the flow **stopped** at intervention ``T_j`` when every segment from ``T_j`` onward
    has a mean below ``STOP_SHARE`` (1 %) of the pre-intervention mean **and** fewer than
    half of its periods positive.

A flow that fell by 99 % but is still recorded every month (embargoed origins' meat
exports to Russia after 2014) keeps a finite, well-identified level change and is fitted
as usual; a flow with a handful of stray positive months after a ban (Estonian whey:
5 kg in two years) is reported as stopped.

Such a series is reported as "trade stopped": the level change is bounded at -100 %
(ratio 0), the no-intervention path is fitted on the periods before ``T_j`` only (no
intervention term can then diverge), and the lost trade is that counterfactual minus
the (near-zero) observed flow.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from belru_trade._frames import insertion_point
from belru_trade.errors import SeparationWarning, SpecificationError
from belru_trade.models.its.base import ITSFit
from belru_trade.models.its.counterfactual import (
    counterfactual_table,
    inverse_link,
    plot_counterfactual,
)
from belru_trade.models.its.design import Design
from belru_trade.models.its.fit import LOG_LINK, fit_series

__all__ = [
    "STOP_SHARE",
    "StoppedITSResults",
    "count_status",
    "fit_stopped",
    "stop_mask",
    "stop_period",
]

STOP_SHARE = 0.01


def _bounds(design: Any) -> list[int]:
    index = design.X.index
    return [0, *[insertion_point(index, p) for p in design.interventions], len(index)]


def stop_mask(Y: np.ndarray, design: Any) -> np.ndarray:
    """Index of the first stopped segment per column of ``Y`` (n x S); -1 when none.

    Segment ``j >= 1`` is the first stopped one when segments ``j, j+1, ...`` all have a
    mean below ``STOP_SHARE`` times the mean of segment 0 (which must be positive) and
    fewer than half of their periods positive.
    """
    Y = np.asarray(Y, dtype=float).reshape(len(design.X), -1)
    bounds = _bounds(design)
    pre_mean = Y[: bounds[1]].mean(axis=0)
    segments = list(itertools.pairwise(bounds[1:]))
    low = np.stack(
        [
            (Y[lo:hi].mean(axis=0) < STOP_SHARE * pre_mean)
            & (2 * (Y[lo:hi] > 0).sum(axis=0) < hi - lo)
            for lo, hi in segments
        ]
    )
    first = np.full(Y.shape[1], -1)
    tail = np.ones(Y.shape[1], dtype=bool)
    for j in range(low.shape[0] - 1, -1, -1):
        tail &= low[j]
        first[tail & (pre_mean > 0)] = j + 1
    return first


def count_status(Y: np.ndarray, design: Any) -> np.ndarray:
    """Status of each column of ``Y`` (finite, non-negative) for a Poisson ITS fit.

    ``all_zero``; ``sparse`` (fewer positive periods than parameters + 2); ``stopped``
    (see the module rule); ``separated`` (another segment is all zero); else ``ok``.
    :func:`its` raises :class:`SpecificationError` for ``sparse`` and ``separated``,
    reports ``stopped``; :func:`scan` records the same labels.
    """
    Y = np.asarray(Y, dtype=float).reshape(len(design.X), -1)
    status = np.full(Y.shape[1], "ok", dtype=object)
    status[(Y > 0).sum(axis=0) < design.X.shape[1] + 2] = "sparse"
    status[(status == "ok") & (stop_mask(Y, design) > 0)] = "stopped"
    for lo, hi in itertools.pairwise(_bounds(design)):
        status[(status == "ok") & (Y[lo:hi] == 0).all(axis=0)] = "separated"
    status[(Y == 0).all(axis=0)] = "all_zero"
    return status


def check_count_series(y: np.ndarray, design: Any) -> pd.Period | None:
    """Raise for a sparse series; return the stop period of a stopped one (else None)."""
    status = count_status(y, design)[0]
    if status == "sparse":
        raise SpecificationError(
            f"y has {int((np.asarray(y) > 0).sum())} positive periods for "
            f"{design.X.shape[1]} parameters (at least {design.X.shape[1] + 2} needed): the "
            "Poisson fit is quasi-separated; aggregate the flow (products, partners, "
            "quarters) or drop seasonal terms"
        )
    return stop_period(y, design) if status == "stopped" else None


def stop_period(y: np.ndarray, design: Any) -> pd.Period | None:
    """The intervention at which the flow stopped (see the module rule), or None."""
    j = int(stop_mask(y, design)[0])
    return None if j < 0 else design.interventions[j - 1]


@dataclass(frozen=True, repr=False, kw_only=True)
class StoppedITSResults(ITSFit):
    """ITS results for a flow that stopped (``extra['status'] == 'trade stopped'``).

    Same attributes and methods as :class:`~belru_trade.models.its.estimator.ITSResults`.
    ``params``/``cov`` hold the terms fitted on the periods before the stop; ``tidy()``
    adds the stopped intervention's ``level_change`` as ``-inf`` (ratio 0: -100 %, bounds
    0) and its slope change as NaN; ``counterfactual()`` and ``plot()`` work as usual;
    ``effect()`` and ``placebo()`` raise (the log-scale effect is infinite).
    """

    stopped_at: pd.Period

    def _kept(self) -> np.ndarray:
        return self.design.X[list(self.params.index)].to_numpy()

    @property
    def fitted(self) -> pd.Series:
        """Fitted mean before the stop, zero from the stop onward."""
        eta = self._kept() @ self.params.to_numpy() + self._off()
        mu = inverse_link(eta, self.family, self.noise_var)
        mu[np.asarray(self.y.index >= self.stopped_at)] = 0.0
        return pd.Series(mu, index=self.y.index)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Fitted terms plus the stopped intervention's bounded level change (-100 %)."""
        table = super().tidy(level=level)
        if self.family in LOG_LINK:
            for col, src in (("ratio", "estimate"), ("ratio_low", "conf_low")):
                table[col] = np.exp(table[src])
            table["ratio_high"] = np.exp(table["conf_high"])
        dropped = [c for c in self.design.effect_terms if c not in self.params.index]
        rows = pd.DataFrame({"term": dropped})
        is_level = rows["term"].isin(self.design.level_terms).to_numpy()
        for col in ("estimate", "conf_low", "conf_high"):
            rows[col] = np.where(is_level, -np.inf, np.nan)
        for col in ("ratio", "ratio_low", "ratio_high"):
            rows[col] = np.where(is_level, 0.0, np.nan)
        return pd.concat([table, rows], ignore_index=True)

    def effect(self, date: Any, level: float = 0.95) -> pd.Series:
        """Not defined link-scale effect after a stop: use :meth:`counterfactual`."""
        raise SpecificationError(
            f"trade stopped at {self.stopped_at}: the effect on the log scale is -infinity; "
            "use counterfactual() for the lost trade"
        )

    def counterfactual(self, level: float = 0.95, n_sim: int = 4000, seed: int = 0) -> pd.DataFrame:
        """As :meth:`ITSResults.counterfactual`, from the pre-stop fit."""
        return counterfactual_table(self, level, n_sim, seed)

    def plot(self, *, unit: str | None = None, title: str | None = None, ax: Any = None) -> Any:
        """Observed series, fitted path (zero after the stop) and counterfactual band.

        Returns a :class:`matplotlib.figure.Figure` (that of ``ax`` when given).
        """
        title = title or f"ITS ({self.family}): trade stopped at {self.stopped_at}"
        return plot_counterfactual(self, unit=unit, title=title, ax=ax)

    def placebo(self, n: int = 20, *, term: str | None = None) -> NoReturn:
        """Not available: the real statistic is infinite."""
        raise SpecificationError(f"trade stopped at {self.stopped_at}: no placebo test")


def fit_stopped(
    y: pd.Series, design: Design, stop: pd.Period, log_offset: Any, options: dict
) -> StoppedITSResults:
    """Fit the periods before ``stop`` and report the stop (see the module notes)."""
    cut = insertion_point(y.index, stop)
    keep = [p for p in design.interventions if p < stop]
    cols = list(design.X.columns[: design.n_baseline])
    cols += [c for c in design.effect_terms if any(c.endswith(f"[{p}]") for p in keep)]
    X = design.X.iloc[:cut][cols]
    short = Design(
        X,
        tuple(keep),
        tuple(c for c in design.level_terms if c in cols),
        tuple(c for c in design.slope_terms if c in cols),
        design.n_baseline,
    )
    off = None if log_offset is None else log_offset[:cut]
    ratio = float(
        y.iloc[cut:].mean() / y.iloc[: insertion_point(y.index, design.interventions[0])].mean()
    )
    warnings.warn(
        f"trade stopped at {stop}: the flow from then on averages {100 * ratio:.3g}% of its "
        "pre-intervention mean, so the Poisson level change has no finite estimate "
        f"(quasi-separation). Reported as 'trade stopped' (level change -100%), with the "
        f"no-intervention path fitted on {y.index[0]}..{y.index[cut - 1]} only; for a "
        "counterfactual from comparison flows see bt.comparative_counterfactual",
        SeparationWarning,
        stacklevel=4,
    )
    out = fit_series(
        y.to_numpy()[:cut], short, family=options["family"], log_offset=off,
        errors=options["errors"], hac_lags=options["hac_lags"],
        arima_order=options["arima_order"],
    )  # fmt: skip
    extra = dict(out.extra, status="trade stopped", stopped_at=str(stop))
    return StoppedITSResults(
        params=out.params,
        std_errors=pd.Series(np.sqrt(np.diag(out.cov.to_numpy())), index=out.params.index),
        nobs=cut,
        model=f"ITS {options['family']} (trade stopped)",
        cov_type=out.cov_label,
        df_resid=out.df_resid,
        extra=extra,
        family=options["family"],
        y=y,
        design=design,
        cov=out.cov,
        log_offset=log_offset,
        dispersion=out.dispersion,
        noise_var=out.noise_var,
        options=dict(options),
        stopped_at=stop,
    )

"""The data every interrupted-time-series fit holds, shared by
:class:`~belru_trade.models.its.estimator.ITSResults` and
:class:`~belru_trade.models.its.stopped.StoppedITSResults`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from belru_trade.models.its.design import Design
from belru_trade.models.results import EstimationResults

__all__ = ["ITSFit"]


@dataclass(frozen=True, repr=False, kw_only=True)
class ITSFit(EstimationResults):
    """Fields and helpers common to the ITS results classes (not used on its own)."""

    family: str = "quasipoisson"
    y: pd.Series
    design: Design
    cov: pd.DataFrame
    log_offset: np.ndarray | None = None
    dispersion: float = 1.0
    noise_var: float = float("nan")
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def interventions(self) -> tuple[pd.Period, ...]:
        """The intervention periods."""
        return self.design.interventions

    def _off(self) -> np.ndarray | float:
        return 0.0 if self.log_offset is None else self.log_offset

"""What the bundled analyses share (they may not import each other).

Analysis-only code: figures, series taken from the panel, ITS table rows and their wording,
the 2014-embargo designs and data, and the result builder. The library never imports it.
"""

from __future__ import annotations

from belru_trade.analyses._common.designs import (
    describe_event_study,
    did_row,
    origin_event_study,
)
from belru_trade.analyses._common.embargo_2014 import (
    comtrade_exports_to,
    control_pools,
    earlier_bans,
    embargo_2014_controls,
    embargo_2014_reporters,
    filing_requirement,
    monthly_tonnes,
    sensitivity_variants,
    without_earlier_bans,
)
from belru_trade.analyses._common.figures import (
    mark_dates,
    new_figure,
    plot_its,
)
from belru_trade.analyses._common.its_rows import (
    Interval,
    ITSRow,
    describe_contrast,
    describe_its,
    fit_its,
    fit_its_row,
    fmt_interval,
    its_contrast,
    its_row,
    its_table,
)
from belru_trade.analyses._common.results import analysis_result
from belru_trade.analyses._common.sensitivity import (
    contrast_sensitivity,
    deflated,
    flag_fragile,
    its_sensitivity,
)
from belru_trade.analyses._common.series import (
    annual_sums,
    complete_months,
    monthly_series,
    spike_mask,
)

__all__ = [
    "ITSRow",
    "Interval",
    "analysis_result",
    "annual_sums",
    "complete_months",
    "comtrade_exports_to",
    "contrast_sensitivity",
    "control_pools",
    "deflated",
    "describe_contrast",
    "describe_event_study",
    "describe_its",
    "did_row",
    "earlier_bans",
    "embargo_2014_controls",
    "embargo_2014_reporters",
    "filing_requirement",
    "fit_its",
    "fit_its_row",
    "flag_fragile",
    "fmt_interval",
    "its_contrast",
    "its_row",
    "its_sensitivity",
    "its_table",
    "mark_dates",
    "monthly_series",
    "monthly_tonnes",
    "new_figure",
    "origin_event_study",
    "plot_its",
    "sensitivity_variants",
    "spike_mask",
    "without_earlier_bans",
]

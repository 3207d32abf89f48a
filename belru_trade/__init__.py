"""belru_trade: trade and sanctions econometrics for EU/Belgium-Russia trade.

Public names are loaded lazily so that ``import belru_trade`` stays fast; heavy modules
(statsmodels, scipy.sparse, matplotlib) load on first use.

Examples
--------
>>> import belru_trade as bt
>>> "ppml" in bt.__all__
True
"""

from __future__ import annotations

import importlib
from typing import Any

from belru_trade.errors import (
    BelruTradeError,
    BelruTradeWarning,
    CollinearityWarning,
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    InvalidArgumentError,
    NotCoveredError,
    OfflineError,
    SeparationWarning,
    SpecificationError,
    TradeStoppedError,
    UnknownCodeError,
)

__version__ = "0.1.0"

# public name -> (module, attribute); attribute None means the name is the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    # data layer
    "panel": ("belru_trade.trade.panel", None),
    "codes": ("belru_trade.geo", None),
    "geo": ("belru_trade.geo", None),
    "products": ("belru_trade.trade.products", None),
    "events": ("belru_trade.events", None),
    "load_snapshot": ("belru_trade.store.snapshot", "load_snapshot"),
    "snapshot_info": ("belru_trade.store.snapshot", "snapshot_info"),
    "snapshot": ("belru_trade.store.snapshot", None),
    "sources": ("belru_trade.store.sources", None),
    "cache": ("belru_trade.store.cache", None),
    "datasets": ("belru_trade.datasets", None),
    "bulk": ("belru_trade.store.bulk", None),
    "prices": ("belru_trade.trade.prices", None),
    "deflate": ("belru_trade.trade.prices", "deflate"),
    "convert_currency": ("belru_trade.trade.prices", "convert_currency"),
    # estimators
    "ppml": ("belru_trade.models.hdfe.ppml", "ppml"),
    "ols": ("belru_trade.models.hdfe.ols", "ols"),
    "gravity": ("belru_trade.models.gravity", None),
    "compare": ("belru_trade.models.results", "compare"),
    "its": ("belru_trade.models.its.estimator", "its"),
    "did": ("belru_trade.models.did.estimator", "did"),
    "synth": ("belru_trade.models.synth", "synth"),
    "diversion": ("belru_trade.models.diversion", "diversion"),
    "scan": ("belru_trade.models.scan.estimator", "scan"),
    "comparative_counterfactual": (
        "belru_trade.models.counterfactual.comparative",
        "comparative_counterfactual",
    ),
    "synth_counterfactual": (
        "belru_trade.models.counterfactual.comparative",
        "synth_counterfactual",
    ),
    "joint_lost": ("belru_trade.models.counterfactual.joint", "joint_lost"),
    "fixed_b_tidy": ("belru_trade.models.its.fixed_b", "fixed_b_tidy"),
    "fixed_b_scan": ("belru_trade.models.its.fixed_b", "fixed_b_scan"),
    # policy tools
    "lost_trade": ("belru_trade.policy.lost_trade", "lost_trade"),
    "Measure": ("belru_trade.policy.simulate", "Measure"),
    "simulate": ("belru_trade.policy.simulate", "simulate"),
    "ge": ("belru_trade.policy.ge", "ge"),
    # reporting
    "report": ("belru_trade.report", None),
    "plotting": ("belru_trade.plotting", None),
    # configuration (environment read once, passed down)
    "config": ("belru_trade.config", None),
}

__all__ = [
    "BelruTradeError",
    "BelruTradeWarning",
    "CollinearityWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataValidationError",
    "InvalidArgumentError",
    "NotCoveredError",
    "OfflineError",
    "SeparationWarning",
    "SpecificationError",
    "TradeStoppedError",
    "UnknownCodeError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'belru_trade' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

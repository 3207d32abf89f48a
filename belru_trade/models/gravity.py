"""Structural gravity helpers: estimation frame from a trade panel, and sanction estimates.

``design`` turns a tidy trade panel (:mod:`belru_trade.trade.panel`) into the frame used by the
structural gravity model with exporter-time, importer-time and pair fixed effects, and adds
one directional treatment dummy per sanction event (sender -> target, by product scope and
date, from :func:`belru_trade.events.treatment`). ``estimate`` fits PPML on that frame and
returns results whose terms are the event ids.

Estimating equation (Yotov et al. 2016, ch. 3; Crozet & Hinz 2020)::

    X_ijt = exp(sum_e beta_e D^e_ijt + pi_it + chi_jt + mu_ij) * eps_ijt

Examples
--------
>>> import pandas as pd
>>> panel = pd.DataFrame({
...     "reporter": ["RU"] * 4, "partner": ["BE", "BE", "NL", "NL"],
...     "product": ["080830"] * 4, "flow": ["import"] * 4,
...     "period": pd.PeriodIndex(["2013", "2015", "2013", "2015"], freq="Y"),
...     "value": [10.0, 0.0, 5.0, 0.0]})
>>> frame = design(panel, events=["RU-2014-RES778"])
>>> frame[["exporter", "importer", "RU-2014-RES778"]].values.tolist()
[['BE', 'RU', 0], ['BE', 'RU', 1], ['NL', 'RU', 0], ['NL', 'RU', 1]]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from belru_trade.errors import InvalidArgumentError

if TYPE_CHECKING:
    from belru_trade.models.hdfe.ppml import PPMLResults

__all__ = ["design", "estimate"]

_ISO2 = re.compile(r"^[A-Z]{2}$")
FE_COLUMNS = ("exp_time", "imp_time", "pair")


def _orient(panel: pd.DataFrame, prefer: str) -> pd.DataFrame:
    """Exporter/importer columns from reporter/partner/flow; one record per flow."""
    needed = ["reporter", "partner", "product", "flow", "period", "value"]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise InvalidArgumentError(f"panel is missing columns {missing}; needed: {needed}")
    exp_rows = panel["flow"] == "export"
    out = pd.DataFrame(
        {
            "exporter": np.where(exp_rows, panel["reporter"], panel["partner"]),
            "importer": np.where(exp_rows, panel["partner"], panel["reporter"]),
            "product": panel["product"].astype(str),
            "period": panel["period"],
            "trade": pd.to_numeric(panel["value"], errors="coerce"),
            "reported_by": np.where(exp_rows, "export", "import"),
        }
    )
    country = out["exporter"].astype(str).str.match(_ISO2) & out["importer"].astype(str).str.match(
        _ISO2
    )
    out = out[country]
    order = {"import": 0, "export": 1} if prefer == "import" else {"export": 0, "import": 1}
    out = out.assign(_rank=out["reported_by"].map(order)).sort_values("_rank", kind="stable")
    key = ["exporter", "importer", "product", "period"]
    out = out.groupby(key, sort=True, observed=True, as_index=False).agg(
        trade=("trade", "first"), reported_by=("reported_by", "first")
    )
    return out


def _dummy(frame: pd.DataFrame, event: str, shift: int) -> pd.Series:
    """Treatment of event ``event`` on the period shifted by ``shift`` (lag > 0)."""
    from belru_trade.events import treatment

    view = pd.DataFrame(
        {
            "reporter": frame["importer"].to_numpy(),
            "partner": frame["exporter"].to_numpy(),
            "product": frame["product"].to_numpy(),
            "flow": "import",
            "period": pd.PeriodIndex(frame["period"]) - shift,
        },
        index=frame.index,
    )
    return treatment(view, event).astype(np.int8)


def design(
    panel: pd.DataFrame,
    *,
    events: Sequence[str],
    domestic: pd.DataFrame | None = None,
    lags: Sequence[int] = (),
    leads: Sequence[int] = (),
    prefer: str = "import",
) -> pd.DataFrame:
    """Estimation frame for structural gravity with sanction dummies.

    Parameters
    ----------
    panel : DataFrame
        Tidy trade panel (reporter, partner, product, flow, period, value). Rows whose
        reporter or partner is not a country (aggregates such as ``EU27_2020``) are dropped.
    events : sequence of str
        Sanction event ids (:func:`belru_trade.events.event_ids`); one 0/1 column each,
        named by the id: 1 when the flow exporter -> importer of that product is covered
        on that period.
    domestic : DataFrame, optional
        Domestic flows with columns country, product, period, value (exporter = importer);
        appended, and an ``international`` column (1 for cross-border flows) is added for
        border effects.
    lags, leads : sequence of int
        Also add ``<event>_lag<k>`` (treatment k periods earlier) and ``<event>_lead<k>``
        (k periods later; for anticipation / pre-trend tests).
    prefer : {"import", "export"}
        Which report to keep when both sides report the same flow.

    Returns
    -------
    DataFrame
        Columns exporter, importer, product, period, trade, reported_by, exp_time,
        imp_time, pair (fixed-effect ids; interacted with product when there are several
        products), the event columns and, with ``domestic``, international.

    Raises
    ------
    InvalidArgumentError
        Missing columns, no events, bad lags/leads or ``prefer``.
    UnknownCodeError
        Unknown event id.
    """
    if prefer not in ("import", "export"):
        raise InvalidArgumentError(f"prefer={prefer!r} is not allowed; expected 'import'/'export'")
    events = [events] if isinstance(events, str) else list(events)
    if not events:
        raise InvalidArgumentError("events=[] is empty; give at least one event id")
    shifts = [("", 0)] + [(f"_lag{k}", k) for k in lags] + [(f"_lead{k}", -k) for k in leads]
    if any(not isinstance(k, int) or k <= 0 for k in [*lags, *leads]):
        raise InvalidArgumentError(f"lags={lags!r}, leads={leads!r}: expected positive ints")
    frame = _orient(panel, prefer)
    if domestic is not None:
        frame = pd.concat([frame, _domestic(domestic)], ignore_index=True)
        frame["international"] = (frame["exporter"] != frame["importer"]).astype(np.int8)
    frame = frame.reset_index(drop=True)
    several = frame["product"].nunique() > 1
    suffix = ("_" + frame["product"]) if several else ""
    period = frame["period"].astype(str)
    frame["exp_time"] = frame["exporter"] + "_" + period + suffix
    frame["imp_time"] = frame["importer"] + "_" + period + suffix
    frame["pair"] = frame["exporter"] + "_" + frame["importer"] + suffix
    for event in events:
        for tag, shift in shifts:
            frame[event + tag] = _dummy(frame, event, shift)
    return frame


def _domestic(domestic: pd.DataFrame) -> pd.DataFrame:
    needed = ["country", "product", "period", "value"]
    missing = [c for c in needed if c not in domestic.columns]
    if missing:
        raise InvalidArgumentError(f"domestic is missing columns {missing}; needed: {needed}")
    return pd.DataFrame(
        {
            "exporter": domestic["country"].to_numpy(),
            "importer": domestic["country"].to_numpy(),
            "product": domestic["product"].astype(str).to_numpy(),
            "period": domestic["period"].to_numpy(),
            "trade": pd.to_numeric(domestic["value"], errors="coerce").to_numpy(),
            "reported_by": "domestic",
        }
    )


def estimate(
    frame: pd.DataFrame,
    *,
    events: Sequence[str],
    controls: Sequence[str] = (),
    fixed_effects: Sequence[str] = FE_COLUMNS,
    cluster: str | None = "pair",
    **kwargs: Any,
) -> PPMLResults:
    """PPML structural gravity with one coefficient per event (terms = event ids).

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`design` (or any frame with ``trade``, the event columns and the
        fixed-effect columns).
    events : sequence of str
        Event columns to include (with their ``_lag``/``_lead`` columns if wanted, by name).
    controls : sequence of str
        Further regressors (column names or formula terms).
    fixed_effects : sequence of str
        Fixed-effect columns (default exporter-time, importer-time, pair).
    cluster : str or None
        Cluster column (default ``"pair"``); None gives heteroskedasticity-robust SEs.
    **kwargs
        Passed to :func:`belru_trade.ppml` (``ssc``, ``separation``, ``tol``, ...).

    Returns
    -------
    PPMLResults
        Terms named by the event ids; ``exp(beta) - 1`` is the proportional trade effect.
    """
    events = [events] if isinstance(events, str) else list(events)
    missing = [e for e in events if e not in frame.columns]
    if not events or missing:
        raise InvalidArgumentError(
            f"events={events!r}: columns {missing} not in frame; build them with design()"
        )
    from belru_trade.models.hdfe.ppml import ppml

    rhs = " + ".join([f"`{e}`" for e in events] + list(controls))
    formula = f"trade ~ {rhs} | {' + '.join(fixed_effects)}"
    return ppml(formula, frame, cluster=cluster, **kwargs)

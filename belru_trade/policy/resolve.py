"""The effect and leakage assumptions of :func:`~belru_trade.policy.simulate.simulate`.

Each is given (a number or ``(mean, sd)``) or ``"estimated"`` from analogue measures: a
PPML difference-in-differences against control partners, or an interrupted time series
when no controls are left (:mod:`belru_trade.policy.effects`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from belru_trade._validation import check_choice, check_fraction
from belru_trade.errors import InvalidArgumentError
from belru_trade.policy.effects import (
    Effect,
    analogue_effect,
    analogue_effect_its,
    analogue_leakage,
    clean_controls,
    combine_effects,
)
from belru_trade.policy.measure import Analogue, Leakage, resolve_analogue

__all__ = ["resolve_effect", "resolve_leakage"]


def _analogue(
    panel: pd.DataFrame,
    item: str | Analogue,
    members: Sequence[str],
    controls: Sequence[str] | None,
    method: str,
) -> Effect:
    analogue = resolve_analogue(item)
    if controls is None:
        controls = clean_controls(sorted(panel["partner"].unique()), analogue.target)
    if method == "auto":
        method = "did" if controls else "its"
    if method == "its":
        return analogue_effect_its(panel, analogue, members=members)
    return analogue_effect(panel, analogue, members=members, controls=controls)


def resolve_effect(
    elasticity: Any,
    analogues: Any,
    panel: pd.DataFrame,
    members: Sequence[str],
    controls: Sequence[str] | None,
    method: str = "auto",
) -> Effect:
    """The trade effect: given, or estimated from analogue measures and combined.

    Parameters
    ----------
    elasticity : "estimated", float or (mean, sd)
        A given log-ratio effect, or ``"estimated"`` from ``analogues``.
    analogues : str, Analogue or sequence of them
        Event ids of the registry or :class:`~belru_trade.policy.measure.Analogue` objects.
    panel : DataFrame
        Tidy trade panel holding the analogues' flows.
    members : sequence of str
        Reporters whose flows are affected.
    controls : sequence of str, optional
        Control partners of the DiD (default: the panel's partners without transit routes).
    method : {"auto", "did", "its"}
        DiD when controls are left (``"auto"``), else an interrupted time series.

    Returns
    -------
    Effect

    Raises
    ------
    InvalidArgumentError
        For an elasticity that is none of the above, or ``"estimated"`` without analogues.
    """
    if isinstance(elasticity, str):
        if elasticity != "estimated":
            raise InvalidArgumentError(
                f"elasticity={elasticity!r}: expected 'estimated', a number or (mean, sd)"
            )
        if not analogues:
            raise InvalidArgumentError("elasticity='estimated' needs analogues=[event id, ...]")
        items = [analogues] if isinstance(analogues, str | Analogue) else list(analogues)
        check_choice("analogue_method", method, ("auto", "did", "its"))
        found = [_analogue(panel, a, members, controls, method) for a in items]
        return combine_effects(found)
    if isinstance(elasticity, tuple | list) and len(elasticity) == 2:
        return Effect.given(*elasticity)
    if isinstance(elasticity, int | float) and not isinstance(elasticity, bool):
        return Effect.given(elasticity)
    raise InvalidArgumentError(
        f"elasticity={elasticity!r}: expected 'estimated', a number or (mean, sd)"
    )


def resolve_leakage(
    leakage: Any,
    analogues: Any = None,
    panel: pd.DataFrame | None = None,
    members: Sequence[str] = (),
) -> Leakage:
    """The leakage share: given, or estimated from the first analogue measure.

    Parameters
    ----------
    leakage : "estimated", float in [0, 1] or (mean, sd)
        The share of the lost trade that reaches the target by other routes.
    analogues, panel, members
        As in :func:`resolve_effect` (needed for ``"estimated"`` only).

    Returns
    -------
    Leakage

    Raises
    ------
    InvalidArgumentError
        For a share outside [0, 1], a negative sd, or ``"estimated"`` without analogues or
        panel.
    """
    if isinstance(leakage, str):
        if leakage != "estimated":
            raise InvalidArgumentError(
                f"leakage={leakage!r}: expected 'estimated', a share in [0, 1] or (mean, sd)"
            )
        if not analogues:
            raise InvalidArgumentError("leakage='estimated' needs analogues=[event id, ...]")
        items = [analogues] if isinstance(analogues, str | Analogue) else list(analogues)
        if panel is None:
            raise InvalidArgumentError("leakage='estimated' needs the trade panel")
        mean, sd, source = analogue_leakage(panel, resolve_analogue(items[0]), members=members)
        return Leakage(mean, sd, source)
    if isinstance(leakage, tuple | list) and len(leakage) == 2:
        mean, sd = check_fraction("leakage", leakage[0]), float(leakage[1])
        if sd < 0:
            raise InvalidArgumentError(f"leakage sd={sd!r} must be >= 0")
        return Leakage(mean, sd, f"user-given share {mean:.0%} (sd {sd:.2f})")
    mean = check_fraction("leakage", leakage)
    return Leakage(mean, 0.0, f"user-given share {mean:.0%}")

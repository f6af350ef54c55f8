"""Axes: round tick values over a data range, their labels, and the map from data to drawing units."""

from __future__ import annotations

import math
from dataclasses import dataclass

STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def finite(values) -> list[float]:
    """The values that are numbers (not None, NaN or infinite)."""
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def nice_ticks(low: float, high: float, target: int = 6) -> list[float]:
    """Round values (1, 2, 2.5 or 5 times a power of ten apart) inside ``low``..``high``: the closest spacing
    that gives at most ``target + 1`` of them."""
    raw = (high - low) / max(1, target)
    power = 10.0 ** math.floor(math.log10(raw))
    for step in sorted(s * p for p in (power / 10, power, power * 10) for s in STEPS):
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        if last - first + 1 <= target + 1:
            return [round(k * step, 12) for k in range(first, last + 1)]
    return [low, high]


def tick_labels(ticks: list[float]) -> list[str]:
    """The ticks with as many decimals as their step needs, all alike."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * max(1.0, abs(step)):
        decimals += 1
    return [f"{0.0 if abs(t) < step * 1e-9 else t:.{decimals}f}" for t in ticks]


@dataclass(frozen=True)
class Linear:
    """Maps the data interval ``d0``..``d1`` onto the drawing interval ``r0``..``r1``."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        span = self.d1 - self.d0
        return self.r0 + (value - self.d0) / span * (self.r1 - self.r0) if span else (self.r0 + self.r1) / 2


def axis(values: list[float], target: int = 6, pad: float = 0.05) -> tuple[list[float], float, float]:
    """Ticks and the shown interval for ``values``: their range widened by ``pad`` of it at each end (so no
    marker sits on an axis line), and round ticks inside it."""
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high - low < 1e-9 * max(1.0, abs(low)):  # one value: a unit around it (or a tenth of it)
        half = 0.5 if abs(low) < 1e-9 else abs(low) * 0.1
        low, high = low - half, high + half
    span = high - low
    low, high = low - pad * span, high + pad * span
    return nice_ticks(low, high, target), low, high

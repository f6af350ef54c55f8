"""Argument checks shared by the sampling modules.

Every check names the argument and repeats the bad value, in the style of
``scipy.stats``: ``"margin must be in (0, 1) but got 1.5"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping

__all__ = [
    "SampleSizeWarning",
    "check_choice",
    "check_int",
    "check_mapping",
    "check_open_unit",
    "check_population",
    "check_positive",
    "per_stratum",
]


class SampleSizeWarning(UserWarning):
    """A legal request that cannot be met as asked (e.g. a census falls short)."""


def check_int(value, name: str, *, minimum: int = 0) -> int:
    """Return ``value`` as an ``int`` >= ``minimum``; reject bools, floats, NaN."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        # allow integral floats such as 100.0 coming from a form or a YAML file
        if (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and float(value).is_integer()
        ):
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer but got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum} but got {value!r}")
    return value


def _check_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number but got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite but got {value!r}")
    return value


def check_open_unit(value, name: str) -> float:
    """Return ``value`` as a float in the open interval (0, 1)."""
    value_f = _check_real(value, name)
    if not 0.0 < value_f < 1.0:
        raise ValueError(f"{name} must be in (0, 1) but got {value!r}")
    return value_f


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0 when ``allow_zero``)."""
    value_f = _check_real(value, name)
    if value_f < 0.0 or (value_f == 0.0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound} but got {value!r}")
    return value_f


def check_population(value, name: str = "population") -> int | None:
    """``None`` (an infinite population) or an integer >= 1."""
    if value is None:
        return None
    return check_int(value, name, minimum=1)


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices!r} but got {value!r}")
    return value


def check_mapping(value, name: str) -> dict:
    """A non-empty mapping, copied to a plain dict in its own key order."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of stratum to value but got {value!r}")
    if len(value) == 0:
        raise ValueError(f"{name} must not be empty but got {value!r}")
    return dict(value)


def per_stratum(value, name: str, keys, check) -> dict:
    """Expand a scalar or a mapping to ``{key: check(value_for_key)}`` over ``keys``.

    A mapping must give a value for every key; extra keys are an error too,
    since they usually mean a misspelt stratum.
    """
    if isinstance(value, Mapping):
        missing = [k for k in keys if k not in value]
        if missing:
            raise ValueError(f"{name} has no value for stratum {missing[0]!r}")
        extra = [k for k in value if k not in keys]
        if extra:
            raise ValueError(f"{name} names unknown stratum {extra[0]!r}")
        return {k: check(value[k], f"{name}[{k!r}]") for k in keys}
    checked = check(value, name)
    return {k: checked for k in keys}

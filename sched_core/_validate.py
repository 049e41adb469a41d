"""Argument checks shared by both adapters.

Every check raises at construction time with a message that names the
argument, the offending value and the accepted range, e.g.
``ValueError: step_size must be an integer >= 1, got 0``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = [
    "is_traced",
    "check_lr",
    "check_int",
    "check_float",
    "check_choice",
    "check_milestones",
    "check_bool",
]


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"


def is_traced(value: Any) -> bool:
    """True for a 0-d array whose value is unknown on the host (a JAX tracer under jit/vmap)."""
    if isinstance(value, numbers.Real) or getattr(value, "shape", None) != ():
        return False
    try:
        float(value)
    except Exception:  # noqa: BLE001 - jax raises ConcretizationTypeError and friends
        return True
    return False


def check_lr(name: str, value: Any) -> Any:
    """An LR-scale argument: a finite real ``>= 0``, a concrete 0-d array (validated the
    same way), or a traced scalar, which cannot be validated and is passed through."""
    if is_traced(value):
        return value
    if not isinstance(value, numbers.Real) and getattr(value, "shape", None) == ():
        value = float(value)
    return check_float(name, value, lo=0.0)


def check_bool(name: str, value: Any) -> bool:
    """Returns ``value`` if it is a Python/numpy bool, else raises TypeError."""
    if not _is_bool(value):
        raise TypeError(f"{name} must be a bool, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_int(name: str, value: Any, *, min_value: int | None = None,
              max_value: int | None = None) -> int:
    """Returns ``value`` as ``int`` after checking type and range.

    Floats are rejected even when integral, as torch does for step counts:
    a step count of ``2.0`` is almost always a bug (``epochs * 0.5``).
    """
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be an integer >= {min_value}, got {value}")
    if max_value is not None and value > max_value:
        raise ValueError(f"{name} must be an integer <= {max_value}, got {value}")
    return value


# Names that some factories accept as traced scalars (through :func:`check_lr`).
_TRACEABLE = ("init_value", "base_lr", "max_lr", "eta_min", "min_lr", "swa_lr")


def _traced_message(name: str, value: Any) -> str:
    """The error for a traced value where a concrete number is needed; never claims that
    ``name`` itself may be traced (it may not, here)."""
    head = f"{name} must be a concrete number here, got a traced value {value!r}"
    if name in _TRACEABLE:
        return (f"{head}: this factory needs {name} on the host and cannot take a traced "
                f"{name} (only factories that document it, such as the pure schedules, "
                "accept one); pass a Python float, or build the object outside jit/vmap")
    return (f"{head}: only LR-scale arguments ({', '.join(_TRACEABLE)}), and only where a "
            f"factory documents it, may be traced under jit/vmap; pass {name} as a Python "
            "number")


def check_float(name: str, value: Any, *, lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False) -> float:
    """Returns ``value`` as a finite ``float`` inside the given interval.

    Concrete 0-d arrays are converted; traced values are refused with a TypeError (they
    cannot be validated here; LR-scale arguments that may be traced go through
    :func:`check_lr` instead).
    """
    if is_traced(value):
        raise TypeError(_traced_message(name, value))
    if not _is_bool(value) and not isinstance(value, numbers.Real) \
            and getattr(value, "shape", None) == () and getattr(value, "dtype", None) is not None:
        value = float(value)
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    interval = f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in {interval}, got {value}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise ValueError(f"{name} must be in {interval}, got {value}")
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Returns ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_milestones(name: str, value: Any, *, strict: bool = True, sort: bool = False,
                     min_value: int = 1, allow_empty: bool = False) -> tuple[int, ...]:
    """Checks a sorted sequence of integers ``>= min_value``.

    ``strict=True`` requires strictly increasing values (SequentialLR);
    ``strict=False`` allows repeats (MultiStepLR applies gamma once per repeat).
    ``sort=True`` accepts any iterable (a set, a generator) and sorts it first.
    """
    if isinstance(value, (str, bytes)) or (not isinstance(value, Sequence)
                                           and not hasattr(value, "__iter__")):
        raise TypeError(f"{name} must be a sequence of integers, got {value!r}")
    items = list(value)
    if not items and not allow_empty:
        raise ValueError(f"{name} must be a non-empty sorted sequence of integers >= {min_value}, "
                         "got []")
    out = tuple(check_int(f"{name}[{i}]", m, min_value=min_value) for i, m in enumerate(items))
    if sort:
        out = tuple(sorted(out))
    for a, b in zip(out, out[1:]):
        if b < a or (strict and b == a):
            order = "strictly increasing" if strict else "sorted (non-decreasing)"
            raise ValueError(f"{name} must be {order}, got {list(out)}")
    return out

"""A namespace for evaluating the core formulas on Python scalars (``math`` speed).

torch_compat evaluates one step of a schedule at a time; numpy's scalar operations cost
about a microsecond each, ``math``'s a few dozen nanoseconds. ``SCALAR`` implements the
small subset of the array API the formulas use, for Python ints and floats (float64).
"""

from __future__ import annotations

import bisect
import math

__all__ = ["SCALAR"]


class _ScalarNamespace:
    is_scalar = True

    @staticmethod
    def asarray(x, dtype=None):
        t = type(x)
        if t is tuple or t is list:
            return x  # host tables are built with the right element types
        if dtype is float:
            return float(x)
        return float(x) if _is_float(dtype) else x

    @staticmethod
    def where(c, a, b):
        return a if c else b

    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    exp = staticmethod(math.exp)
    expm1 = staticmethod(math.expm1)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    tanh = staticmethod(math.tanh)
    floor = staticmethod(math.floor)
    isfinite = staticmethod(math.isfinite)
    abs = staticmethod(abs)
    minimum = staticmethod(min)
    maximum = staticmethod(max)

    @staticmethod
    def exp2(x):
        return 2.0 ** x

    @staticmethod
    def clip(x, lo, hi):
        return min(max(x, lo), hi)

    @staticmethod
    def zeros_like(x):
        return 0 if isinstance(x, int) else 0.0

    @staticmethod
    def ones_like(x):
        return 1.0

    @staticmethod
    def shape(x):
        return ()

    @staticmethod
    def full(shape, value, dtype=None):
        return float(value)

    @staticmethod
    def searchsorted(table, x, side="left"):
        return (bisect.bisect_right if side == "right" else bisect.bisect_left)(table, x)


def _is_float(dtype) -> bool:
    return dtype is float or getattr(dtype, "kind", None) == "f" or dtype in ("float64",)


SCALAR = _ScalarNamespace()


"""Assertions over the tolerance table (``sched_tools._tolerances``)."""

from __future__ import annotations

import numpy as np

from sched_tools._tolerances import TOLERANCES, bound, max_violation

__all__ = ["TOLERANCES", "bound", "max_violation", "assert_within"]


def assert_within(actual, ref, kind: str, what: str = "") -> None:
    """Asserts every element is within the ``kind`` bound, reporting the worst one."""
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what}: non-finite values in {np.asarray(actual)}")
    ratio, idx = max_violation(actual, ref, kind)
    if ratio > 1.0:
        a = np.atleast_2d(actual).flat[idx]
        r = np.atleast_2d(ref).flat[idx]
        raise AssertionError(f"{what}: element {idx} = {a!r} vs reference {r!r} exceeds the "
                             f"{kind} bound by {ratio:.3g}x")

"""The tolerance table of ``shared/notes/decisions.md`` (framework-free; parity suite and CLI).

``b`` is the float64 reference; ``max|b|`` is taken over the compared sequence (row).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TOLERANCES", "bound", "max_violation"]

#: name -> (relative, absolute-relative-to-max)
TOLERANCES = {
    "float32": (1e-6, 1e-7),
    "x64": (1e-10, 1e-12),
    "builtin": (1e-9, 1e-9),
    "stateful32": (1e-5, 1e-7),
}


def bound(ref, kind: str) -> np.ndarray:
    """Elementwise allowed ``|actual - ref|`` for tolerance ``kind``."""
    rel, absmax = TOLERANCES[kind]
    ref = np.atleast_2d(np.asarray(ref, dtype=np.float64))
    scale = np.max(np.abs(ref), axis=-1, keepdims=True)
    return rel * np.abs(ref) + absmax * scale


def max_violation(actual, ref, kind: str) -> tuple[float, int]:
    """Returns ``(max |err| / bound, flat index of the worst element)``."""
    actual = np.atleast_2d(np.asarray(actual, dtype=np.float64))
    ref = np.atleast_2d(np.asarray(ref, dtype=np.float64))
    if actual.shape != ref.shape:
        raise ValueError(f"shape mismatch: {actual.shape} vs {ref.shape}")
    err = np.abs(actual - ref)
    b = bound(ref, kind)
    ratio = np.where(b > 0, err / np.where(b > 0, b, 1), np.where(err > 0, np.inf, 0.0))
    ratio = np.where(np.isnan(err), np.inf, ratio)
    idx = int(np.argmax(ratio))
    return float(ratio.flat[idx]), idx

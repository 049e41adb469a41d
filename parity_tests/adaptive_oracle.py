"""Independent float64 oracle of the AdaptiveScheduler specification (docs/math.md §12).

Plain Python (``math``), written from the document, not from ``sched_core``: it keeps
the raw history and recomputes each EMA as an explicit weighted sum every time.
"""

from __future__ import annotations

import math

LR_RULES = ("trend", "variance", "grad_norm", "cyclical")
MOM_RULES = ("relative", "inverse", "normalized")


def _ema(values, beta):
    """EMA with the first value taken as is, as an explicit weighted sum."""
    n = len(values)
    if n == 0:
        return 0.0
    total = beta ** (n - 1) * values[0]
    for j in range(1, n):
        total += (1 - beta) * beta ** (n - 1 - j) * values[j]
    return total


def controls(losses, gnorms, k, base_lr, mu0, lr_rules, mom_rules, dynamic, total_steps):
    """LR, momentum and weights for update ``k`` from the finite history before it."""
    ls = [x for x in losses if math.isfinite(x)]
    e = _ema(ls, 0.9)
    e_prev = _ema(ls[:-1], 0.9) if len(ls) >= 2 else (ls[0] if ls else 0.0)
    s2 = 0.0
    for j in range(1, len(ls)):
        s2 = 0.9 * s2 + 0.1 * (ls[j] - _ema(ls[:j], 0.9)) ** 2
    r = (e_prev - e) / (abs(e_prev) + 1e-12) if len(ls) >= 2 else 0.0
    nu = math.sqrt(s2) / (abs(e) + 1e-12)
    gs = [x for x in gnorms if math.isfinite(x)]
    f = {"trend": 1 + 0.5 * math.tanh(r / 0.01), "variance": 1 / (1 + 10 * nu)}
    f["grad_norm"] = 2 / (1 + _ema(gs, 0.9) / gs[0]) if gs and gs[0] > 0 else 1.0
    period = total_steps or 1000
    c = min(k, period) if total_steps else k % period
    f["cyclical"] = 0.1 + 0.9 * math.cos(math.pi / 2 * c / period) ** 2
    if dynamic:
        p = min(k / total_steps, 1) if total_steps else 1 - math.exp(-k / 1000)
        prof = {"trend": 1 - abs(2 * p - 1), "variance": 1 - p, "grad_norm": 1 - p,
                "cyclical": p}
        raw = {q: lr_rules.get(q, 0.0) * (0.1 + prof[q]) for q in LR_RULES}
    else:
        raw = {q: lr_rules.get(q, 0.0) for q in LR_RULES}
    tot = sum(raw.values())
    w = {q: raw[q] / tot for q in LR_RULES}
    lr = min(max(base_lr * sum(w[q] * f[q] for q in LR_RULES), 0.01 * base_lr), 2 * base_lr)
    m = {"relative": mu0 * (1 + 0.1 * math.tanh(r / 0.01)),
         "inverse": 1 - 1 / (1 + abs(e)) if ls else mu0, "normalized": mu0 / (1 + nu)}
    mt = sum(mom_rules.get(q, 0.0) for q in MOM_RULES)
    mw = {q: mom_rules.get(q, 0.0) / mt for q in MOM_RULES}
    mom = min(max(sum(mw[q] * m[q] for q in MOM_RULES), 0.0), 0.999)
    return lr, mom, w, mw

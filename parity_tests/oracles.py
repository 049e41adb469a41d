"""Independent float64 oracles written with plain ``math``.

Nothing here calls ``sched_core``: each function restates the published formula
in its most direct (often step-wise, torch-like) form, so a shared mistake in the
core cannot make both sides of a comparison agree.
"""

from __future__ import annotations

import bisect
import functools
import math

import numpy as np

from sched_tools._records import LAMBDAS, RECORDS, Case, group_kwargs


def _cos_anneal(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _one_cycle(k, total, pct_start, strategy, three_phase, points):
    """torch OneCycleLR's phase walk; ``points`` are (start, end) per phase."""
    k = min(k, total - 1)  # optax-sched holds the final value past the end
    if three_phase:
        ends = [float(pct_start * total) - 1, float(2 * pct_start * total) - 2, total - 1]
    else:
        ends = [float(pct_start * total) - 1, total - 1]
    start_step = 0.0
    for i, end_step in enumerate(ends):
        if k <= end_step or i == len(ends) - 1:
            if end_step == start_step:
                return points[i][1]
            pct = (k - start_step) / (end_step - start_step)
            a, b = points[i]
            return _cos_anneal(a, b, pct) if strategy == "cos" else (b - a) * pct + a
        start_step = end_step
    raise AssertionError("unreachable")


def _cyclic_shape(k, up, down, mode, gamma):
    total = up + down
    ratio = up / total
    cycle = math.floor(1 + k / total)
    x = 1.0 + k / total - cycle
    factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    scale = {"triangular": 1.0, "triangular2": 1 / (2.0 ** (cycle - 1)),
             "exp_range": gamma ** k}[mode]
    return factor * scale


def _sgdr(k, init, t0, t_mult, eta_min, decay, warmup):
    length, tau, c = t0, k, 0
    while tau >= length:
        tau -= length
        c += 1
        length = (t0 * int(t_mult) ** c if float(t_mult).is_integer()
                  else math.floor(t0 * t_mult ** c + 0.5))
    peak = init * decay ** c
    lr = eta_min + (peak - eta_min) * (1 + math.cos(math.pi * tau / length)) / 2
    if warmup > 0:
        lr *= min(k + 1, warmup) / warmup
    return lr


def _policy(k, n, segs):
    p = int(0.45 * n)
    table = np.concatenate([np.linspace(*segs[0], p), np.linspace(*segs[1], p),
                            np.linspace(*segs[2], n - 2 * p)])
    return float(table[min(k, n - 1)])


def _hf_lambda(case: Case, kw):
    """Hugging Face's own factor function (``LambdaLR.lr_lambdas[0]``) for these arguments,
    built with an optimizer whose LR is ``init_value`` (evaluated directly, not stepped)."""
    import torch
    from transformers import optimization

    kw = dict(kw)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=kw.pop("init_value"))
    return getattr(optimization, RECORDS[case.schedule].hf)(opt, **kw).lr_lambdas[0]


@functools.lru_cache(maxsize=None)
def _timm_row(case_id: str, factor: float):
    """timm's own sequence for a registered case (the real CosineLRScheduler/TanhLRScheduler
    in its training loop; see parity_tests/timm_oracle.py)."""
    from parity_tests.timm_oracle import timm_lrs_for
    from sched_tools._records import case_by_id

    case = case_by_id(case_id)
    return timm_lrs_for(RECORDS[case.schedule].timm, group_kwargs(case, factor), case.steps)


def lr(case: Case, factor: float, k: int) -> float:
    """Oracle LR of update ``k`` for the param group with scale ``factor``."""
    kw = group_kwargs(case, factor)
    name = case.schedule
    if RECORDS[name].hf is not None:
        return _hf_lambda(case, kw)(k) * kw["init_value"]
    if RECORDS[name].timm is not None:
        return float(_timm_row(case.id, factor)[k])
    if name == "step_lr":
        return kw["init_value"] * kw.get("gamma", 0.1) ** (k // kw["step_size"])
    if name == "multistep_lr":
        return kw["init_value"] * kw.get("gamma", 0.1) ** bisect.bisect_right(kw["milestones"], k)
    if name == "exponential_lr":
        return kw["init_value"] * kw["gamma"] ** k
    if name == "constant_lr":
        return kw["init_value"] * (kw.get("factor", 1 / 3) if k < kw.get("total_iters", 5) else 1)
    if name == "linear_lr":
        s, e, t = kw.get("start_factor", 1 / 3), kw.get("end_factor", 1.0), kw.get("total_iters", 5)
        return kw["init_value"] * (s + (e - s) * min(t, k) / t)
    if name == "polynomial_lr":
        t, p = kw.get("total_iters", 5), kw.get("power", 1.0)
        return kw["init_value"] * (1.0 - min(t, k) / t) ** p
    if name == "cosine_annealing_lr":
        eta = kw.get("eta_min", 0.0)
        return eta + (kw["init_value"] - eta) * (1 + math.cos(math.pi * k / kw["T_max"])) / 2
    if name == "cosine_annealing_warm_restarts":
        return _sgdr(k, kw["init_value"], kw["T_0"], kw.get("T_mult", 1), kw.get("eta_min", 0.0),
                     kw.get("decay", 1.0), kw.get("warmup_steps", 0))
    if name == "one_cycle_lr":
        m, div, fdiv = kw["max_lr"], kw.get("div_factor", 25.0), kw.get("final_div_factor", 1e4)
        init = m / div
        low = init / fdiv
        three = kw.get("three_phase", False)
        pts = [(init, m), (m, init), (init, low)] if three else [(init, m), (m, low)]
        return _one_cycle(k, kw["total_steps"], kw.get("pct_start", 0.3),
                          kw.get("anneal_strategy", "cos"), three, pts)
    if name == "cyclic_lr":
        up = kw.get("step_size_up", 2000)
        down = kw.get("step_size_down") or up
        shape = _cyclic_shape(k, up, down, kw.get("mode", "triangular"), kw.get("gamma", 1.0))
        return kw["base_lr"] + (kw["max_lr"] - kw["base_lr"]) * shape
    if name == "lambda_lr":
        return kw["init_value"] * LAMBDAS[case.lambda_name](k)
    if name == "multiplicative_lr":  # torch's running product, one factor per update
        value = kw["init_value"]
        for j in range(1, k + 1):
            value *= LAMBDAS[case.lambda_name](j)
        return value
    if name == "swalr":  # torch's swa_utils.SWALR, update k = k-th step() call
        a = kw.get("anneal_epochs", 10)
        t = max(0.0, min(1.0, max(k, 1 if a == 0 else k) / max(1, a)))
        alpha = (1 - math.cos(math.pi * t)) / 2 if kw.get("anneal_strategy", "cos") == "cos" else t
        return kw["swa_lr"] * alpha + kw["init_value"] * (1 - alpha)
    if name == "linear_warmup":
        w = kw["warmup_steps"]
        return kw["base_lr"] * (min(k + 1, w) / w if w else 1.0)
    if name == "exponential_warmup":
        w, s, b = kw["warmup_steps"], kw.get("start_lr", 1e-7), kw["base_lr"]
        return s * (b / s) ** ((k + 1) / w) if k < w else b
    if name == "cosine_warmup":
        w, b = kw["warmup_steps"], kw["base_lr"]
        return b * (1 - math.cos(math.pi * (k + 1) / w)) / 2 if k < w else b
    if name == "warmup_with_decay":
        w, t, b, lo = kw["warmup_steps"], kw["total_steps"], kw["base_lr"], kw.get("min_lr", 0.0)
        if k < w:
            return b * (k + 1) / w
        p = min((k - w) / (t - w), 1.0)
        return lo + (b - lo) * (1 + math.cos(math.pi * p)) / 2
    if name == "exponential_cyclic_lr":
        length, base = kw["step_size"], kw["base_lr"]
        c, tau = divmod(k, length)
        peak = kw["max_lr"] * kw.get("gamma", 0.96) ** c
        p = tau / length
        if p < 0.5:
            return base + (peak - base) * (math.exp(2 * p) - 1) / (math.e - 1)
        return peak - (peak - base) * (math.exp(2 * (p - 0.5)) - 1) / (math.e - 1)
    if name == "list_schedule":
        vals = kw["values"]
        return float(vals[min(k, len(vals) - 1)])
    if name == "range_finder":
        n, s, e = kw["num_steps"], kw.get("start_lr", 1e-7), kw.get("end_lr", 1.0)
        return float(np.geomspace(s, e, n)[min(k, n - 1)])
    if name == "one_cycle_policy":
        m = kw["max_lr"]
        return _policy(k, kw["num_steps"], [(m / 10, m), (m, m / 10), (m / 10, m / 100)])
    raise KeyError(name)


def momentum(case: Case, k: int) -> float | None:
    """Oracle momentum of update ``k`` (None if the case schedules none)."""
    name = case.schedule
    if name == "one_cycle_policy":
        lo, hi = case.kwargs.get("momentum_range", (0.85, 0.95))
        return _policy(k, case.kwargs["num_steps"], [(hi, lo), (lo, hi), (hi, hi)])
    kw = case.momentum
    if kw is None:
        return None
    if name == "one_cycle_lr":
        lo, hi = kw.get("base_momentum", 0.85), kw.get("max_momentum", 0.95)
        three = kw.get("three_phase", False)
        pts = [(hi, lo), (lo, hi), (hi, hi)] if three else [(hi, lo), (lo, hi)]
        return _one_cycle(k, kw["total_steps"], kw.get("pct_start", 0.3),
                          kw.get("anneal_strategy", "cos"), three, pts)
    if name == "cyclic_lr":
        lo, hi = kw.get("base_momentum", 0.8), kw.get("max_momentum", 0.9)
        up = kw.get("step_size_up", 2000)
        down = kw.get("step_size_down") or up
        return hi - (hi - lo) * _cyclic_shape(k, up, down, kw.get("mode", "triangular"),
                                              kw.get("gamma", 1.0))
    raise KeyError(name)

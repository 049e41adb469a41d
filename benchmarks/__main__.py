"""``python -m benchmarks``: schedule overhead, side by side, medians of interleaved repeats.

Prints a Markdown table and writes JSON (``--out``). ``--size tiny`` is the smoke-test
configuration; ``--size full`` the reported one (4M and 50M parameters in 32 leaves).
Sections: (1) JAX jitted Adam step per variant / ``optax.adam(cosine)``, compile time and
compilations over 3 epochs; (2) torch ``optimizer.step()`` + scheduler / + CosineAnnealingLR;
(clip) a clipped gradient-aware step (built-in ``clip_norm``) / a clipped plain step, both
faces; ``scheduler.step()`` alone in microseconds; (3) evaluating 1M steps of a schedule
(vectorised) vs stepping torch's built-in 1M times; (4) ``torch.compile`` recompiles over 3
epochs with tensor LRs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

SIZES = {"tiny": dict(params=[20_000], leaves=8, reps=3, iters=5, sched_steps=10_000,
                      torch_steps=200, epochs=3, spe=4),
         "full": dict(params=[4_000_000, 50_000_000], leaves=32, reps=21, iters=10,
                      sched_steps=1_000_000, torch_steps=2000, epochs=3, spe=10)}

#: Names of the control rows: the baseline timed twice (A/A: the run's noise) and the
#: baseline plus one global gradient norm (the one-extra-pass floor of gradient-aware rows).
AGAIN, FLOOR = "baseline again [A/A noise]", "baseline + grad norm [one-pass floor]"


def _iters(cfg, params):
    """Fewer timed iterations for the big model (each is ~12x longer)."""
    return max(3, cfg["iters"] * 4_000_000 // max(params, 4_000_000))


_NOT_KERNELS = {"parameter", "constant", "tuple", "get-tuple-element", "bitcast"}


def _hlo_kernels(compiled) -> int:
    """Executed ops (fusions, copies, custom calls...) of a compiled XLA step: a noise-free
    proxy for launches on a GPU, where tiny kernels dominate a launch-bound step."""
    import re

    text = compiled.as_text()
    entry = text[text.index("\nENTRY"):]
    ops = re.findall(r"= [^=]*? ([a-z][\w-]*)\(", entry)
    return sum(op not in _NOT_KERNELS for op in ops)


def device_ops():
    """A dispatch mode that records the non-view aten ops run inside it (``.ops``, names):
    on a GPU, one kernel launch each (views are metadata). Also used by the unit tests."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class DeviceOps(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if not func.is_view:
                self.ops.append(str(func.overloadpacket.__name__))
            return func(*args, **(kwargs or {}))

    return DeviceOps()


def _norm_probe():
    """An optax transform that only computes GraCos auto's gradient statistic (the same
    function: optimization barrier, sum of squares per leaf) and keeps it in its state."""
    import jax
    import jax.numpy as jnp
    import optax

    from optax_sched._gracos import _grad_statistic

    def init(params):
        del params
        return jnp.zeros([], jnp.float32)

    def update(updates, state, params=None):
        del state, params
        return updates, _grad_statistic(updates, max(1, len(jax.tree_util.tree_leaves(updates))))

    return optax.GradientTransformation(init, update)


def _sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _median_interleaved(fns: dict, reps: int, iters: int) -> dict:
    """Runs each variant ``iters`` times per repetition, interleaving variants in a shuffled
    order (fixed seed) so no variant always follows the same one; returns the median
    seconds per iteration."""
    import random

    rng = random.Random(0)
    times = {k: [] for k in fns}
    for _ in range(reps):
        order = list(fns.items())
        rng.shuffle(order)
        for k, f in order:
            t0 = time.perf_counter()
            f(iters)
            times[k].append((time.perf_counter() - t0) / iters)
    return {k: statistics.median(v) for k, v in times.items()}


# ------------------------------------------------------------------ 1. JAX
def _jax_runner(tx, needs_value, params, grads, warm_steps=1):
    """A timed runner of one jitted, donated ``params, state = step(params, state, grads)``.

    Returns ``(run, info)``: ``run(iters)`` advances the step ``iters`` times; ``info`` has
    the executed XLA ``kernels``, the compile seconds and the compilations seen over
    ``warm_steps`` steps (3 epochs in the main section).
    """
    import jax
    import jax.numpy as jnp
    import optax

    traces = []

    def step(p, s, g):
        traces.append(1)
        kw = {"value": jnp.float32(1.0)} if needs_value else {}
        u, s = tx.update(g, s, p, **kw)
        return optax.apply_updates(p, u), s

    jstep = jax.jit(step, donate_argnums=(0, 1))
    p = jax.tree_util.tree_map(jnp.copy, params)
    s = tx.init(p)  # every transform's init is donation-safe
    t0 = time.perf_counter()
    kernels = _hlo_kernels(jstep.lower(p, s, grads).compile())
    compile_s = time.perf_counter() - t0
    p, s = jax.block_until_ready(jstep(p, s, grads))
    for _ in range(warm_steps - 1):
        p, s = jstep(p, s, grads)
    jax.block_until_ready(p)
    box = {"p": p, "s": s}

    def run(iters):
        p, s = box["p"], box["s"]
        for _ in range(iters):
            p, s = jstep(p, s, grads)
        jax.block_until_ready(p)
        box["p"], box["s"] = p, s

    return run, dict(kernels=kernels, compile_s=compile_s, compilations=len(traces))


def _jax_problem(total: int, leaves: int, steps: int, grad_scale: float):
    """``leaves`` seeded parameter leaves of ``total // leaves`` floats, gradients
    ``grad_scale * p + 0.01`` and optax's cosine over ``steps``: ``(per, params, grads, cos)``."""
    import jax
    import optax

    per = total // leaves
    key = jax.random.PRNGKey(0)
    params = {f"p{i:02d}": jax.random.normal(jax.random.fold_in(key, i), (per,)) * 0.01
              for i in range(leaves)}
    grads = jax.tree_util.tree_map(lambda p: p * grad_scale + 0.01, params)
    return per, params, grads, optax.cosine_decay_schedule(1e-3, steps)


def bench_jax(cfg):
    import optax

    import optax_sched

    out = []
    steps = cfg["epochs"] * cfg["spe"]
    for total in cfg["params"]:
        n = cfg["leaves"]
        per, params, grads, cos = _jax_problem(total, n, steps, grad_scale=0.1)
        variants = {
            "adam(cosine) [baseline]": (optax.adam(cos), False),
            AGAIN: (optax.adam(cos), False),
            FLOOR: (optax.chain(_norm_probe(), optax.adam(cos)), False),
            "gracos normal": (optax_sched.gracos(1e-3, 1e-5, cfg["spe"], cfg["epochs"],
                                                 inner=optax.scale_by_adam()), False),
            "gracos auto": (optax_sched.gracos(1e-3, 1e-5, cfg["spe"], cfg["epochs"],
                                               mode="auto", inner=optax.scale_by_adam()), False),
            "gracos auto+OOP": (optax_sched.gracos(1e-3, 1e-5, cfg["spe"], cfg["epochs"],
                                                   mode="auto", out_of_phase=True,
                                                   inner=optax.scale_by_adam()), False),
            "adaptive (adam, freezing)": (optax_sched.adaptive(1e-3, base_optimizer="adam",
                                                               min_steps_before_freeze=1,
                                                               freeze_threshold=1e-3), True),
            "adam + reduce_on_plateau": (optax.chain(optax.scale_by_adam(),
                                                     optax_sched.reduce_on_plateau(1e-3)), True),
        }
        runners, compiles, compile_s, kernels = {}, {}, {}, {}
        for name, (tx, needs_value) in variants.items():
            run, info = _jax_runner(tx, needs_value, params, grads, warm_steps=steps)
            runners[name] = run
            kernels[name], compile_s[name] = info["kernels"], info["compile_s"]
            compiles[name] = info["compilations"]
        med = _median_interleaved(runners, cfg["reps"], _iters(cfg, total))
        base = med["adam(cosine) [baseline]"]
        for name in variants:
            gradient_aware = "auto" in name or "adaptive" in name
            out.append(dict(section="jax", params=per * n, variant=name,
                            ms=med[name] * 1e3, ratio=med[name] / base,
                            vs_floor=med[name] / med[FLOOR] if gradient_aware else None,
                            kernels=kernels[name], compile_s=compile_s[name],
                            compilations=compiles[name]))
    return out


# ------------------------------------------------------------------ 2. torch
def _torch_runner(opt, sched, before, loss=None):
    """``run(iters)``: ``before(); opt.step(); sched.step([loss])`` per update, then a sync."""
    def run(iters):
        for _ in range(iters):
            before()
            opt.step()
            if loss is not None:
                sched.step(loss)
            else:
                sched.step()
        _sync()
    return run


def bench_torch(cfg):
    import torch

    import torch_compat

    out = []
    for total in cfg["params"]:
        n = cfg["leaves"]
        per = total // n
        torch.manual_seed(0)
        dev = "cuda" if torch.cuda.is_available() else "cpu"
        params = [torch.nn.Parameter(torch.randn(per, device=dev) * 0.01) for _ in range(n)]
        for p in params:
            p.grad = torch.randn(per, device=dev) * 0.01
        spe = cfg["spe"]

        def make(kind):
            opt = torch.optim.Adam(params, lr=1e-3)
            if kind == "cosine":
                return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, 1000), None
            if kind == "gracos normal":
                return opt, torch_compat.GraCos(opt, 1e-3, 1e-5, spe, 10**6), None
            if kind == "gracos auto":
                return opt, torch_compat.GraCos(opt, 1e-3, 1e-5, spe, 10**6, mode="auto"), "gn"
            if kind == "adaptive":
                model = torch.nn.ParameterList(params)
                return opt, torch_compat.AdaptiveScheduler(opt, model,
                                                           min_steps_before_freeze=10**9), "loss"
            if kind == "reduce_on_plateau":
                return opt, torch_compat.ReduceLROnPlateau(opt), "loss"
            if kind == "torch ReduceLROnPlateau":
                return opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt), "loss"
            raise KeyError(kind)

        kinds = ["cosine", "gracos normal", "gracos auto", "adaptive", "reduce_on_plateau",
                 "torch ReduceLROnPlateau"]
        built = {k: make(k) for k in kinds}
        # One set of optimizer state for every variant: separate Adam moments (0.4 GB each
        # at 50M) land on differently backed pages and bias the rows by several percent.
        shared = built["cosine"][0]
        for opt, _, _ in built.values():
            opt.state = shared.state
        loss = torch.tensor(1.0, device=dev)

        def runner(kind, with_norm):
            opt, sched, extra = built[kind]

            def before():
                if with_norm:  # clip_grad_norm_-style norm for the gradient-aware rows
                    torch.nn.utils.get_total_norm([p.grad for p in params])
                if extra == "gn":
                    sched.update_gradient_norm()

            return _torch_runner(opt, sched, before, loss if extra == "loss" else None)

        fns = {"cosine": runner("cosine", False), AGAIN: runner("cosine", False),
               "cosine+norm": runner("cosine", True),
               "gracos normal": runner("gracos normal", False),
               "gracos auto": runner("gracos auto", False),
               "adaptive": runner("adaptive", False),
               "reduce_on_plateau": runner("reduce_on_plateau", False),
               "torch ReduceLROnPlateau": runner("torch ReduceLROnPlateau", False)}
        for f in fns.values():  # first steps create the optimizer state and buffers
            f(2)
        ops = {}
        for k, f in fns.items():
            with device_ops() as counted:
                f(1)
            ops[k] = len(counted.ops)
        med = _median_interleaved(fns, cfg["reps"], _iters(cfg, total))
        for name, base in ((AGAIN, "cosine"), ("gracos normal", "cosine"),
                           ("gracos auto", "cosine+norm"), ("adaptive", "cosine+norm"),
                           ("reduce_on_plateau", "cosine"),
                           ("torch ReduceLROnPlateau", "cosine")):
            out.append(dict(section="torch", params=per * n, variant=name, ms=med[name] * 1e3,
                            baseline=base, ratio=med[name] / med[base],
                            extra_device_ops=ops[name] - ops[base]))
    return out


# ------------------------------------------------------------------ clipped steps
def bench_clip(cfg):
    """A clipped gradient-aware step vs a clipped plain step (both faces).

    JAX: ``chain(clip_by_global_norm(1), adam(cosine))`` vs ``gracos(auto, clip_norm=1)`` and
    ``adaptive(adam, clip_norm=1)``; torch: ``clip_grad_norm_`` + ``Adam.step()`` +
    ``CosineAnnealingLR.step()`` vs ``GraCos(auto, clip_norm=1)`` (``update_gradient_norm()``
    clips with the norm it records) and ``AdaptiveScheduler(clip_norm=1)``.
    """
    import optax
    import torch

    import optax_sched
    import torch_compat

    out = []
    steps = cfg["epochs"] * cfg["spe"]
    for total in cfg["params"]:
        n = cfg["leaves"]
        per, params, grads, cos = _jax_problem(total, n, steps, grad_scale=10.0)  # norm > 1
        base = "clip + adam(cosine) [baseline]"
        variants = {
            base: (optax.chain(optax.clip_by_global_norm(1.0), optax.adam(cos)), False),
            AGAIN: (optax.chain(optax.clip_by_global_norm(1.0), optax.adam(cos)), False),
            "gracos auto + clip_norm": (optax_sched.gracos(
                1e-3, 1e-5, cfg["spe"], cfg["epochs"], mode="auto", clip_norm=1.0,
                inner=optax.scale_by_adam()), False),
            "adaptive (adam) + clip_norm": (optax_sched.adaptive(
                1e-3, base_optimizer="adam", clip_norm=1.0), True),
        }
        runners = {name: _jax_runner(tx, needs_value, params, grads)[0]
                   for name, (tx, needs_value) in variants.items()}
        med = _median_interleaved(runners, cfg["reps"], _iters(cfg, total))
        for name in variants:
            out.append(dict(section="clip (jax)", params=per * n, variant=name,
                            ms=med[name] * 1e3, ratio=med[name] / med[base]))

        torch.manual_seed(0)
        tparams = [torch.nn.Parameter(torch.randn(per) * 0.01) for _ in range(n)]
        for q in tparams:
            q.grad = torch.randn(per) * 0.01
        spe = cfg["spe"]

        def make(kind):
            opt = torch.optim.Adam(tparams, lr=1e-3)
            if kind == "cosine":
                return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, 1000)
            if kind == "gracos":
                return opt, torch_compat.GraCos(opt, 1e-3, 1e-5, spe, 10**6, mode="auto",
                                                clip_norm=1.0)
            return opt, torch_compat.AdaptiveScheduler(opt, torch.nn.ParameterList(tparams),
                                                       min_steps_before_freeze=10**9,
                                                       clip_norm=1.0)

        built = {k: make(k) for k in ("cosine", "gracos", "adaptive")}
        shared = built["cosine"][0]
        for opt, _ in built.values():
            opt.state = shared.state
        loss = torch.tensor(1.0)

        def trunner(kind):
            opt, sched = built[kind]

            def before():
                if kind == "cosine":
                    torch.nn.utils.clip_grad_norm_(tparams, 1.0)
                elif kind == "gracos":
                    sched.update_gradient_norm()

            return _torch_runner(opt, sched, before, loss if kind == "adaptive" else None)

        tbase = "clip_grad_norm_ + Adam + cosine [baseline]"
        fns = {tbase: trunner("cosine"), AGAIN: trunner("cosine"),
               "GraCos auto (clip_norm)": trunner("gracos"),
               "AdaptiveScheduler (clip_norm)": trunner("adaptive")}
        for f in fns.values():
            f(2)
        med = _median_interleaved(fns, cfg["reps"], _iters(cfg, total))
        for name in fns:
            out.append(dict(section="clip (torch)", params=per * n, variant=name,
                            ms=med[name] * 1e3, ratio=med[name] / med[tbase]))
    return out


def bench_scheduler_step(cfg):
    import torch

    import torch_compat

    out = []
    p = [torch.nn.Parameter(torch.zeros(1))]

    def make(kind):
        opt = torch.optim.SGD(p, lr=0.1, momentum=0.9)
        big = 10**9
        return {
            "torch CosineAnnealingLR": lambda: torch.optim.lr_scheduler.CosineAnnealingLR(opt, big),
            "torch OneCycleLR": lambda: torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, big),
            "torch_compat CosineAnnealingLR": lambda: torch_compat.CosineAnnealingLR(opt, big),
            "torch_compat OneCycleLR": lambda: torch_compat.OneCycleLR(opt, 0.1, big),
            "torch_compat CosineAnnealingWarmRestarts": lambda: torch_compat
            .CosineAnnealingWarmRestarts(opt, 100, T_mult=2, decay=0.9, warmup_steps=10),
            "torch_compat GraCos": lambda: torch_compat.GraCos(opt, 0.1, 0.001, 100, 10**6),
        }[kind]()

    kinds = ["torch CosineAnnealingLR", "torch OneCycleLR", "torch_compat CosineAnnealingLR",
             "torch_compat OneCycleLR", "torch_compat CosineAnnealingWarmRestarts",
             "torch_compat GraCos"]
    scheds = {k: make(k) for k in kinds}

    def runner(s):
        def run(iters):
            for _ in range(iters):
                s.step()
        return run

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        med = _median_interleaved({k: runner(s) for k, s in scheds.items()}, cfg["reps"],
                                  cfg["torch_steps"])
    for k in kinds:
        ref = "torch OneCycleLR" if "OneCycle" in k else "torch CosineAnnealingLR"
        out.append(dict(section="scheduler.step", variant=k, us=med[k] * 1e6,
                        ratio=med[k] / med[ref], baseline=ref))
    return out


# ------------------------------------------------------------------ 3. whole schedule
def bench_whole_schedule(cfg):
    import warnings

    import jax
    import jax.numpy as jnp
    import torch

    import optax_sched
    import sched_core

    n = cfg["sched_steps"]
    sched = optax_sched.one_cycle_lr(0.1, n)
    f = jax.jit(jax.vmap(sched))
    k = jnp.arange(n, dtype=jnp.int32)
    jax.block_until_ready(f(k))
    t0 = time.perf_counter()
    jax.block_until_ready(f(k))
    t_jax = time.perf_counter() - t0
    spec = sched_core.OneCycleLR(max_lr=0.1, total_steps=n)
    t0 = time.perf_counter()
    spec(np, np.arange(n), np.float64)
    t_np = time.perf_counter() - t0
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, n)
        m = min(n, 100_000)  # timed on a prefix, scaled to n
        t0 = time.perf_counter()
        for _ in range(m - 1):
            ts.step()
        t_torch = (time.perf_counter() - t0) * n / m
    return [dict(section="whole schedule", variant="jax.vmap (jit, float32)", steps=n, s=t_jax,
                 ratio=t_torch / t_jax),
            dict(section="whole schedule", variant="numpy (sched_core, float64)", steps=n,
                 s=t_np, ratio=t_torch / t_np),
            dict(section="whole schedule", variant="torch OneCycleLR.step() x steps", steps=n,
                 s=t_torch, ratio=1.0)]


# ------------------------------------------------------------------ 4. torch.compile
def bench_compile(cfg):
    import warnings

    import torch

    import torch_compat

    out = []
    spe, epochs = cfg["spe"], cfg["epochs"]

    def make(kind, opt):
        n = spe * epochs
        if kind == "torch OneCycleLR":
            return torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, n)
        if kind == "torch CyclicLR":
            return torch.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=spe)
        if kind == "torch_compat OneCycleLR":
            return torch_compat.OneCycleLR(opt, 0.1, n)
        if kind == "torch_compat CyclicLR":
            return torch_compat.CyclicLR(opt, 0.01, 0.1, step_size_up=spe)
        return torch_compat.GraCos(opt, 0.1, 0.001, spe, epochs, mode="auto")

    for kind in ["torch OneCycleLR", "torch CyclicLR", "torch_compat OneCycleLR",
                 "torch_compat CyclicLR", "torch_compat GraCos"]:
        torch._dynamo.reset()
        model = torch.nn.Linear(16, 4)
        # tensor LR and betas (torch's recipe against recompiles); SGD's tensor momentum
        # graph-breaks on `if momentum != 0`, so Adam is the fair test
        opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.1),
                               betas=(torch.tensor(0.9), torch.tensor(0.999)), foreach=False)
        sched = make(kind, opt)
        frames = []

        def backend(gm, example_inputs, frames=frames):
            frames.append(1)
            return gm.forward

        @torch.compile(backend=backend)
        def opt_step():
            opt.step()

        x = torch.randn(8, 16)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = None
            for k in range(spe * epochs):
                loss = model(x).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                if hasattr(sched, "update_gradient_norm"):
                    sched.update_gradient_norm()
                opt_step()
                sched.step()
                if k == 0:
                    first = len(frames)
        out.append(dict(section="torch.compile", variant=kind, compiles_first_step=first,
                        recompiles_after=len(frames) - first))
    return out


def _table(rows):
    lines = []
    sections = {}
    for r in rows:
        sections.setdefault(r["section"], []).append(r)
    for sec, rs in sections.items():
        keys = [k for k in rs[0] if k != "section"]
        lines.append(f"\n**{sec}**\n")
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in rs:
            vals = [f"{v:.4g}" if isinstance(v, float) else "" if v is None else str(v)
                    for v in (r.get(k) for k in keys)]
            lines.append("| " + " | ".join(vals) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks",
                                 description="optax-sched overhead benchmarks",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="full",
                    help="model sizes: full (the README's table) or tiny (a smoke run)")
    ap.add_argument("--out", default="benchmarks/results.json", help="JSON results file")
    ap.add_argument("--only", default="jax,torch,clip,step,whole,compile",
                    help="comma-separated sections")
    args = ap.parse_args(argv)
    cfg = SIZES[args.size]
    only = set(args.only.split(","))
    rows = []
    for key, fn in (("jax", bench_jax), ("torch", bench_torch), ("clip", bench_clip),
                    ("step", bench_scheduler_step),
                    ("whole", bench_whole_schedule), ("compile", bench_compile)):
        if key in only:
            rows += fn(cfg)
    import jax
    import torch

    machine = dict(platform=platform.platform(), processor=platform.processor(),
                   jax_devices=[str(d) for d in jax.devices()],
                   torch_cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    print(f"machine: {machine}")
    print(_table(rows))
    with open(args.out, "w") as f:
        json.dump({"machine": machine, "size": args.size, "rows": rows}, f, indent=1)
    print(f"\nwrote {args.out}")
    return rows


if __name__ == "__main__":
    main()

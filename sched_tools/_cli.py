"""``optax-sched`` command line: list, plot, parity, gallery.

torch and matplotlib are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import sys
import time
from typing import Any

import numpy as np

from sched_tools import _records as records

__all__ = ["main", "sequences", "draw"]

PROG = "optax-sched"


class UsageError(Exception):
    """A bad name or parameter: reported on one line, exit status 2."""


def _parse_params(extra: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    i = 0
    while i < len(extra):
        key = extra[i]
        if not key.startswith("--") or i + 1 >= len(extra):
            raise UsageError(f"parameters must be given as --name value pairs, got {extra[i:]}")
        raw = extra[i + 1]
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        out[key[2:].replace("-", "_")] = value
        i += 2
    return out


def cmd_list(args) -> int:
    """Prints every schedule with its parameters and defaults."""
    from optax_sched._by_name import MOMENTUM_COMPANIONS
    from torch_compat._by_name import FACES

    for name in sorted(records.plottable()):
        r = records.RECORDS[name]
        extra = f" + {MOMENTUM_COMPANIONS[name][0]}" if name in MOMENTUM_COMPANIONS else ""
        print(f"{records.signature(name)}{extra}\n    torch_compat.{FACES[name].torch_class}  "
              f"[{r.family}]")
    print("sequential_lr(schedules, milestones), chained_scheduler(schedules)\n"
          "    compositions of the schedules above (torch_compat.SequentialLR / "
          "ChainedScheduler), not plotted alone")
    for name in ("reduce_on_plateau", "adaptive"):
        print(f"{records.signature(name)}\n    loss-aware transform (reads value=), not plottable")
    return 0


def _check_name(name: str) -> None:
    names = sorted(records.plottable())
    if name not in names:
        raise UsageError(f"unknown schedule {name!r}; valid: {', '.join(names + sorted(ALIASES))}")


def sequences(name: str, kw: dict[str, Any], steps: int):
    """A catalog schedule from both frameworks, one SGD param group.

    Returns ``(jax_lr, torch_lr, jax_mom, torch_mom)`` as float64 arrays (momenta None when
    not scheduled); ``gracos`` is driven by one seeded synthetic gradient stream.
    """
    import jax
    import jax.numpy as jnp
    import torch

    import optax_sched
    import torch_compat

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=0.1, momentum=0.9)
    if records.RECORDS[name].kind == "gradient":
        return _gracos_sequences(kw, steps)
    lr_s, mom_s = optax_sched.from_name(name, **kw)
    sched = torch_compat.from_name(name, opt, **kw)
    k = jnp.arange(steps)
    j_lr = np.asarray(jax.jit(jax.vmap(lr_s))(k), dtype=np.float64)
    j_mom = None if mom_s is None else np.asarray(jax.jit(jax.vmap(mom_s))(k), dtype=np.float64)
    t_lr, t_mom = [], []
    for _ in range(steps):
        t_lr.append(sched.get_last_lr()[0])
        t_mom.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    return j_lr, np.asarray(t_lr), j_mom, (None if j_mom is None else np.asarray(t_mom))


def _gracos_sequences(kw: dict[str, Any], steps: int):
    """GraCos driven by one synthetic gradient stream in both frameworks."""
    import jax
    import jax.numpy as jnp
    import torch

    import optax_sched
    import torch_compat

    rng = np.random.default_rng(0)
    grads = (rng.normal(size=(steps, 3)) * np.exp(rng.normal(-1, 0.5, size=(steps, 1))))
    grads = grads.astype(np.float32)
    kw = dict(kw)
    oop = bool(kw.get("out_of_phase", False))  # one tensor: its phase offset is a full turn
    tx = optax_sched.gracos(**kw)
    kw.pop("out_of_phase", None)
    state = tx.init(jnp.zeros(3))
    update = jax.jit(tx.update)
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = (torch_compat.GraCosOOP if oop else torch_compat.GraCos)(opt, **kw)
    j_lr, t_lr = [], []
    for g in grads:
        j_lr.append(float(optax_sched.current_lr(state)))
        _, state = update(jnp.asarray(g), state)
        t_lr.append(sched.get_last_lr()[0])
        p.grad = torch.tensor(g)
        sched.update_gradient_norm()
        opt.step()
        sched.step()
    return np.asarray(j_lr), np.asarray(t_lr), None, None


#: other libraries' names (``hf:<get_scheduler type>``) -> this library's schedule
ALIASES: dict[str, str] = {
    "hf:linear": "linear_with_warmup", "hf:cosine": "cosine_with_warmup",
    "hf:cosine_with_restarts": "cosine_with_hard_restarts_with_warmup",
    "hf:polynomial": "polynomial_decay_with_warmup",
    "hf:constant_with_warmup": "constant_with_warmup", "hf:inverse_sqrt": "inverse_sqrt",
    "hf:cosine_with_min_lr": "cosine_with_min_lr_with_warmup",
    "hf:warmup_stable_decay": "warmup_stable_decay",
    "timm:cosine": "timm_cosine", "timm:tanh": "timm_tanh",
}


def reference(name: str, kw: dict[str, Any], steps: int) -> tuple[str, np.ndarray] | None:
    """The original library's own sequence for schedules ported from one (Hugging Face's
    ``get_*``), or None: ``(label, values)``."""
    record = records.RECORDS[name]
    if record.timm is not None:
        return _timm_reference(record.timm, kw, steps)
    if record.hf is None:
        return None
    import warnings

    import torch
    from transformers import optimization

    args = dict(kw)
    lr = float(args.pop("init_value"))
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = getattr(optimization, record.hf)(opt, **args)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            out.append(sched.get_last_lr()[0])
            sched.step()
    return f"transformers.{record.hf}", np.asarray(out)


def _timm_reference(family: str, kw: dict[str, Any], steps: int) -> tuple[str, np.ndarray]:
    """timm's own scheduler in its training loop (``sched_tools._timm_loop``)."""
    from sched_tools._timm_loop import load_timm
    from sched_tools._timm_loop import timm_lrs_for

    try:
        cls = load_timm()[0 if family == "cosine" else 1]
    except ImportError as e:
        raise UsageError(str(e)) from None
    return f"timm.{cls.__name__}", timm_lrs_for(family, kw, steps)


def draw(ax, title, j_lr, t_lr, j_mom, t_mom, ref=None):
    """Overlays the torch_compat (thick) and optax_sched (dashed) sequences on ``ax`` (and
    the original library's, dotted, when given as ``(label, values)``), momentum on a twin
    axis."""
    import textwrap

    lines = ax.plot(t_lr, lw=3, alpha=0.35, label="torch_compat LR")
    lines += ax.plot(j_lr, lw=1, ls="--", label="optax_sched LR")
    if ref is not None:
        lines += ax.plot(ref[1], lw=1, ls=":", color="black",
                         label=ref[0].split(".")[-1][:28])
    ax.set_title("\n".join(textwrap.wrap(title, 95)), fontsize=8)  # wrapped, never clipped
    ax.set_ylabel("LR")
    ax.set_xlabel("update k", fontsize=8)
    if title.startswith("range_finder") and np.min(t_lr) > 0:
        ax.set_yscale("log")  # a geometric sweep: straight on a log axis
    if j_mom is not None:
        ax2 = ax.twinx()
        lines += ax2.plot(t_mom, color="tab:green", lw=2, alpha=0.35,
                          label="torch_compat momentum")
        lines += ax2.plot(j_mom, color="tab:red", lw=0.8, ls=":", label="optax_sched momentum")
        ax2.set_ylabel("momentum", fontsize=8)
    # outside the axes, below them: a legend never covers a curve
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="upper center",
              bbox_to_anchor=(0.5, -0.3), ncol=len(lines), frameon=False)


def _max_diff(a, b):
    return float(np.max(np.abs(a - b))), float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)),
                                                                           1e-300))


def plot_kwargs(name: str, steps: int, lr: float, passed: dict[str, Any]) -> dict[str, Any]:
    """The arguments ``plot`` draws: what was passed, and for the arguments the factory needs
    but has no default for (or defaults to None), the demo values for ``steps`` updates at
    peak ``lr``. Every other argument keeps the library's default."""
    import optax_sched

    params = inspect.signature(getattr(optax_sched, name)).parameters
    demo = records.demo_kwargs(name, steps, lr)
    kw = {k: v for k, v in demo.items()
          if k in params and params[k].default in (inspect.Parameter.empty, None)}
    kw.update(passed)
    return kw


def cmd_table(args) -> int:
    """Prints the README's schedule table (markdown), generated from the records."""
    print(records.readme_table(), end="")
    return 0


def cmd_plot(args, extra) -> int:
    """Draws one schedule from both frameworks and prints their largest difference."""
    args.name = ALIASES.get(args.name, args.name)
    _check_name(args.name)
    if args.steps < 1:
        raise UsageError(f"--steps must be >= 1, got {args.steps}")
    kw = plot_kwargs(args.name, args.steps, args.lr, _parse_params(extra))
    try:
        j_lr, t_lr, j_mom, t_mom = sequences(args.name, kw, args.steps)
    except (TypeError, ValueError) as e:
        raise UsageError(f"{args.name}: {e}") from None
    ref = reference(args.name, kw, args.steps)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    draw(ax, f"{args.name}({', '.join(f'{k}={v!r}' for k, v in kw.items())})",
          j_lr, t_lr, j_mom, t_mom, ref)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"{args.name}({', '.join(f'{k}={v!r}' for k, v in kw.items())}), other arguments "
          "at their defaults")
    abs_d, rel_d = _max_diff(j_lr, t_lr)
    print(f"{args.name}: {args.steps} steps, max |optax - torch| = {abs_d:.3e} "
          f"({rel_d:.3e} of max LR)")
    if j_mom is not None:
        print(f"{args.name} momentum: max |optax - torch| = {_max_diff(j_mom, t_mom)[0]:.3e}")
    if ref is not None:
        for label, ours in (("optax", j_lr), ("torch_compat", t_lr)):
            abs_d, rel_d = _max_diff(ours, ref[1])
            print(f"{args.name}: max |{label} - {ref[0]}| = {abs_d:.3e} ({rel_d:.3e} of max LR)")
    print(f"wrote {args.out}")
    return 0


def cmd_parity(args) -> int:
    """Runs every registered case in both frameworks and prints a table."""
    from sched_tools._parity import builtin_available
    from sched_tools._parity import run_optax_many
    from sched_tools._parity import run_torch
    from sched_tools._records import CASES
    from sched_tools._tolerances import max_violation

    cases = CASES
    if args.case:
        known = {c.id for c in CASES}
        unknown = [c for c in args.case if c not in known]
        if unknown:
            raise UsageError(f"unknown case {unknown[0]!r}; valid: {', '.join(sorted(known))}")
        cases = tuple(c for c in CASES if c.id in args.case)
    t0 = time.perf_counter()
    failures = 0
    print(f"{'case':28s} {'vs':13s} {'steps':>5s} {'max abs':>10s} {'max rel':>10s}  result")
    for case, (j_lr, j_mom) in zip(cases, run_optax_many(list(cases))):  # one compilation
        refs = [("torch_compat", run_torch(case))]
        if builtin_available(case):
            refs.append(("torch builtin", run_torch(case, builtin=True)))
        for label, (t_lr, t_mom) in refs:
            n = t_lr.shape[1]
            pairs = [(j_lr[:, :n], t_lr)]
            if j_mom is not None and t_mom is not None:
                pairs.append((j_mom[:, :n], t_mom))
            worst, ok, rel = 0.0, True, 0.0
            for a, b in pairs:
                worst = max(worst, float(np.max(np.abs(a - b))))
                rel = max(rel, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))))
                ok &= max_violation(a, b, "float32")[0] <= 1.0
            failures += not ok
            print(f"{case.id:28s} {label:13s} {n:5d} {worst:10.2e} {rel:10.2e}  "
                  f"{'pass' if ok else 'FAIL'}")
    print(f"{len(cases)} cases, {failures} failed, {time.perf_counter() - t0:.1f} s "
          "(bound: float32 row of the tolerance table)")
    return 1 if failures else 0


def cmd_gallery(args) -> int:
    """One PNG per family (every member drawn from both frameworks)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out_dir, exist_ok=True)
    families = records.families()
    for family in args.family or []:
        if family not in families:
            raise UsageError(f"unknown family {family!r}; valid: {', '.join(sorted(families))}")
    for family, names in sorted(families.items()):
        if args.family and family not in args.family:
            continue
        fig, axes = plt.subplots(len(names), 1, figsize=(7, 3.1 * len(names)), squeeze=False)
        for ax, name in zip(axes[:, 0], names):
            kw = records.demo_kwargs(name, args.steps, 0.1)
            draw(ax, name, *sequences(name, kw, args.steps))
        fig.tight_layout()
        path = os.path.join(args.out_dir, f"{family}.png")
        fig.savefig(path, dpi=80)
        plt.close(fig)
        print(f"wrote {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="optax-sched: schedules that match "
                                     "in JAX/Optax and PyTorch.")
    from sched_tools import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every schedule with its parameters and defaults")
    p = sub.add_parser("plot", help="draw a schedule from both frameworks",
                       description="Extra --name value pairs set the schedule's arguments.")
    p.add_argument("name")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--lr", type=float, default=0.1, help="peak LR of the demo arguments")
    p.add_argument("--out", default="schedule.png")
    pp = sub.add_parser("parity", help="run every registered case in both frameworks")
    pp.add_argument("--case", action="append", help="only this case id (repeatable)")
    sub.add_parser("table", help="print the README's schedule table (markdown)")
    g = sub.add_parser("gallery", help="draw every family for the README")
    g.add_argument("--out-dir", default="docs/gallery")
    g.add_argument("--steps", type=int, default=200)
    g.add_argument("--family", action="append", help="only this family (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``optax-sched`` console script (and ``python -m optax_sched``)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    try:
        if extra and args.command != "plot":
            raise UsageError(f"unrecognized arguments: {' '.join(extra)}")
        if args.command == "list":
            return cmd_list(args)
        if args.command == "plot":
            return cmd_plot(args, extra)
        if args.command == "parity":
            return cmd_parity(args)
        if args.command == "table":
            return cmd_table(args)
        return cmd_gallery(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:  # a missing extra: our packages name the one to install
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

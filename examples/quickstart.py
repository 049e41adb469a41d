"""Quickstart: the same schedules computed by optax_sched (JAX) and torch_compat (PyTorch).

Prints the largest difference between the two frameworks for a few schedules and draws
them, overlaid, into ``OUT/quickstart.png``.

    python examples/quickstart.py --out out
"""

from __future__ import annotations

import argparse
import os

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import optax_sched  # noqa: E402
import torch_compat  # noqa: E402


def torch_sequence(make, steps):
    """LR (and momentum) used by each of ``steps`` updates of a torch_compat scheduler."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = make(opt)
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    return np.asarray(lrs), np.asarray(moms)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="output folder (default: out)")
    parser.add_argument("--steps", type=int, default=300, help="updates to draw")
    args = parser.parse_args(argv)
    n = args.steps
    k = jnp.arange(n)
    examples = {
        "one-cycle (LR, momentum)": (
            optax_sched.one_cycle_lr(0.1, n), optax_sched.one_cycle_momentum(n),
            lambda opt: torch_compat.OneCycleLR(opt, 0.1, total_steps=n)),
        "SGDR, T_mult=1.5, decay=0.7, warmup 20": (
            optax_sched.cosine_annealing_warm_restarts(0.1, 30, T_mult=1.5, decay=0.7,
                                                       warmup_steps=20), None,
            lambda opt: torch_compat.CosineAnnealingWarmRestarts(opt, 30, T_mult=1.5, decay=0.7,
                                                                 warmup_steps=20)),
        "cyclic triangular2": (
            optax_sched.cyclic_lr(0.01, 0.1, step_size_up=25, mode="triangular2"),
            optax_sched.cyclic_momentum(step_size_up=25, mode="triangular2"),
            lambda opt: torch_compat.CyclicLR(opt, 0.01, 0.1, step_size_up=25,
                                              mode="triangular2")),
        "warmup + cosine decay": (
            optax_sched.warmup_with_decay(0.1, 30, n, min_lr=0.001), None,
            lambda opt: torch_compat.WarmupWithDecay(opt, 0.1, 30, n, min_lr=0.001)),
    }
    os.makedirs(args.out, exist_ok=True)
    fig, axes = plt.subplots(len(examples), 1, figsize=(8, 2.6 * len(examples)), sharex=True)
    for ax, (title, (lr_s, mom_s, make)) in zip(axes, examples.items()):
        jax_lr = np.asarray(jax.jit(jax.vmap(lr_s))(k), dtype=np.float64)
        t_lr, t_mom = torch_sequence(make, n)
        diff = np.max(np.abs(jax_lr - t_lr) / np.max(np.abs(t_lr)))
        print(f"{title:42s} max |optax - torch| / max = {diff:.2e}")
        ax.plot(t_lr, lw=3, alpha=0.4, label="torch_compat")
        ax.plot(jax_lr, lw=1, ls="--", label="optax_sched")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("LR")
        if mom_s is not None:
            ax2 = ax.twinx()
            ax2.plot(t_mom, color="tab:green", lw=1, alpha=0.6)
            ax2.plot(np.asarray(jax.vmap(mom_s)(k)), color="tab:red", lw=0.8, ls=":")
            ax2.set_ylabel("momentum", fontsize=8)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("update k")
    fig.tight_layout()
    path = os.path.join(args.out, "quickstart.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

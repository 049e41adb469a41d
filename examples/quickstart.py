"""Quickstart: the same schedules computed by optax_sched (JAX) and torch_compat (PyTorch).

Prints the largest difference between the two frameworks for a few schedules and draws
them, overlaid, into ``OUT/quickstart.png``.

    python examples/quickstart.py --out out
"""

from __future__ import annotations

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sched_tools import draw, sequences  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", default="out", help="output folder (default: out)")
    parser.add_argument("--steps", type=int, default=300, help="updates to draw")
    args = parser.parse_args(argv)
    n = args.steps
    # (title, schedule name, the optax factory's arguments; torch_compat gets the same)
    examples = [
        ("one-cycle (LR, momentum)", "one_cycle_lr", dict(max_lr=0.1, total_steps=n)),
        ("SGDR, T_mult=1.5, decay=0.7, warmup 20", "cosine_annealing_warm_restarts",
         dict(init_value=0.1, T_0=30, T_mult=1.5, decay=0.7, warmup_steps=20)),
        ("cyclic triangular2", "cyclic_lr",
         dict(base_lr=0.01, max_lr=0.1, step_size_up=25, mode="triangular2")),
        ("warmup + cosine decay", "warmup_with_decay",
         dict(base_lr=0.1, warmup_steps=30, total_steps=n, min_lr=0.001)),
    ]
    os.makedirs(args.out, exist_ok=True)
    fig, axes = plt.subplots(len(examples), 1, figsize=(8, 2.6 * len(examples)), sharex=True)
    for ax, (title, name, kw) in zip(axes, examples):
        j_lr, t_lr, j_mom, t_mom = sequences(name, kw, n)
        diff = np.max(np.abs(j_lr - t_lr) / np.max(np.abs(t_lr)))
        print(f"{title:42s} max |optax - torch| / max = {diff:.2e}")
        draw(ax, title, j_lr, t_lr, j_mom, t_mom)
    axes[-1].set_xlabel("update k")
    fig.tight_layout()
    path = os.path.join(args.out, "quickstart.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

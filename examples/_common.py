"""Shared pieces of the examples: the digits data, batches, flags and plotting."""

from __future__ import annotations

import argparse
import ast
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sched_tools import _records as records


def digits():
    """sklearn's bundled 8x8 digits (no download): ``x_train, x_test, y_train, y_test``."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y.astype(np.int64), test_size=0.25, random_state=0)


def epoch_batches(x, y, batch_size, epoch, seed=0):
    """The same shuffled batches for every framework (drops the last partial batch)."""
    perm = np.random.default_rng(seed + epoch).permutation(len(x))
    for i in range(len(x) // batch_size):
        idx = perm[i * batch_size:(i + 1) * batch_size]
        yield x[idx], y[idx]


def parser(description: str, default_schedule: str = "gracos") -> argparse.ArgumentParser:
    """Flags shared by the examples; extra ``--name value`` pairs go to the schedule."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=10, help="training epochs")
    p.add_argument("--batch-size", type=int, default=64, help="examples per update")
    p.add_argument("--lr", type=float, default=1e-2, help="peak / initial learning rate")
    p.add_argument("--schedule", default=default_schedule,
                   help=f"any of: {', '.join(sorted(records.plottable()))}")
    p.add_argument("--out", default="out", help="output folder")
    p.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    return p


def parse(p: argparse.ArgumentParser, argv=None):
    """Parses flags; returns ``(args, schedule_overrides)``."""
    args, extra = p.parse_known_args(argv)
    if args.schedule not in records.plottable():
        p.error(f"unknown --schedule {args.schedule!r}; valid: "
                f"{', '.join(sorted(records.plottable()))}")
    if len(extra) % 2:
        p.error(f"schedule parameters must be --name value pairs, got {extra}")
    over = {}
    for key, raw in zip(extra[::2], extra[1::2]):
        if not key.startswith("--"):
            p.error(f"schedule parameters must be --name value pairs, got {key!r}")
        try:
            over[key[2:].replace("-", "_")] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            over[key[2:].replace("-", "_")] = raw
    os.makedirs(args.out, exist_ok=True)
    return args, over


def schedule_kwargs(name, steps_per_epoch, epochs, lr, overrides):
    """Demo arguments of a catalog schedule for this run (GraCos: per-epoch arguments)."""
    if name == "gracos":
        kw = dict(initial_lr=lr, final_lr=lr / 20, steps_per_epoch=steps_per_epoch,
                  total_epochs=epochs, mode="auto")
        kw.update(overrides)
        return kw
    return records.demo_kwargs(name, steps_per_epoch * epochs, lr, overrides)


class _NoBar:
    """The progress bar when there is none to draw (``bar.update()`` does nothing)."""

    def update(self, n=1):
        """Does nothing."""

    def set_postfix(self, **kwargs):
        """Does nothing."""

    def close(self):
        """Does nothing."""


def progress(total, disable):
    """A tqdm progress bar over ``total`` updates (call ``bar.update()`` per update).

    Off, without importing tqdm, under ``--no-progress`` or when stderr is not a terminal.
    """
    import sys

    if disable or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, leave=False, dynamic_ncols=True)


def report(args, framework, steps, lrs, losses, acc, t0):
    """Draws ``OUT/<framework>_train.png`` (LR per leaf, loss) and prints the summary."""
    import time

    path = os.path.join(args.out, f"{framework}_train.png")
    title = {"flax": "Flax NNX", "torch": "PyTorch"}[framework]
    plot_training(path, f"{title}, {args.schedule}", lrs, np.asarray(losses))
    print(f"{framework}: {args.schedule}, {args.epochs} epochs x {steps} steps, "
          f"final loss {np.mean(losses[-steps:]):.4f}, test accuracy {acc:.4f}, "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"wrote {path}")


def plot_training(path, title, lrs_by_leaf, losses, extra=None):
    """LR per leaf (top), loss (bottom), optional extra panels ``{name: (series...)}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 + len(extra or {})
    fig, axes = plt.subplots(panels, 1, figsize=(8, 2.6 * panels), sharex=True)
    for name, series in lrs_by_leaf.items():
        axes[0].plot(series, lw=1, label=name)
    axes[0].set_ylabel("LR")
    axes[0].set_title(title, fontsize=9)
    if len(lrs_by_leaf) <= 8:
        axes[0].legend(fontsize=7, loc="upper right")
    axes[1].plot(losses, lw=0.8, color="k")
    axes[1].set_ylabel("loss")
    axes[1].set_yscale("log")
    for ax, (name, series) in zip(axes[2:], (extra or {}).items()):
        for label, s in series.items():
            ax.plot(s, lw=1, label=label)
        ax.set_ylabel(name)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("update")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

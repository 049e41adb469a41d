"""Shared pieces of the examples: the digits data, batches, flags and plotting."""

from __future__ import annotations

import argparse
import ast
import os
import re

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


def leaf_label(name: str) -> str:
    """A readable leaf name: ``['fc1']['kernel']`` (a JAX key path) becomes ``fc1.kernel``;
    torch's ``fc1.weight`` stays as it is."""
    parts = re.findall(r"\['?([^'\]]+)'?\]", name)
    return ".".join(parts) if parts else name


def _zoom_window(n: int, width: int = 30) -> tuple[int, int]:
    """``[start, stop)`` of a window of ``width`` updates a third into the run (after any
    warmup, where the out-of-phase offsets between leaves are visible)."""
    start = max(0, min(n - width, n // 3))
    return start, min(n, start + width)


def _legend(ax):
    """The legend right of the axes, where it covers no curve."""
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)


def plot_training(path, title, lrs_by_leaf, losses, extra=None, *, overlay=False):
    """The run as a picture: the LR over the whole run (top: each leaf's curve, or for
    several leaves their range and mean), the leaves apart (middle: a zoom on a 30-update
    window, one marked line per leaf, or a leaf-by-update heat map beyond 8 leaves), the
    loss, and optional extra panels ``{name: {label: series}}``. ``overlay=True``: the
    series are one LR from several runs (e.g. JAX and PyTorch), drawn over each other."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(lrs_by_leaf)
    lrs = np.asarray([lrs_by_leaf[n] for n in names], dtype=np.float64)
    labels = [leaf_label(n) for n in names]
    several = len(names) > 1 and not overlay
    panels = 2 + several + len(extra or {})
    fig, axes = plt.subplots(panels, 1, figsize=(8, 2.5 * panels))
    ax = axes[0]
    steps = np.arange(lrs.shape[1])
    start, stop = _zoom_window(lrs.shape[1])
    if several:
        ax.fill_between(steps, lrs.min(0), lrs.max(0), color="tab:blue", alpha=0.25, lw=0,
                        label=f"range over the {len(names)} leaves")
        ax.plot(steps, lrs.mean(0), color="tab:blue", lw=1, label="mean over the leaves")
        ax.axvspan(start, stop - 1, color="0.85", zorder=0, label="zoomed below")
    else:
        for i, label in enumerate(labels):
            ax.plot(steps, lrs[i], lw=1.6 if i == 0 else 0.9, ls="-" if i == 0 else "--",
                    label=label)
    ax.set_ylabel("LR")
    ax.set_xlabel("update")
    ax.set_title(title, fontsize=9)
    _legend(ax)
    if several:
        ax = axes[1]
        if len(names) <= 8:
            markers = "osD^v<>p"
            for i, label in enumerate(labels):
                ax.plot(steps[start:stop], lrs[i, start:stop], lw=1, marker=markers[i],
                        ms=3, label=label)
            ax.set_ylabel("LR per leaf")
            _legend(ax)
        else:
            image = ax.imshow(lrs, aspect="auto", interpolation="nearest", cmap="viridis",
                              extent=(-0.5, lrs.shape[1] - 0.5, len(names) - 0.5, -0.5))
            ax.set_yticks(range(len(names)), labels, fontsize=6)
            fig.colorbar(image, ax=ax, label="LR")
            ax.set_xlim(start - 0.5, stop - 0.5)
        ax.set_title(f"each leaf, updates {start} to {stop - 1}", fontsize=9)
        ax.set_xlabel("update")
    ax = axes[1 + several]
    ax.plot(losses, lw=0.8, color="k")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_xlabel("update")
    for ax, (name, series) in zip(axes[2 + several:], (extra or {}).items()):
        for i, (label, s) in enumerate(series.items()):
            ax.plot(s, lw=1.6 if i == 0 else 0.9, ls="-" if i == 0 else "--", label=label)
        ax.set_ylabel(name)
        ax.set_xlabel("update")
        _legend(ax)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""LR range test for JAX/Optax."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import jax
import optax

from optax_sched._schedules import range_finder
from sched_core._finder import FinderConfig
from sched_core._finder import LRFinderResult
from sched_core._finder import Tracker
from sched_core._finder import batch_stream
from sched_core._finder import finish

__all__ = ["lr_finder"]


def lr_finder(loss_fn: Callable[..., Any], params: Any, batches: Iterable[Any],
              tx_factory: Callable[..., optax.GradientTransformation], *,
              start_lr: float = 1e-7, end_lr: float = 1.0, num_steps: int = 100,
              smooth: float = 0.05, diverge_factor: float = 4.0) -> LRFinderResult:
    """Exponential LR sweep (fastai's range test) with early stop on divergence.

    Trains a copy of ``params`` for up to ``num_steps`` updates with
    ``tx_factory(schedule)``, where the schedule is :func:`range_finder` (``start_lr`` to
    ``end_lr``), records the smoothed loss and stops when it is non-finite or diverges
    (``sched_core._finder.diverged``: for a positive best smoothed loss, when the smoothed
    loss exceeds ``diverge_factor`` x the best; a loss that goes to or below 0 is compared
    with ``best + (diverge_factor - 1) * max(|best|, first - best)`` instead). The caller's
    ``params`` are never modified (JAX arrays are immutable); one jitted step is compiled for
    the whole sweep.

    Args:
      loss_fn: ``loss_fn(params, batch) -> scalar loss``.
      params: initial parameters.
      batches: iterable of batches, read lazily: a re-iterable (list, ...) shorter than
        ``num_steps`` is iterated again, an (even infinite) iterator is read for at most
        ``num_steps`` batches, and a one-shot iterator that runs out ends the sweep early.
      tx_factory: e.g. ``optax.sgd`` or ``lambda lr: optax.adam(lr)``.
      start_lr: first LR.
      end_lr: last LR.
      num_steps: sweep length.
      smooth: smoothing factor of the loss (torch-lr-finder's ``smooth_f``).
      diverge_factor: stop when the smoothed loss exceeds this multiple of the best
        (positive losses; see above for a best ``<= 0``).

    Returns:
      An ``LRFinderResult`` with ``lrs``, smoothed ``losses``, ``suggestions``
      (``valley``, ``steep``, ``minimum``) and ``plot()``.

    Raises:
      ValueError: ``batches`` yields no batch, or fewer than 3 finite losses were recorded.
    """
    cfg = FinderConfig(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, smooth=smooth,
                       diverge_factor=diverge_factor)
    tx = tx_factory(range_finder(num_steps, start_lr, end_lr))

    @jax.jit
    def step(p, state, batch):
        loss, grads = jax.value_and_grad(loss_fn)(p, batch)
        updates, state = tx.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss

    p, state = params, tx.init(params)
    tracker = Tracker(cfg)
    stream = batch_stream(batches, num_steps, "batches")
    try:
        for batch in stream:
            p, state, loss = step(p, state, batch)
            if tracker.add(float(loss)):
                break
    finally:
        stream.close()
    return finish(cfg, tracker)

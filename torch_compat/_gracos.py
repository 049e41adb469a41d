"""GraCos for PyTorch: ``GraCos`` and ``GraCosOOP`` (formulas in ``sched_core.GraCos``).

The seed's loop works as written::

    loss.backward()
    scheduler.update_gradient_norm()   # auto mode: accumulates on the gradients' device
    optimizer.step()
    scheduler.step()                   # every batch; epochs are derived from the count
    # once per epoch, optionally: scheduler.epoch_end()  (a checked no-op)

``update_gradient_norm`` never synchronises with the host; the statistics are read
once per epoch, when ``step()`` crosses an epoch boundary.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer

from sched_core import GraCos as _Spec
from sched_core._scalar import SCALAR
from torch_compat._base import CoreLRScheduler

__all__ = ["GraCos", "GraCosOOP", "per_tensor_param_groups"]

_F64 = np.float64


def per_tensor_param_groups(model: torch.nn.Module, **group_options: Any) -> list[dict]:
    """One param group per parameter tensor of ``model``, in registration order.

    Pass the result to your optimizer's constructor for :class:`GraCosOOP`
    (``torch.optim.SGD(per_tensor_param_groups(model), lr=0.1)``); each group also gets
    ``name`` (the parameter's qualified name) and any ``group_options``.

    Args:
      model: the module whose ``named_parameters()`` define the groups.
      **group_options: extra per-group options (e.g. ``weight_decay``).

    Returns:
      A list of param-group dicts.
    """
    return [{"params": [p], "name": name, **group_options}
            for name, p in model.named_parameters() if p.requires_grad]


class GraCos(CoreLRScheduler):
    """Gradient-aware cosine schedule (one LR for every param group).

    Args:
      optimizer: the wrapped optimizer.
      initial_lr: trajectory start, ``> 0``.
      final_lr: trajectory end, in ``[0, initial_lr]``.
      steps_per_epoch: updates per epoch.
      total_epochs: epochs including warmup.
      mode: ``"normal"`` (alias ``"constant"``) or ``"auto"``.
      warmup_epochs: linear warmup epochs.
      amplitude: amplitude factor ``>= 0``.
      frequency: oscillations per epoch (default ``round(sqrt(steps_per_epoch))``).
      last_epoch: torch's resume index (use ``load_state_dict`` to resume mid-epoch).
    """

    _hyperparams = ("initial_lr", "final_lr", "steps_per_epoch", "total_epochs", "mode",
                    "warmup_epochs", "amplitude", "frequency")
    _out_of_phase = False

    def __init__(self, optimizer: Optimizer, initial_lr: float, final_lr: float,
                 steps_per_epoch: int, total_epochs: int, *, mode: str = "normal",
                 warmup_epochs: int = 0, amplitude: float = 1.0, frequency: int | None = None,
                 last_epoch: int = -1) -> None:
        spec = _Spec(initial_lr, final_lr, steps_per_epoch, total_epochs, mode=mode,
                     warmup_epochs=warmup_epochs, amplitude=amplitude, frequency=frequency)
        for name in self._hyperparams:
            setattr(self, name, getattr(spec, name))
        self._spec = spec
        self.amp_ratio = 1.0
        self.current_frequency = spec.frequency
        self._stats: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        super().__init__(optimizer, last_epoch)

    # ------------------------------------------------------------------ plumbing
    def _build(self):
        self._spec = _Spec(self.initial_lr, self.final_lr, self.steps_per_epoch,
                           self.total_epochs, mode=self.mode, warmup_epochs=self.warmup_epochs,
                           amplitude=self.amplitude, frequency=self.frequency)
        return [], None

    def _shifts(self):
        if not self._out_of_phase:
            return 0.0
        n = len(self.optimizer.param_groups)
        return (np.arange(n, dtype=_F64) + 1) / n

    def lr_at(self, step: int) -> list[float]:
        """LR of every group for update ``step`` with the current epoch's amplitude/frequency.

        Only steps inside the current epoch are meaningful in auto mode (later epochs
        depend on gradients not seen yet).
        """
        n = len(self.optimizer.param_groups)
        if not self._out_of_phase:  # one value: Python floats (fast path)
            value = self._spec.lr(SCALAR, int(step), float(self.amp_ratio),
                                  int(self.current_frequency), float)
            return [float(value)] * n
        values = self._spec.lr(np, np.int64(step), _F64(self.amp_ratio),
                               np.int64(self.current_frequency), _F64, self._shifts())
        return [float(x) for x in np.broadcast_to(np.asarray(values, dtype=_F64), (n,))]

    # ------------------------------------------------------------------ the seed's API
    @torch.no_grad()
    def update_gradient_norm(self) -> torch.Tensor | None:
        """Records this update's gradient statistic ``||g||_2 / sqrt(n_tensors)`` (auto mode).

        Call after ``backward()`` (and after ``GradScaler.unscale_`` under AMP), before
        ``optimizer.step()``. Uses ``torch.nn.utils.get_total_norm``, so DTensor/FSDP
        gradients give the global norm. Non-finite values are skipped. Nothing is copied
        to the host. Normal mode computes no statistic and returns None.

        Returns:
          The statistic as a 0-d tensor on the gradients' device, or None.
        """
        if self.mode != "auto":
            return None
        grads = [p.grad for g in self.optimizer.param_groups for p in g["params"]
                 if p.grad is not None]
        if not grads:
            raise ValueError("update_gradient_norm() found no gradients: call it after "
                             "backward() and before optimizer.zero_grad()")
        total = torch.nn.utils.get_total_norm(grads, norm_type=2.0, error_if_nonfinite=False)
        if hasattr(total, "full_tensor"):  # DTensor (FSDP2): the global value, on device
            total = total.full_tensor()
        stat = total.to(torch.float64) / math.sqrt(len(grads))
        if self._stats is None:
            zero = torch.zeros((), dtype=torch.float64, device=stat.device)
            self._stats = (zero, zero.clone(), zero.clone())
        elif self._stats[0].device != stat.device:  # e.g. loaded from a CPU checkpoint
            self._stats = tuple(x.to(stat.device) for x in self._stats)
        self._stats = _Spec.stat_update(torch, *self._stats, stat)
        return stat

    def _finish_epoch(self) -> None:
        if self.mode != "auto":
            return
        if self._stats is None:
            return
        n, mean, m2 = (float(x) for x in torch.stack(self._stats).tolist())  # once per epoch
        amp, freq = self._spec.epoch_end(np, _F64(n), _F64(mean), _F64(m2), _F64(self.amp_ratio),
                                         _F64(self.current_frequency), _F64)
        self.amp_ratio = float(amp)
        self.current_frequency = int(freq)
        self._stats = None

    def step(self, epoch: int | None = None) -> None:
        """Advances one update; at an epoch boundary applies the epoch's statistics first."""
        if epoch is not None:
            raise ValueError("GraCos.step() takes no epoch: its state depends on the "
                             f"gradients seen, got epoch={epoch!r}")
        if self._step_count > 0 and (self.last_epoch + 1) % self.steps_per_epoch == 0:
            self._finish_epoch()
        super().step()

    def epoch_end(self) -> None:
        """The seed's per-epoch call: a checked no-op (epochs come from the count).

        Raises:
          ValueError: if not called right after the last ``step()`` of an epoch.
        """
        k = self.last_epoch
        if k <= 0 or k % self.steps_per_epoch != 0:
            raise ValueError(
                f"epoch_end() must follow the last step() of an epoch: {k} updates done, "
                f"steps_per_epoch={self.steps_per_epoch}; it is optional, epochs are "
                "derived from the update count")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Plain-data state, including the epoch's running statistics (mid-epoch safe)."""
        state = super().state_dict()
        state["amp_ratio"] = self.amp_ratio
        state["current_frequency"] = self.current_frequency
        state["stats"] = None if self._stats is None else [float(x) for x in
                                                           torch.stack(self._stats).tolist()]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict` (statistics go to the CPU until the next update)."""
        super().load_state_dict(state_dict)
        self.amp_ratio = float(state_dict["amp_ratio"])
        self.current_frequency = int(state_dict["current_frequency"])
        stats = state_dict.get("stats")
        self._stats = None if stats is None else tuple(
            torch.tensor(x, dtype=torch.float64) for x in stats)


class GraCosOOP(GraCos):
    """Out-of-phase GraCos: param group ``i`` of ``L`` is shifted by ``2*pi*(i+1)/L``.

    Build one group per parameter tensor with :func:`per_tensor_param_groups`; with a
    single group this equals :class:`GraCos`. The gradient statistic stays global.
    """

    _out_of_phase = True

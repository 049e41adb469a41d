"""GraCos for PyTorch: ``GraCos`` and ``GraCosOOP`` (formulas in ``sched_core.GraCosConfig``).

The seed's loop works as written::

    loss.backward()
    scheduler.update_gradient_norm()   # auto mode: records the norm on the gradients' device
    optimizer.step()
    scheduler.step()                   # every batch; epochs are derived from the count
    # once per epoch, optionally: scheduler.epoch_end()  (a checked no-op)

``update_gradient_norm`` never synchronises with the host: it adds one device-side copy
of the norm to a float64 buffer; the epoch's norms are read once, when ``step()`` crosses
an epoch boundary.
"""

from __future__ import annotations

import warnings
from typing import Any
from typing import cast

import numpy as np
import torch
from torch.optim import Optimizer

from sched_core import GraCosConfig
from sched_core import _validate as v
from sched_core._gracos import path_order
from sched_core._scalar import SCALAR
from torch_compat._base import CoreLRScheduler

__all__ = ["GraCos", "GraCosOOP", "per_tensor_param_groups"]

_F64 = np.float64


def per_tensor_param_groups(model: torch.nn.Module, *, order: Any = "registration",
                            **group_options: Any) -> list[dict]:
    """One param group per trainable parameter tensor of ``model``.

    Pass the result to your optimizer's constructor for :class:`GraCosOOP`
    (``torch.optim.SGD(per_tensor_param_groups(model), lr=0.1)``); each group also gets
    ``name`` (the parameter's qualified name) and any ``group_options``. Group ``i`` gets the
    out-of-phase shift ``2*pi*(i+1)/L``.

    Frozen tensors (``requires_grad=False``) get no group: they are not in the optimizer,
    so they take no phase and do not count in ``L`` (as leaves outside an Optax optimizer's
    ``wrt`` filter). Unfreezing one later means building the groups again.

    Args:
      model: the module whose ``named_parameters()`` define the groups.
      order: ``"registration"`` (``named_parameters()`` order), ``"path"`` (names sorted
        naturally, ``sched_core._gracos.path_order``: the order
        ``optax_sched.gracos(..., leaf_order="path")`` gives a Flax model whose parameter
        paths name the same tensors in the same order, e.g. ``0.weight`` / ``fc1/kernel``),
        or an explicit list of every trainable parameter's name.
      **group_options: extra per-group options (e.g. ``weight_decay``).

    Returns:
      A list of param-group dicts.

    Raises:
      ValueError: an unknown ``order`` or a list that does not name every trainable
        parameter exactly once.
    """
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    names = [name for name, _ in named]
    if isinstance(order, str):
        if order not in ("registration", "path"):
            raise ValueError(f"order must be 'registration', 'path' or a list of parameter "
                             f"names, got {order!r}")
        idx = list(range(len(named))) if order == "registration" else path_order(names)
    else:
        wanted = list(order)
        if sorted(wanted) != sorted(names):
            raise ValueError(f"order must list every trainable parameter exactly once; got "
                             f"{wanted}, the trainable parameters are {names}")
        idx = [names.index(w) for w in wanted]
    return [{"params": [named[i][1]], "name": named[i][0], **group_options} for i in idx]


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
      clip_norm: default of :meth:`update_gradient_norm`'s ``clip_norm``: clip the gradients
        to this global norm, reusing the norm just computed (one pass).
      last_epoch: torch's resume index (use ``load_state_dict`` to resume mid-epoch).

    Auto mode needs ``scheduler.update_gradient_norm()`` after ``loss.backward()`` on every
    update: an epoch that ends (the ``step()`` crossing its boundary) without any call keeps
    its amplitude and frequency unchanged and warns (a ``UserWarning``, once per scheduler).
    """

    _hyperparams = ("initial_lr", "final_lr", "steps_per_epoch", "total_epochs", "mode",
                    "warmup_epochs", "amplitude", "frequency")
    _out_of_phase = False
    _per_group_specs = False
    # set from the validated spec in __init__ (the names in _hyperparams)
    initial_lr: float
    final_lr: float
    steps_per_epoch: int
    total_epochs: int
    mode: str
    warmup_epochs: int
    amplitude: float
    frequency: int
    current_frequency: int

    def __init__(self, optimizer: Optimizer, initial_lr: float, final_lr: float,
                 steps_per_epoch: int, total_epochs: int, *, mode: str = "normal",
                 warmup_epochs: int = 0, amplitude: float = 1.0, frequency: int | None = None,
                 clip_norm: float | None = None, last_epoch: int = -1) -> None:
        self.clip_norm = (None if clip_norm is None
                          else v.check_float("clip_norm", clip_norm, lo=0.0, lo_open=True))
        spec = GraCosConfig(initial_lr=initial_lr, final_lr=final_lr,
                            steps_per_epoch=steps_per_epoch, total_epochs=total_epochs,
                            mode=mode, warmup_epochs=warmup_epochs, amplitude=amplitude,
                            frequency=frequency)
        for name in self._hyperparams:
            setattr(self, name, getattr(spec, name))
        self._spec = spec
        self.amp_ratio = 1.0
        self.current_frequency = int(cast(int, spec.frequency))
        # auto mode: this epoch's gradient norms (float64, on the gradients' device) and the
        # number of gradient tensors behind each (host ints)
        self._norms: torch.Tensor | None = None
        self._norm_tensors: list[int] = []
        self._warned_no_norms = False
        super().__init__(optimizer, last_epoch)

    # ------------------------------------------------------------------ plumbing
    def _specs(self, bases):
        self._spec = GraCosConfig(initial_lr=self.initial_lr, final_lr=self.final_lr,
                                  steps_per_epoch=self.steps_per_epoch,
                                  total_epochs=self.total_epochs, mode=self.mode,
                                  warmup_epochs=self.warmup_epochs, amplitude=self.amplitude,
                                  frequency=self.frequency)
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
    def update_gradient_norm(self, clip_norm: float | None = None) -> torch.Tensor | None:
        """Records this update's statistic ``||g||_2 / sqrt(L)`` (auto mode); clips if asked.

        Call after ``backward()`` (and after ``GradScaler.unscale_`` under AMP), before
        ``optimizer.step()``. ``||g||_2`` is the raw norm (before clipping) from
        ``torch.nn.utils.get_total_norm``, so DTensor/FSDP gradients give the global norm;
        ``L`` counts every parameter tensor in the optimizer, those without a gradient
        (unused this update) included, as zeros count on the JAX face. The norm is copied
        into a float64 buffer on the gradients' device (one kernel; nothing goes to the
        host); ``step()`` reads the epoch's values once, at the epoch boundary, and skips the
        non-finite ones.

        With ``clip_norm`` (or the constructor's), the gradients are then clipped to that
        global norm with ``torch.nn.utils.clip_grads_with_norm_`` and the norm just computed
        (equal to ``clip_grad_norm_``, one pass). Normal mode without clipping computes
        nothing and returns None.

        Args:
          clip_norm: clip to this global norm (``> 0``); default the constructor's.

        Returns:
          The raw global gradient norm ``||g||_2`` as a 0-d tensor on the gradients' device,
          or None (normal mode, no clipping).
        """
        if clip_norm is None:
            clip_norm = self.clip_norm
        elif not (isinstance(clip_norm, (int, float)) and clip_norm > 0):
            raise ValueError(f"clip_norm must be a number > 0 or None, got {clip_norm!r}")
        if self.mode != "auto" and clip_norm is None:
            return None
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            raise ValueError("update_gradient_norm() found no gradients: call it after "
                             "backward() and before optimizer.zero_grad()")
        total = torch.nn.utils.get_total_norm(grads, norm_type=2.0, error_if_nonfinite=False)
        if hasattr(total, "full_tensor"):  # DTensor (FSDP2): the global value, on device
            total = total.full_tensor()
        if clip_norm is not None:
            torch.nn.utils.clip_grads_with_norm_(params, float(clip_norm), total)
        if self.mode != "auto":
            return total
        buf, j = self._norms, len(self._norm_tensors)
        if buf is None or buf.device != total.device or j == buf.numel():
            # allocated once (one slot per update of an epoch); grown if called more often;
            # moved if the gradients' device changed (e.g. after loading a CPU checkpoint)
            size = max(self.steps_per_epoch, 2 * j)
            new = torch.empty(size, dtype=torch.float64, device=total.device)
            if j and buf is not None:
                new[:j].copy_(buf[:j])
            self._norms = buf = new
        buf[j].copy_(total)
        self._norm_tensors.append(len(params))
        return total

    def _epoch_statistics(self) -> tuple[float, float, float]:
        """``(n, mean, m2)`` of the epoch's finite statistics (two passes, float64, host)."""
        j = len(self._norm_tensors)
        if j == 0:
            return 0.0, 0.0, 0.0
        buf = cast(torch.Tensor, self._norms)  # j > 0: allocated by update_gradient_norm
        norms = np.asarray(buf[:j].tolist(), dtype=_F64)  # the one host read
        g = norms / np.sqrt(np.asarray(self._norm_tensors, dtype=_F64))
        g = g[np.isfinite(g)]
        if g.size == 0:
            return 0.0, 0.0, 0.0
        mean = float(np.mean(g))
        return float(g.size), mean, float(np.sum((g - mean) ** 2))

    def _finish_epoch(self) -> None:
        if self.mode != "auto":
            return
        if not self._norm_tensors and not self._warned_no_norms:
            self._warned_no_norms = True
            epoch = self.last_epoch // self.steps_per_epoch
            warnings.warn(
                f"{type(self).__name__}(mode='auto'): epoch {epoch} ended without any "
                "update_gradient_norm() call, so its amplitude and frequency stay unchanged. "
                "Auto mode needs scheduler.update_gradient_norm() after loss.backward() (and "
                "before optimizer.step()) on every update. This warning is shown once.",
                UserWarning, stacklevel=3)
        n, mean, m2 = self._epoch_statistics()  # once per epoch
        amp, freq = self._spec.epoch_end(np, _F64(n), _F64(mean), _F64(m2), _F64(self.amp_ratio),
                                         _F64(self.current_frequency), _F64)
        self.amp_ratio = float(amp)
        self.current_frequency = int(freq)
        self._norm_tensors = []

    def step(self, epoch: int | None = None) -> None:
        """Advances one update; at an epoch boundary applies the epoch's statistics first."""
        if epoch is not None:
            raise ValueError("GraCos.step() takes no epoch: its state depends on the "
                             f"gradients seen, got epoch={epoch!r}")
        if self._step_count > 0 and (self.last_epoch + 1) % self.steps_per_epoch == 0:
            self._finish_epoch()
        super().step()

    def _get_closed_form_lr(self) -> list[float]:
        """A jump to ``last_epoch`` (torch's ``SequentialLR`` starts a member with
        ``_update_lr(0)``): the norms recorded so far belong to no epoch of this schedule
        and are discarded."""
        if self.last_epoch % self.steps_per_epoch == 0:
            self._norm_tensors = []
        return super()._get_closed_form_lr()

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
        """Plain-data state, including the gradient norms of the epoch so far (mid-epoch safe)."""
        state = super().state_dict()
        state["amp_ratio"] = self.amp_ratio
        state["current_frequency"] = self.current_frequency
        j = len(self._norm_tensors)
        state["epoch_grad_norms"] = cast(torch.Tensor, self._norms)[:j].tolist() if j else []
        state["epoch_grad_tensors"] = list(self._norm_tensors)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict` (the epoch's norms stay on the CPU until the next update)."""
        super().load_state_dict(state_dict)
        self.amp_ratio = float(state_dict["amp_ratio"])
        self.current_frequency = int(state_dict["current_frequency"])
        norms = [float(x) for x in state_dict.get("epoch_grad_norms", [])]
        self._norm_tensors = [int(x) for x in state_dict.get("epoch_grad_tensors", [])]
        if len(norms) != len(self._norm_tensors):
            raise ValueError(f"state_dict has {len(norms)} epoch_grad_norms but "
                             f"{len(self._norm_tensors)} epoch_grad_tensors")
        self._norms = (torch.tensor(norms + [0.0] * max(0, self.steps_per_epoch - len(norms)),
                                    dtype=torch.float64) if norms else None)


class GraCosOOP(GraCos):
    """Out-of-phase GraCos: param group ``i`` of ``L`` is shifted by ``2*pi*(i+1)/L``.

    Build one group per parameter tensor with :func:`per_tensor_param_groups`; with a
    single group this equals :class:`GraCos`. The gradient statistic stays global.
    """

    _out_of_phase = True

"""Differences from the reference implementations (docs/math.md section 9) that a formula can
show: the originals' values are transcribed from their code (shared/notes), not from ours."""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
import torch

import optax_sched
import torch_compat


def _combined_one_cycle(t, max_lr, total, pct_start=0.3, div=25.0, final_div=1e4):
    """The combined library's ``OneCycleLR.get_lr(t)`` ('cos'), as written there."""
    init, final, u = max_lr / div, max_lr / final_div, int(total * pct_start)
    if t < u:
        return init + (max_lr - init) * t / u
    p = (t - u) / (total - u)
    return final + (max_lr - final) * (1 + math.cos(math.pi * p)) / 2


def test_combined_library_one_cycle_peaks_one_update_later_than_ours():
    for total, pct in [(10, 0.3), (100, 0.25), (40, 0.5)]:
        theirs = [_combined_one_cycle(t, 1.0, total, pct) for t in range(total)]
        ours = np.asarray(jax.jit(optax_sched.one_cycle_lr(1.0, total, pct_start=pct))(
            np.arange(total)))
        assert int(np.argmax(theirs)) == int(total * pct)
        assert int(np.argmax(ours)) == int(total * pct) - 1


def test_gracos_wave_is_one_update_earlier_than_the_original():
    """The original (S=9, F=3, lr0=0.01, lrmin=0.001) prints ``1e-4, .014, .0135, 1e-4, ...``
    from its ``step()`` calls; update 0 ran at lr0 (written at construction), so its troughs
    fall on updates 1, 4, 7. Ours fall on 0, 3, 6."""
    original_updates = [0.01, 1e-4, .014, .0135, 1e-4, .0125, .012, 1e-4, .011]
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.01)
    sched = torch_compat.GraCos(opt, 0.01, 0.001, 9, 3)
    ours = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(9):
            ours.append(sched.get_last_lr()[0])
            p.grad = torch.ones(2)
            sched.update_gradient_norm()
            opt.step()
            sched.step()
    troughs = [k for k, v in enumerate(ours) if v == min(ours)]
    assert troughs == [0, 3, 6]
    assert [k for k, v in enumerate(original_updates) if v == 1e-4] == [1, 4, 7]

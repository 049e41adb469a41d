"""Independent float64 GraCos oracle (plain ``math``, two-pass statistics, no sched_core).

Restates docs/math.md section 10 step by step, in the reference's direct cosine form.
"""

from __future__ import annotations

import math


class GraCosOracle:
    """Step-by-step GraCos: call :meth:`lr` for update k's LRs, then :meth:`observe`."""

    def __init__(self, initial_lr, final_lr, steps_per_epoch, total_epochs, *, mode="normal",
                 warmup_epochs=0, amplitude=1.0, frequency=None, num_phases=0):
        self.hi, self.lo = initial_lr, final_lr
        self.s, self.e, self.we = steps_per_epoch, total_epochs, warmup_epochs
        self.auto = mode == "auto"
        self.a = amplitude
        self.f0 = frequency or max(1, int(math.floor(math.sqrt(steps_per_epoch) + 0.5)))
        self.freq = self.f0
        self.g = 1.0
        self.num_phases = num_phases  # 0: plain; L: out-of-phase with L leaves
        self.epoch_stats: list[float] = []
        self.k = 0
        self.margins: list[float] = []

    def lr(self) -> list[float]:
        """LRs (one per phase) used by the current update."""
        k, s = self.k, self.s
        w = self.we * s
        m = (self.e - self.we) * s
        if k < w:
            return [self.lo + (self.hi - self.lo) * (k + 1) / w] * max(1, self.num_phases)
        j = k - w
        base = max(self.hi - j * (self.hi - self.lo) / m, self.lo)
        phases = [0.0] if not self.num_phases else [
            2 * math.pi * (i + 1) / self.num_phases for i in range(self.num_phases)]
        out = []
        for shift in phases:
            if s < 4 or self.a == 0:
                lr = base
            else:
                amp = min(self.a * self.g * base, base)
                theta = 2 * math.pi * ((self.freq * (k % s)) % s) / s + shift
                if w:
                    lr = base + amp * math.cos(theta - math.pi / 2)
                else:
                    period = -(-s // self.freq)
                    blend = min(k, period) / period
                    trough = base - amp
                    lr = trough + (base + amp * math.cos(theta + math.pi) - trough) * blend
            out.append(max(lr, 0.1 * self.lo))
        return out

    def observe(self, grads) -> None:
        """Feeds update k's gradients (list of arrays) and advances to k + 1."""
        if self.auto:
            sq = sum(float((g.astype("float64") ** 2).sum()) for g in grads)
            stat = math.sqrt(sq) / math.sqrt(len(grads))
            if math.isfinite(stat):
                self.epoch_stats.append(stat)
        self.k += 1
        if self.k % self.s == 0 and self.auto:
            xs = self.epoch_stats
            if xs:
                mean = sum(xs) / len(xs)
                std = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
                cv = std / mean if mean > 0 else 0.0
                self.g = min(max(math.exp(-mean), 0.05), 1.5)
                raw = self.f0 / (1 + cv) + 0.5
                self.margins.append(abs(raw - round(raw)))
                self.freq = min(max(int(math.floor(raw)), 1), self.f0)
            self.epoch_stats = []

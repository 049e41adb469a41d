r"""timm's ``CosineLRScheduler`` and ``TanhLRScheduler``, including its cycle arithmetic and noise.

The value used by update ``k`` (0-based) is the LR timm's own training loop (``train.py``)
gives the optimizer for that update: the scheduler is constructed, and after every optimizer
update ``j = 1, 2, ...`` the loop calls ``step_update(num_updates=j)``, and after every epoch
``e = 0, 1, ...`` it calls ``step(epoch=e + 1)``. With ``t_in_epochs=False`` only
``step_update`` acts, so timm's time is ``t = k``; with ``t_in_epochs=True`` only ``step``
acts, so ``t = k // updates_per_epoch`` (the epoch of update ``k``). ``t = 0`` has never been
stepped: it uses what timm's constructor wrote, ``base_lr`` (``warmup_t = 0``) or
``warmup_lr_init``, without noise. Every ``t >= 1`` uses timm's ``_get_lr(t)`` plus its noise.

timm finds the cycle of ``t`` with a float64 logarithm when ``cycle_mul != 1``. That index is
reproduced exactly by an integer table built on the host from timm's own expression
(:func:`timm_cycle_table`); the step never meets a float ``log``. timm's noise draws
(``torch.Generator().manual_seed(noise_seed + t)``, then ``torch.randn``/``torch.rand``) are
reproduced bit for bit in numpy (:func:`timm_noise`: mt19937 seeding, torch's 53-bit doubles,
Box-Muller with the cached second sample) and tabulated on the host at construction, so
neither face needs torch for them.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from typing import Any
from typing import ClassVar

import numpy as np

from sched_core import _validate as v
from sched_core._schedules import COUNT_LIMIT
from sched_core._schedules import MAX_RESTART_TABLE
from sched_core._schedules import Schedule
from sched_core._schedules import _f
from sched_core._schedules import _itable
from sched_core._schedules import _mul_pow
from sched_core._schedules import _set
from sched_core._schedules import _sin2

__all__ = ["TimmCosine", "TimmTanh", "timm_noise", "timm_cycle_table", "MAX_NOISE_TABLE"]

#: Largest noise table (entries of ``t``) built at construction.
MAX_NOISE_TABLE = 2**22

_MASK32 = 0xFFFFFFFF


# --------------------------------------------------------------------------- noise (numpy only)


def _mt_words(seeds: np.ndarray, n: int) -> np.ndarray:
    """The first ``n <= 227`` tempered mt19937 outputs after ``init_genrand(seed)``, per seed.

    Vectorized over ``seeds`` (uint32). Output ``j < 227`` of the first twist needs state
    words ``j``, ``j + 1`` and ``j + 397`` of the seeding recurrence only, so the 624-word
    state is never materialized.
    """
    if not 1 <= n <= 227:
        raise ValueError(f"n must be in [1, 227], got {n}")
    u32 = np.uint32
    x = seeds.astype(u32)
    need = set(range(n + 1)) | set(range(397, 397 + n))
    saved = {0: x}
    with np.errstate(over="ignore"):
        for j in range(1, 397 + n):
            x = u32(1812433253) * (x ^ (x >> u32(30))) + u32(j)
            if j in need:
                saved[j] = x
    out = np.empty((seeds.shape[0], n), dtype=u32)
    for j in range(n):
        y = (saved[j] & u32(0x80000000)) | (saved[j + 1] & u32(0x7FFFFFFF))
        w = saved[j + 397] ^ (y >> u32(1)) ^ np.where(y & u32(1), u32(0x9908B0DF), u32(0))
        w = w ^ (w >> u32(11))
        w = w ^ ((w << u32(7)) & u32(0x9D2C5680))
        w = w ^ ((w << u32(15)) & u32(0xEFC60000))
        out[:, j] = w ^ (w >> u32(18))
    return out


def _doubles(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """torch's ``uniform_real_distribution<double>(0, 1)``: 53 bits of ``hi << 32 | lo``."""
    bits = ((hi.astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)) \
        & np.uint64((1 << 53) - 1)
    return bits.astype(np.float64) * 2.0**-53


def _normals(words: np.ndarray) -> np.ndarray:
    """torch's CPU ``randn(1)`` draws from 4-word groups: ``r cos(theta)``, then the cached
    ``r sin(theta)``, rounded to float32 (then float64, as ``.item()`` returns)."""
    n, m = words.shape
    g = words[:, : m - m % 4].reshape(n, -1, 4)
    u1 = _doubles(g[..., 0], g[..., 1])
    u2 = _doubles(g[..., 2], g[..., 3])
    r = np.sqrt(-2.0 * np.log1p(-u2))
    theta = 2.0 * math.pi * u1
    pairs = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1).astype(np.float32)
    return pairs.reshape(n, -1).astype(np.float64)


def _normal_slow(seed: int, noise_pct: float, noise_std: float) -> float:
    """timm's rejection loop for one seed, drawing as many words as it needs."""
    state: Any = np.random.RandomState(seed).get_state(legacy=False)  # init_genrand(seed)
    bg = np.random.MT19937()
    bg.state = state
    while True:
        z = _normals(np.asarray(bg.random_raw(4096), dtype=np.uint32)[None, :])[0] * noise_std
        hits = np.flatnonzero(np.abs(z) < noise_pct)
        if hits.shape[0]:
            return float(z[hits[0]])


@functools.lru_cache(maxsize=32)
def _noise_cached(noise_seed: int, t_start: int, t_stop: int, noise_type: str,
                  noise_pct: float, noise_std: float) -> np.ndarray:
    n = max(t_stop - t_start, 0)
    out = np.empty(n, dtype=np.float64)
    chunk = 1 << 16
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        seeds = np.asarray([(noise_seed + t) & _MASK32
                            for t in range(t_start + a, t_start + b)], dtype=np.uint64)
        if noise_type == "uniform":
            u = (_mt_words(seeds, 1)[:, 0] & np.uint32(0xFFFFFF)).astype(np.float64) * 2.0**-24
            out[a:b] = 2 * (u - 0.5) * noise_pct
            continue
        res = np.empty(b - a, dtype=np.float64)
        todo = np.arange(b - a)
        for words in (16, 224):  # 8, then 112 draws per seed; what remains: the slow path
            z = _normals(_mt_words(seeds[todo], words)) * noise_std
            ok = np.abs(z) < noise_pct
            res[todo] = z[np.arange(todo.shape[0]), np.argmax(ok, axis=1)]
            todo = todo[~ok.any(axis=1)]
            if todo.shape[0] == 0:
                break
        for i in todo:
            res[i] = _normal_slow(int(seeds[i]), noise_pct, noise_std)
        out[a:b] = res
    out.setflags(write=False)
    return out


def timm_noise(noise_seed: int, t_start: int, t_stop: int, noise_type: str = "normal",
               noise_pct: float = 0.67, noise_std: float = 1.0) -> np.ndarray:
    r"""timm's ``Scheduler._calculate_noise(t)`` for ``t_start <= t < t_stop``, in numpy.

    timm seeds a fresh ``torch.Generator`` with ``noise_seed + t`` and draws ``torch.randn(1)``
    until ``|z * noise_std| < noise_pct`` (``noise_type="normal"``), or returns
    ``2 (torch.rand(1) - 0.5) noise_pct``. torch's CPU generator is mt19937 seeded with the
    low 32 bits of the seed (``init_genrand``); ``rand`` of a float32 tensor is
    ``(w & 0xFFFFFF) / 2**24`` of one output ``w``; ``randn`` of one element is the
    Box-Muller pair ``r cos(theta)``, ``r sin(theta)`` (the second cached for the next call)
    from two 53-bit doubles ``((w_0 << 32 | w_1) mod 2**53) / 2**53``, with
    ``r = sqrt(-2 log1p(-u_2))``, ``theta = 2 pi u_1``, rounded to float32. All of this is
    reproduced here without torch (tested bit for bit against timm on thousands of seeds).

    Args:
      noise_seed: timm's ``noise_seed`` (an integer ``>= 0``).
      t_start: first ``t``.
      t_stop: one past the last ``t``.
      noise_type: ``"normal"`` or ``"uniform"``.
      noise_pct: timm's ``noise_pct`` (bound of the noise).
      noise_std: timm's ``noise_std`` (normal noise only).

    Returns:
      A read-only float64 array: the noise of every ``t`` (timm multiplies the LR by
      ``1 + noise``).

    Example:
      >>> [round(x, 6) for x in timm_noise(42, 0, 3).tolist()]
      [0.33669, -0.648401, 0.058945]
      >>> [round(x, 6) for x in timm_noise(42, 0, 3, noise_type="uniform").tolist()]
      [0.512241, -0.061682, 0.294251]
    """
    seed = v.check_int("noise_seed", noise_seed, min_value=0)
    start = v.check_int("t_start", t_start, min_value=0)
    stop = v.check_int("t_stop", t_stop, min_value=start)
    v.check_choice("noise_type", noise_type, ("normal", "uniform"))
    pct = v.check_float("noise_pct", noise_pct, lo=0.0, lo_open=noise_type == "normal")
    std = v.check_float("noise_std", noise_std, lo=0.0)
    return _noise_cached(seed, start, stop, noise_type, pct, std)


# --------------------------------------------------------------------------- cycles


def _timm_index(t: int, t_initial: int, cycle_mul: float) -> int:
    """timm's cycle index, the float64 expression verbatim."""
    return math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))


@functools.lru_cache(maxsize=64)
def timm_cycle_table(t_initial: int, cycle_mul: float, cycle_limit: int,
                     limit: int = COUNT_LIMIT) -> tuple[tuple[int, ...], tuple[float, ...],
                                                         tuple[int, ...], tuple[float, ...],
                                                         tuple[float, ...]]:
    """Host tables of timm's cycles for ``cycle_mul != 1``, exact at every boundary.

    timm puts ``t`` in cycle ``i = floor(log(1 - t / T * (1 - m), m))`` (float64), with
    length ``T_i = m**i * T`` and position ``t - (1 - m**i) / (1 - m) * T``. ``starts[i]``
    is the first integer ``t`` timm's expression puts in cycle ``>= i`` (found by evaluating
    it next to the real boundary; it is monotone in ``t``), so the float logarithm's
    rounding at boundaries is reproduced. Per cycle: ``offsets[i]`` (timm's position at
    ``t = starts[i]``), ``rem_int[i] + rem_frac[i]`` (its ``T_i`` minus that position) and
    ``lengths[i] = T_i``. ``starts`` ends with ``starts[cycle_limit]`` (the first ``t`` timm
    gives ``lr_min``) unless that lies beyond ``limit``.

    Returns:
      ``(starts, offsets, rem_int, rem_frac, lengths)``, tuples of Python numbers.
    """
    t0, m = t_initial, cycle_mul
    starts, offs, rem_int, rem_frac, lengths = [0], [], [], [], []

    def add(i: int, start: int) -> None:
        length = m**i * t0
        off = start - (1 - m**i) / (1 - m) * t0
        rem = length - off
        whole = math.floor(rem)
        offs.append(off)
        rem_int.append(min(whole, limit))
        rem_frac.append(rem - whole)
        lengths.append(length)

    add(0, 0)
    i = 1
    while i <= cycle_limit:
        if i > MAX_RESTART_TABLE:
            raise ValueError(
                f"cycle_mul={cycle_mul} with t_initial={t_initial} needs more than "
                f"{MAX_RESTART_TABLE} cycles below t={limit}; use a smaller cycle_limit or a "
                "cycle_mul further from 1")
        real = (1 - m**i) / (1 - m) * t0
        if real > limit + 2:
            break
        t = max(starts[-1], math.floor(real) - 2)
        while t > starts[-1] and _timm_index(t - 1, t0, m) >= i:
            t -= 1
        while _timm_index(t, t0, m) < i:
            t += 1
        if t > limit:
            break
        starts.append(t)
        if i < cycle_limit:
            add(i, t)
        i += 1
    while len(offs) < len(starts):  # the lr_min region: any finite entries
        offs.append(0.0)
        rem_int.append(1)
        rem_frac.append(0.0)
        lengths.append(1.0)
    return tuple(starts), tuple(offs), tuple(rem_int), tuple(rem_frac), tuple(lengths)


def _ftable(xp, table, dtype):
    if getattr(xp, "is_scalar", False):
        return table
    return xp.asarray(table, dtype=dtype)


def _check_noise_range(value: Any) -> tuple[int, int | None] | None:
    """timm's ``noise_range_t`` as integer bounds ``(lo, hi)`` on ``t`` (``hi`` None: open)."""
    if value is None:
        return None

    def bound(name: str, x: Any) -> int:
        if v._is_bool(x) or not isinstance(x, numbers.Real):
            raise TypeError(f"{name} must be a real number >= 0, got {x!r}")
        x = v.check_float(name, x, lo=0.0)
        return min(math.ceil(x), COUNT_LIMIT + 1)  # t >= x  <=>  t >= ceil(x)

    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"noise_range_t must be None, a number or a pair (start, stop), "
                             f"got {value!r}")
        lo = bound("noise_range_t[0]", value[0])
        hi = bound("noise_range_t[1]", value[1])
        if float(value[1]) < float(value[0]):
            raise ValueError(f"noise_range_t must have start <= stop, got {list(value)}")
        return lo, hi
    return bound("noise_range_t", value), None


# --------------------------------------------------------------------------- the schedules


@dataclasses.dataclass(frozen=True, kw_only=True)
class _TimmBase(Schedule):
    """timm's ``Scheduler`` time, warmup, cycles and noise; subclasses give the cycle shape."""

    base_lr: Any
    t_initial: int
    lr_min: Any = 0.0
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int = 1
    warmup_t: int = 0
    warmup_lr_init: Any = 0.0
    warmup_prefix: bool = False
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    noise_type: str = "normal"
    updates_per_epoch: int = 1
    noise_horizon: int | None = None
    scale_args = ("base_lr",)
    # host tables set in __post_init__ (ClassVar: not dataclass fields)
    _table: ClassVar[tuple | None]
    _limit: ClassVar[int]
    _end: ClassVar[int | None]
    _noise_lo: ClassVar[int]
    _noise: ClassVar[np.ndarray | None]

    def __post_init__(self):
        _set(self, "base_lr", v.check_lr("base_lr", self.base_lr))
        _set(self, "t_initial", v.check_int("t_initial", self.t_initial, min_value=1,
                                            max_value=COUNT_LIMIT))
        _set(self, "lr_min", v.check_lr("lr_min", self.lr_min))
        # timm accepts cycle_mul < 1 but fails (math domain error) once the geometric
        # cycles are used up, at a finite t: refused here
        _set(self, "cycle_mul", v.check_float("cycle_mul", self.cycle_mul, lo=1.0))
        _set(self, "cycle_decay", v.check_float("cycle_decay", self.cycle_decay, lo=0.0,
                                                lo_open=True))
        _set(self, "cycle_limit", v.check_int("cycle_limit", self.cycle_limit, min_value=0))
        _set(self, "warmup_t", v.check_int("warmup_t", self.warmup_t, min_value=0,
                                           max_value=COUNT_LIMIT))
        _set(self, "warmup_lr_init", v.check_lr("warmup_lr_init", self.warmup_lr_init))
        _set(self, "warmup_prefix", v.check_bool("warmup_prefix", self.warmup_prefix))
        _set(self, "t_in_epochs", v.check_bool("t_in_epochs", self.t_in_epochs))
        _set(self, "updates_per_epoch", v.check_int("updates_per_epoch", self.updates_per_epoch,
                                                    min_value=1))
        v.check_choice("noise_type", self.noise_type, ("normal", "uniform"))
        # timm's normal noise loops forever unless |noise| < noise_pct can happen
        _set(self, "noise_pct", v.check_float("noise_pct", self.noise_pct, lo=0.0,
                                              lo_open=self.noise_type == "normal"))
        _set(self, "noise_std", v.check_float("noise_std", self.noise_std, lo=0.0))
        _set(self, "noise_seed", v.check_int("noise_seed", self.noise_seed, min_value=0))
        rng = _check_noise_range(self.noise_range_t)
        if isinstance(self.noise_range_t, list):
            _set(self, "noise_range_t", tuple(self.noise_range_t))
        if self.noise_horizon is not None:
            _set(self, "noise_horizon", v.check_int("noise_horizon", self.noise_horizon,
                                                    min_value=0, max_value=COUNT_LIMIT + 1))
            if rng is None or rng[1] is not None:
                raise ValueError("noise_horizon only applies to an open-ended noise_range_t "
                                 f"(a single number), got noise_range_t={self.noise_range_t!r}")
        self._check_shape()
        # cycles
        limit = min(self.cycle_limit, COUNT_LIMIT)
        _set(self, "_limit", limit)
        shift = self.warmup_t if self.warmup_prefix else 0
        if self.cycle_mul == 1.0:
            _set(self, "_table", None)
            end = self.t_initial * self.cycle_limit
        else:
            table = timm_cycle_table(self.t_initial, self.cycle_mul, self.cycle_limit)
            _set(self, "_table", table)
            end = table[0][self.cycle_limit] if len(table[0]) > self.cycle_limit else None
        # first t from which _get_lr(t) is lr_min for good (None: never below 2**31)
        _set(self, "_end", None if end is None or end + shift > COUNT_LIMIT
             else max(end + shift, self.warmup_t))
        self._build_noise(rng)

    def _check_shape(self) -> None:
        """Validates the subclass's shape arguments."""

    def _build_noise(self, rng) -> None:
        _set(self, "_noise_lo", 0)
        _set(self, "_noise", None)
        if rng is None:
            return
        lo, hi = rng
        if hi is None:
            if self.noise_horizon is not None:
                hi = self.noise_horizon
            elif self._end is not None and not v.is_traced(self.lr_min) and self.lr_min == 0:
                hi = self._end  # from there on the LR is lr_min = 0: noise changes nothing
            else:
                why = ("the cycles do not end below t = 2**31" if self._end is None else
                       "lr_min is traced (not known to be 0)" if v.is_traced(self.lr_min) else
                       f"lr_min={self.lr_min} > 0")
                raise ValueError(
                    f"noise_range_t={self.noise_range_t!r} is open-ended and {why}: timm adds "
                    "noise at every later t, which needs a finite table here; pass "
                    "noise_horizon=<first t without noise> (e.g. the number of epochs or "
                    "updates you train) or noise_range_t=(start, stop)")
            hi = max(hi, lo)
        hi = min(hi, COUNT_LIMIT + 1)
        if hi - lo > MAX_NOISE_TABLE:
            raise ValueError(
                f"noise_range_t={self.noise_range_t!r} covers {hi - lo} values of t, more "
                f"than the {MAX_NOISE_TABLE} a host noise table may hold; narrow it")
        if hi > lo:
            _set(self, "_noise_lo", lo)
            _set(self, "_noise", timm_noise(self.noise_seed, lo, hi, self.noise_type,
                                            self.noise_pct, self.noise_std))

    # -- timm's pieces -------------------------------------------------------------------
    def time(self, xp, k):
        """timm's ``t`` for update ``k``: the epoch ``k // updates_per_epoch`` or ``k``."""
        if self.t_in_epochs and self.updates_per_epoch != 1:
            return k // self.updates_per_epoch
        return k

    def _position(self, xp, s, dtype):
        """``(i, t_curr, rem, T_i)`` of timm's cycle time ``s >= 0``: cycle index (int),
        position, ``T_i - t_curr`` (both without cancellation) and the cycle length."""
        if self._table is None:
            t0 = self.t_initial
            i = s // t0
            j = s - i * t0
            return i, _f(xp, j, dtype), _f(xp, t0 - j, dtype), float(t0)
        starts, offs, rem_int, rem_frac, lengths = self._table
        st = _itable(xp, starts, s)
        i = xp.searchsorted(st, s, side="right") - 1
        j = s - st[i]
        t_curr = _f(xp, j, dtype) + _ftable(xp, offs, dtype)[i]
        rem = _f(xp, _itable(xp, rem_int, s)[i] - j, dtype) + _ftable(xp, rem_frac, dtype)[i]
        return i, t_curr, rem, _ftable(xp, lengths, dtype)[i]

    def _shape(self, xp, t_curr, rem, length, dtype):  # pragma: no cover - abstract
        raise NotImplementedError

    def cycle_value(self, xp, t, dtype):
        """timm's ``_get_lr(t)`` past the warmup (no noise): the cycle formula or ``lr_min``."""
        s = t - self.warmup_t if self.warmup_prefix else t
        s = xp.maximum(s, 0)
        i, t_curr, rem, length = self._position(xp, s, dtype)
        peak = _mul_pow(xp, self.base_lr, math.log(self.cycle_decay), xp.minimum(i, self._limit),
                        dtype)
        val = self.lr_min + (peak - self.lr_min) * self._shape(xp, t_curr, rem, length, dtype)
        return xp.where(i < self._limit, val, self.lr_min)

    def _warmup_target(self, xp, t, dtype):
        """The value timm's linear warmup reaches at ``t = warmup_t``."""
        return self.base_lr

    def get_lr(self, xp, t, dtype):
        """timm's ``_get_lr(t)``: linear warmup below ``warmup_t``, then the cycles."""
        val = self.cycle_value(xp, t, dtype)
        w = self.warmup_t
        if w == 0:
            return val
        step = (self._warmup_target(xp, t, dtype) - self.warmup_lr_init) / w
        warm = self.warmup_lr_init + _f(xp, t, dtype) * step
        return xp.where(t < w, warm, val)

    def noise(self, xp, t, dtype):
        """timm's noise at ``t`` (0 outside ``noise_range_t``)."""
        table = self._noise
        if table is None:
            return 0.0
        lo, n = self._noise_lo, table.shape[0]
        if getattr(xp, "is_scalar", False):
            return float(table[t - lo]) if lo <= t < lo + n else 0.0
        inside = (t >= lo) & (t - lo < n)
        idx = xp.clip(t - lo, 0, n - 1)
        return xp.where(inside, xp.asarray(table, dtype=dtype)[idx], 0.0)

    def __call__(self, xp, k, dtype):
        t = self.time(xp, k)
        val = self.get_lr(xp, t, dtype)
        if self._noise is not None:
            val = val + val * self.noise(xp, t, dtype)
        first = self.warmup_lr_init if self.warmup_t > 0 else self.base_lr
        return xp.where(t == 0, first, val)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TimmCosine(_TimmBase):
    r"""timm's ``CosineLRScheduler``: SGDR cycles with k-decay, warmup and seeded noise.

    .. math::

       v(k) = \begin{cases} v_{\mathrm{init}} & t = 0 \\
              u(t)\,(1 + n_t) & t \ge 1 \end{cases}
       \qquad
       u(t) = \begin{cases}
         w_0 + t\,\dfrac{v_0 - w_0}{W} & t < W \\[1ex]
         \eta_{min} + (v_0 d^{\,i} - \eta_{min})\,
           \dfrac{1 + \cos\left(\pi\,(\tau / T_i)^{\kappa}\right)}{2} & i < L \\[1ex]
         \eta_{min} & i \ge L
       \end{cases}

    with ``v_0 = base_lr``, ``eta_min = lr_min``, ``w_0 = warmup_lr_init``,
    ``W = warmup_t``, ``d = cycle_decay``, ``L = cycle_limit``, ``kappa = k_decay`` and
    ``v_init = w_0`` if ``W > 0`` else ``v_0`` (what timm's constructor writes; noise is
    never added to it). timm's time is ``t = k // updates_per_epoch`` with
    ``t_in_epochs=True`` and ``t = k`` otherwise. The cycles run on ``s = t - W`` with
    ``warmup_prefix`` and on ``s = t`` without (the warmup then overlays the first cycle);
    cycle ``i`` of ``s`` has length ``T_i = T m^i`` and starts at
    ``S_i = T (m^i - 1) / (m - 1)`` (``T = t_initial``, ``m = cycle_mul``), ``tau = s - S_i``;
    with ``m = 1`` ``i = s // T``, otherwise timm's
    ``i = floor(log_m(1 - s (1 - m) / T))`` in float64, reproduced by an integer table
    (:func:`timm_cycle_table`). ``n_t`` is timm's noise for ``t`` in ``noise_range_t``
    (:func:`timm_noise`), else 0. The cosine is evaluated as
    ``sin^2(pi/2 * f)`` with ``f = 1 - (tau/T_i)^kappa`` formed without cancellation
    (``-expm1(kappa * log(...))``).

    References:
      Loshchilov & Hutter, `SGDR: Stochastic Gradient Descent with Warm Restarts
      <https://arxiv.org/abs/1608.03983>`_, 2017

      Zhang & Li, `k-decay: A New Method For Learning Rate Schedule
      <https://arxiv.org/abs/2004.05909>`_, 2020

      timm ``timm.scheduler.CosineLRScheduler``,
      `pytorch-image-models <https://github.com/huggingface/pytorch-image-models>`_.

    Example:
      >>> from sched_core import SCALAR
      >>> s = TimmCosine(base_lr=1.0, t_initial=4, warmup_t=2, warmup_lr_init=0.1,
      ...                warmup_prefix=True, cycle_limit=2, cycle_decay=0.5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(12)]
      [0.1, 0.55, 1.0, 0.8536, 0.5, 0.1464, 0.5, 0.4268, 0.25, 0.0732, 0.0, 0.0]
      >>> s = TimmCosine(base_lr=1.0, t_initial=3, t_in_epochs=True, updates_per_epoch=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(8)]
      [1.0, 1.0, 0.75, 0.75, 0.25, 0.25, 0.0, 0.0]
    """

    k_decay: float = 1.0

    def _check_shape(self) -> None:
        _set(self, "k_decay", v.check_float("k_decay", self.k_decay, lo=0.0, lo_open=True))

    def _shape(self, xp, t_curr, rem, length, dtype):
        q = xp.clip(rem / length, 0.0, 1.0)  # 1 - tau / T_i
        kd = self.k_decay
        if kd == 1.0:
            return _sin2(xp, q)
        r = t_curr / length  # tau / T_i
        if getattr(xp, "is_scalar", False):
            if r <= 0:
                frac = 1.0
            elif r <= 0.5:
                frac = -math.expm1(kd * math.log(r))
            else:
                frac = -math.expm1(kd * math.log1p(-q))
            return _sin2(xp, min(max(frac, 0.0), 1.0))
        small = r <= 0.5
        # log(r) near 0, log1p(-q) near 1: both without cancellation
        logr = xp.where(small, xp.log(xp.where(r > 0, r, 1.0)),
                        xp.log1p(-xp.where(small, 0.5, q)))
        frac = xp.where(r > 0, -xp.expm1(kd * logr), 1.0)
        return _sin2(xp, xp.clip(frac, 0.0, 1.0))


@dataclasses.dataclass(frozen=True, kw_only=True)
class TimmTanh(_TimmBase):
    r"""timm's ``TanhLRScheduler``: hyperbolic-tangent decay with restarts, warmup and noise.

    .. math::

       v(k) = \begin{cases} v_{\mathrm{init}} & t = 0 \\
              u(t)\,(1 + n_t) & t \ge 1 \end{cases}
       \qquad
       u(t) = \begin{cases}
         w_0 + t\,\dfrac{u_W - w_0}{W} & t < W \\[1ex]
         \eta_{min} + (v_0 d^{\,i} - \eta_{min})\,
           \dfrac{1 - \tanh\left(l (1 - \rho) + h \rho\right)}{2} & i < L \\[1ex]
         \eta_{min} & i \ge L
       \end{cases}

    with ``rho = tau / T_i``, ``l = lb``, ``h = ub`` and everything else as in
    :class:`TimmCosine` (time ``t``, cycles, ``v_init``, noise ``n_t``). The warmup target
    ``u_W`` is ``v_0`` with ``warmup_prefix`` and the cycle formula at ``t = W`` without it
    (timm's choice, so the warmup joins the curve). ``(1 - tanh(x)) / 2`` is evaluated as
    ``1 / (1 + exp(2x))`` (no cancellation, no overflow). Note that ``v(0)`` is ``v_0``
    while timm's curve at ``t = 0`` is ``v_0 (1 - tanh(l)) / 2``: timm's constructor writes
    the base LR and update 0 uses it.

    References:
      Hsueh, Li & Wu, `Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
      Classification <https://arxiv.org/abs/1806.01593>`_, WACV 2019

      timm ``timm.scheduler.TanhLRScheduler``,
      `pytorch-image-models <https://github.com/huggingface/pytorch-image-models>`_.

    Example:
      >>> from sched_core import SCALAR
      >>> s = TimmTanh(base_lr=1.0, t_initial=4, lb=-2.0, ub=2.0)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [1.0, 0.8808, 0.5, 0.1192, 0.0, 0.0]
      >>> s = TimmTanh(base_lr=1.0, t_initial=4, lb=-2.0, ub=2.0, warmup_t=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [0.0, 0.25, 0.5, 0.1192, 0.0, 0.0]
    """

    lb: float = -7.0
    ub: float = 3.0

    def _check_shape(self) -> None:
        _set(self, "lb", v.check_float("lb", self.lb))
        _set(self, "ub", v.check_float("ub", self.ub))
        if not self.lb < self.ub:
            raise ValueError(f"lb must be < ub, got lb={self.lb}, ub={self.ub}")

    def _shape(self, xp, t_curr, rem, length, dtype):
        q = xp.clip(rem / length, 0.0, 1.0)  # 1 - rho
        x = self.lb * q + self.ub * (1.0 - q)
        if getattr(xp, "is_scalar", False):
            e = math.exp(-2.0 * abs(x))
            return e / (1.0 + e) if x > 0 else 1.0 / (1.0 + e)
        e = xp.exp(-2.0 * xp.abs(x))
        return xp.where(x > 0, e / (1.0 + e), 1.0 / (1.0 + e))

    def _warmup_target(self, xp, t, dtype):
        if self.warmup_prefix:
            return self.base_lr
        return self.cycle_value(xp, xp.zeros_like(t) + self.warmup_t, dtype)

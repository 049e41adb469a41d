"""Parity of the timm ports (``timm_cosine``/``timm_tanh``, ``TimmCosineLR``/``TimmTanhLR``)
with the real timm ``CosineLRScheduler`` and ``TanhLRScheduler``.

timm's package ``__init__`` imports torchvision, so its scheduler files are loaded by path as
a stand-in package ``timm_sched`` (they need only torch). The reference sequence is timm's
training loop (``train.py``): construct, then after every update ``j`` call
``step_update(num_updates=j)`` and after every epoch ``e`` call ``step(epoch=e + 1)``; column
``k`` is the LR the param groups hold when update ``k`` runs.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")

import jax.numpy as jnp  # noqa: E402

from optax_sched._timm import timm_cosine  # noqa: E402
from optax_sched._timm import timm_tanh  # noqa: E402
from parity_tests.timm_oracle import load_timm  # noqa: E402
from parity_tests.timm_oracle import timm_lrs  # noqa: E402
from parity_tests.tolerances import assert_within  # noqa: E402
from parity_tests.tolerances import max_violation  # noqa: E402
from sched_core._scalar import SCALAR  # noqa: E402
from sched_core._timm import TimmCosine  # noqa: E402
from sched_core._timm import TimmTanh  # noqa: E402
from sched_core._timm import timm_noise  # noqa: E402
from torch_compat._timm import TimmCosineLR  # noqa: E402
from torch_compat._timm import TimmTanhLR  # noqa: E402


# one pytest-xdist worker runs this module (``--dist loadgroup``, set in pyproject.toml):
# the timm reference and the optax program of every configuration are computed once, not once per worker
pytestmark = pytest.mark.xdist_group("test_timm_parity")

BASES = (0.1, 0.03)

# (id, family, timm kwargs, updates_per_epoch, noise_type, noise_horizon)
CONFIGS = [
    ("cos-mul2-decay-limit3-warmup", "cosine",
     dict(t_initial=20, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3, warmup_t=5,
          warmup_lr_init=1e-4, lr_min=1e-5, t_in_epochs=False), 1, None, None),
    ("cos-mulfloat-kdecay2-prefix-epochs", "cosine",
     dict(t_initial=7, cycle_mul=1.5, cycle_limit=4, k_decay=2.0, warmup_prefix=True,
          warmup_t=3, warmup_lr_init=0.01, t_in_epochs=True), 7, None, None),
    ("cos-kdecay-half-normal-noise-updates", "cosine",
     dict(t_initial=30, k_decay=0.5, cycle_limit=2, cycle_decay=0.8,
          noise_range_t=(5, 40), t_in_epochs=False), 4, None, None),
    ("cos-uniform-noise-open-epochs", "cosine",
     dict(t_initial=10, cycle_decay=0.3, cycle_limit=2, warmup_t=4, noise_range_t=3,
          t_in_epochs=True), 3, "uniform", None),
    ("cos-mul10-float-log-boundaries", "cosine",
     dict(t_initial=1, cycle_mul=10.0, cycle_limit=5, lr_min=1e-6, t_in_epochs=False),
     1, None, None),
    ("cos-limit0-warmup", "cosine",
     dict(t_initial=5, cycle_limit=0, warmup_t=2, warmup_lr_init=0.01, lr_min=1e-3), 1,
     None, None),
    ("cos-float-noise-range-rejections", "cosine",
     dict(t_initial=50, cycle_mul=1.3, cycle_limit=3, noise_range_t=(0.42 * 50, 0.9 * 50),
          noise_pct=0.05, noise_std=1.0, noise_seed=7, t_in_epochs=False), 1, None, None),
    ("tanh-warmup-joins-curve", "tanh",
     dict(t_initial=30, warmup_t=5, lr_min=1e-4, cycle_limit=2, t_in_epochs=False), 1,
     None, None),
    ("tanh-lbub-mulfloat-prefix-noise-epochs", "tanh",
     dict(t_initial=9, lb=-3.0, ub=5.0, cycle_mul=1.7, cycle_decay=0.7, cycle_limit=3,
          warmup_prefix=True, warmup_t=4, warmup_lr_init=1e-3, noise_range_t=(10, 50),
          noise_pct=0.3, noise_std=0.5, t_in_epochs=True), 5, None, None),
    ("tanh-lbub-nowarmup-uniform-noise-at-0", "tanh",
     dict(t_initial=12, lb=-1.0, ub=1.0, cycle_limit=2, noise_range_t=[0, 30]), 1,
     "uniform", None),
    ("tanh-open-noise-lrmin-horizon-updates", "tanh",
     dict(t_initial=8, lb=-4.0, ub=4.0, cycle_mul=2.0, cycle_limit=3, lr_min=1e-3,
          warmup_t=3, noise_range_t=6, noise_seed=123, t_in_epochs=False), 5, None, 10**4),
]
IDS = [c[0] for c in CONFIGS]


def _timm_class(family):
    cosine, tanh = load_timm()
    return cosine if family == "cosine" else tanh


def _optimizer():
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": b}
                            for b in BASES])


def _steps(family, kw, upe):
    """2x timm's schedule length (``get_cycle_length()``, in t units) in updates, plus 7."""
    sched = _timm_class(family)(_optimizer(), **kw)
    per_t = upe if kw.get("t_in_epochs", True) else 1
    return 2 * max(sched.get_cycle_length(), 1) * per_t + 7


def _timm_sequence(family, kw, upe, noise_type, n):
    return timm_lrs(family, BASES, kw, upe, noise_type, n)


def _extras(upe, noise_type, horizon):
    out = dict(updates_per_epoch=upe, noise_horizon=horizon)
    if noise_type is not None:
        out["noise_type"] = noise_type
    return out


_BY_ID = {c[0]: c[1:] for c in CONFIGS}


@functools.cache
def _sequence(cid: str, impl: str):
    """Cached ``(groups, steps)`` LRs of config ``cid`` from ``impl``: ``timm`` (the
    reference), ``optax32``, ``optax64`` (jit+vmap), ``torch`` (torch_compat) or ``core``
    (the core on Python floats)."""
    family, kw, upe, noise_type, horizon = _BY_ID[cid]
    if impl == "timm":
        return _timm_sequence(family, kw, upe, noise_type, _steps(family, kw, upe))
    n = _sequence(cid, "timm").shape[1]
    if impl in ("optax32", "optax64"):
        return _optax_sequences(impl == "optax64")[cid]
    if impl == "torch":
        return _torch_sequence(family, kw, upe, noise_type, horizon, n)
    spec_cls = TimmCosine if family == "cosine" else TimmTanh
    extra = _extras(upe, noise_type, horizon)
    specs = [spec_cls(base_lr=b, **kw, **extra) for b in BASES]
    return np.asarray([[spec(SCALAR, k, float) for k in range(n)] for spec in specs])


def _factory(family):
    return timm_cosine if family == "cosine" else timm_tanh


@functools.cache
def _optax_sequences(x64: bool) -> dict:
    """Every configuration's ``(groups, steps)`` optax LRs: each schedule under
    ``jax.jit(jax.vmap(...))``, all of them traced into one program (one compilation)."""
    lengths = {cid: _sequence(cid, "timm").shape[1] for cid in IDS}
    with jax.enable_x64(x64):
        scheds = {cid: [_factory(family)(b, **kw, **_extras(upe, noise_type, horizon))
                        for b in BASES]
                  for cid, (family, kw, upe, noise_type, horizon) in _BY_ID.items()}
        ks = jnp.arange(max(lengths.values()), dtype=jnp.int32)
        out = jax.jit(jax.vmap(lambda k: {cid: [s(k) for s in row]
                                          for cid, row in scheds.items()}))(ks)
    result = {}
    for cid, rows in out.items():
        assert all(r.dtype == (jnp.float64 if x64 else jnp.float32) for r in rows)
        result[cid] = np.stack([np.asarray(r, dtype=np.float64)[:lengths[cid]] for r in rows])
    return result


def _torch_sequence(family, kw, upe, noise_type, horizon, n):
    cls = TimmCosineLR if family == "cosine" else TimmTanhLR
    opt = _optimizer()
    sched = cls(opt, **kw, **_extras(upe, noise_type, horizon))
    out = []
    for _ in range(n):
        out.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == out[-1]
        opt.step()
        sched.step()
    return np.asarray(out, dtype=np.float64).T


@pytest.mark.parametrize("cid", IDS)
def test_optax_float32_jit_vmap_vs_timm(cid):
    assert_within(_sequence(cid, "optax32"), _sequence(cid, "timm"), "float32",
                  f"optax float32 vs timm ({cid})")


@pytest.mark.parametrize("cid", IDS)
def test_optax_x64_vs_timm(cid):
    assert_within(_sequence(cid, "optax64"), _sequence(cid, "timm"), "x64",
                  f"optax x64 vs timm ({cid})")


@pytest.mark.parametrize("cid", IDS)
def test_torch_compat_vs_timm(cid):
    got = _sequence(cid, "torch")
    assert_within(got, _sequence(cid, "timm"), "x64", f"torch_compat vs timm ({cid})")
    # torch_compat is the core on Python floats, bit for bit; the core on numpy agrees to x64
    core = _sequence(cid, "core")
    np.testing.assert_array_equal(got, core)
    family, kw, upe, noise_type, horizon = _BY_ID[cid]
    spec_cls = TimmCosine if family == "cosine" else TimmTanh
    ks = np.arange(core.shape[1], dtype=np.int64)
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        viaxp = np.stack([spec_cls(base_lr=b, **kw, **_extras(upe, noise_type, horizon))(
            np, ks, np.float64) for b in BASES])
    assert_within(viaxp, core, "x64", "core numpy vs core scalar")


def test_worst_errors_summary(capsys):
    """Prints the worst error of every comparison, as a fraction of its bound and relative."""
    lines = []
    for cid in IDS:
        ref = _sequence(cid, "timm")
        cells = []
        for impl, kind in (("optax32", "float32"), ("optax64", "x64"), ("torch", "x64")):
            got = _sequence(cid, impl)
            ratio, _ = max_violation(got, ref, kind)
            rel = float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)))
            cells.append(f"{impl} {ratio:.3g} (rel {rel:.2e})")
            assert ratio <= 1
        lines.append(f"{cid:40s} n={ref.shape[1]:6d}  " + "  ".join(cells))
    with capsys.disabled():
        print("\nworst |error| / bound (and worst relative error) per comparison:\n"
              + "\n".join(lines))


# --------------------------------------------------------------------------- noise


@pytest.mark.parametrize("noise_type,pct,std", [("normal", 0.67, 1.0), ("normal", 0.3, 0.5),
                                                ("normal", 0.02, 1.0),  # long rejection runs
                                                ("uniform", 0.67, 1.0), ("uniform", 0.1, 1.0)])
@pytest.mark.parametrize("seed", [0, 42, 2**31 + 11, 2**32 - 150, 2**40 + 3])
def test_noise_bit_exact_vs_timm(noise_type, pct, std, seed):
    cosine, _ = load_timm()
    sched = cosine(_optimizer(), t_initial=10)
    sched.noise_type, sched.noise_pct, sched.noise_std = noise_type, pct, std
    sched.noise_seed = seed
    ref = np.asarray([sched._calculate_noise(t) for t in range(400)])
    np.testing.assert_array_equal(timm_noise(seed, 0, 400, noise_type, pct, std), ref)


def test_noise_many_seeds_bit_exact():
    cosine, _ = load_timm()
    sched = cosine(_optimizer(), t_initial=10)
    sched.noise_seed = 0
    ts = range(0, 3000)
    ref = np.asarray([sched._calculate_noise(t) for t in ts])
    np.testing.assert_array_equal(timm_noise(0, 0, 3000), ref)


# --------------------------------------------------------------------------- timm's quirks


def test_float_log_cycle_boundary_reproduced():
    """timm finds the cycle with ``log(1000, 10) = 2.9999999999999996``: at t = 111 (the exact
    start of cycle 3 for t_initial=1, cycle_mul=10) it gives the end of cycle 2 (lr_min)."""
    kw = dict(t_initial=1, cycle_mul=10.0, cycle_limit=5, lr_min=0.0, t_in_epochs=False,
              cycle_decay=0.5)
    ref = _timm_sequence("cosine", kw, 1, None, 115)
    at_111, at_112, at_11 = np.asarray(
        jax.jit(jax.vmap(timm_cosine(1.0, **kw)))(jnp.asarray([111, 112, 11])))
    assert ref[0, 111] == 0.0 and at_111 == 0.0
    assert at_112 == pytest.approx(ref[0, 112] / BASES[0], rel=1e-6)
    assert at_11 == pytest.approx(0.25)  # log(100, 10) == 2.0: a true restart


def test_update0_is_the_constructor_value():
    """timm's constructor writes the base LR (no warmup) without noise; tanh's curve at t = 0
    is below it."""
    kw = dict(t_initial=10, lb=-1.0, ub=1.0, noise_range_t=(0, 5), t_in_epochs=False)
    ref = _timm_sequence("tanh", kw, 1, None, 3)
    assert ref[0, 0] == BASES[0]
    assert float(jax.jit(timm_tanh(BASES[0], **kw))(0)) == pytest.approx(BASES[0], rel=1e-7)


def test_traced_base_lr_sweep():
    kw = dict(t_initial=12, cycle_mul=1.5, cycle_limit=2, warmup_t=3, noise_range_t=(2, 9),
              t_in_epochs=False)
    bases = jnp.asarray([0.1, 0.03])
    ks = jnp.arange(40)
    got = jax.jit(jax.vmap(lambda b: jax.vmap(timm_cosine(b, **kw))(ks)))(bases)
    ref = np.asarray(jax.jit(jax.vmap(lambda k: [timm_cosine(float(b), **kw)(k)
                                                 for b in BASES]))(ks))
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-6)


def test_torch_state_dict_roundtrip(tmp_path):
    kw = dict(t_initial=6, cycle_mul=1.5, cycle_limit=3, noise_range_t=[1, 8], k_decay=1.5)
    opt = _optimizer()
    sched = TimmCosineLR(opt, **kw, updates_per_epoch=2)
    for _ in range(5):
        opt.step()
        sched.step()
    path = tmp_path / "s.pt"
    torch.save(sched.state_dict(), path)
    state = torch.load(path, weights_only=True)
    opt2 = _optimizer()
    other = TimmCosineLR(opt2, t_initial=99)
    other.load_state_dict(state)
    assert other.lr_at(9) == sched.lr_at(9)
    assert other.updates_per_epoch == 2


# --------------------------------------------------------------------------- validation

BAD = [
    ("t_initial", dict(t_initial=0)),
    ("t_initial", dict(t_initial=2.0)),
    ("lr_min", dict(lr_min=-1e-3)),
    ("cycle_mul", dict(cycle_mul=0.5)),
    ("cycle_decay", dict(cycle_decay=0.0)),
    ("cycle_limit", dict(cycle_limit=-1)),
    ("warmup_t", dict(warmup_t=-2)),
    ("warmup_lr_init", dict(warmup_lr_init=float("nan"))),
    ("warmup_prefix", dict(warmup_prefix=1)),
    ("t_in_epochs", dict(t_in_epochs="yes")),
    ("updates_per_epoch", dict(updates_per_epoch=0)),
    ("noise_type", dict(noise_type="gauss")),
    ("noise_pct", dict(noise_pct=0.0, noise_range_t=(0, 5))),
    ("noise_std", dict(noise_std=-1.0)),
    ("noise_seed", dict(noise_seed=-1)),
    ("noise_range_t", dict(noise_range_t=(5, 2))),
    ("noise_range_t", dict(noise_range_t=(1, 2, 3))),
    ("noise_range_t", dict(noise_range_t=-1)),
    ("noise_horizon", dict(noise_range_t=3, lr_min=1e-4)),
    ("noise_horizon", dict(noise_range_t=(1, 3), noise_horizon=10)),
]


def _call_all(family, kw):
    """Raises from the optax factory, the core spec and the torch class alike."""
    base = {"t_initial": 10, **kw}
    errors = []
    factory = timm_cosine if family == "cosine" else timm_tanh
    spec = TimmCosine if family == "cosine" else TimmTanh
    cls = TimmCosineLR if family == "cosine" else TimmTanhLR
    for make in (lambda: factory(0.1, **base), lambda: spec(base_lr=0.1, **base)):
        with pytest.raises((ValueError, TypeError)) as info:
            make()
        errors.append(info)
    opt = _optimizer()
    with pytest.raises((ValueError, TypeError)) as info:
        cls(opt, **base)
    assert [g["lr"] for g in opt.param_groups] == list(BASES)  # untouched
    assert all("initial_lr" not in g for g in opt.param_groups)
    errors.append(info)
    return errors


@pytest.mark.parametrize("family", ["cosine", "tanh"])
@pytest.mark.parametrize("name,kw", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_input_names_argument(family, name, kw):
    for info in _call_all(family, kw):
        assert name in str(info.value)


@pytest.mark.parametrize("name,kw", [("k_decay", dict(k_decay=0.0)),
                                     ("k_decay", dict(k_decay=-1.0))])
def test_bad_k_decay(name, kw):
    for info in _call_all("cosine", kw):
        assert info.type is ValueError and name in str(info.value)


@pytest.mark.parametrize("kw", [dict(lb=3.0, ub=1.0), dict(lb=1.0, ub=1.0),
                                dict(ub=float("inf"))])
def test_bad_lb_ub(kw):
    for info in _call_all("tanh", kw):
        assert info.type is ValueError
        assert ("lb" in str(info.value)) or ("ub" in str(info.value))


def test_value_errors_for_ranges():
    """Out-of-range values (not wrong types) are ValueError."""
    for name, kw in BAD:
        if name in ("warmup_prefix", "t_in_epochs") or kw.get("t_initial") == 2.0:
            continue
        for info in _call_all("cosine", kw):
            assert info.type is ValueError, (name, kw, info.value)

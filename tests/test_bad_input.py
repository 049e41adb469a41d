"""Every public constructor rejects bad input before doing any work, naming the argument,
the value and the accepted range (docs/math.md, section 8)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import optax
import pytest
import torch

import optax_sched as o
import torch_compat as tc

NAN, INF = float("nan"), float("inf")

# (id, callable building the object, exception, regex the message must match)
OPTAX = [
    ("step-neg-lr", lambda: o.step_lr(-0.1, 5), ValueError, r"init_value must be in \[0.0"),
    ("step-nan-lr", lambda: o.step_lr(NAN, 5), ValueError, r"init_value must be a finite"),
    ("step-inf-lr", lambda: o.step_lr(INF, 5), ValueError, r"init_value must be a finite"),
    ("step-str-lr", lambda: o.step_lr("0.1", 5), TypeError, r"init_value must be a real"),
    ("step-zero-size", lambda: o.step_lr(0.1, 0), ValueError, r"step_size must be an integer >= 1, got 0"),
    ("step-neg-size", lambda: o.step_lr(0.1, -3), ValueError, r"step_size .* got -3"),
    ("step-float-size", lambda: o.step_lr(0.1, 2.0), TypeError, r"step_size must be an integer"),
    ("step-bool-size", lambda: o.step_lr(0.1, True), TypeError, r"step_size must be an integer"),
    ("step-zero-gamma", lambda: o.step_lr(0.1, 2, 0.0), ValueError, r"gamma must be in \(0.0"),
    ("step-neg-gamma", lambda: o.step_lr(0.1, 2, -0.5), ValueError, r"gamma .* got -0.5"),
    ("step-nan-gamma", lambda: o.step_lr(0.1, 2, NAN), ValueError, r"gamma must be a finite"),
    ("multi-negative", lambda: o.multistep_lr(0.1, [-1, 3]), ValueError, r"milestones\[0\] must be an integer >= 0"),
    ("multi-float", lambda: o.multistep_lr(0.1, [2.5]), TypeError, r"milestones\[0\] must be an integer"),
    ("multi-float", lambda: o.multistep_lr(0.1, [1.5]), TypeError, r"milestones\[0\] must be an integer"),
    ("multi-str", lambda: o.multistep_lr(0.1, "12"), TypeError, r"milestones must be a sequence"),
    ("exp-zero-gamma", lambda: o.exponential_lr(0.1, 0.0), ValueError, r"gamma must be in"),
    ("exp-neg-lr", lambda: o.exponential_lr(-1.0, 0.9), ValueError, r"init_value"),
    ("const-factor>1", lambda: o.constant_lr(0.1, factor=1.5), ValueError, r"factor must be in \[0.0, 1.0\], got 1.5"),
    ("const-factor<0", lambda: o.constant_lr(0.1, factor=-0.1), ValueError, r"factor must be in"),
    ("const-iters-0", lambda: o.constant_lr(0.1, total_iters=0), ValueError, r"total_iters must be an integer >= 1"),
    ("linear-start-0", lambda: o.linear_lr(0.1, start_factor=0.0), ValueError, r"start_factor must be in \(0.0, 1.0\]"),
    ("linear-start>1", lambda: o.linear_lr(0.1, start_factor=1.2), ValueError, r"start_factor"),
    ("linear-end>1", lambda: o.linear_lr(0.1, end_factor=2.0), ValueError, r"end_factor must be in"),
    ("linear-iters-neg", lambda: o.linear_lr(0.1, total_iters=-1), ValueError, r"total_iters"),
    ("poly-power-neg", lambda: o.polynomial_lr(0.1, power=-1.0), ValueError, r"power must be in \[0.0"),
    ("poly-iters-0", lambda: o.polynomial_lr(0.1, total_iters=0), ValueError, r"total_iters"),
    ("cos-tmax-0", lambda: o.cosine_annealing_lr(0.1, 0), ValueError, r"T_max must be an integer >= 1, got 0"),
    ("cos-tmax-huge", lambda: o.cosine_annealing_lr(0.1, 2**31), ValueError, r"T_max must be an integer <="),
    ("cos-eta-neg", lambda: o.cosine_annealing_lr(0.1, 10, -0.1), ValueError, r"eta_min must be in"),
    ("sgdr-t0-0", lambda: o.cosine_annealing_warm_restarts(0.1, 0), ValueError, r"T_0 must be an integer >= 1"),
    ("sgdr-tmult<1", lambda: o.cosine_annealing_warm_restarts(0.1, 5, T_mult=0.5), ValueError, r"T_mult must be in \[1.0"),
    ("sgdr-tmult-nan", lambda: o.cosine_annealing_warm_restarts(0.1, 5, T_mult=NAN), ValueError, r"T_mult must be a finite"),
    ("sgdr-tmult-tiny", lambda: o.cosine_annealing_warm_restarts(0.1, 1, T_mult=1.00001), ValueError, r"T_mult=1.00001 .* more than"),
    ("sgdr-decay-0", lambda: o.cosine_annealing_warm_restarts(0.1, 5, decay=0.0), ValueError, r"decay must be in \(0.0, 1.0\]"),
    ("sgdr-decay>1", lambda: o.cosine_annealing_warm_restarts(0.1, 5, decay=1.5), ValueError, r"decay"),
    ("sgdr-warmup-neg", lambda: o.cosine_annealing_warm_restarts(0.1, 5, warmup_steps=-1), ValueError, r"warmup_steps must be an integer >= 0"),
    ("1cyc-pct-0", lambda: o.one_cycle_lr(0.1, 100, pct_start=0.0), ValueError, r"pct_start must be in \(0.0, 1.0\), got 0.0"),
    ("1cyc-pct-1", lambda: o.one_cycle_lr(0.1, 100, pct_start=1.0), ValueError, r"pct_start must be in"),
    ("1cyc-pct-neg", lambda: o.one_cycle_lr(0.1, 100, pct_start=-0.3), ValueError, r"pct_start"),
    ("1cyc-3ph-pct", lambda: o.one_cycle_lr(0.1, 100, pct_start=0.7, three_phase=True), ValueError, r"pct_start must be in \(0, 0.5\]"),
    ("1cyc-total-1", lambda: o.one_cycle_lr(0.1, 1), ValueError, r"total_steps must be an integer >= 2"),
    ("1cyc-anneal", lambda: o.one_cycle_lr(0.1, 10, anneal_strategy="cosine"), ValueError, r"anneal_strategy must be one of \['cos', 'linear'\], got 'cosine'"),
    ("1cyc-div-0", lambda: o.one_cycle_lr(0.1, 10, div_factor=0.0), ValueError, r"div_factor must be in"),
    ("1cyc-fdiv-neg", lambda: o.one_cycle_lr(0.1, 10, final_div_factor=-1.0), ValueError, r"final_div_factor"),
    ("1cyc-3ph-str", lambda: o.one_cycle_lr(0.1, 10, three_phase="yes"), TypeError, r"three_phase must be a bool"),
    ("1cycm-mom-nan", lambda: o.one_cycle_momentum(10, max_momentum=float("nan")), ValueError, r"max_momentum must be a finite number in \[0.0, inf\)"),
    ("1cycm-mom<0", lambda: o.one_cycle_momentum(10, base_momentum=-0.1), ValueError, r"base_momentum"),
    ("cyc-mode", lambda: o.cyclic_lr(0.1, 1.0, mode="sine"), ValueError, r"mode must be one of \['triangular', 'triangular2', 'exp_range'\], got 'sine'"),
    ("cyc-up-0", lambda: o.cyclic_lr(0.1, 1.0, step_size_up=0), ValueError, r"step_size_up must be an integer >= 1"),
    ("cyc-down-0", lambda: o.cyclic_lr(0.1, 1.0, step_size_down=0), ValueError, r"step_size_down must be"),
    ("cyc-scale-mode", lambda: o.cyclic_lr(0.1, 1.0, scale_mode="epoch"), ValueError, r"scale_mode must be one of \['cycle', 'iterations'\]"),
    ("cyc-scale-fn", lambda: o.cyclic_lr(0.1, 1.0, scale_fn=3), TypeError, r"scale_fn must be callable"),
    ("cyc-gamma-0", lambda: o.cyclic_lr(0.1, 1.0, gamma=0.0), ValueError, r"gamma must be in"),
    ("cyc-neg-base", lambda: o.cyclic_lr(-0.1, 1.0), ValueError, r"base_lr must be in"),
    ("cycm-mom<0", lambda: o.cyclic_momentum(base_momentum=-2.0), ValueError, r"base_momentum must be in \[0.0, inf\)"),
    ("lambda-not-callable", lambda: o.lambda_lr(0.1, 3), TypeError, r"fn must be callable"),
    ("seq-empty", lambda: o.sequential_lr([], []), TypeError, r"schedules must be a non-empty sequence"),
    ("seq-len", lambda: o.sequential_lr([o.step_lr(0.1, 2)] * 2, [3, 5]), ValueError, r"milestones must have len\(schedules\) - 1 = 1 entries, got 2"),
    ("seq-repeat", lambda: o.sequential_lr([o.step_lr(0.1, 2)] * 3, [3, 3]), ValueError, r"milestones must be strictly increasing"),
    ("lw-neg-warmup", lambda: o.linear_warmup(0.1, -1), ValueError, r"warmup_steps must be an integer >= 0, got -1"),
    ("lw-neg-lr", lambda: o.linear_warmup(-0.1, 5), ValueError, r"base_lr must be in"),
    ("ew-start-0", lambda: o.exponential_warmup(0.1, 5, start_lr=0.0), ValueError, r"start_lr must be in \(0.0, 0.1\]"),
    ("ew-start>base", lambda: o.exponential_warmup(0.1, 5, start_lr=0.5), ValueError, r"start_lr must be in"),
    ("ew-base-0", lambda: o.exponential_warmup(0.0, 5), ValueError, r"base_lr must be in \(0.0"),
    ("cw-float-steps", lambda: o.cosine_warmup(0.1, 2.5), TypeError, r"warmup_steps must be an integer"),
    ("wd-warmup>total", lambda: o.warmup_with_decay(0.1, 20, 10), ValueError, r"total_steps must be > warmup_steps=20, got 10"),
    ("wd-warmup=total", lambda: o.warmup_with_decay(0.1, 10, 10), ValueError, r"total_steps must be > warmup_steps"),
    ("wd-min-neg", lambda: o.warmup_with_decay(0.1, 1, 10, min_lr=-1.0), ValueError, r"min_lr must be in"),
    ("ec-step-1", lambda: o.exponential_cyclic_lr(0.1, 1.0, 1), ValueError, r"step_size must be an integer >= 2, got 1"),
    ("ec-gamma>1", lambda: o.exponential_cyclic_lr(0.1, 1.0, 10, gamma=1.5), ValueError, r"gamma must be in \(0.0, 1.0\]"),
    ("list-empty", lambda: o.list_schedule([]), ValueError, r"values must be a non-empty 1-D"),
    ("list-2d", lambda: o.list_schedule([[0.1], [0.2]]), ValueError, r"values must be a non-empty 1-D"),
    ("list-nan", lambda: o.list_schedule([0.1, NAN]), ValueError, r"values must be finite and >= 0"),
    ("list-neg", lambda: o.list_schedule([0.1, -0.2]), ValueError, r"values must be finite and >= 0"),
    ("rf-steps-1", lambda: o.range_finder(1), ValueError, r"num_steps must be an integer >= 2"),
    ("rf-start>=end", lambda: o.range_finder(10, start_lr=1.0, end_lr=0.1), ValueError, r"end_lr must be in \(1.0"),
    ("rf-start-0", lambda: o.range_finder(10, start_lr=0.0), ValueError, r"start_lr must be in \(0.0"),
    ("ocp-steps-2", lambda: o.one_cycle_policy(0.1, 2), ValueError, r"num_steps must be an integer >= 3"),
    ("ocp-range-order", lambda: o.one_cycle_policy(0.1, 10, (0.95, 0.85)), ValueError, r"momentum_range\[1\] must be in \[0.95"),
    ("ocp-range-len", lambda: o.one_cycle_policy(0.1, 10, (0.9,)), TypeError, r"momentum_range must be a pair"),
    ("gra-final>init", lambda: o.gracos(0.01, 0.1, 10, 3), ValueError, r"final_lr must be in \[0.0, 0.01\], got 0.1"),
    ("gra-warmup>=total", lambda: o.gracos(0.1, 0.01, 10, 3, warmup_epochs=3), ValueError, r"warmup_epochs must be an integer <= 2, got 3"),
    ("gra-mode", lambda: o.gracos(0.1, 0.01, 10, 3, mode="fast"), ValueError, r"mode must be one of \['normal', 'auto', 'constant'\], got 'fast'"),
    ("gra-spe-0", lambda: o.gracos(0.1, 0.01, 0, 3), ValueError, r"steps_per_epoch must be an integer >= 1"),
    ("gra-epochs-0", lambda: o.gracos(0.1, 0.01, 10, 0), ValueError, r"total_epochs must be an integer >= 1"),
    ("gra-init-0", lambda: o.gracos(0.0, 0.0, 10, 3), ValueError, r"initial_lr must be in \(0.0"),
    ("gra-amp-neg", lambda: o.gracos(0.1, 0.01, 10, 3, amplitude=-1.0), ValueError, r"amplitude"),
    ("gra-freq-0", lambda: o.gracos(0.1, 0.01, 10, 3, frequency=0), ValueError, r"frequency must be an integer >= 1"),
    ("gra-freq-huge", lambda: o.gracos(0.1, 0.01, 100_000, 3, frequency=50_000), ValueError, r"frequency \* steps_per_epoch must be <="),
    ("gra-oop-str", lambda: o.gracos(0.1, 0.01, 10, 3, out_of_phase="yes"), TypeError, r"out_of_phase must be a bool"),
    ("gra-inner", lambda: o.gracos(0.1, 0.01, 10, 3, inner=optax.adam), TypeError, r"inner must be an optax.GradientTransformation"),
    ("rop-factor-1", lambda: o.reduce_on_plateau(0.1, factor=1.0), ValueError, r"factor must be in \(0.0, 1.0\), got 1.0"),
    ("rop-mode", lambda: o.reduce_on_plateau(0.1, mode="up"), ValueError, r"mode must be one of \['min', 'max'\], got 'up'"),
    ("rop-thr-mode", lambda: o.reduce_on_plateau(0.1, threshold_mode="relative"), ValueError, r"threshold_mode must be one of \['rel', 'abs', 'rel_abs'\]"),
    ("rop-patience", lambda: o.reduce_on_plateau(0.1, patience=-1), ValueError, r"patience must be an integer >= 0"),
    ("rop-cooldown", lambda: o.reduce_on_plateau(0.1, cooldown=1.5), TypeError, r"cooldown must be an integer"),
    ("rop-thr-neg", lambda: o.reduce_on_plateau(0.1, threshold=-1e-4), ValueError, r"threshold must be in"),
    ("rop-init-nan", lambda: o.reduce_on_plateau(NAN), ValueError, r"init_value must be a finite"),
    ("ada-lr-0", lambda: o.adaptive(0.0), ValueError, r"base_lr must be in \(0.0"),
    ("ada-rule", lambda: o.adaptive(0.1, lr_rules={"speed": 1.0}), ValueError, r"unknown rule 'speed'; valid rules: \['trend', 'variance', 'grad_norm', 'cyclical'\]"),
    ("ada-mom-rule", lambda: o.adaptive(0.1, momentum_rules={"inverse": 1, "exp": 1}), ValueError, r"unknown rule 'exp'"),
    ("ada-weights-0", lambda: o.adaptive(0.1, lr_rules={"trend": 0}), ValueError, r"positive sum"),
    ("ada-rules-list", lambda: o.adaptive(0.1, lr_rules=["trend"]), TypeError, r"lr_rules must be a non-empty dict"),
    ("ada-optimizer", lambda: o.adaptive(0.1, base_optimizer="lion"), ValueError, r"base_optimizer must be one of \['sgd', 'adam'\]"),
    ("ada-dyn-str", lambda: o.adaptive(0.1, dynamic_weights="yes"), TypeError, r"dynamic_weights must be a bool"),
    ("ada-thr-neg", lambda: o.adaptive(0.1, freeze_threshold=-1.0), ValueError, r"freeze_threshold"),
    ("inject-factory", lambda: o.inject_schedules(3), TypeError, r"inner_factory must be callable"),
    ("finder-steps", lambda: o.lr_finder(lambda p, b: 0.0, {}, [0], optax.sgd, num_steps=1), ValueError, r"num_steps must be an integer >= 2"),
    ("finder-smooth", lambda: o.lr_finder(lambda p, b: 0.0, {}, [0], optax.sgd, smooth=0.0), ValueError, r"smooth must be in \(0.0, 1.0\]"),
    ("from-name", lambda: o.from_name("cosine"), KeyError, r"unknown schedule 'cosine'"),
    # Hugging Face family and warmup-stable-decay
    ("hf-linear-t<=w", lambda: o.linear_with_warmup(0.1, 10, 10), ValueError, r"num_training_steps must be > num_warmup_steps=10, got 10"),
    ("hf-cosine-cycles", lambda: o.cosine_with_warmup(0.1, 1, 10, num_cycles=-1), ValueError, r"num_cycles must be in \[0.0, inf\), got -1"),
    ("hf-cosine-w-neg", lambda: o.cosine_with_warmup(0.1, -1, 10), ValueError, r"num_warmup_steps must be an integer >= 0, got -1"),
    ("hf-minlr-both", lambda: o.cosine_with_min_lr_with_warmup(0.1, 1, 10, min_lr=0.01, min_lr_rate=0.1), ValueError, r"exactly one of min_lr or min_lr_rate"),
    ("hf-minlr-none", lambda: o.cosine_with_min_lr_with_warmup(0.1, 1, 10), ValueError, r"exactly one of min_lr or min_lr_rate"),
    ("hf-minlr-big", lambda: o.cosine_with_min_lr_with_warmup(0.1, 1, 10, min_lr=0.5), ValueError, r"min_lr must be in \[0.0, 0.1\], got 0.5"),
    ("hf-poly-end", lambda: o.polynomial_decay_with_warmup(0.1, 1, 10, lr_end=0.1), ValueError, r"lr_end must be in \[0.0, 0.1\), got 0.1"),
    ("hf-poly-power", lambda: o.polynomial_decay_with_warmup(0.1, 1, 10, power=0), ValueError, r"power must be in \(0.0, inf\), got 0"),
    ("hf-invsqrt-ts", lambda: o.inverse_sqrt(0.1, 4, timescale=0), ValueError, r"timescale must be an integer >= 1, got 0"),
    ("wsd-no-length", lambda: o.warmup_stable_decay(0.1, 2, 3), ValueError, r"either num_training_steps or num_stable_steps must be given"),
    ("wsd-too-long", lambda: o.warmup_stable_decay(0.1, 6, 6, num_training_steps=10), ValueError, r"num_warmup_steps \+ num_decay_steps = 12 must be <= num_training_steps=10"),
    ("wsd-type", lambda: o.warmup_stable_decay(0.1, 2, 3, num_training_steps=10, decay_type="exp"), ValueError, r"decay_type must be one of \['linear', 'cosine', '1-sqrt'\], got 'exp'"),
    ("wsd-fraction", lambda: o.warmup_stable_decay(0.1, 0.1, 3, num_stable_steps=4), ValueError, r"num_warmup_steps=0.1 is a fraction of the run: num_training_steps must be given"),
    ("wsd-ratio", lambda: o.warmup_stable_decay(0.1, 2, 3, num_training_steps=10, min_lr_ratio=2.0), ValueError, r"min_lr_ratio must be in \[0.0, 1.0\], got 2.0"),
]


def _opt(kind="sgd", groups=1):
    params = [{"params": [torch.nn.Parameter(torch.zeros(2))]} for _ in range(groups)]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return torch.optim.Adagrad(params, lr=0.1)


TORCH = [
    ("t-not-optimizer", lambda: tc.StepLR("opt", 3), TypeError, r"optimizer must be a torch.optim.Optimizer, got str"),
    ("t-step-0", lambda: tc.StepLR(_opt(), 0), ValueError, r"step_size must be an integer >= 1, got 0"),
    ("t-last-epoch", lambda: tc.StepLR(_opt(), 3, last_epoch=-2), ValueError, r"last_epoch must be an integer >= -1"),
    ("t-multi-str", lambda: tc.MultiStepLR(_opt(), "35"), TypeError, r"milestones must be a sequence of integers"),
    ("t-const-factor", lambda: tc.ConstantLR(_opt(), factor=2.0), ValueError, r"factor must be in"),
    ("t-linear-start", lambda: tc.LinearLR(_opt(), start_factor=0.0), ValueError, r"start_factor"),
    ("t-exp-gamma", lambda: tc.ExponentialLR(_opt(), -1.0), ValueError, r"gamma"),
    ("t-poly-power", lambda: tc.PolynomialLR(_opt(), power=NAN), ValueError, r"power must be a finite"),
    ("t-cos-tmax", lambda: tc.CosineAnnealingLR(_opt(), -5), ValueError, r"T_max must be an integer >= 1, got -5"),
    ("t-sgdr-tmult", lambda: tc.CosineAnnealingWarmRestarts(_opt(), 5, T_mult=0), ValueError, r"T_mult must be in \[1.0"),
    ("t-1cyc-none", lambda: tc.OneCycleLR(_opt(), 0.1), ValueError, r"total_steps OR \(epochs AND steps_per_epoch\)"),
    ("t-1cyc-epochs", lambda: tc.OneCycleLR(_opt(), 0.1, epochs=0, steps_per_epoch=5), ValueError, r"epochs must be an integer >= 1"),
    ("t-1cyc-pct", lambda: tc.OneCycleLR(_opt(), 0.1, total_steps=10, pct_start=1.2), ValueError, r"pct_start must be in"),
    ("t-1cyc-groups", lambda: tc.OneCycleLR(_opt(groups=2), [0.1], total_steps=10), ValueError, r"max_lr must have one entry per param group \(2\), got 1"),
    ("t-1cyc-no-mom", lambda: tc.OneCycleLR(_opt("adagrad"), 0.1, total_steps=10), ValueError, r"Adagrad has neither 'momentum' nor 'betas'"),
    ("t-cyc-no-mom", lambda: tc.CyclicLR(_opt("adagrad"), 0.1, 1.0), ValueError, r"neither 'momentum' nor 'betas'"),
    ("t-cyc-mode", lambda: tc.CyclicLR(_opt(), 0.1, 1.0, mode="saw"), ValueError, r"mode must be one of"),
    ("t-cyc-base-type", lambda: tc.CyclicLR(_opt(), "0.1", 1.0), TypeError, r"base_lr must be a number"),
    ("t-lambda-count", lambda: tc.LambdaLR(_opt(groups=2), [lambda k: 1.0]), ValueError, r"lr_lambda must be a callable or a list of 2 callables"),
    ("t-lambda-type", lambda: tc.LambdaLR(_opt(), 3), TypeError, r"lr_lambda must be callable"),
    ("t-seq-type", lambda: tc.SequentialLR(_opt(), [object()], []), TypeError, r"at index 0 should have `optimizer` as its attribute"),
    ("t-seq-milestones", lambda: (lambda op: tc.SequentialLR(op, [tc.StepLR(op, 2), tc.StepLR(op, 3)], [4, 6]))(_opt()), ValueError, r"number of schedulers provided to be one more than the number of milestone points"),
    ("t-swa-strategy", lambda: tc.SWALR(_opt(), swa_lr=1.0, anneal_strategy="exponential"), ValueError, r"anneal_strategy must be one of 'cos' or 'linear'"),
    ("t-swa-epochs", lambda: tc.SWALR(_opt(), swa_lr=1.0, anneal_epochs=1.7), ValueError, r"anneal_epochs must be an integer >= 0, got 1.7"),
    ("t-swa-list", lambda: tc.SWALR(_opt(), swa_lr=[1.0, 0.1, 0.01]), ValueError, r"swa_lr must have one entry per param group"),
    ("t-mult-callable", lambda: tc.MultiplicativeLR(_opt(), lr_lambda=0.95), TypeError, r"lr_lambda must be callable, got 0.95"),
    ("swa-strategy", lambda: o.swalr(0.1, 0.01, anneal_strategy="exp"), ValueError, r"anneal_strategy must be one of \['cos', 'linear'\]"),
    ("chained-overwrite", lambda: o.chained_scheduler([o.one_cycle_lr(0.1, 10), o.exponential_lr(0.1, 0.9)]), ValueError, r"specs\[0\] \(OneCycleLR\) is not chainable"),
    ("chained-plain", lambda: o.chained_scheduler([lambda k: 0.1]), TypeError, r"schedules\[0\] must be a schedule made by optax_sched"),
    ("t-lw-warmup", lambda: tc.LinearWarmup(_opt(), None, -2), ValueError, r"warmup_steps must be an integer >= 0, got -2"),
    ("t-wd-total", lambda: tc.WarmupWithDecay(_opt(), 0.1, 10, 5), ValueError, r"total_steps must be > warmup_steps=10, got 5"),
    ("t-ec-step", lambda: tc.ExponentialCyclicLR(_opt(), 0.1, 1.0, 0), ValueError, r"step_size must be an integer >= 2"),
    ("t-list-rows", lambda: tc.ListScheduler(_opt(groups=2), [[0.1], [0.2], [0.3]]), ValueError, r"one row per param group \(2\), got 3"),
    ("t-list-3d", lambda: tc.ListScheduler(_opt(), [[[0.1]]]), ValueError, r"lrs must be 1-D"),
    ("t-list-mom", lambda: tc.ListScheduler(_opt("adagrad"), [0.1], momentums=[0.9]), ValueError, r"momentums given"),
    ("t-lsched-mom", lambda: tc.LambdaScheduler(_opt("adagrad"), lambda k: 1, lambda k: 1), ValueError, r"momentum_lambda given"),
    ("t-rf-steps", lambda: tc.RangeFinder(_opt(), 1), ValueError, r"num_steps must be an integer >= 2"),
    ("t-ocp-range", lambda: tc.OneCyclePolicy(_opt(), 0.1, 10, (0.9, 1.5)), ValueError, r"momentum_range\[1\] must be in"),
    ("t-ocp-no-mom", lambda: tc.OneCyclePolicy(_opt("adagrad"), 0.1, 10), ValueError, r"momentum_range=None"),
    ("t-gra-final", lambda: tc.GraCos(_opt(), 0.01, 0.1, 10, 3), ValueError, r"final_lr must be in"),
    ("t-gra-warmup", lambda: tc.GraCos(_opt(), 0.1, 0.01, 10, 2, warmup_epochs=2), ValueError, r"warmup_epochs must be an integer <= 1"),
    ("t-rop-mode", lambda: tc.ReduceLROnPlateau(_opt(), mode="up"), ValueError, r"mode must be one of"),
    ("t-rop-factor", lambda: tc.ReduceLROnPlateau(_opt(), factor=0.0), ValueError, r"factor must be in \(0.0, 1.0\)"),
    ("t-rop-minlr", lambda: tc.ReduceLROnPlateau(_opt(groups=2), min_lr=[0.1]), ValueError, r"min_lr must have one entry per param group"),
    ("t-ada-model", lambda: tc.AdaptiveScheduler(_opt(), "model"), TypeError, r"model must be a torch.nn.Module"),
    ("t-ada-no-mom", lambda: tc.AdaptiveScheduler(_opt("adagrad"), torch.nn.Linear(2, 1)), ValueError, r"neither 'momentum' nor 'betas'"),
    ("t-ada-mode", lambda: tc.AdaptiveScheduler(_opt(), torch.nn.Linear(2, 1), freeze_mode="hard"), ValueError, r"freeze_mode must be one of \['mask', 'requires_grad'\]"),
    ("t-ada-no-params", lambda: tc.AdaptiveScheduler(_opt(), torch.nn.Linear(2, 1)), ValueError, r"no trainable parameters that are in the optimizer"),
    ("t-finder-model", lambda: tc.LRFinder("m", _opt(), None), TypeError, r"model must be a torch.nn.Module"),
    ("t-from-name", lambda: tc.from_name("cosine", _opt()), KeyError, r"unknown schedule 'cosine'"),
    ("t-hf-linear", lambda: tc.LinearWithWarmup(_opt(), 5, 3), ValueError, r"num_training_steps must be > num_warmup_steps=5, got 3"),
    ("t-hf-poly-end", lambda: tc.PolynomialDecayWithWarmup(_opt(), 1, 10, lr_end=1.0), ValueError, r"lr_end must be < the optimizer's lr="),
    ("t-hf-minlr", lambda: tc.CosineWithMinLRWithWarmup(_opt(), 1, 10), ValueError, r"exactly one of min_lr or min_lr_rate"),
    ("t-wsd-type", lambda: tc.WarmupStableDecay(_opt(), 1, 2, 10, warmup_type="exp"), ValueError, r"warmup_type must be one of"),
    ("t-invsqrt-opt", lambda: tc.InverseSqrt("opt", 4), TypeError, r"optimizer must be a torch.optim.Optimizer, got str"),
]

CASES = OPTAX + TORCH


def test_there_are_at_least_100_bad_inputs():
    assert len(CASES) >= 100


@pytest.mark.parametrize("build,exc,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(build, exc, pattern):
    with pytest.raises(exc, match=pattern):
        build()


def test_torch_constructor_errors_leave_the_optimizer_untouched():
    opt = _opt()
    before = [dict(g) for g in opt.param_groups]
    for build in (lambda: tc.OneCycleLR(opt, 0.1, total_steps=10, pct_start=2.0),
                  lambda: tc.CyclicLR(opt, 0.1, 1.0, mode="saw"),
                  lambda: tc.WarmupWithDecay(opt, 0.1, 10, 5),
                  lambda: tc.CosineAnnealingLR(opt, 0)):
        with pytest.raises(ValueError):
            build()
    assert [dict(g) for g in opt.param_groups] == before


def test_traced_lr_scale_arguments_are_accepted_and_do_not_recompile():
    import jax

    traces = []

    @jax.jit
    def f(lr, eta):
        traces.append(1)
        return jax.vmap(o.cosine_annealing_lr(lr, 10, eta))(jnp.arange(12))

    a = f(0.1, 0.01)
    b = f(0.3, 0.0)
    assert len(traces) == 1
    assert math.isclose(float(a[0]), 0.1, rel_tol=1e-6) and math.isclose(float(b[0]), 0.3,
                                                                        rel_tol=1e-6)
    sweep = jax.vmap(lambda lr: o.one_cycle_lr(lr, 20)(5))(jnp.asarray([0.1, 1.0]))
    assert math.isclose(float(sweep[1]), 10 * float(sweep[0]), rel_tol=1e-5)

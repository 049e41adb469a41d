"""optax_sched: learning-rate and momentum schedules as Optax objects.

Pure schedules are ``optax.Schedule`` closures (``count -> value``); the value
returned for ``k`` is the one used by update ``k`` (0-based). The formulas live
in ``sched_core`` and are shared with ``torch_compat``.
"""

__version__ = "0.1.0"

try:  # a clear message instead of a raw ModuleNotFoundError when the extra is missing
    import jax  # noqa: F401
    import optax  # noqa: F401
except ImportError as _e:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"optax_sched needs JAX and Optax, which could not be imported ({_e}): "
        "pip install 'optax-sched[jax]'") from _e


from optax_sched._adaptive import AdaptiveState
from optax_sched._adaptive import adaptive
from optax_sched._adaptive import adaptive_snapshot
from optax_sched._by_name import config_of
from optax_sched._by_name import from_config
from optax_sched._by_name import from_name
from optax_sched._finder import lr_finder
from optax_sched._from_torch import from_torch
from optax_sched._gracos import GraCosState
from optax_sched._gracos import gracos
from optax_sched._gracos import leaf_names
from optax_sched._hf import constant_with_warmup
from optax_sched._hf import cosine_with_hard_restarts_with_warmup
from optax_sched._hf import cosine_with_min_lr_with_warmup
from optax_sched._hf import cosine_with_warmup
from optax_sched._hf import inverse_sqrt
from optax_sched._hf import linear_with_warmup
from optax_sched._hf import polynomial_decay_with_warmup
from optax_sched._hf import warmup_stable_decay
from optax_sched._inject import InjectSchedulesState
from optax_sched._inject import current_lr
from optax_sched._inject import current_momentum
from optax_sched._inject import inject_schedules
from optax_sched._inject import register_reader
from optax_sched._plateau import ReduceOnPlateauState
from optax_sched._plateau import reduce_on_plateau
from optax_sched._schedules import chained_scheduler
from optax_sched._schedules import constant_lr
from optax_sched._schedules import cosine_annealing_lr
from optax_sched._schedules import cosine_annealing_warm_restarts
from optax_sched._schedules import cosine_warmup
from optax_sched._schedules import cyclic_lr
from optax_sched._schedules import cyclic_momentum
from optax_sched._schedules import exponential_cyclic_lr
from optax_sched._schedules import exponential_lr
from optax_sched._schedules import exponential_warmup
from optax_sched._schedules import from_core
from optax_sched._schedules import lambda_lr
from optax_sched._schedules import linear_lr
from optax_sched._schedules import linear_warmup
from optax_sched._schedules import list_schedule
from optax_sched._schedules import multiplicative_lr
from optax_sched._schedules import multistep_lr
from optax_sched._schedules import one_cycle_lr
from optax_sched._schedules import one_cycle_momentum
from optax_sched._schedules import one_cycle_policy
from optax_sched._schedules import polynomial_lr
from optax_sched._schedules import range_finder
from optax_sched._schedules import sequential_lr
from optax_sched._schedules import step_lr
from optax_sched._schedules import swalr
from optax_sched._schedules import warmup_with_decay
from optax_sched._timm import timm_cosine
from optax_sched._timm import timm_tanh

__all__ = (
    "__version__",
    "AdaptiveState",
    "adaptive",
    "adaptive_snapshot",
    "ReduceOnPlateauState",
    "reduce_on_plateau",
    "GraCosState",
    "gracos",
    "InjectSchedulesState",
    "chained_scheduler",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cosine_warmup",
    "current_lr",
    "current_momentum",
    "cyclic_lr",
    "cyclic_momentum",
    "exponential_cyclic_lr",
    "exponential_lr",
    "exponential_warmup",
    "from_core",
    "config_of",
    "from_config",
    "from_name",
    "from_torch",
    "inject_schedules",
    "lambda_lr",
    "leaf_names",
    "linear_lr",
    "lr_finder",
    "linear_warmup",
    "list_schedule",
    "multiplicative_lr",
    "multistep_lr",
    "one_cycle_lr",
    "one_cycle_momentum",
    "one_cycle_policy",
    "polynomial_lr",
    "range_finder",
    "register_reader",
    "sequential_lr",
    "step_lr",
    "swalr",
    "warmup_with_decay",
    "timm_cosine",
    "timm_tanh",
    "constant_with_warmup",
    "cosine_with_hard_restarts_with_warmup",
    "cosine_with_min_lr_with_warmup",
    "cosine_with_warmup",
    "inverse_sqrt",
    "linear_with_warmup",
    "polynomial_decay_with_warmup",
    "warmup_stable_decay",
)

"""Framework-free schedule formulas (numpy only; never imports jax or torch).

Every formula is written once here against an explicit array namespace ``xp``.
``optax_sched`` evaluates them with ``jax.numpy`` and ``torch_compat`` with
numpy float64. See ``docs/math.md`` for the mathematics and conventions.
"""

__version__ = "0.1.0"


from sched_core import _validate as validate
from sched_core._adaptive import AdaptiveConfig
from sched_core._compose import SWALR
from sched_core._compose import Chained
from sched_core._compose import MultiplicativeLR
from sched_core._compose import Sequential
from sched_core._compose import Warmup
from sched_core._compose import chain_step
from sched_core._compose import segment
from sched_core._config import spec_config
from sched_core._finder import LRFinderResult
from sched_core._gracos import GraCosConfig
from sched_core._hf import ConstantWithWarmup
from sched_core._hf import CosineWithHardRestartsWithWarmup
from sched_core._hf import CosineWithMinLRWithWarmup
from sched_core._hf import CosineWithWarmup
from sched_core._hf import InverseSqrt
from sched_core._hf import LinearWithWarmup
from sched_core._hf import PolynomialDecayWithWarmup
from sched_core._hf import WarmupStableDecay
from sched_core._plateau import PlateauConfig
from sched_core._scalar import SCALAR
from sched_core._schedules import COUNT_LIMIT
from sched_core._schedules import ConstantLR
from sched_core._schedules import CosineAnnealingLR
from sched_core._schedules import CosineAnnealingWarmRestarts
from sched_core._schedules import CosineDecay
from sched_core._schedules import CosineWarmup
from sched_core._schedules import CyclicLR
from sched_core._schedules import CyclicMomentum
from sched_core._schedules import ExponentialCyclicLR
from sched_core._schedules import ExponentialLR
from sched_core._schedules import ExponentialWarmup
from sched_core._schedules import LambdaLR
from sched_core._schedules import LinearLR
from sched_core._schedules import LinearWarmup
from sched_core._schedules import ListSchedule
from sched_core._schedules import MultiStepLR
from sched_core._schedules import OneCycleLR
from sched_core._schedules import OneCycleMomentum
from sched_core._schedules import OneCyclePolicyLR
from sched_core._schedules import OneCyclePolicyMomentum
from sched_core._schedules import PolynomialLR
from sched_core._schedules import RangeFinder
from sched_core._schedules import Schedule
from sched_core._schedules import StepLR
from sched_core._schedules import WarmupWithDecay
from sched_core._schedules import restart_table
from sched_core._timm import TimmCosine
from sched_core._timm import TimmTanh

__all__ = (
    "__version__",
    "AdaptiveConfig",
    "Chained",
    "COUNT_LIMIT",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CosineDecay",
    "CosineWarmup",
    "CyclicLR",
    "CyclicMomentum",
    "ExponentialCyclicLR",
    "ExponentialLR",
    "ExponentialWarmup",
    "GraCosConfig",
    "ConstantWithWarmup",
    "CosineWithHardRestartsWithWarmup",
    "CosineWithMinLRWithWarmup",
    "CosineWithWarmup",
    "InverseSqrt",
    "LinearWithWarmup",
    "PolynomialDecayWithWarmup",
    "WarmupStableDecay",
    "LRFinderResult",
    "MultiplicativeLR",
    "LambdaLR",
    "LinearLR",
    "LinearWarmup",
    "ListSchedule",
    "MultiStepLR",
    "OneCycleLR",
    "OneCycleMomentum",
    "OneCyclePolicyLR",
    "OneCyclePolicyMomentum",
    "PlateauConfig",
    "PolynomialLR",
    "RangeFinder",
    "SWALR",
    "Schedule",
    "SCALAR",
    "Sequential",
    "StepLR",
    "TimmCosine",
    "TimmTanh",
    "Warmup",
    "WarmupWithDecay",
    "chain_step",
    "restart_table",
    "segment",
    "spec_config",
    "validate",
)

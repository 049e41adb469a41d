"""torch_compat: optax_sched's schedules as ``torch.optim.lr_scheduler.LRScheduler`` classes.

Same formulas as ``optax_sched`` (both evaluate ``sched_core``), so PyTorch and JAX
code get identical LR and momentum sequences. Importing this package never imports jax.
"""

__version__ = "0.1.0"

try:  # a clear message instead of a raw ModuleNotFoundError when the extra is missing
    import torch  # noqa: F401
except ImportError as _e:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"torch_compat needs PyTorch, which could not be imported ({_e}): "
        "pip install 'optax-sched[torch]'") from _e


from torch_compat._adaptive import AdaptiveScheduler
from torch_compat._base import CoreLRScheduler
from torch_compat._base import read_momentum
from torch_compat._base import write_momentum
from torch_compat._by_name import config_of
from torch_compat._by_name import from_config
from torch_compat._by_name import from_name
from torch_compat._finder import LRFinder
from torch_compat._gracos import GraCos
from torch_compat._gracos import GraCosOOP
from torch_compat._gracos import per_tensor_param_groups
from torch_compat._hf import ConstantWithWarmup
from torch_compat._hf import CosineWithHardRestartsWithWarmup
from torch_compat._hf import CosineWithMinLRWithWarmup
from torch_compat._hf import CosineWithWarmup
from torch_compat._hf import InverseSqrt
from torch_compat._hf import LinearWithWarmup
from torch_compat._hf import PolynomialDecayWithWarmup
from torch_compat._hf import WarmupStableDecay
from torch_compat._plateau import ReduceLROnPlateau
from torch_compat._schedulers import SWALR
from torch_compat._schedulers import ChainedScheduler
from torch_compat._schedulers import ConstantLR
from torch_compat._schedulers import CosineAnnealingLR
from torch_compat._schedulers import CosineAnnealingWarmRestarts
from torch_compat._schedulers import CosineWarmup
from torch_compat._schedulers import CyclicLR
from torch_compat._schedulers import ExponentialCyclicLR
from torch_compat._schedulers import ExponentialLR
from torch_compat._schedulers import ExponentialWarmup
from torch_compat._schedulers import LambdaLR
from torch_compat._schedulers import LambdaScheduler
from torch_compat._schedulers import LinearLR
from torch_compat._schedulers import LinearWarmup
from torch_compat._schedulers import ListScheduler
from torch_compat._schedulers import MultiplicativeLR
from torch_compat._schedulers import MultiStepLR
from torch_compat._schedulers import OneCycleLR
from torch_compat._schedulers import OneCyclePolicy
from torch_compat._schedulers import PolynomialLR
from torch_compat._schedulers import RangeFinder
from torch_compat._schedulers import SequentialLR
from torch_compat._schedulers import StepLR
from torch_compat._schedulers import WarmupWithDecay
from torch_compat._timm import TimmCosineLR
from torch_compat._timm import TimmTanhLR

__all__ = (
    "__version__",
    "AdaptiveScheduler",
    "ReduceLROnPlateau",
    "GraCos",
    "GraCosOOP",
    "per_tensor_param_groups",
    "ChainedScheduler",
    "ConstantLR",
    "CoreLRScheduler",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CosineWarmup",
    "CyclicLR",
    "ExponentialCyclicLR",
    "ExponentialLR",
    "ExponentialWarmup",
    "config_of",
    "from_config",
    "from_name",
    "LambdaLR",
    "LambdaScheduler",
    "LinearLR",
    "LRFinder",
    "LinearWarmup",
    "ListScheduler",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "OneCyclePolicy",
    "PolynomialLR",
    "RangeFinder",
    "SequentialLR",
    "StepLR",
    "SWALR",
    "WarmupWithDecay",
    "TimmCosineLR",
    "TimmTanhLR",
    "ConstantWithWarmup",
    "CosineWithHardRestartsWithWarmup",
    "CosineWithMinLRWithWarmup",
    "CosineWithWarmup",
    "InverseSqrt",
    "LinearWithWarmup",
    "PolynomialDecayWithWarmup",
    "WarmupStableDecay",
    "read_momentum",
    "write_momentum",
)

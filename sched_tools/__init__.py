"""sched_tools: cross-framework tooling (the ``optax-sched`` command, parity runners).

It uses both frameworks (torch and matplotlib lazily), which is why it lives outside
``optax_sched`` and ``torch_compat``: each of those imports without the other framework.
"""

__version__ = "0.1.0"


from sched_tools._cli import draw
from sched_tools._cli import main
from sched_tools._cli import sequences
from sched_tools._parity import builtin_available
from sched_tools._parity import has_momentum
from sched_tools._parity import make_torch_scheduler
from sched_tools._parity import optax_kwargs
from sched_tools._parity import run_optax
from sched_tools._parity import run_torch

__all__ = (
    "__version__",
    "builtin_available",
    "draw",
    "has_momentum",
    "main",
    "make_torch_scheduler",
    "optax_kwargs",
    "run_optax",
    "run_torch",
    "sequences",
)

"""The real timm schedulers as the parity oracle (``sched_tools._timm_loop``: loaded by path,
run as timm's training loop). timm is a test dependency (``pip install --no-deps timm``)."""

from __future__ import annotations

from sched_tools._timm_loop import load_timm
from sched_tools._timm_loop import timm_lrs
from sched_tools._timm_loop import timm_lrs_for

__all__ = ["load_timm", "timm_lrs", "timm_lrs_for"]

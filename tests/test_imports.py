"""Import isolation: torch_compat never needs jax, optax_sched never needs torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_BLOCK = textwrap.dedent("""
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def __init__(self, names): self.names = names
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in self.names:
                raise ImportError(f'{{name}} is blocked for this test')
            return None
    sys.meta_path.insert(0, Block({blocked!r}))
""")


def _run(blocked: set[str], body: str) -> subprocess.CompletedProcess:
    code = _BLOCK.format(blocked=blocked) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("package,blocked", [
    ("optax_sched", {"torch"}),
    ("sched_core", {"jax", "jaxlib", "optax", "flax", "torch"}),
])
def test_package_imports_without_the_other_framework(package, blocked):
    proc = _run(blocked, f"""
        import {package}
        bad = sorted(m for m in sys.modules if m.split('.')[0] in {blocked!r})
        assert not bad, bad
        print('ok', len({package}.__all__))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


def test_blocking_really_blocks():
    proc = _run({"torch"}, "import torch")
    assert proc.returncode != 0 and "blocked" in proc.stderr


def test_torch_compat_imports_and_works_without_jax():
    """torch_compat imports without the other framework (as
    ``test_package_imports_without_the_other_framework`` checks for the other packages), then
    its schedulers run, in the same interpreter: importing torch is most of the time of each
    check."""
    blocked = {"jax", "jaxlib", "optax", "flax"}
    proc = _run(blocked, f"""
        import torch_compat
        bad = sorted(m for m in sys.modules if m.split('.')[0] in {blocked!r})
        assert not bad, bad
        print('ok', len(torch_compat.__all__))
        import torch
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        s = torch_compat.CosineAnnealingLR(opt, T_max=2)
        out = []
        for _ in range(3):
            out.append(s.get_last_lr()[0]); opt.step(); s.step()
        print(out)
    """)
    assert proc.returncode == 0, proc.stderr
    imported, lrs = proc.stdout.strip().splitlines()
    assert imported.startswith("ok")
    assert lrs == "[1.0, 0.5, 0.0]"


@pytest.mark.parametrize("package,blocked,extra", [
    ("optax_sched", {"jax", "jaxlib", "optax", "flax"}, "jax"),
    ("torch_compat", {"torch"}, "torch"),
])
def test_a_missing_extra_names_what_to_install(package, blocked, extra):
    proc = _run(blocked, f"import {package}")
    assert proc.returncode != 0
    assert f"pip install 'optax-sched[{extra}]'" in proc.stderr.strip().splitlines()[-1]


def test_the_command_line_names_the_missing_extra_and_its_version():
    proc = _run({"jax", "jaxlib", "optax", "flax"}, """
        from sched_tools import main
        raise SystemExit(main(["list"]))
    """)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("pip install 'optax-sched[jax]'"), proc.stderr


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    import optax_sched
    import sched_core
    import sched_tools
    import torch_compat
    from sched_tools import main

    expected = version("optax-sched")
    assert {m.__version__ for m in (optax_sched, sched_core, sched_tools, torch_compat)} == {
        expected}
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0

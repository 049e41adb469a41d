"""The documentation site (``docs/``, Sphinx): every export has an API entry, and the site
builds from the docstrings, docs/math.md, the README and the gallery with no warning."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ["optax_sched", "torch_compat", "sched_core", "sched_tools"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_export_has_an_api_entry_and_nothing_else(package):
    page = (ROOT / "docs" / "api" / f"{package}.rst").read_text()
    documented = set(re.findall(rf"^\.\. auto(?:class|function|data):: {package}\.(\w+)$",
                                page, flags=re.M))
    exported = {n for n in importlib.import_module(package).__all__ if not n.startswith("__")}
    assert documented == exported, (sorted(exported - documented), sorted(documented - exported))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Sphinx's API notices to myst
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_site_builds_without_warnings(tmp_path):
    """``sphinx-build -W`` (warnings are errors), in this process."""
    pytest.importorskip("myst_parser")
    from sphinx.cmd.build import build_main

    out = tmp_path / "html"
    rc = build_main(["-W", "--keep-going", "-q", "-b", "html", str(ROOT / "docs"), str(out)])
    assert rc == 0
    api = (out / "api" / "optax_sched.html").read_text()
    # an autodoc entry with its docstring, its formula block and its doctest
    assert 'id="optax_sched.cosine_annealing_lr"' in api
    assert "math notranslate" in api and "&gt;&gt;&gt;" in api
    assert 'id="torch_compat.GraCos"' in (out / "api" / "torch_compat.html").read_text()
    assert 'id="sched_core.Chained"' in (out / "api" / "sched_core.html").read_text()
    math = (out / "math.html").read_text()
    assert "GraCos: gradient-aware cosine" in math
    readme = (out / "readme.html").read_text()
    assert "Fresh machine: two commands" in readme
    # the README's links into math.md point at the rendered page's anchors
    anchors = set(re.findall(r'id="([^"]+)"', math))
    links = re.findall(r'href="math.html#([^"]+)"', readme)
    assert links and set(links) <= anchors, sorted(set(links) - anchors)
    gallery = sorted(p.name for p in (ROOT / "docs" / "gallery").glob("*.png"))
    assert gallery and sorted(p.name for p in (out / "_images").glob("*.png")) == gallery

"""Sphinx configuration of the optax-sched documentation (``docs/``).

Build: ``sphinx-build -W -b html docs docs/_build/html`` (``tests/test_docs.py`` builds it
with warnings as errors). The API pages come from the docstrings (autodoc, Google style),
the formulas from ``docs/math.md`` and the pictures from ``docs/gallery``.
"""

from __future__ import annotations

import optax_sched

project = "optax-sched"
author = "The optax-sched authors"
copyright = "2026, The optax-sched authors"
release = optax_sched.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3  # GitHub-style anchors: the README's links into math.md resolve
suppress_warnings = ["myst.xref_missing"]  # links to test files outside the docs tree

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # NamedTuple states: fields listed once, not twice

html_theme = "furo"
html_title = f"optax-sched {release}"

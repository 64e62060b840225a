"""Sphinx configuration of the arraylosses docs.

Build: ``nox -s docs`` (``sphinx-build -W -n``: every warning is an error, nitpicky
cross-references; then the doctest builder). No network: MathJax is served from the locally
installed ``sphinx-mathjax-offline`` package (copied into ``_static/mathjax``), intersphinx is
not loaded, and the plots are computed with NumPy at build time (``_ext/arraylosses_docs.py``).
"""

from __future__ import annotations

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's arraylosses, not an installed one
sys.path.insert(0, str(HERE / "_ext"))

project = "arraylosses"
copyright = "2026, the arraylosses developers"
author = "the arraylosses developers"

import arraylosses  # noqa: E402

release = version = getattr(arraylosses, "__version__", "0.1.0")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.doctest",
    # MathJax 3 bundled in a Python package; its setup() sets mathjax_path to the local copy
    # ("mathjax/tex-chtml.js") and copies the files into _static/mathjax after the build
    "sphinx-mathjax-offline",
    "arraylosses_docs",  # API pages, tables, plots, coverage check (_ext/arraylosses_docs.py)
]
# intersphinx is deliberately not used: it downloads inventories (no network here)

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
# design notes kept in Markdown (no Markdown parser is installed) and the build outputs
exclude_patterns = ["_build", "notes", "*.md"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path = ["_static"]  # custom.css (alabaster loads it)
html_title = "arraylosses"
html_theme_options = {
    "description": "Losses and metrics written once against the array API",
    "page_width": "min(96%, 1400px)",
    "show_powered_by": False,  # no footer links to sphinx-doc.org and alabaster's site
}
html_show_sphinx = False

# --- autodoc / napoleon ------------------------------------------------------------------------
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# The signatures use arraylosses.typing aliases (Array = Any, Literal option types), which
# are not documented objects: showing them would make every annotation an unresolvable
# nitpicky reference. The option strings are in the docstrings' Args.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"undoc-members": False}

nitpicky = True
# Names that docstrings mention as types in napoleon "Args:"/"Returns:" text or that autodoc
# reaches through class bases and NamedTuple fields, and that have no page of their own here
# (other libraries' types, intersphinx being off; the typing aliases, which are Literal strings).
nitpick_ignore_regex = [
    # other libraries' classes (no intersphinx: no network)
    (r"py:.*", r"(numpy|np|torch|jax|jnp|cupy|optax|typing|collections|abc)(\..*)?"),
    (r"py:class", r"(tuple|NamedTuple|int|float|str|bool|object|Callable|Any|Sequence)"),
    # arraylosses.typing: Array is Any, the others Literal option strings (no pages)
    (
        r"py:.*",
        r"(arraylosses\.typing\.)?(Array|NDArray|Reduction|Similarity|Distance|"
        r"Direction|PartitionMode|HardnessMode|Average|MultiOutput|VarianceMultiOutput|Gain|"
        r"MapDenominator|EmptyTargetAction|NegativeMode|OrthogonalMode|Aggregation|"
        r"RetrievalMetric|RetrievalReduction)",
    ),
    # a private helper named in metrics.top_k_update's docstring (private: no page)
    (r"py:func", r"arraylosses\._backend\..*"),
    # unqualified in metrics.streaming.distributed.jax_merge's docstring, read in that module;
    # the class has its page as arraylosses.metrics.streaming.StreamingMetric
    (r"py:class", r"StreamingMetric"),
]

# --- doctest builder ---------------------------------------------------------------------------
# every ">>>" block (the docstrings' Example sections) is a test; the API pages add a
# testsetup that gives each function's examples its module's globals, as pytest's
# --doctest-modules does
doctest_test_doctest_blocks = "default"
doctest_global_setup = "import numpy as np\nimport arraylosses as al\n"
import doctest  # noqa: E402

# pytest's doctest_optionflags (pyproject.toml): NORMALIZE_WHITESPACE and NUMBER. NUMBER is
# pytest's own; _ext/arraylosses_docs.py registers it and gives the runners a checker for it
doctest_default_flags = (
    doctest.ELLIPSIS
    | doctest.IGNORE_EXCEPTION_DETAIL
    | doctest.NORMALIZE_WHITESPACE
    | doctest.register_optionflag("NUMBER")
)

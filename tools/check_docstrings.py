"""Check the docstrings of arraylosses' public functions as Sphinx (autodoc + napoleon) reads them.

For every public function (the names in ``arraylosses.__all__``,
``arraylosses.metrics.__all__``, ``arraylosses.metrics.streaming.__all__`` and
``arraylosses.testing.__all__``) and every public class and module docstring:

1. the docstring is converted with ``sphinx.ext.napoleon.docstring.GoogleDocstring`` (Google
   style) and parsed with ``docutils.core.publish_doctree`` at report level "warning"; any
   warning or error is a failure (Sphinx roles and directives are stubbed: the check is
   about reST syntax, cross-references are Sphinx's ``-n`` job);
2. every public function has ``Args:``, ``Returns:`` and ``References:`` sections, except
   where :data:`EXCEPTIONS` says why not;
3. every parameter of the signature is documented in ``Args:`` and nothing else is;
4. no docstring holds a control character (``\\beta`` in a non-raw docstring is a backspace);
5. no ``Returns:`` section starts with ``Type:`` (napoleon makes it an ``:rtype:`` cross-reference,
   which ``sphinx-build -n`` must resolve: ``Array``, ``tuple``... would each need a target).

Usage: ``python tools/check_docstrings.py [MODULE_PREFIX ...]`` (only the objects defined
in modules whose name starts with a prefix, e.g. ``arraylosses.regression``; default: all).
Exit status 1 on any problem, the problems on stdout. Needs sphinx (``pip install sphinx``).
"""

from __future__ import annotations

import inspect
import io
import re
import sys
import types

import docutils.core
import docutils.utils
from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles
from sphinx.ext.napoleon import Config
from sphinx.ext.napoleon.docstring import GoogleDocstring

PACKAGES = (
    "arraylosses",
    "arraylosses.metrics",
    "arraylosses.metrics.streaming",
    "arraylosses.testing",
)

# (public name, section) -> reason the section is not required.
_TEST_KIT = "a test-kit helper, not a published method: no paper to cite"
EXCEPTIONS: dict[tuple[str, str], str] = {
    **{
        (f"arraylosses.testing.{name}", "References"): _TEST_KIT
        for name in (
            "adapt",
            "assert_backends_agree",
            "assert_close",
            "available_backends",
            "crosscheck",
            "finite_difference_gradient",
            "finite_differences",
            "generic_kernels",
            "jax_context",
            "jax_pair",
            "max_errors",
            "pair",
            "peer",
            "peer_module",
            "parts",
            "to_numpy",
            "tolerance",
            "value_and_grads",
        )
    },
    ("arraylosses.testing.generic_kernels", "Args"): "takes no arguments",
    ("arraylosses.metrics.streaming.accuracy", "Args"): "a factory without hyperparameters",
    ("arraylosses.metrics.streaming.log_loss", "Args"): "a factory without hyperparameters",
    ("arraylosses.testing.assert_close", "Returns"): "returns None: it raises or passes",
}

_CONTROL = frozenset("\a\b\t\v\f\r")

REQUIRED = {
    "Args": re.compile(r"^(Args|Arguments|Parameters|Keyword Args|Keyword Arguments):\s*$", re.M),
    "Returns": re.compile(r"^(Returns|Return|Yields):\s*$", re.M),
    "References": re.compile(r"^References:\s*$", re.M),
}


def _stub_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [nodes.literal(rawtext, text)], []


class _StubDirective(Directive):
    """Sphinx-only directives (seealso, versionadded, ...): content parsed, options allowed."""

    has_content = True
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = None

    def run(self):
        node = nodes.container()
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


_SPHINX_ROLES = (
    "func meth class mod data attr exc obj ref doc term any const envvar option "
    "py:func py:meth py:class py:mod py:data py:attr py:exc py:obj"
).split()
_SPHINX_DIRECTIVES = (
    "seealso versionadded versionchanged deprecated autosummary testcode doctest "
    "currentmodule py:function"
).split()


def _register() -> None:
    for r in _SPHINX_ROLES:
        roles.register_local_role(r, _stub_role)
    for d in _SPHINX_DIRECTIVES:
        directives.register_directive(d, _StubDirective)


def _rst_problems(rst: str, where: str) -> list[str]:
    stream = io.StringIO()
    docutils.core.publish_doctree(
        rst,
        source_path=where,
        settings_overrides={
            "report_level": docutils.utils.Reporter.WARNING_LEVEL,
            "halt_level": docutils.utils.Reporter.SEVERE_LEVEL + 1,
            "warning_stream": stream,
            "file_insertion_enabled": False,
            "raw_enabled": False,
        },
    )
    out = stream.getvalue().strip()
    return [f"{where}: reST: {line}" for line in out.splitlines()] if out else []


def _napoleon(doc: str, what: str, name: str, obj: object) -> str:
    cfg = Config(napoleon_use_param=True, napoleon_use_rtype=True)
    return str(GoogleDocstring(doc, cfg, app=None, what=what, name=name, obj=obj))


def _public(pkg: types.ModuleType):
    for name in pkg.__all__:
        yield name, getattr(pkg, name)


def _is_function(obj: object) -> bool:
    return inspect.isfunction(inspect.unwrap(obj)) if callable(obj) else False


def _documented_params(rst: str) -> set[str]:
    pattern = re.compile(r"^:param\s+(?:\S+\s+)?([\\*\w]+):", re.M)
    return {m.group(1).lstrip("\\*") for m in pattern.finditer(rst)}


def _signature_params(obj: object) -> set[str]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return set()
    return {p.name for p in sig.parameters.values()}


def check(only: tuple[str, ...] = ()) -> list[str]:
    import importlib

    _register()
    problems: list[str] = []
    seen_modules: set[str] = set()
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for name, obj in _public(pkg):
            full = f"{pkg_name}.{name}"
            defined_in = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
            if only and not defined_in.startswith(only):
                continue
            if isinstance(obj, types.ModuleType):
                if obj.__name__ not in seen_modules and obj.__doc__:
                    seen_modules.add(obj.__name__)
                    doc = inspect.cleandoc(obj.__doc__)
                    problems += _rst_problems(_napoleon(doc, "module", obj.__name__, obj), full)
                continue
            if not (inspect.isclass(obj) or callable(obj)):
                continue  # data (BACKENDS, TOLERANCES): documented in the module docstring
            doc = inspect.getdoc(obj)
            if not doc:
                problems.append(f"{full}: no docstring")
                continue
            bad = sorted({repr(c) for c in doc if c in _CONTROL})
            if bad:
                problems.append(
                    f"{full}: control characters {', '.join(bad)} (a LaTeX backslash such as "
                    "\\beta or \\frac in a docstring that is not a raw string?)"
                )
            what = "class" if inspect.isclass(obj) else "function"
            rst = _napoleon(doc, what, full, obj)
            problems += _rst_problems(rst, full)
            if not _is_function(obj):
                continue
            if re.search(r"^:rtype:", rst, re.M):
                problems.append(
                    f"{full}: Returns: starts with a type ('Type: ...'), which napoleon turns into "
                    "an :rtype: cross-reference that sphinx -n must resolve; describe the value "
                    "in words (no colon on its first line), the annotation gives the type"
                )
            for section, pattern in REQUIRED.items():
                excepted = (full, section) in EXCEPTIONS
                if not pattern.search(doc) and not excepted:
                    problems.append(f"{full}: no {section}: section")
                elif pattern.search(doc) and excepted:
                    problems.append(f"{full}: has a {section}: section; drop its EXCEPTIONS entry")
            sig = _signature_params(obj)
            documented = _documented_params(rst)
            missing = sorted(sig - documented)
            extra = sorted(documented - sig)
            if missing:
                problems.append(f"{full}: parameters not in Args: {', '.join(missing)}")
            if extra:
                problems.append(f"{full}: Args names no parameter: {', '.join(extra)}")
    for pkg_name in PACKAGES if not only else ():
        mod = importlib.import_module(pkg_name)
        if pkg_name not in seen_modules and mod.__doc__:
            problems += _rst_problems(
                _napoleon(inspect.cleandoc(mod.__doc__), "module", pkg_name, mod), pkg_name
            )
    return problems


def main(argv: list[str]) -> int:
    problems = check(tuple(argv))
    for p in problems:
        print(p)
    stale = [k for k in EXCEPTIONS if (k[0].rsplit(".", 1)[0] not in PACKAGES)]
    for k in stale:
        print(f"EXCEPTIONS entry for an unknown package: {k}")
    print(f"{len(problems)} problem(s)")
    return 1 if problems or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build-time generation for the arraylosses docs (a small Sphinx extension).

At ``builder-inited`` it writes, under the source directory (both folders are git-ignored):

* ``api/<name>.rst``: one page per public function of the registry
  (:func:`arraylosses.testing.cases.public_names`), plus the public classes of the documented
  modules' ``__all__``: the docstring (autodoc), the peers the registry checks it against
  (``Case.peers``, ``Case.notes``) and the worst measured error per peer from the committed
  conformance report; ``api/index.rst`` groups the pages by family (the registry's modules).
* ``_generated/*.rst``: tables converted at build time from committed files (the peer audit,
  ``conformance/reports/peer-audit.json``; the conformance matrix; the benchmark results), and
  ``_generated/*.png``: two plots computed with NumPy from our own functions.

At ``build-finished`` (for any builder) it fails the build if a documented public symbol has
no object description on a page (the coverage check).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pathlib
import re

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = pathlib.Path(__file__).resolve().parents[2]
# the newest full CPU run with peer columns (the chunked and GPU reports have no peer cells)
REPORT = ROOT / "conformance" / "reports" / "cpu-2026-12-06.md"
# registry peer name -> report column
PEER_COLUMN = {"scikit-learn": "sklearn", "pytrec_eval": "trec_eval"}


def _families() -> list[tuple[str, str, str]]:
    """(the records' family, title, public module), in the registry's order: each registry
    module says its ``TITLE`` and ``MODULE`` (a new family is one new registry module)."""
    from arraylosses.testing.cases import FAMILIES as REGISTRY_FAMILIES

    return [(name, m.TITLE, m.MODULE) for name, m in REGISTRY_FAMILIES.items()]


# public classes documented beside the functions: (module, its __all__ filtered to classes)
CLASS_MODULES = ("arraylosses.metrics", "arraylosses.metrics.streaming")
# the user's test kit, documented on the cross-checking page's API pages
TESTING = (
    "crosscheck",
    "adapt",
    "assert_backends_agree",
    "assert_close",
    "tolerance",
    "CrosscheckReport",
    "CandidateError",
    "BackendUnavailable",
)
# modules documented whole (automodule with members): the distributed merges
MODULES = ("arraylosses.metrics.streaming.distributed",)


# ---------------------------------------------------------------------------------------------
# Markdown tables (committed files) -> RST list-table


def _md_text(part: str) -> str:
    """Markdown text outside code spans, as RST: links become their text, RST-significant
    characters are escaped."""
    part = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", part)
    part = part.replace("\\", "\\\\").replace("|", "\\|")
    part = re.sub(r"(?<!\*)\*(?!\*)", r"\\*", part)  # a lone * (ok*); **bold** stays
    part = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", part)  # word_ would be a reference
    return part.replace("`", "\\`")


def _md_inline(text: str) -> str:
    """One Markdown table cell or line as RST: code spans become literals, with an escaped
    space where a literal touches a word character (RST inline markup needs a boundary)."""
    out = ""
    for i, part in enumerate(re.split(r"(`[^`]+`)", text)):
        if i % 2 == 1:  # a code span
            literal = f"``{part[1:-1]}``"
            out += ("\\ " if out and out[-1].isalnum() else "") + literal
        else:
            piece = _md_text(part)
            out += ("\\ " if out.endswith("``") and piece[:1].isalnum() else "") + piece
    return out


def md_table(lines: list[str]) -> list[list[str]]:
    """The cells of a Markdown table, row by row (the delimiter row dropped). A ``|`` inside a
    cell, code included, must be written ``\\|`` (as GitHub reads it); a row whose cell count
    differs from the header's is an error that quotes the row, not a table that silently gains
    columns (a bare ``|`` in ``log1p(e^-|z|)`` once split a row in two)."""
    rows: list[list[str]] = []
    for line in lines:
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            continue
        if rows and len(cells) != len(rows[0]):
            raise ExtensionError(
                f"a Markdown table row has {len(cells)} cells, its header {len(rows[0])} "
                f"(write a '|' inside a cell as '\\|'): {line[:120]}"
            )
        rows.append(cells)
    return rows


def list_table(rows: list[list[str]], title: str = "", widths: str = "auto", cls: str = "") -> str:
    out = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1", f"   :widths: {widths}"]
    out += [f"   :class: {cls}", ""] if cls else [""]
    for row in rows:
        for i, cell in enumerate(row):
            lead = "   * - " if i == 0 else "     - "
            out.append(lead + (_md_inline(cell) or "\\ "))
    return "\n".join(out) + "\n"


def md_section_table(path: pathlib.Path, heading: str) -> list[list[str]]:
    """The first table under the Markdown heading ``heading`` (a prefix) of ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and heading in line)
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            body.append(line)
        elif body:
            break
    if not body:
        raise ExtensionError(f"no table under {heading!r} in {path}")
    return md_table(body)


# ---------------------------------------------------------------------------------------------
# the conformance report


def report_versions() -> str:
    """The report's run line: where and with which library versions it ran."""
    match = re.search(r"^Run \S+ (.*?)\.?$", REPORT.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else ""


def report_date() -> str:
    match = re.search(r"^Run (\S+)", REPORT.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "?"


def report_matrix() -> list[list[str]]:
    """The report's first table: the matrix."""
    lines = REPORT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| function"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return md_table(lines[start:end])


def peer_errors() -> dict[str, dict[str, str]]:
    """function name -> peer column -> cell ("ok 1.8e-16", "ok* ...")."""
    rows = report_matrix()
    header, body = rows[0], rows[1:]
    out: dict[str, dict[str, str]] = {}
    for row in body:
        name = row[0].strip("`")
        out[name] = {
            h.removeprefix("peer:"): cell
            for h, cell in zip(header, row)
            if h.startswith("peer:") and cell != "—"
        }
    return out


# ---------------------------------------------------------------------------------------------
# API pages


def _qualified(name: str) -> str:
    return f"arraylosses.{name}"


def documented_symbols() -> list[tuple[str, str]]:
    """(fully qualified name, directive) of every public symbol that must have a page."""
    from arraylosses.testing.cases import public_names

    out = [(_qualified(n), "autofunction") for n in public_names()]
    for modname in CLASS_MODULES:
        module = importlib.import_module(modname)
        out += [
            (f"{modname}.{n}", "autoclass")
            for n in module.__all__
            if inspect.isclass(getattr(module, n))
        ]
    testing = importlib.import_module("arraylosses.testing")
    out += [
        (
            f"arraylosses.testing.{n}",
            "autoclass" if inspect.isclass(getattr(testing, n)) else "autofunction",
        )
        for n in TESTING
    ]
    for modname in MODULES:
        module = importlib.import_module(modname)
        out += [(f"{modname}.{n}", "automodule") for n in module.__all__]
    return out


# Repository files the site does not publish, as docstrings and registry notes name them, and
# what the API pages say instead (tests/test_docs_render.py checks that none is left).
SITE_PATHS = [
    (r'(``)?README\.md(``)?,\s+"(Scaling\s+out|Large\s+batches)"', ":doc:`/scaling`"),
    (r"\b([Dd])efined in docs/spec\.md", r"\1efined by this library"),
    (r"\s*\(docs/spec\.md\)", ""),
    (r"\(docs/spec\.md;\s*", "("),
    (r"\((``)?tests/test_\w+\.py(``)?\)", "(the project's test suite)"),
    (r"(``)?tests/test_\w+\.py(``)? checks", "the project's test suite checks"),
]


def publishable(text: str) -> str:
    """``text`` with the :data:`SITE_PATHS` mentions replaced by what the site publishes."""
    for pattern, replacement in SITE_PATHS:
        text = re.sub(pattern, replacement, text)
    return text


def _process_docstring(app, what, name, obj, options, lines) -> None:
    lines[:] = publishable("\n".join(lines)).split("\n")


def _peer_section(name: str, errors: dict[str, dict[str, str]], date: str) -> str:
    from arraylosses.testing.cases import BY_NAME

    case = BY_NAME[name]
    lines = ["Checked against", "---------------", ""]
    if case.peers:
        lines += [
            f"Worst measured error per peer, from the CPU run of {date} (:doc:`/conformance`, "
            "which shows its matrix): the worst relative "
            "error of the cross-checks against that library, values and gradients in "
            "float64; ``ok*`` marks a documented deviation (listed in the report). "
            f"That run: {_md_text(report_versions())}.",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - peer",
            "     - worst error in the report",
        ]
        cells = errors.get(name, {})
        for peer in case.peers:
            column = PEER_COLUMN.get(peer, peer)
            cell = cells.get(column)
            shown = f"``{cell}``" if cell else "not in the report"
            lines += [f"   * - {peer}", f"     - {shown}"]
        lines.append("")
    else:
        lines += ["No peer library in the registry for this function.", ""]
    if case.notes:
        lines += ["Registry notes: " + publishable(_md_inline(case.notes.replace("\n", " "))), ""]
    if name not in errors:
        lines += [f"This function is not in the CPU run of {date} (added after it).", ""]
    return "\n".join(lines)


def _family_of() -> dict[str, str]:
    """Each public name's page title, from its record's ``family``."""
    from arraylosses.testing.cases import CASES

    titles = {family: title for family, title, _ in _families()}
    return {case.name: titles[case.family] for case in CASES}


def write_api(srcdir: pathlib.Path) -> None:
    from arraylosses.testing.cases import public_names

    api = srcdir / "api"
    api.mkdir(exist_ok=True)
    errors, date = peer_errors(), report_date()
    family = _family_of()
    written: dict[str, list[str]] = {title: [] for _, title, _ in _families()}
    for name in public_names():
        title = f"``{name}``"
        text = "\n".join(
            [
                f".. _api-{name}:",
                "",
                title,
                "=" * len(title),
                "",
                _testsetup(_module_of(name)),
                f".. autofunction:: {_qualified(name)}",
                "",
                _peer_section(name, errors, date),
            ]
        )
        _write(api / f"{name}.rst", text)
        written[family[name]].append(name)
    classes = []
    for qualified, directive in documented_symbols():
        if directive != "autoclass" or qualified.startswith("arraylosses.testing."):
            continue
        short = qualified.removeprefix("arraylosses.")
        module = _resolve(qualified).__module__
        _write(
            api / f"{short}.rst",
            _simple_page(short, f".. autoclass:: {qualified}\n   :members:\n", module),
        )
        classes.append(short)
    testing = []
    for qualified, directive in documented_symbols():
        if not qualified.startswith("arraylosses.testing."):
            continue
        short = qualified.removeprefix("arraylosses.")
        extra = "   :members:\n" if directive == "autoclass" else ""
        module = inspect.unwrap(_resolve(qualified)).__module__
        _write(
            api / f"{short}.rst",
            _simple_page(short, f".. {directive}:: {qualified}\n{extra}", module),
        )
        testing.append(short)
    for modname in MODULES:
        short = modname.removeprefix("arraylosses.")
        _write(
            api / f"{short}.rst",
            _simple_page(short, f".. automodule:: {modname}\n   :members:\n", modname),
        )
        classes.append(short)

    index = [
        "API reference",
        "=============",
        "",
        "One page per public function, generated at build time from the registry "
        "(``arraylosses.testing.cases.public_names()``) and the docstrings, grouped by family. "
        f"Peer errors come from the CPU conformance run of {date} (:doc:`/conformance`).",
        "",
    ]
    for _attr, title, module in _families():
        index += [
            title,
            "-" * len(title),
            "",
            f"``{module}``",
            "",
            ".. toctree::",
            "   :maxdepth: 1",
            "",
        ]
        index += [f"   {n}" for n in written[title]]
        index.append("")
    for title, names in (
        ("Result and state types, distributed merges", classes),
        ("Test kit (``arraylosses.testing``)", testing),
    ):
        index += [title, "-" * len(title), "", ".. toctree::", "   :maxdepth: 1", ""]
        index += [f"   {n}" for n in names]
        index.append("")
    _write(api / "index.rst", "\n".join(index))


def _module_of(name: str) -> str:
    obj = _resolve(_qualified(name))
    return inspect.unwrap(obj).__module__


def _testsetup(module: str) -> str:
    """The docstring examples use their module's names unqualified (pytest's
    --doctest-modules runs them in the module): the doctest builder gets the same globals."""
    return (
        ".. testsetup:: *\n\n"
        "   import importlib as _importlib\n"
        f"   globals().update(vars(_importlib.import_module({module!r})))\n\n"
    )


def _simple_page(short: str, body: str, module: str) -> str:
    title = f"``{short}``"
    return f"{title}\n{'=' * len(title)}\n\n{_testsetup(module)}{body}"


def _resolve(qualified: str):
    parts = qualified.split(".")
    obj = importlib.import_module(parts[0])
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def _write(path: pathlib.Path, text: str) -> None:
    """Write only when changed, so an incremental build re-reads only what changed."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# the peer audit (conformance/reports/peer-audit.json, written by ``nox -s audit``)

AUDIT = ROOT / "conformance" / "reports" / "peer-audit.json"


def peer_audit() -> str:
    """The peer audit page's body, from the committed JSON report: the run, the counts, the
    peer reports checked, one table of every row, then each peer defect and defect of ours with
    its repro."""
    import json

    doc = json.loads(AUDIT.read_text(encoding="utf-8"))
    c = doc["counts"]
    versions = ", ".join(f"{k} {v}" for k, v in doc["versions"].items())
    out = [
        f"Run {doc['date']} by ``nox -s audit`` in {doc['seconds']:.0f} s: {doc['checks']} peer "
        f"checks, on the registry's float64 inputs and on hostile inputs. Versions: "
        f"{_md_inline(versions)}.",
        "",
        f"**{c['peer defect']} peer defects, {c['convention']} conventions, {c['ours']} of ours, "
        f"{c['unclassified']} unclassified** ({doc['findings_total']} differences found by the "
        "sweep, each matched to a row). A convention is a documented difference in a default "
        "or an argument's meaning, not a defect.",
        "",
        "The peer reports checked",
        "------------------------",
        "",
        list_table(
            [["issue", "verdict", "rows"]]
            + [[i["issue"], i["verdict"], ", ".join(i["rows"])] for i in doc["issues"]],
            widths="20 65 15",
        ),
        "Every known disagreement",
        "------------------------",
        "",
        list_table(
            [["id", "kind", "peer", "topic", "what the peer does", "we follow"]]
            + [
                [
                    r["id"],
                    r["kind"],
                    ", ".join(f"{p} {v}" for p, v in r["versions"].items()),
                    r["topic"],
                    r["evidence"],
                    r["follow"],
                ]
                for r in doc["rows"]
            ],
            widths="5 7 13 15 35 25",
        ),
    ]
    for kind, title in (("peer defect", "Peer defects"), ("ours", "Defects of ours (open)")):
        out += [title, "-" * len(title), ""]
        for r in (r for r in doc["rows"] if r["kind"] == kind):
            text = f"**{r['id']}.** ``{r['function']}``: {_md_inline(r['topic'])}. "
            text += _md_inline(r["evidence"])
            if r["issue"]:
                text += f" Issue: {_md_inline(r['issue'])}."
            if r["expected"]:
                text += f" Expected: {_md_inline(r['expected'])}."
            out += [text, "", ".. code-block:: python", ""]
            out += [f"   {line}" for line in r["repro"].splitlines()] + [""]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# tables from committed files, and the plots


def write_tables(srcdir: pathlib.Path) -> None:
    gen = srcdir / "_generated"
    gen.mkdir(exist_ok=True)
    readme = ROOT / "README.md"
    _write(gen / "peer-audit.inc", peer_audit())
    _write(
        gen / "peers-retrieval.inc", list_table(md_section_table(readme, "## Streaming metrics"))
    )
    _write(gen / "examples.inc", list_table(md_section_table(readme, "## Examples")))
    rows = report_matrix()
    _write(gen / "conformance-matrix.inc", list_table(rows, cls="matrix"))
    results = ROOT / "benchmarks" / "results" / "results.md"
    lines = results.read_text(encoding="utf-8").splitlines()
    machine = next((line for line in lines if line.startswith("Machine:")), "")
    _write(gen / "benchmarks.inc", _md_inline(machine) + "\n\n" + list_table(md_table(lines)))
    memory = ROOT / "benchmarks" / "results" / "memory.md"
    _write(
        gen / "memory.inc", list_table(md_table(memory.read_text(encoding="utf-8").splitlines()))
    )


def write_plots(srcdir: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import arraylosses as al

    gen = srcdir / "_generated"
    gen.mkdir(exist_ok=True)

    # 1. InfoNCE against the temperature, for in-batch pairs of three similarity levels
    rng = np.random.default_rng(0)
    n, d = 64, 32
    q = rng.standard_normal((n, d))
    temps = np.geomspace(0.01, 2.0, 60)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for noise in (0.1, 0.5, 2.0):
        p = q + noise * rng.standard_normal((n, d))
        ax.plot(
            temps, [float(al.info_nce(q, p, temperature=t)) for t in temps], label=f"noise {noise}"
        )
    ax.axhline(np.log(n), color="grey", ls=":", label=f"log N (N = {n})")
    ax.set_xscale("log")
    ax.set_xlabel("temperature τ")
    ax.set_ylabel("info_nce (mean over the batch)")
    ax.set_title("InfoNCE vs temperature: positive = query + noise")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(gen / "info_nce_temperature.png", dpi=110)
    plt.close(fig)

    # 2. sigmoid focal loss against BCE, per sample, as a function of p for target 1
    p = np.linspace(0.01, 0.99, 99)
    logits = np.log(p) - np.log1p(-p)
    target = np.ones_like(p)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    bce = al.binary_cross_entropy_with_logits(logits, target, reduction="none")
    ax.plot(p, bce, label="binary_cross_entropy_with_logits", color="k")
    for gamma in (1.0, 2.0, 5.0):
        focal = al.sigmoid_focal_loss(logits, target, gamma=gamma, alpha=None, reduction="none")
        ax.plot(p, focal, label=f"sigmoid_focal_loss γ={gamma:g}, alpha=None")
    ax.set_xlabel("predicted probability p of the true class (target 1)")
    ax.set_ylabel("per-sample loss")
    ax.set_title("Focal loss down-weights well-classified examples")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(gen / "focal_vs_bce.png", dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# the doctest builder: pytest's NUMBER option (pyproject.toml's doctest_optionflags)

NUMBER = doctest.register_optionflag("NUMBER")  # the same flag pytest registers
_FLOAT = re.compile(r"(?<![\w.])[+-]?\d*\.(\d+)(?:[eE]([+-]?\d+))?|(?<![\w.])[+-]?\d+\.(?!\w)")


class NumberChecker(doctest.OutputChecker):
    """The standard checker, plus pytest's NUMBER: a float in the expected output matches
    a float of the actual output equal to it at the precision written (``0.3`` matches
    ``0.30000000000000004``)."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        if not optionflags & NUMBER:
            return False
        wants, gots = list(_FLOAT.finditer(want)), list(_FLOAT.finditer(got))
        if not wants or len(wants) != len(gots):
            return False
        pieces, last = [], 0
        for w, g in zip(wants, gots):
            digits = len(w.group(1) or "") - int(w.group(2) or 0)
            if abs(float(w.group()) - float(g.group())) > 10.0**-digits / 2 * 1.0000001:
                return False
            pieces += [got[last : g.start()], w.group()]
            last = g.end()
        return super().check_output(want, "".join(pieces) + got[last:], optionflags)


def _number_checker(app) -> None:
    """The doctest builder makes its runners per document from the module's
    SphinxDocTestRunner, which takes no checker: give it one that passes NumberChecker."""
    if app.builder.name != "doctest":
        return
    import sphinx.ext.doctest as sphinx_doctest

    base = sphinx_doctest.SphinxDocTestRunner
    if getattr(base, "_arraylosses_number", False):
        return

    class Runner(base):  # type: ignore[misc, valid-type]
        _arraylosses_number = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("checker", NumberChecker())
            super().__init__(*args, **kwargs)

    sphinx_doctest.SphinxDocTestRunner = Runner


# ---------------------------------------------------------------------------------------------
# Sphinx hooks


def _generate(app) -> None:
    srcdir = pathlib.Path(app.srcdir)
    write_api(srcdir)
    write_tables(srcdir)
    write_plots(srcdir)


def _check_coverage(app, exception) -> None:
    if exception is not None:
        return
    objects = app.env.get_domain("py").objects
    missing = [q for q, _ in documented_symbols() if q not in objects]
    if missing:
        raise ExtensionError(
            f"{len(missing)} public symbols have no documentation page: {', '.join(missing)}"
        )
    logger.info(f"coverage: all {len(documented_symbols())} public symbols have a page")


def setup(app):
    app.connect("builder-inited", _generate)
    app.connect("builder-inited", _number_checker)
    app.connect("autodoc-process-docstring", _process_docstring)
    app.connect("build-finished", _check_coverage)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

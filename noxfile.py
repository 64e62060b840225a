"""nox sessions. ``nox -s conformance`` is the main job; ``nox -s tests`` is what CI runs.

torch is pinned to 2.13.0 because these machines hold a CPU wheel of it on disk (an unpinned
torch pulls a multi-GB CUDA build). Do not use uv here: it ignores that local wheel.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import pathlib
import re
import shutil
import sys
import tempfile

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]

TORCH = "torch==2.13.0"
CPU_BACKENDS = "numpy,array_api_strict,array_api_strict-device1,torch,jax"
TEST_DEPS = ["pytest>=8", "pytest-xdist>=3.5", "hypothesis>=6.100"]


def _extra(name: str) -> list[str]:
    """The requirements of pyproject.toml's optional-dependency group ``name`` (one list, not
    restated here)."""
    import tomllib

    with open(pathlib.Path(__file__).parent / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["project"]["optional-dependencies"][name])


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0]


# the peers extra less torch and JAX (installed first, torch pinned: _install_all)
PEERS = [r for r in _extra("peers") if _name(r) not in ("torch", "jax")]
# peers installed without their dependencies: PyLate 1.6.0 pins sentence-transformers==5.3.0
# (we test against 6.x; its scores module needs only torch), and lightly pulls PyPI's
# torchvision, which does not import beside the CPU torch wheel (its loss files need only torch;
# arraylosses.testing._peer.peer_module loads them without lightly/loss/__init__.py)
NO_DEPS_PEERS = ["pylate==1.6.0", "lightly==1.6.0"]
# one backend alone, proving the others are optional: what each needs beyond numpy
BACKENDS = {
    "numpy": [],
    "array_api_strict": ["array-api-strict>=2.4"],
    "torch": [TORCH],
    "jax": ["jax>=0.4.35"],
}


def _install_all(session: nox.Session, torch: bool = True) -> None:
    if torch:
        session.install(TORCH)  # first, so nothing else resolves a CUDA torch
    session.install("-e", ".", *TEST_DEPS, "array-api-strict>=2.4", "jax>=0.4.35", *PEERS)
    session.install("--no-deps", *NO_DEPS_PEERS)


# ---------------------------------------------------------------------------------------------
# GPU (docs/gpu.md): CUDA builds of torch, JAX and CuPy. ARRAYLOSSES_CUDA=13 for the CUDA 13
# wheels (default 12); ARRAYLOSSES_TORCH_INDEX for another PyTorch wheel index.


def _require_gpu(session: nox.Session) -> None:
    """Stop, before any multi-GB install, where no NVIDIA GPU is visible."""
    path = pathlib.Path(__file__).parent / "conformance" / "gpu.py"
    spec = importlib.util.spec_from_file_location("_arraylosses_gpu_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    seen, why = module.gpu_visible()
    if not seen:
        session.error(
            f"{session.name} needs an NVIDIA GPU and none is visible here ({why}); "
            "nothing was installed."
        )
    session.log(why)


def _install_gpu(session: nox.Session) -> None:
    """A CUDA torch (checked: a CPU build is an error), then CuPy and JAX with its CUDA
    plugin, for the CUDA major version of ARRAYLOSSES_CUDA."""
    cuda = os.environ.get("ARRAYLOSSES_CUDA", "12")
    if cuda not in ("12", "13"):
        session.error(f"ARRAYLOSSES_CUDA must be 12 or 13, not {cuda!r}")
    index = os.environ.get(
        "ARRAYLOSSES_TORCH_INDEX",
        f"https://download.pytorch.org/whl/{'cu128' if cuda == '12' else 'cu130'}",
    )
    session.install("torch>=2.4", "--index-url", index)  # first: the peers must not pull another
    session.run(
        "python",
        "-c",
        "import sys, torch; sys.exit(None if torch.version.cuda else "
        "f'torch {torch.__version__} is a CPU build: no CUDA torch from {sys.argv[1]}')",
        index,
    )
    session.install(f"cupy-cuda{cuda}x>=13", f"jax[cuda{cuda}]>=0.4.35")


@nox.session
def tests(session: nox.Session) -> None:
    """Every test on every CPU backend; a missing backend or peer fails instead of skipping.
    The peer cross-checks of tests/test_peers.py are the conformance matrix's peer cells
    (``nox -s conformance`` runs them with missing peers failing; ``nox -s peers`` runs the
    file): this session leaves them out."""
    _install_all(session)
    session.run(
        "pytest",
        "-q",
        # one worker per core, at most 4 (the subprocess examples start their own processes)
        "--numprocesses=auto",
        "--maxprocesses=4",
        "--ignore=tests/test_peers.py",
        *session.posargs,
        env={
            "ARRAYLOSSES_REQUIRE_BACKENDS": CPU_BACKENDS,
            "ARRAYLOSSES_REQUIRE_PEERS": "1",
        },
    )


def _one_backend(name: str):
    def session_fn(session: nox.Session) -> None:
        session.install("-e", ".", *TEST_DEPS, *BACKENDS[name])
        selected = "numpy" if name == "numpy" else f"numpy,{name}"
        if name == "array_api_strict":
            selected += ",array_api_strict-device1"
        session.run(
            "pytest",
            "-q",
            *session.posargs,
            env={
                "ARRAYLOSSES_BACKENDS": selected,
                "ARRAYLOSSES_REQUIRE_BACKENDS": selected,
                # JAX alone: its whole registry column here (tests/conftest.py)
                **({"ARRAYLOSSES_JAX_REGISTRY": "full"} if name == "jax" else {}),
            },
        )

    session_fn.__doc__ = f"The tests with only the {name} backend installed (peer checks skip)."
    return session_fn


for _name in BACKENDS:
    nox.session(name=f"tests-{_name}")(_one_backend(_name))


@nox.session
def conformance(session: nox.Session) -> None:
    """The conformance matrix on every installed backend (+ torch.compile), with peers: it
    installs them all, so a peer that cannot load fails its cells (``--require-peers``; pass
    ``-- --no-peers`` to leave the peer columns out)."""
    _install_all(session)
    jobs = str(os.cpu_count() or 1)  # processes sharing the cases, their reports merged
    peers = [] if "--no-peers" in session.posargs else ["--require-peers"]
    session.run(
        "python", "-m", "conformance.matrix", "--compile", *peers, "--jobs", jobs, *session.posargs
    )


@nox.session(name="conformance-gpu")
def conformance_gpu(session: nox.Session) -> None:
    """The conformance matrix on the GPU: the cupy, torch-cuda and jax-gpu columns, required
    (a column that cannot load, or a case that did not run, fails the session), with numpy
    beside them as the reference, torch.compile on CUDA, and no peers (they run on the CPU).
    Writes conformance/reports/gpu-<date>.md. Where no NVIDIA GPU is visible it stops before
    installing anything. Extra arguments go to conformance/gpu.py (--workers, --timeout,
    --cases)."""
    _require_gpu(session)
    _install_gpu(session)
    session.install("-e", ".", "array-api-strict>=2.4")
    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    session.run(
        "python",
        "-m",
        "conformance.gpu",
        "--out",
        str(pathlib.Path(session.create_tmp()) / "gpu-run"),
        "--report",
        f"conformance/reports/gpu-{date}.md",
        "--timeout",
        "1800",  # per process; the lent machine's gpu_run.sh keeps the default 330 s
        *session.posargs,
    )


@nox.session
def peers(session: nox.Session) -> None:
    """Only the peer cross-checks."""
    _install_all(session)
    session.run(
        "pytest",
        "-q",
        "tests/test_peers.py",
        *session.posargs,
        env={"ARRAYLOSSES_REQUIRE_PEERS": "1"},
    )


@nox.session
def audit(session: nox.Session) -> None:
    """The peer audit (issue #36): every peer check on the registry's inputs and on hostile
    inputs, each difference classified against conformance/audit/known.py; writes
    conformance/reports/peer-audit.md and .json (the docs page is generated from the JSON).
    Fails on a difference no row explains. Extra arguments go to ``python -m
    conformance.audit`` (--per-function N, --only COLUMN, --no-write)."""
    _install_all(session)
    session.run("python", "-m", "conformance.audit", *session.posargs, env={"KERAS_BACKEND": "jax"})


@nox.session(reuse_venv=False)
def wheel(session: nox.Session) -> None:
    """The installed wheel, as a user gets it: build it, install it into this session's
    fresh venv (not editable) with torch, JAX, optax, scikit-learn and sentence-transformers,
    and from a temporary directory (no source tree on sys.path) run the README's crosscheck
    examples, checking that JAX's x64 and matmul-precision settings are unchanged."""
    root = pathlib.Path.cwd()
    with tempfile.TemporaryDirectory(prefix="arraylosses-wheel-") as tmp:
        work = pathlib.Path(tmp)
        session.install("build")
        session.run("python", "-m", "build", "--wheel", "--outdir", str(work / "dist"))
        (built,) = (work / "dist").glob("arraylosses-*.whl")
        session.install(TORCH)  # first, so nothing else resolves a CUDA torch
        session.install(
            str(built),
            "jax>=0.4.35",
            "optax>=0.2.4",
            "scikit-learn>=1.6",
            "sentence-transformers>=6.1",
        )
        for name in (".ci/wheel_smoke.py", "README.md"):
            shutil.copy(root / name, work / pathlib.Path(name).name)
        session.chdir(work)
        session.run("python", "-I", "wheel_smoke.py")
        session.chdir(root)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation (docs/, Sphinx): ``sphinx-build -W -n`` (every warning an error,
    nitpicky references) into docs/_build/html, then the doctest builder, which runs every
    docstring example and every example of the pages. The API pages, tables and plots are
    generated during the build (docs/_ext/arraylosses_docs.py), which fails if a public symbol
    has no page. Nothing is downloaded during the build: MathJax comes from the installed
    sphinx-mathjax-offline, intersphinx is off. Extra arguments go to both sphinx-build runs."""
    session.install(TORCH)  # first, so nothing else resolves a CUDA torch (quickstart examples)
    session.install("-e", ".[docs]", "jax>=0.4.35")  # docs: Sphinx, offline MathJax, matplotlib
    for builder in ("html", "doctest"):
        session.run(
            "sphinx-build",
            "-E",  # a fresh environment: an incremental build would not repeat old warnings
            "-W",
            "-n",
            "--keep-going",
            "-b",
            builder,
            "docs",
            f"docs/_build/{builder}",
            *session.posargs,
        )


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("mypy>=1.10", "-e", ".")
    session.run("mypy")
    # option strings are Literal types: a wrong one is a type error (tests/typing/options.py)
    session.run("mypy", "tests/typing/options.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the native implementations, ratios measured in the same run: prints
    the table, writes benchmarks/results/ (Markdown, JSON, PNG plot). Extra arguments go to
    benchmarks/run.py (--compile, --device cuda, --runs N, --repeat N, --only GROUP). With
    ``--device cuda`` it needs an NVIDIA GPU (checked before installing anything), installs
    the CUDA builds of torch, JAX and CuPy instead of the CPU ones, and writes
    benchmarks/results/cuda/, leaving the CPU results as they are."""
    args = list(session.posargs)
    cuda = any(
        a == "--device=cuda" or (a == "--device" and args[i + 1 : i + 2] == ["cuda"])
        for i, a in enumerate(args)
    )
    if cuda:
        _require_gpu(session)
        _install_gpu(session)
    _install_all(session, torch=not cuda)
    session.install("matplotlib>=3.7")
    out = "benchmarks/results/cuda" if cuda else "benchmarks/results"
    session.run("python", "benchmarks/run.py", "--out", out, *args)


@nox.session
def examples(session: nox.Session) -> None:
    """The training examples, in full (each about 20 s on 2 CPU cores)."""
    _install_all(session)
    for script in sorted(pathlib.Path("examples").glob("[!_]*.py")):
        session.run("python", str(script))

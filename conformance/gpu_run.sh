#!/usr/bin/env bash
# The GPU conformance run on a machine with no network (the lent device machine): one command.
#
#   OUT=/some/dir bash conformance/gpu_run.sh [conformance.gpu options...]
#
# Run from the repository root. Expects python3 with numpy, torch (CUDA), jax (CUDA plugin)
# and CuPy installed, and the pure-Python wheels the matrix needs beyond those in .whl/
# (docs/gpu.md, "Wheels to carry": array-api-compat, array-api-extra, array-api-strict). They
# are installed into /tmp/site, which goes first on PYTHONPATH with the repository (the
# package is imported from the source tree, not installed). Then `python3 -m conformance.gpu`
# runs the matrix on numpy, cupy, torch-cuda and jax-gpu in parallel processes and writes
# gpu-report.md, gpu-report.json, summary.txt and logs.tar.gz to $OUT; its exit status is
# this script's (0: every cell passed; 1: a cell failed or did not run; 2: no GPU).
set -euo pipefail
: "${OUT:?set OUT to the directory for the report}"
cd "$(dirname "$0")/.."
shopt -s nullglob
wheels=(.whl/*.whl)
if ((${#wheels[@]})) && python3 -m pip --version >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site "${wheels[@]}"
elif ((${#wheels[@]})); then  # no pip: these wheels are pure Python, a wheel is a zip
    python3 -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall("/tmp/site") for w in sys.argv[1:]]' \
        "${wheels[@]}"
else
    echo "gpu_run.sh: no wheels in .whl/ (using whatever python3 has installed)" >&2
fi
export PYTHONPATH="/tmp/site:$PWD"
python3 - <<'EOF'
import importlib.metadata as md
for d in ("numpy", "array-api-compat", "array-api-extra", "array-api-strict", "torch", "jax",
          "jaxlib", "cupy-cuda12x", "cupy-cuda13x"):
    try:
        print(f"{d} {md.version(d)}")
    except md.PackageNotFoundError:
        print(f"{d} not installed")
EOF
exec python3 -m conformance.gpu --out "$OUT" "$@"

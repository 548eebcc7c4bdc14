#!/usr/bin/env bash
# Install ALFWorld 0.4.2 (its TextWorld engine and the Fast Downward planner) into agora's venv.
#
#   bash scripts/install_alfworld.sh            # uses ./.venv, or $VENV
#
# Idempotent: does nothing when alfworld, textworld and fast_downward already import.
# The first install builds Fast Downward from source (about 1.5-4 minutes on 2 cores); pip keeps
# the built wheel in its cache (~/.cache/pip/wheels), so a reinstall on the same machine takes
# seconds. torch is named so that pip never swaps the CPU build for another one.
# ALFWorld's game data is not downloaded (no network beyond PyPI): agora writes games itself.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
    echo "install_alfworld: no Python at $PY; create the venv first (make install)" >&2
    exit 1
fi

if "$PY" -c "import alfworld, textworld, fast_downward" 2>/dev/null; then
    echo "install_alfworld: alfworld $("$PY" -c 'import importlib.metadata as m; print(m.version("alfworld"))') already installed"
    exit 0
fi

start=$(date +%s)
# Fast Downward's setup.py runs `python build.py` from PATH. pip 26.3's isolated build environment
# only works for the venv's own interpreter (with another one, e.g. a pyenv shim, its path hook drops
# the standard library: "No module named 'glob'"), so the venv's bin goes first, as if activated.
PATH="$(cd "$VENV/bin" && pwd):$PATH" "$PY" -m pip install --disable-pip-version-check --quiet "alfworld==0.4.2" "torch==2.13.0"
"$PY" -c "import alfworld, textworld, fast_downward"
echo "install_alfworld: installed alfworld 0.4.2 in $(( $(date +%s) - start )) s"

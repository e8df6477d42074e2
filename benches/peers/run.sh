#!/usr/bin/env bash
# Measures archsim against SimPy and SimFaaS on the same machine, on the same models, and
# prints the ratios the README quotes. Needs python3 (3.9 or later) and PyPI once, for the
# virtual environment (kept in benches/peers/.venv, or $PEERS_VENV).
#   benches/peers/run.sh [--repeat N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${PEERS_VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
(cd "$root" && cargo build --release --quiet)
target="${CARGO_TARGET_DIR:-$root/target}"
python3 "$here/compare.py" --python "$venv/bin/python" --archsim "$target/release/archsim" "$@"

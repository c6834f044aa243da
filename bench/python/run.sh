#!/usr/bin/env bash
# Builds tenxyte-core's wheel, installs it with the pinned libraries it is compared
# with into a virtualenv outside the repository, and prints bench.py's table.
#
# Usage: bench/python/run.sh [--quick] [--venv DIR] [--build-venv DIR] [-- bench.py args]
#   --quick           one short batch per row (a smoke run: exits 0 and prints the table)
#   --venv DIR        the benchmark's virtualenv, created or reused (or env
#                     TENXYTE_BENCH_VENV); default a directory under ${TMPDIR:-/tmp}
#   --build-venv DIR  the virtualenv that builds the wheel (or env TENXYTE_PY_VENV):
#                     by default the one bindings-python/run-tests.sh uses, so both
#                     share one cargo build (another interpreter rebuilds pyo3 and the
#                     zig-compiled C code, about two minutes)
# Env: PYTHON (default python3) builds the virtualenv; TENXYTE_PY_NATIVE_WHEEL=1 as in
#      bindings-python/build-wheel.sh (a plain wheel, no zig).
# The table goes to stdout, progress to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TENXYTE_BENCH_VENV:-${TMPDIR:-/tmp}/tenxyte-bench-venv}"
build_venv="${TENXYTE_PY_VENV:-${TMPDIR:-/tmp}/tenxyte-python-venv}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) args+=(--quick); shift ;;
    --venv) venv="${2:?--venv needs a directory}"; shift 2 ;;
    --build-venv) build_venv="${2:?--build-venv needs a directory}"; shift 2 ;;
    --) shift; args+=("$@"); break ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
export PYTHONDONTWRITEBYTECODE=1

echo "== benchmark virtualenv ($venv)" >&2
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2

echo "== build tools ($build_venv)" >&2
[ -x "$build_venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$build_venv"
"$build_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$root/bindings-python/requirements-dev.txt" >&2
dist="$(mktemp -d "${TMPDIR:-/tmp}/tenxyte-bench-dist.XXXXXX")"
trap 'rm -rf "$dist"' EXIT
wheel="$(bash "$root/bindings-python/build-wheel.sh" --venv "$build_venv" -o "$dist")"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2

cd "$root"
echo "== bench.py ${args[*]:-}" >&2
nice "$venv/bin/python" "$here/bench.py" ${args[@]+"${args[@]}"}

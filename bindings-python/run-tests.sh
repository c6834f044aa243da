#!/usr/bin/env bash
# Builds the Python package and runs its checks: ruff, mypy --strict, stubtest, pytest.
#
# Usage: bindings-python/run-tests.sh [--venv DIR]
#   --venv DIR   the virtualenv to create or reuse (or env TENXYTE_PY_VENV); default a
#                directory under ${TMPDIR:-/tmp}, never inside the repository
# Env: PYTHON (default python3) builds the virtualenv; TENXYTE_PY_NATIVE_WHEEL=1 builds
#      a plain wheel for this machine's glibc instead of the portable one (no zig).
#
# The native module is built once, in release mode, as the portable abi3 wheel users
# install (build-wheel.sh: `maturin build --release --zig --compatibility manylinux2014`,
# its manylinux2014 / manylinux_2_17 tag checked, by auditwheel too), and that wheel is
# installed into the virtualenv: the tests import exactly what ships (py.typed and
# _native.pyi included). Exits non-zero when a check fails or pytest collects no tests
# (its exit 5).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TENXYTE_PY_VENV:-${TMPDIR:-/tmp}/tenxyte-python-venv}"
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv="${2:?--venv needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-tests.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
export PYTHONDONTWRITEBYTECODE=1
# Tool caches live with the virtualenv, not in the source tree.
export MYPY_CACHE_DIR="$venv/mypy-cache" RUFF_CACHE_DIR="$venv/ruff-cache"
start=$SECONDS

echo "== Python tools ($venv)"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"

dist="$(mktemp -d "${TMPDIR:-/tmp}/tenxyte-python-dist.XXXXXX")"
trap 'rm -rf "$dist"' EXIT
wheel="$(bash "$here/build-wheel.sh" --venv "$venv" -o "$dist")"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"

cd "$here"
echo "== ruff"
# The examples are checked with the package's rules (they have no configuration of their own).
examples=(../examples/fastapi ../examples/django)
"$venv/bin/ruff" check . && "$venv/bin/ruff" check --config pyproject.toml "${examples[@]}"
"$venv/bin/ruff" format --check . && "$venv/bin/ruff" format --config pyproject.toml --check "${examples[@]}"
echo "== mypy --strict (the package, its tests, the examples)"
"$venv/bin/mypy" --strict
echo "== stubtest (the hand-written _native.pyi against the built module)"
"$venv/bin/python" -m mypy.stubtest tenxyte_core._native
echo "== pytest"
set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "run-tests.sh: pytest collected no tests" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
echo "python: all checks passed in $((SECONDS - start)) s"

#!/usr/bin/env bash
# Runs the interop suites: pytest (PyJWT, pyotp, argon2-cffi, Django, bcrypt) and
# node --test (jose, otpauth), both against the tenxyte CLI.
#
# Usage: tests/interop/run.sh [--bin PATH] [--venv DIR]
#   --bin PATH   the tenxyte binary (or env TENXYTE_BIN); e.g. target/release/tenxyte
#   --venv DIR   the Python virtualenv to create or reuse (or env INTEROP_VENV); default
#                a directory under ${TMPDIR:-/tmp}, never inside the repository
# Env: PYTHON (default python3) builds the virtualenv.
#
# Exits non-zero when any suite fails, when pytest collects no tests (its exit 5), or
# when the node suite has no test files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

bin="${TENXYTE_BIN:-}"
venv="${INTEROP_VENV:-${TMPDIR:-/tmp}/tenxyte-interop-venv}"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    --venv) venv="${2:?--venv needs a directory}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [ -z "$bin" ]; then
  echo "run.sh: no CLI binary: pass --bin PATH or set TENXYTE_BIN" \
       "(build it with: cargo build --release -p tenxyte-cli)" >&2
  exit 2
fi
if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
  echo "run.sh: $bin is not an executable file" >&2
  exit 2
fi
TENXYTE_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export TENXYTE_BIN
export PYTHONDONTWRITEBYTECODE=1

start=$SECONDS

echo "== Python reference libraries ($venv)"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

echo "== Node reference libraries"
(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)

failed=()

echo "== pytest"
set +e
(cd "$here" && "$venv/bin/python" -m pytest -q)
rc=$?
set -e
case $rc in
  0) ;;
  5) echo "run.sh: pytest collected no tests" >&2; failed+=(pytest) ;;
  *) failed+=(pytest) ;;
esac

echo "== node --test"
shopt -s nullglob
node_tests=("$here"/node/*.test.mjs)
shopt -u nullglob
if [ ${#node_tests[@]} -eq 0 ]; then
  echo "run.sh: no node test files (node/*.test.mjs)" >&2
  failed+=(node)
else
  set +e
  (cd "$here/node" && node --test --test-reporter=spec "${node_tests[@]##*/}")
  rc=$?
  set -e
  [ $rc -eq 0 ] || failed+=(node)
fi

echo "== interop: $((SECONDS - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run.sh: all interop suites passed"

#!/usr/bin/env bash
# The FastAPI example in one command: a virtualenv outside the repository with the
# tenxyte-core wheel, fastapi and uvicorn, then `uvicorn app:app` (or the --check story).
#
# Usage: examples/fastapi/run.sh [--venv DIR] [--wheel FILE] [--rebuild] [--check] [--port N]
#   --venv DIR    the virtualenv to create or reuse (or env TENXYTE_EXAMPLE_VENV); default
#                 ${TMPDIR:-/tmp}/tenxyte-fastapi-example-venv
#   --wheel FILE  install this tenxyte-core wheel
#   --rebuild     build the wheel (maturin, release) even if the virtualenv has the package
#                 (without --wheel or --rebuild, a virtualenv that imports tenxyte_core is
#                 used as is, such as the one bindings-python/run-tests.sh prepares)
#   --check       start the app on a free port, play a short story over HTTP, exit 0 or 1
#   --port N      the port to serve on (default 8000, host 127.0.0.1 or env HOST)
# Env: PYTHON (default python3) builds the virtualenv; TENXYTE_DB, TENXYTE_JWT_SECRET
# configure the app (see app.py).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package="$(cd "$here/../../bindings-python" && pwd)"
venv="${TENXYTE_EXAMPLE_VENV:-${TMPDIR:-/tmp}/tenxyte-fastapi-example-venv}"
wheel="" rebuild=0 check=0 port=8000
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv="${2:?--venv needs a directory}"; shift 2 ;;
    --wheel) wheel="${2:?--wheel needs a file}"; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --check) check=1; shift ;;
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
export PYTHONDONTWRITEBYTECODE=1
py="$venv/bin/python"
pip=("$py" -m pip install --quiet --disable-pip-version-check)

if [ ! -x "$py" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"${pip[@]}" -r "$here/requirements.txt"

if [ -z "$wheel" ] && { [ "$rebuild" = 1 ] || ! "$py" -c "import tenxyte_core" 2>/dev/null; }; then
  echo "== maturin build --release (the tenxyte-core wheel)"
  dist="$(mktemp -d "${TMPDIR:-/tmp}/tenxyte-fastapi-dist.XXXXXX")"
  trap 'rm -rf "$dist"' EXIT
  "${pip[@]}" maturin==1.16.0
  (cd "$package" && "$venv/bin/maturin" build --release --quiet --interpreter "$py" -o "$dist")
  wheels=("$dist"/tenxyte_core-*.whl)
  wheel="${wheels[0]}"
fi
if [ -n "$wheel" ]; then
  [ -f "$wheel" ] || { echo "run.sh: no wheel at $wheel" >&2; exit 1; }
  "${pip[@]}" --force-reinstall --no-deps "$wheel"
fi

cd "$here"
if [ "$check" = 1 ]; then
  exec "$py" check.py
fi
echo "== http://${HOST:-127.0.0.1}:$port/docs (Ctrl-C stops)"
exec "$py" -m uvicorn app:app --host "${HOST:-127.0.0.1}" --port "$port"

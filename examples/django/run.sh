#!/usr/bin/env bash
# Runs the example Django project on the tenxyte-core package built from this checkout.
#
# Usage: examples/django/run.sh [--venv DIR] [--wheel FILE] [--build] [--check] [-- ARGS]
#   --venv DIR    the virtualenv to create or reuse (or env TENXYTE_PY_VENV); default a
#                 directory under ${TMPDIR:-/tmp}, never inside the repository. One that
#                 bindings-python/run-tests.sh prepared is reused as it is.
#   --wheel FILE  install this tenxyte_core wheel
#   --build       build the wheel from bindings-python/ even if tenxyte_core is installed
#   --check       play the quickstart and the AIRS story against the project on a fresh
#                 SQLite file (manage.py story, Django's test client); exit 0 or 1
#   ARGS          for `manage.py runserver` (default 127.0.0.1:8000)
# Without --check: runserver on TENXYTE_EXAMPLE_DB (default under ${TMPDIR:-/tmp}).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${TENXYTE_PY_VENV:-${TMPDIR:-/tmp}/tenxyte-example-django-venv}"
wheel="" build=0 check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv="${2:?--venv needs a directory}"; shift 2 ;;
    --wheel) wheel="${2:?--wheel needs a file}"; shift 2 ;;
    --build) build=1; shift ;;
    --check) check=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
export PYTHONDONTWRITEBYTECODE=1
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)

if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
# Django at the version the package's tests pin.
django_pin="$(grep -E '^Django==' "$repo/bindings-python/requirements-dev.txt")"
"$venv/bin/python" -c "import django" 2>/dev/null || "${pip[@]}" "$django_pin"

if [ -n "$wheel" ]; then
  "${pip[@]}" --force-reinstall --no-deps "$wheel"
elif [ "$build" = 1 ] || ! "$venv/bin/python" -c "import tenxyte_core" 2>/dev/null; then
  maturin_pin="$(grep -E '^maturin==' "$repo/bindings-python/requirements-dev.txt")"
  "$venv/bin/python" -c "import maturin" 2>/dev/null || "${pip[@]}" "$maturin_pin"
  dist="$(mktemp -d "${TMPDIR:-/tmp}/tenxyte-django-dist.XXXXXX")"
  (cd "$repo/bindings-python" &&
    "$venv/bin/maturin" build --release --quiet --interpreter "$venv/bin/python" -o "$dist")
  "${pip[@]}" --force-reinstall --no-deps "$dist"/tenxyte_core-*.whl
  rm -rf "$dist"
fi

cd "$here"
if [ "$check" = 1 ]; then
  db_dir="$(mktemp -d "${TMPDIR:-/tmp}/tenxyte-example-django.XXXXXX")"
  trap 'rm -rf "$db_dir"' EXIT
  TENXYTE_EXAMPLE_DB="$db_dir/tenxyte.sqlite" "$venv/bin/python" manage.py check
  TENXYTE_EXAMPLE_DB="$db_dir/tenxyte.sqlite" "$venv/bin/python" manage.py story
else
  exec "$venv/bin/python" manage.py runserver "${@:-127.0.0.1:8000}"
fi

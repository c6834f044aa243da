#!/usr/bin/env bash
# Builds the tenxyte-core wheel (release, abi3) into DIR and prints its path on stdout.
#
# Usage: bindings-python/build-wheel.sh --venv VENV -o DIR
#   --venv VENV  a virtualenv holding maturin, ziglang and auditwheel
#                (requirements-dev.txt pins them)
#   -o DIR       where the wheel goes
#
# Default: the portable wheel users install, linked by zig against glibc 2.17
# (`maturin build --release --zig --compatibility manylinux2014`). The script fails
# unless the wheel is tagged manylinux2014_<arch>.manylinux_2_17_<arch> and
# `auditwheel show` agrees that it is manylinux_2_17.
# TENXYTE_PY_NATIVE_WHEEL=1: a plain `maturin build --release` instead, tagged for this
# machine's glibc (not portable; for a quick local build without zig).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv="${2:?--venv needs a directory}"; shift 2 ;;
    -o) out="${2:?-o needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-wheel.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$venv" ] && [ -n "$out" ] || { echo "build-wheel.sh: --venv and -o are required" >&2; exit 2; }
mkdir -p "$out"
cd "$here"
start=$SECONDS
if [ "${TENXYTE_PY_NATIVE_WHEEL:-0}" = 1 ]; then
  echo "== maturin build --release (native glibc tag: TENXYTE_PY_NATIVE_WHEEL=1)" >&2
  "$venv/bin/maturin" build --release --quiet --interpreter "$venv/bin/python" -o "$out" >&2
  wheels=("$out"/tenxyte_core-*-cp39-abi3-*.whl)
  [ -f "${wheels[0]}" ] || { echo "build-wheel.sh: no abi3 wheel was built" >&2; exit 1; }
  echo "   built in $((SECONDS - start)) s" >&2
  echo "${wheels[0]}"
  exit 0
fi

echo "== maturin build --release --zig --compatibility manylinux2014 (portable wheel)" >&2
# maturin finds zig on PATH: the ziglang package puts it in the virtualenv.
PATH="$venv/bin:$PATH" "$venv/bin/maturin" build --release --quiet --zig \
  --compatibility manylinux2014 --interpreter "$venv/bin/python" -o "$out" >&2
arch="$(uname -m)"
tag="manylinux2014_${arch}.manylinux_2_17_${arch}"
wheels=("$out"/tenxyte_core-*-cp39-abi3-"$tag".whl)
if [ ! -f "${wheels[0]}" ]; then
  echo "build-wheel.sh: expected a cp39-abi3-$tag wheel, got:" "$out"/*.whl >&2
  exit 1
fi
shown="$("$venv/bin/auditwheel" show "${wheels[0]}")"
if ! grep -q "\"manylinux_2_17_${arch}\"" <<<"$shown"; then
  echo "build-wheel.sh: auditwheel does not agree that the wheel is manylinux_2_17:" >&2
  echo "$shown" >&2
  exit 1
fi
echo "   $(basename "${wheels[0]}") (auditwheel: manylinux_2_17_${arch}), built in $((SECONDS - start)) s" >&2
echo "${wheels[0]}"

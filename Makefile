# Task runner. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
CARGO ?= cargo
VECTORS_TMP := $(shell mktemp -d -u /tmp/tenxyte-vectors.XXXXXX)
## The Python virtualenv `make python` prepares and the Django example reuses.
PY_VENV ?= $(or $(TENXYTE_PY_VENV),$(or $(TMPDIR),/tmp)/tenxyte-python-venv)

.PHONY: examples example-django demo test setup fmt-check clippy unit wasm vectors vectors-check fuzz-seeds interop python example-fastapi bench bench-smoke bench-python cli

## The end-to-end demo: `tenxyte serve` on a fresh SQLite file, and the quickstart and the
## AIRS story played against it over HTTP, each request and response printed.
demo:
	$(CARGO) run -q -p tenxyte-cli -- demo

## The Rust examples: the flows on SqliteStore without HTTP, and the primitives tour.
examples:
	$(CARGO) run -q -p tenxyte-example-rust --bin tenxyte-story > /dev/null
	$(CARGO) run -q -p tenxyte-example-rust --bin tenxyte-demo > /dev/null

## Every test: style, lints, unit and integration tests, the wasm32 build, the vector
## diff check, the fuzz seed replay, the examples, the cross-library interop suites, the
## Python package and its FastAPI and Django examples, a benchmark smoke run.
test: setup fmt-check clippy unit wasm vectors-check fuzz-seeds examples interop python example-fastapi example-django bench-smoke
	@echo "all checks passed"

## What a fresh machine lacks: the wasm32 target, and clang (ring's C code for wasm32).
setup:
	@rustup target list --installed | grep -q '^wasm32-unknown-unknown$$' || rustup target add wasm32-unknown-unknown
	@command -v clang >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## tenxyte-python has no Rust tests (it links against Python): `make python` tests it.
unit:
	$(CARGO) test --workspace --exclude tenxyte-bench --exclude tenxyte-python

## The core must build for the edge runtimes.
wasm:
	$(CARGO) build -p tenxyte-core --target wasm32-unknown-unknown --features js

## Regenerate tests/vectors/ (commit the result when behaviour changed on purpose).
vectors:
	$(CARGO) run -q -p tenxyte-conformance --bin gen-vectors -- tests/vectors

vectors-check:
	$(CARGO) run -q -p tenxyte-conformance --bin gen-vectors -- $(VECTORS_TMP) >/dev/null
	cp tests/vectors/README.md $(VECTORS_TMP)/README.md
	diff -ru tests/vectors $(VECTORS_TMP) || { echo "tests/vectors is stale: run 'make vectors' and review the diff"; exit 1; }
	rm -rf $(VECTORS_TMP)

## Replays fuzz/seeds through the fuzz oracles on stable Rust (no libFuzzer needed).
fuzz-seeds:
	$(CARGO) test --manifest-path fuzz/Cargo.toml

## A release CLI: the interop suites generate RSA keys and hash passwords through it.
cli:
	$(CARGO) build -q --release -p tenxyte-cli

## PyJWT, pyotp, argon2-cffi, Django (Python) and jose, otpauth (Node) against our CLI.
interop: cli
	TENXYTE_BIN=$(CURDIR)/target/release/tenxyte bash tests/interop/run.sh

## The Python package (bindings-python/): an abi3 wheel built in release mode, then ruff,
## mypy --strict, stubtest and pytest in a virtualenv outside the repository.
python:
	bash bindings-python/run-tests.sh --venv $(PY_VENV)

## examples/fastapi served by uvicorn on a free port, a short story played over HTTP; it
## reuses the virtualenv (and the installed wheel) of `make python`.
example-fastapi: python
	bash examples/fastapi/run.sh --venv $(PY_VENV) --check

## The Django example project (examples/django) in check mode: the quickstart and the
## AIRS story through its settings, views and middleware, on the wheel `make python` installed.
example-django: python
	bash examples/django/run.sh --venv $(PY_VENV) --check

## The benchmark table (release build; a few minutes).
bench:
	$(CARGO) run -q -p tenxyte-bench --release

bench-smoke:
	$(CARGO) run -q -p tenxyte-bench -- --quick > /dev/null
	bash bench/python/run.sh --quick --build-venv $(PY_VENV) > /dev/null

## The Python benchmark table: tenxyte_core beside PyJWT, joserfc, pyotp, argon2-cffi,
## pycasbin and the PyPI tenxyte package (about two minutes after the wheel is built).
bench-python:
	bash bench/python/run.sh --build-venv $(PY_VENV)

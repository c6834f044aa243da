"""Shared fixtures for the interop suites: find the `tenxyte` binary and drive it.

The binary comes from the TENXYTE_BIN environment variable (see README.md); without it
the session stops before any test runs, so a misconfigured CI job cannot pass by
skipping everything.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest


def _binary():
    path = os.environ.get("TENXYTE_BIN")
    if not path:
        raise pytest.UsageError(
            "TENXYTE_BIN is not set: point it at the tenxyte CLI binary, e.g. "
            "`cargo build --release -p tenxyte-cli && TENXYTE_BIN=target/release/tenxyte pytest`"
        )
    p = Path(path)
    if not p.is_file() or not os.access(p, os.X_OK):
        raise pytest.UsageError(f"TENXYTE_BIN={path!r} is not an executable file")
    return str(p.resolve())


def pytest_configure(config):
    config.tenxyte_bin = _binary()


class Tenxyte:
    """Runs the CLI: one-shot commands and JSON-lines batches."""

    def __init__(self, binary):
        self.binary = binary

    def run(self, *args, stdin=None, check=True):
        """Runs one command; returns the completed process (text mode)."""
        proc = subprocess.run(
            [self.binary, *map(str, args)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"tenxyte {' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr}"
            )
        return proc

    def out(self, *args, stdin=None):
        """Runs one command and returns its standard output without the final newline."""
        return self.run(*args, stdin=stdin).stdout.rstrip("\n")

    def json(self, *args, stdin=None):
        return json.loads(self.out(*args, stdin=stdin))

    def batch(self, command, requests):
        """Spawns `tenxyte <command> --jsonl` once, sends every request (a dict, or a raw
        string for a deliberately malformed line) and returns one parsed answer per line.
        """
        lines = [r if isinstance(r, str) else json.dumps(r) for r in requests]
        proc = subprocess.run(
            [self.binary, *command.split(), "--jsonl"],
            input="".join(line + "\n" for line in lines),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, f"batch exited {proc.returncode}: {proc.stderr}"
        answers = [json.loads(line) for line in proc.stdout.splitlines()]
        assert len(answers) == len(lines), (
            f"{len(lines)} requests but {len(answers)} answers: {proc.stdout!r}"
        )
        return answers


@pytest.fixture(scope="session")
def tenxyte(pytestconfig):
    return Tenxyte(pytestconfig.tenxyte_bin)


def pytest_report_header(config):
    return f"tenxyte binary: {config.tenxyte_bin}"

"""The README's Python examples run as written (the async loop sketch, which has no
``asyncio.run``, and the Django configuration excerpt, which needs a project around it,
excepted)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks() -> list[str]:
    found = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return [
        b for b in found if ("await" not in b or "asyncio.run(" in b) and "# settings.py" not in b
    ]


def test_the_readme_has_examples() -> None:
    assert len(blocks()) >= 2


def test_the_readme_examples_run() -> None:
    scope: dict[str, object] = {}
    for block in blocks():
        # The OTP example verifies a placeholder code: any refusal must be an OtpError.
        block = block.replace(
            'step = otp.totp_verify(s, "123456", last_used_step=None)',
            "step = otp.totp_verify(s, otp.totp_code(s), last_used_step=None)",
        )
        exec(compile(block, str(README), "exec"), scope)
    decision = scope["decision"]
    assert isinstance(decision, dict)
    assert decision["outcome"] == "allowed", decision

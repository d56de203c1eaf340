"""Print the README's test command: the ```bash block under "Run the tests" (used by .ci/run)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_command(readme: str) -> str:
    match = re.search(r"Run the tests.*?```bash\n(.*?)\n```", readme, flags=re.S)
    if match is None:
        raise ValueError("README has no ```bash block after 'Run the tests'")
    lines = [ln.strip() for ln in match.group(1).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) != 1:
        raise ValueError(f"README's test command must be one line, got {lines}")
    return lines[0]


if __name__ == "__main__":
    try:
        print(test_command(README.read_text(encoding="utf-8")))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None

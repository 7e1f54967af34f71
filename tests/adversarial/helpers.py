"""Shared tools of the adversarial suite: run the real CLI in a subprocess and check the promises.

Every case asserts what a hostile or careless user must see: the exit code, exactly one
``error:`` line on stderr naming what is wrong and how to fix it, no traceback, no output or
temporary file left behind, and every input file byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True)
class Outcome:
    """What one CLI call did."""

    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        """The ``error:`` lines on stderr."""
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, timeout: float = 300) -> Outcome:
    """Run ``landplan ARGS`` as a user would, in a fresh interpreter (this checkout's sources)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "landplan", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> hex digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_bad_input(out: Outcome, *must_name: str, code: int = 2) -> None:
    """Exit ``code``, one ``error:`` line that names every string of ``must_name``, no traceback."""
    assert out.code == code, (out.code, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    assert len(out.error_lines) == 1, out.stderr
    line = out.error_lines[0]
    for text in must_name:
        assert text.lower() in line.lower(), (text, line)
    assert "unexpected" not in line.lower(), line


def assert_nothing_left(folder: Path, before: dict[str, str]) -> None:
    """``folder`` holds exactly the files it held before, unchanged (no output, no temp file)."""
    assert tree_hashes(folder) == before

"""Follow the README as a new user would: every command succeeds and git sees no stray output.

The "Two commands" block (``scripts/demo.sh``, ``scripts/test.sh``) sets up ``.venv``; the test
stands in for it with a ``.venv/bin/landplan`` that runs this checkout's interpreter on the copy's
sources, then runs every other bash block of README.md verbatim, in order, in a fresh copy of the
repository (the tracked files plus the new ones of this working tree, committed in a new git repo).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP_SECTION = "Two commands"


def bash_blocks(readme: str) -> list[tuple[str, list[str]]]:
    """``(section title, command lines)`` of every ```bash block, comments and blank lines dropped."""
    blocks = []
    section = ""
    for match in re.finditer(r"^## ([^\n]+)$|^```bash\n(.*?)^```", readme, flags=re.MULTILINE | re.DOTALL):
        if match.group(1):
            section = match.group(1).strip()
            continue
        lines = [line.strip() for line in match.group(2).splitlines()]
        blocks.append((section, [line for line in lines if line and not line.startswith("#")]))
    return blocks


def fresh_copy(dest: Path) -> Path:
    """The repository's files (tracked and new, not ignored) in a new git repo with one commit."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listing.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git = ["git", "-c", "user.name=readme", "-c", "user.email=readme@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fresh clone"], cwd=dest, check=True)
    return dest


def stand_in_venv(repo: Path) -> None:
    """``.venv/bin/landplan`` as ``scripts/setup.sh`` would leave it (this interpreter, the copy's src)."""
    script = repo / ".venv" / "bin" / "landplan"
    script.parent.mkdir(parents=True)
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m landplan "$@"\n')
    script.chmod(0o755)


def git_status(repo: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_readme_using_it_commands_write_only_into_out():
    """Static check of the block: every ``-o``/``>`` target of "Using it" lies under ``out/``."""
    blocks = dict(bash_blocks((ROOT / "README.md").read_text(encoding="utf-8")))
    commands = blocks["Using it"]
    assert len(commands) >= 10
    tokens = [shlex.split(line, comments=True) for line in commands]
    targets = [words[i + 1] for words in tokens for i, w in enumerate(words[:-1]) if w in {"-o", "--output", ">"}]
    assert len(targets) >= 9
    assert all(t.startswith("out/") for t in targets), targets
    assert "out/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


@pytest.mark.slow
def test_readme_commands_succeed_in_order_on_a_fresh_clone(tmp_path):
    repo = fresh_copy(tmp_path / "landplan")
    stand_in_venv(repo)
    blocks = [(title, lines) for title, lines in bash_blocks((repo / "README.md").read_text("utf-8"))]
    to_run = [line for title, lines in blocks if title != SETUP_SECTION for line in lines]
    assert any(title == SETUP_SECTION for title, _ in blocks), "the setup block moved; update this test"
    assert len(to_run) >= 10
    env = {**os.environ, "PYTHONPATH": str(repo / "src"), "COLUMNS": "120", "NO_COLOR": "1"}
    for line in to_run:
        proc = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert proc.returncode == 0, (line, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, (line, proc.stderr[-2000:])
    # what the README promises was written, and git sees none of it
    for rel in (
        "out/ranked.csv",
        "out/ranked.gpkg",
        "out/map.html",
        "out/map.png",
        "out/report.html",
        "out/run/manifest.json",
        "out/demo/map.html",
        "out/alloc/allocation.xlsx",
        "out/sens/sensitivity.png",
    ):
        assert (repo / rel).is_file(), rel
    assert (repo / "out/ranked.csv").read_text("utf-8-sig").startswith("parcel_id,rank,score")
    assert git_status(repo) == ""

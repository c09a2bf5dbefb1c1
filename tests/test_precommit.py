"""The real ``pre-commit try-repo`` against a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

BAD = "import requests\nrequests.get(url, verify=False, timeout=5)\n"
GOOD = "import requests\nrequests.get(url, timeout=5)\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _try_repo(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO),
                           "apisec-lint", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def test_hook_fails_on_a_staged_finding_and_passes_clean_files(tmp_path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    _git(project, "config", "user.email", "t@example.com")
    _git(project, "config", "user.name", "t")
    write(project, "bot.py", BAD)
    write(project, "clean.py", GOOD)
    write(project, "notes.txt", "verify=False\n")
    _git(project, "add", "bot.py", "notes.txt")
    home = tmp_path / "pre-commit-home"

    staged = _try_repo(project, home)
    out = staged.stdout + staged.stderr
    assert staged.returncode == 1, out
    assert "bot.py:2:19: APS201 [high]" in out
    assert "Failed" in out

    clean = _try_repo(project, home, "--files", "clean.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

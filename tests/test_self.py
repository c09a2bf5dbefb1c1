"""The project passes its own checks: ruff, and apisec-lint with the project's config."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO


def test_project_passes_its_own_linter() -> None:
    proc = subprocess.run([sys.executable, "-m", "apisec_lint", "--no-cache", "."], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_examples_show_the_vulnerable_bot_only() -> None:
    proc = subprocess.run([sys.executable, "-m", "apisec_lint", "--no-cache", "--format",
                           "json", "examples/"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 1, proc.stderr
    import json

    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert "examples/vulnerable_bot.py" in paths
    assert "examples/safe_bot.py" not in paths


@pytest.mark.skipif(shutil.which("ruff") is None and
                    not (REPO / ".venv" / "bin" / "ruff").exists(), reason="ruff not installed")
def test_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    dirs = [d for d in ("apisec_lint", "tests", "bench") if (REPO / d).is_dir()]
    proc = subprocess.run([ruff, "check", *dirs], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr

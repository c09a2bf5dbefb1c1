"""Shared helpers: run the real CLI in-process (click's CliRunner) or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apisec_lint.cli import main

REPO = Path(__file__).resolve().parent.parent


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *args: str) -> Any:
        """Run in-process with CliRunner; returns the click Result."""
        old = os.getcwd()
        os.chdir(self.cwd)
        try:
            return CliRunner().invoke(main, list(args), catch_exceptions=False)
        finally:
            os.chdir(old)

    def json(self, *args: str) -> dict[str, Any]:
        result = self("--format", "json", "--no-cache", *args)
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    def proc(self, *args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``python -m apisec_lint`` as a real process."""
        return subprocess.run([sys.executable, "-m", "apisec_lint", *args], cwd=self.cwd,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path

"""The prefilter fast path (skip the parse when no rule's trigger tokens occur) must not
change any finding. Per rule, tests/test_*.py check it on the rule's examples; here the
real CLI compares a whole run with and without it, on trees CI has: the bundled
examples and a seeded tree of generated bot modules (bench/botgen.py, the benchmark's
third corpus). bench/compare_fastpath.py does the same on the shared corpus, freqtrade
and ccxt (network and minutes: run by hand, results in bench/README.md)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _botgen() -> ModuleType:  # bench/ is not a package
    spec = importlib.util.spec_from_file_location("botgen", ROOT / "bench" / "botgen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _findings(target: Path, *extra: str) -> list[tuple[str, str, int, int, str]]:
    """(path, rule, line, column, message) of every finding but the diagnostics."""
    proc = subprocess.run(
        [sys.executable, "-m", "apisec_lint", "--format", "json", "--no-cache",
         *extra, str(target)],
        capture_output=True, text=True, cwd=target, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    return sorted((f["path"], f["rule"], f["line"], f["column"], f["message"])
                  for f in data["findings"] if not f["rule"].startswith("APS0"))


def test_fast_path_changes_no_finding(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    _botgen().generate_tree(tmp_path / "bots", 300, seed=11)
    fast = _findings(tmp_path)
    slow = _findings(tmp_path, "--no-prefilter")
    assert fast == slow
    families = {rule[:4] for _, rule, _, _, _ in fast}
    assert families == {"APS1", "APS2", "APS3", "APS4", "APS5"}, families
    assert len(fast) > 60

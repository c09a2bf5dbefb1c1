"""Third-party rules register through the ``apisec_lint.rules`` entry-point group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import write

PLUGIN = '''
"""A tiny third-party rule pack."""
from apisec_lint.rule import Example, Rule
from apisec_lint.types import Severity


class NoPrintBalances(Rule):
    """Printing balances leaks account size.

    ## What it does
    Flags `print(...)` of a call named `fetch_balance`.

    ## Why is this bad?
    Logs are public.

    ## Example
    ```python
    print(ex.fetch_balance())
    ```

    ## Use instead
    Log nothing.
    """

    code = "APS901"
    name = "acme-no-print-balances"
    severity = Severity.LOW
    triggers = ("fetch_balance",)
    VALID = ("print(1)\\n",)
    INVALID = (Example("print(ex.fetch_balance())\\n", lines=(1,)),)

    def visit_Call(self, node):
        from apisec_lint._lazy import cst
        if isinstance(node.func, cst.Name) and node.func.value == "print" and node.args:
            inner = node.args[0].value
            if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) \\
                    and inner.func.attr.value == "fetch_balance":
                self.report(node, "balance printed")
'''


def _install_plugin(root: Path) -> Path:
    site = root / "site"
    write(site, "acme_rules.py", PLUGIN)
    write(site, "acme_rules-0.1.dist-info/METADATA",
          "Metadata-Version: 2.1\nName: acme-rules\nVersion: 0.1\n")
    write(site, "acme_rules-0.1.dist-info/entry_points.txt",
          "[apisec_lint.rules]\nacme = acme_rules\n")
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site),
                                                                      os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "apisec_lint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_plugin_rule_reports_through_the_cli(tmp_path) -> None:
    site = _install_plugin(tmp_path)
    write(tmp_path, "work/bot.py", "import ccxt\nex = ccxt.kraken()\nprint(ex.fetch_balance())\n")
    proc = _run(site, tmp_path / "work", "--format", "json", "--no-cache", ".")
    assert proc.returncode == 1, proc.stderr
    found = [(f["rule"], f["line"]) for f in json.loads(proc.stdout)["findings"]]
    assert ("APS901", 3) in found
    listing = _run(site, tmp_path, "--list-rules").stdout
    assert "acme-no-print-balances" in listing
    ignored = _run(site, tmp_path / "work", "--format", "json", "--no-cache",
                   "--ignore", "acme-no-print-balances", ".")
    assert "APS901" not in ignored.stdout


def test_plugin_examples_run_like_builtin_ones(tmp_path) -> None:
    site = _install_plugin(tmp_path)
    code = textwrap.dedent("""
        from apisec_lint.testing import check_snippet, example_cases, registry
        rule = registry().lookup("APS901")
        for label, ex in example_cases(rule):
            hits = [f for f in check_snippet(ex.code) if f.rule == "APS901"]
            assert bool(hits) == (label == "invalid"), (label, ex.code)
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_broken_plugin_is_a_clear_error(tmp_path) -> None:
    site = tmp_path / "site"
    write(site, "broken_rules.py", "raise ImportError('missing dependency')\n")
    write(site, "broken_rules-0.1.dist-info/METADATA",
          "Metadata-Version: 2.1\nName: broken-rules\nVersion: 0.1\n")
    write(site, "broken_rules-0.1.dist-info/entry_points.txt",
          "[apisec_lint.rules]\nbroken = broken_rules\n")
    write(tmp_path, "work/x.py", "x = 1\n")
    proc = _run(site, tmp_path / "work", ".")
    assert proc.returncode == 2
    assert "rule plugin 'broken'" in proc.stderr and "Traceback" not in proc.stderr

"""Hardening: property tests on the pipeline, determinism, and regexes against
adversarial input."""

from __future__ import annotations

import importlib
import json
import pkgutil
import random
import re
import string
import time

import hypothesmith
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import apisec_lint
from apisec_lint.testing import check_snippet

TRIGGER_HEAD = ("import ccxt, requests\nfrom flask import request\n"
                "api_key = verify = leverage = None\n")


def _within(findings, text: str) -> None:
    nlines = max(1, text.count("\n") + 1)
    for f in findings:
        assert 1 <= f.span.line <= nlines, f
        assert f.span.line <= f.span.end_line <= nlines, f
        assert f.span.column >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_grammatical_python_never_crashes(source: str) -> None:
    text = TRIGGER_HEAD + source
    findings = check_snippet(text)
    _within(findings, text)
    assert not [f for f in findings if f.rule == "APS003"], [f.message for f in findings]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_arbitrary_text_never_crashes(source: str) -> None:
    for name in ("x.py", "x.json", "x.yaml", "x.toml", ".env", "x.ini"):
        text = TRIGGER_HEAD + source if name.endswith(".py") else source
        findings = check_snippet(text, name)
        _within(findings, text)
        assert not [f for f in findings if f.rule == "APS003"], [f.message for f in findings]


def test_output_is_deterministic_across_runs_jobs_and_cache(cli, tmp_path) -> None:
    body = ("import ccxt, requests\n"
            "ex = ccxt.binance({'enableRateLimit': False})\n"
            "requests.get('http://api.example.com/x', verify=False)\n")
    for i in range(25):
        write(tmp_path, f"p{i % 4}/m{i}.py", body * (1 + i % 3))
    # cross-file: a module constant reaching clients in other files (joined after the pool)
    rng = random.Random(3)
    key = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    write(tmp_path, "conf.py", f"K = '{key}'\n")
    for i in range(6):
        write(tmp_path, f"p{i % 3}/x{i}.py",
              "import ccxt\nfrom conf import K\nex = ccxt.kraken({'secret': K})\n")
    outputs = []
    for args in (["--no-cache", "--jobs", "1"], ["--no-cache", "--jobs", "2"], [], []):
        for fmt in ("json", "sarif"):
            result = cli("--format", fmt, *args, ".")
            doc = json.loads(result.stdout)
            doc.pop("stats", None)
            outputs.append((fmt, json.dumps(doc, sort_keys=True)))
    for fmt in ("json", "sarif"):
        assert len({o for f, o in outputs if f == fmt}) == 1, fmt
    assert '"path": "conf.py"' in outputs[0][1] and "p0/x0.py:3" in outputs[0][1]


def _patterns() -> list[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    found = []
    for info in pkgutil.walk_packages(apisec_lint.__path__, "apisec_lint."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found.append((f"{info.name}.{name}", value))
    return found


ADVERSARIAL = [
    "a" * 20000, " " * 20000, "\t" * 20000, "_" * 20000, "0" * 20000, "a1" * 10000,
    "(" * 5000, "[" * 5000, "{" * 5000, '"' * 20000, "'" * 20000, "\\" * 20000,
    "#" * 20000, "# apisec:" * 2000, "# apisec: ignore[" + "A," * 5000, "=" * 20000,
    "a=" * 10000, "-" * 20000, "." * 20000, "/" * 20000, "http://" + "a" * 20000,
    "$" * 20000, "${" * 5000, "A" * 19999 + "!", "x" * 20000 + "\n" * 10,
]


def test_no_regex_backtracks_catastrophically() -> None:
    patterns = _patterns()
    assert len(patterns) >= 3
    slow = []
    for name, pattern in patterns:
        for text in ADVERSARIAL:
            subject = text.encode() if isinstance(pattern.pattern, bytes) else text
            start = time.perf_counter()
            pattern.search(subject)
            pattern.findall(subject)
            spent = time.perf_counter() - start
            if spent > 0.5:
                slow.append((name, text[:12], round(spent, 2)))
    assert not slow, slow


def test_names_reassigned_many_times_stay_fast() -> None:
    """Resolution through names must not be exponential in the number of assignments."""
    lines = ["import ccxt, requests, ssl", "ex = ccxt.binance()", "s = requests.Session()",
             "v = False", "ctx = ssl.create_default_context()"]
    for i in range(300):
        lines += [f"ex = ex if c{i} else ccxt.kraken()", f"s = s if c{i} else requests.Session()",
                  f"v = v if c{i} else True", f"ctx = ctx if c{i} else ssl.CERT_NONE"]
    lines += ["ex.create_order('BTC/USDT', 'market', 'buy', 1)", "s.get('https://x', verify=v)",
              "requests.get('https://x', verify=v, timeout=v)", "ex.withdraw('BTC', 1, v)"]
    start = time.perf_counter()
    check_snippet("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 20

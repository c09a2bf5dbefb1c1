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
import pytest
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import apisec_lint
from apisec_lint._lazy import LazyPattern
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
            if isinstance(value, LazyPattern):
                value = value.compiled
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


# --------------------------------------------------------------------------- files that vanish

TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"


class _DeleteWhenWorkStarts:
    """A progress hook: the engine calls ``start`` after discovery, before it reads any
    file (without the cache) — the moment to make a discovered file disappear."""

    def __init__(self, victim) -> None:
        self.victim = victim

    def start(self, total: int) -> None:
        self.victim.unlink()

    def advance(self, n: int) -> None:
        pass

    def done(self) -> None:
        pass


@pytest.mark.parametrize("jobs", [1, 2])
def test_file_deleted_after_discovery_is_an_error_not_a_crash(tmp_path, jobs: int) -> None:
    from apisec_lint.engine import iter_enabled, run
    from apisec_lint.packs import load_knowledge
    from apisec_lint.rule import Registry
    from apisec_lint.types import Config, FileError

    for i in range(13):  # enough files for the process pool with jobs=2
        write(tmp_path, f"m{i:02}.py", TLS)
    victim = write(tmp_path, "gone.py", TLS)
    registry = Registry.load()
    config = Config(root=str(tmp_path))
    result = run([str(tmp_path)], config, registry, load_knowledge(()),
                 enabled=iter_enabled(registry, config), jobs=jobs, use_cache=False,
                 progress=_DeleteWhenWorkStarts(victim))
    assert not victim.exists()
    assert [e for e in result.errors if "gone.py" in e.path] == [
        FileError(result.errors[0].path, "cannot read: No such file or directory")]
    assert sorted({f.path.rsplit("/", 1)[-1] for f in result.findings if f.rule == "APS201"}) \
        == [f"m{i:02}.py" for i in range(13)]


# --------------------------------------------------------------------------- size cap

def test_files_over_max_file_size_are_skipped_with_aps007(cli, tmp_path) -> None:
    write(tmp_path, "good.py", TLS)
    blob = json.dumps({"rows": [{"apiKey": "x", "n": i} for i in range(200_000)]})
    assert len(blob) > 5_000_000
    (tmp_path / "dump.json").write_text(blob)  # over the 5 MB default
    (tmp_path / "gen.py").write_text(TLS + "DATA = [" + "1, " * 2_000_000 + "]\n")
    start = time.perf_counter()
    for args in (["--no-cache"], [], []):  # the cached run must not read them either
        result = cli("--format", "json", *args, ".")
        assert result.exit_code == 1
        found = {(f["path"], f["rule"]) for f in json.loads(result.stdout)["findings"]}
        assert found == {("good.py", "APS201"), ("dump.json", "APS007"), ("gen.py", "APS007")}
    assert time.perf_counter() - start < 10  # skipped, not parsed (that takes minutes)
    doc = json.loads(result.stdout)
    msg = next(f["message"] for f in doc["findings"] if f["path"] == "dump.json")
    assert msg.startswith("file is ") and "over max-file-size (5 MB)" in msg
    # the least-privilege report skips them too
    perms = cli("--permissions", "--format", "json", ".")
    assert perms.exit_code == 0
    assert json.loads(perms.stdout)["errors"] == [
        {"path": "gen.py", "message": "not analysed: over max-file-size"}]
    # a configured cap; 0 = no limit; negative is a config error
    write(tmp_path, "pyproject.toml", "[tool.apisec-lint]\nmax-file-size = 0.00005\n")
    assert ("good.py", "APS007") in {(f["path"], f["rule"])
                                     for f in cli.json("good.py")["findings"]}
    write(tmp_path, "pyproject.toml", "[tool.apisec-lint]\nmax-file-size = -1\n")
    bad = cli("good.py")
    assert bad.exit_code == 2 and "'max-file-size' must not be negative" in bad.stderr
    write(tmp_path, "pyproject.toml", "[tool.apisec-lint]\nmax-file-size = 0\n")
    assert [f["rule"] for f in cli.json("good.py")["findings"]] == ["APS201"]


# --------------------------------------------------------------------------- encodings

def test_non_utf8_config_files_are_a_diagnostic_and_others_still_reported(cli, tmp_path) -> None:
    write(tmp_path, "good.py", TLS)
    (tmp_path / ".env").write_bytes(b"NAME=caf\xe9\nBINANCE_SECRET=x\n")
    (tmp_path / "config.json").write_bytes(b'{\n  "verify": false,\n  "note": "\xff"\n}\n')
    (tmp_path / "settings.yaml").write_bytes(b"verify: false\nnote: \xe9t\xe9\n")
    (tmp_path / "ok.yaml").write_bytes("note: \u00e9t\u00e9\nverify: false\n".encode())
    found = {(f["path"], f["rule"], f["line"]) for f in cli.json(".")["findings"]}
    assert {("good.py", "APS201", 2), (".env", "APS002", 1), ("config.json", "APS002", 3),
            ("settings.yaml", "APS002", 2)} <= found
    assert not any(p == "ok.yaml" for p, _, _ in found)  # UTF-8 with accents is fine


# --------------------------------------------------------------------------- huge literals

POSITION_CASES = [
    "# header\n\nimport os\n\n\n@deco\n@other(1)\ndef f(a,\n      b):\n    return a  # c\n"
    "class C(B):\n    x = 1; y = 2\n\n    @property\n    def p(self): return self.x\n"
    "if x:\n    pass\nelif y:\n    z = [1,\n         2]\nelse:\n    pass\n# trailing\n",
    "x = 1; y = 2;\nz = '''a\nb'''\nasync def g():\n    async with a as b:\n        await b\n",
    "try:\n    pass\nexcept E as e:\n    raise\nfinally:\n    pass\nwhile True: break\n"
    "with open('f') as fh, open('g') as gh:\n    pass\nfor i in range(3):\n    continue\n"
    "match p:\n    case [1, *rest]:\n        pass\nv = f(\n  1,\n  2)",  # no final newline
    "x = 1\r\ny = (2,\r\n     3)\r\n\r\ndef h():\r\n    return 4\r\n",
    "\n\n\n# only comments above\n\n@d\nclass K: pass\n",
    # nested blocks: positions come from the innermost statement
    "class Ex(Base):\n    '''doc'''\n\n    @dec\n    def m(self, a):\n        if a:\n"
    "            x = self.f(a,\n                       b=2)  # c\n        elif b:\n"
    "            for i in a:\n                y = i\n            else:\n                z = 3\n"
    "        else:\n            try:\n                w = 1; v = 2\n            except E:\n"
    "                pass\n            except (F, G) as e:\n                raise X from e\n"
    "            else:\n                u = \\\n                    4\n            finally:\n"
    "                t = '''s\nq'''\n        with a as b, c:\n            while b:\n"
    "                s = [\n    1,\n  2]\n        return lambda: 1\n\n    async def n(self):\n"
    "        async for i in g():\n            async with h() as k:\n                await k\n",
    "def f():\n\tif x:\n\t\treturn g(1,\n\t\t         2)\n\treturn 3\n",
    "class A:\r\n    def m(self):\r\n        return call(1,\r\n                    2)\r\n",
    "def f(): return 1\nclass B: x = 1; y = 2\nif a: b = 1\nelse: c = 2\n",
]


@pytest.mark.parametrize("source", POSITION_CASES)
def test_statement_positions_match_libcst(source: str) -> None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from apisec_lint.positions import StatementPositions
    from apisec_lint.walk import iter_tree

    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    lazy = StatementPositions(module, source)
    nodes = list(iter_tree(module))
    assert len(nodes) > 5
    for node in reversed(nodes):  # not in source order: statements resolve independently
        assert lazy.get(node) == expected.get(node), (type(node).__name__, source)
    assert lazy._full is not None  # the Module node itself needs the whole-module pass


def test_finding_next_to_a_huge_literal_does_not_regenerate_it() -> None:
    """A 200,000-element list took ~20 s (APS006) of which ~8 s were positions computed
    for the whole module; only the statement with the finding is generated now."""
    from apisec_lint.context import FileContext
    from apisec_lint.packs import load_knowledge
    from apisec_lint.pipeline import _run_python
    from apisec_lint.rule import Registry
    from apisec_lint.types import Config, FileKind

    text = ("import requests\nDATA = [" + ", ".join(map(str, range(20_000))) + "]\n"
            "requests.get('https://x', verify=False, timeout=5)\n")
    registry = Registry.load()
    ctx = FileContext("big.py", FileKind.PYTHON, text, load_knowledge(()), Config())
    rules = [r for r in registry.rules if r.code == "APS201"]
    _run_python(None, ctx, rules, {"APS201"})
    reports = ctx.resolve()
    assert [(r.rule.code, r.span.line) for r in reports] == [("APS201", 3)]
    assert ctx.positions._full is None
    assert [d[0] for d in ctx.positions._done.values() if d] == [ctx.module.body[2]]
    assert [(f.rule, f.span.line) for f in check_snippet(text)] == [("APS201", 3)]


@pytest.mark.parametrize("source", POSITION_CASES[5:8])
def test_nested_statements_resolve_without_the_whole_module(source: str) -> None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from apisec_lint.positions import StatementPositions
    from apisec_lint.walk import iter_tree

    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    calls = [n for n in iter_tree(module) if isinstance(n, (cst.Call, cst.Integer))]
    assert calls
    lazy = StatementPositions(module, source)
    for node in calls:
        assert lazy.get(node) == expected.get(node)
    assert lazy._full is None  # no whole-module pass for nodes inside statements
    # each was resolved from a statement smaller than the top-level one
    units = [d[0] for d in lazy._done.values() if d]
    assert units and all(u not in module.body for u in units if len(module.body) == 1)

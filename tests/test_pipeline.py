"""The per-file pipeline: decoding, parse failures, bad input never hides other files."""

from __future__ import annotations

import json
import os

import pytest
from conftest import write

from apisec_lint.testing import check_snippet

TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"


def _rules(doc: dict) -> list[tuple[str, str, int]]:
    return [(f["path"], f["rule"], f["line"]) for f in doc["findings"]]


def test_bad_files_do_not_hide_good_findings(cli, tmp_path) -> None:
    write(tmp_path, "good.py", TLS)
    write(tmp_path, "syntax.py", "import requests\nverify = False\nclass Bot\n    pass\n")
    write(tmp_path, "py2.py", 'import requests\nverify = 1\nprint "hello"\n')
    (tmp_path / "latin.py").write_bytes(b"import requests\nverify = '\xff'\n")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01verify\x00\xff" * 10)
    write(tmp_path, "empty.py", "")
    doc = cli.json(".")
    found = _rules(doc)
    assert ("good.py", "APS201", 2) in found
    assert ("syntax.py", "APS001", 4) in found
    assert any(p == "py2.py" and r == "APS001" for p, r, _ in found)
    assert ("latin.py", "APS002", 2) in found
    assert ("binary.py", "APS002", 1) in found
    assert not any(p == "empty.py" for p, _, _ in found)
    py2 = next(f for f in doc["findings"] if f["path"] == "py2.py")
    assert "Python 2" in py2["message"]


def test_coding_cookie_and_bom(cli, tmp_path) -> None:
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport requests\n# caf\xe9\nrequests.get(u, verify=False)\n")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + TLS.encode())
    (tmp_path / "wrong.py").write_bytes(b"# coding: klingon\nverify = 1\n")
    found = _rules(cli.json("."))
    assert ("latin.py", "APS201", 4) in found
    assert ("bom.py", "APS201", 2) in found
    assert any(p == "wrong.py" and r == "APS002" for p, r, _ in found)


def test_deeply_nested_expression_is_a_diagnostic(cli, tmp_path) -> None:
    write(tmp_path, "deep.py", "import requests\nverify = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    write(tmp_path, "good.py", TLS)
    proc = cli.proc("--format", "json", "--no-cache", ".")
    assert "Traceback" not in proc.stderr
    found = _rules(json.loads(proc.stdout))
    assert ("good.py", "APS201", 2) in found
    assert any(p == "deep.py" and r.startswith("APS0") for p, r, _ in found)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_an_error_not_a_crash(cli, tmp_path) -> None:  # pragma: no cover
    write(tmp_path, "good.py", TLS)
    secret = write(tmp_path, "secret.py", TLS)
    secret.chmod(0)
    doc = cli.json(".")
    assert ("good.py", "APS201", 2) in _rules(doc)
    assert doc["errors"] and doc["errors"][0]["path"] == "secret.py"


def test_prefilter_skips_parse_but_keeps_findings_identical() -> None:
    src = TLS + "def f(verify=False):\n    return verify\n"
    assert check_snippet(src) == check_snippet(src, prefilter=False)
    # nothing any rule could fire on: the file is not even parsed (no APS001)
    assert check_snippet("x = (\n") == []


def test_rule_crash_becomes_internal_error_and_others_survive() -> None:
    from apisec_lint.checks.transport import TlsVerifyDisabled
    from apisec_lint.rule import Example, Rule

    class Boom(Rule):
        """Always fails.

        ## What it does
        Nothing.

        ## Why is this bad?
        Testing.
        """

        code = "APS999"
        name = "boom"
        triggers = ("import",)
        VALID = ("",)
        INVALID = (Example(""),)

        def visit_Call(self, node) -> None:
            raise ValueError("kaboom")

    from apisec_lint.checks.diagnostics import RULES

    found = check_snippet(TLS, rules=[*RULES, TlsVerifyDisabled, Boom])
    assert [(f.rule, f.span.line) for f in found] == [("APS003", 1), ("APS201", 2)]
    assert "APS999 (boom) failed: ValueError: kaboom" in found[0].message


def test_fast_parse_matches_libcst_and_restores_validation() -> None:
    import libcst

    from apisec_lint._lazy import parse_module

    source = "import ccxt\n\nx = ccxt.binance({'enableRateLimit': False})  # c\n"
    fast = parse_module(source)
    assert fast.code == source
    assert fast.deep_equals(libcst.parse_module(source))
    # validation is back on for trees built by hand afterwards
    with pytest.raises(libcst.CSTValidationError):
        libcst.Name("not a name")
    with pytest.raises(libcst.ParserSyntaxError):
        parse_module("def (:\n")
    with pytest.raises(libcst.CSTValidationError):
        libcst.Name("still validated")


def test_tree_index_keeps_source_order_and_scopes() -> None:
    import libcst

    from apisec_lint.analysis.index import TreeIndex

    module = libcst.parse_module("a = 1\ndef f():\n    b = 2\n    g = lambda: 3\nc = 4\n")
    index = TreeIndex(module)
    assigns = index.entries(libcst.Assign)
    names = [e[1].targets[0].target.value for e in assigns]
    assert names == ["a", "b", "g", "c"]
    scopes = {e[1].targets[0].target.value: e[2] for e in assigns}
    func = index.of(libcst.FunctionDef)[0]
    assert scopes["a"] is module and scopes["c"] is module
    assert scopes["b"] is func and scopes["g"] is func
    assert [type(n).__name__ for n in index.of(libcst.FunctionDef, libcst.Lambda)] == \
        ["FunctionDef", "Lambda"]


@pytest.mark.parametrize("source", [
    "'a'", '"abc"', "r'x\\y'", "u'q'", "'''tri\nple'''", '""""""', "b'x'", "'a' 'b'",
    "'a' f'{x}'", "R'ab'", "'\\x41'", "'''a'b'''", "'\\''", "Br'x'", "'a' \"b\" 'c'",
])
def test_string_value_agrees_with_libcst(source: str) -> None:
    import libcst

    from apisec_lint.analysis.values import string_value

    node = libcst.parse_expression(source)
    assert string_value(node) == node.evaluated_value


def test_matches_any_is_any_single_pattern_match() -> None:
    from apisec_lint.packs import compile_pattern, matches_any

    patterns = ["ccxt.*", "binance.**.Client", "requests.[gp]*", "x.y"]
    for name in ["ccxt.binance", "ccxt.a.b", "binance.client.Client", "binance.Client",
                 "requests.get", "requests.post", "requests.delete", "x.y", "x.yz", ""]:
        expected = any(compile_pattern(p).match(name) for p in patterns)
        assert matches_any(name, patterns) is expected
        assert matches_any(name, tuple(patterns)) is expected
    assert matches_any("anything", []) is False


def test_pool_batches_cover_every_file_once_largest_first() -> None:
    from apisec_lint.engine import _batches

    sizes = [5, 1_000_000, 10, 300, 40_000, 7, 0, 2_000] * 40
    batches = _batches(sizes, 2)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(sizes)))
    assert len(batches) > 2  # work is shared, not one chunk per worker
    # the biggest files travel alone, the small ones together
    assert batches[0] == [sizes.index(1_000_000)] or len(batches[0]) == 1
    assert max(len(b) for b in batches) > 1


def test_replayed_walk_visits_like_a_traversal() -> None:
    import libcst

    from apisec_lint.analysis.index import TreeIndex
    from apisec_lint.walk import WalkState, walk

    source = ("import os\nclass A:\n    def f(self, x=1):\n        return [y for y in x]\n"
              "g = lambda: os.getenv('K')\nif g:\n    print(g())\n")
    module = libcst.parse_module(source)

    class Recorder:
        def __init__(self, state: WalkState) -> None:
            self.state, self.events = state, []

        def visit_CSTNode(self, node: object) -> None:
            self.events.append(("in", type(node).__name__, len(self.state.scopes),
                                len(self.state.statements)))

        def leave_CSTNode(self, node: object) -> None:
            self.events.append(("out", type(node).__name__, len(self.state.scopes),
                                len(self.state.statements)))

    # the reference: a plain recursive traversal over the walker's child fields
    from apisec_lint.walk import iter_children

    scope_types = (libcst.Module, libcst.FunctionDef, libcst.Lambda, libcst.ClassDef)
    stmt_types = (libcst.SimpleStatementLine, libcst.BaseCompoundStatement)
    expected: list[tuple[str, str, int, int]] = []

    def visit(node: object, scopes: int, stmts: int) -> None:
        scopes += isinstance(node, scope_types)
        stmts += isinstance(node, stmt_types)
        expected.append(("in", type(node).__name__, scopes, stmts))
        for child in iter_children(node):
            visit(child, scopes, stmts)
        expected.append(("out", type(node).__name__, scopes, stmts))

    visit(module, 0, 0)
    runs = [expected]
    for index in (None, TreeIndex(module)):
        state = WalkState()
        rec = Recorder(state)
        walk(module, [rec], state, index)
        assert state.scopes == [] and state.statements == []
        runs.append(rec.events)
    assert runs[0] == runs[1] == runs[2]
    assert len(runs[0]) > 40


@pytest.mark.parametrize("enabled_before", [True, False])
def test_gc_pause_restores_the_collector_state(enabled_before: bool) -> None:
    import gc

    from apisec_lint.testing import check_snippet

    was = gc.isenabled()
    try:
        if not enabled_before:
            gc.disable()
        found = check_snippet(
            "import requests\nrequests.get('https://x', verify=False, timeout=5)\n")
        assert [f.rule for f in found] == ["APS201"]
        assert gc.isenabled() is enabled_before
    finally:
        if was:
            gc.enable()

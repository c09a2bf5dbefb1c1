"""Config files as entries with key paths and value positions (analysis/configfile.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apisec_lint.analysis.configfile import (
    ConfigEntry,
    config_entries,
    config_tree,
    parse_config,
)
from apisec_lint.context import FileContext
from apisec_lint.packs import load_knowledge
from apisec_lint.types import Config, FileKind


def entries(text: str, kind: FileKind) -> dict[tuple, ConfigEntry]:
    return {e.path: e for e in parse_config(text, kind).entries}


def test_json_paths_values_and_positions() -> None:
    text = ('{\n  "exchange": {\n    "name": "binance",\n    "key": "abc",\n'
            '    "ccxt_config": {"verify": false, "rateLimit": 50}\n  },\n'
            '  "pairs": ["BTC/USDT", "ETH/USDT"],\n  "x": null\n}\n')
    got = entries(text, FileKind.JSON)
    key = got[("exchange", "key")]
    assert key.value == "abc"
    assert (key.span.line, key.span.column, key.span.end_column) == (4, 12, 17)
    assert key.key_span is not None and key.key_span.column == 5
    assert got[("exchange", "ccxt_config", "verify")].value is False
    assert got[("exchange", "ccxt_config", "rateLimit")].value == 50
    assert got[("pairs", 1)].value == "ETH/USDT" and got[("pairs", 1)].line == 7
    assert got[("x",)].value is None
    assert got[("pairs", 1)].dotted() == "pairs[1]"
    assert got[("exchange", "key")].key == "key"


def test_json_with_comments_and_trailing_commas_like_freqtrade() -> None:
    text = ('{\n  // freqtrade allows comments\n  "exchange": {\n    "secret": "s", /* here */\n'
            '  },\n}\n')
    doc = parse_config(text, FileKind.JSON)
    assert doc.tree == {"exchange": {"secret": "s"}}
    assert [(e.path, e.line) for e in doc.entries] == [(("exchange", "secret"), 4)]


def test_json_escapes_are_decoded() -> None:
    got = entries('{"k": "a\\"b\\u0041"}', FileKind.JSON)
    assert got[("k",)].value == 'a"bA'


def test_yaml_nested_lists_anchors_and_documents() -> None:
    text = ("defaults: &d\n  timeout: 10\nkucoin:\n  <<: *d\n  key: \"569e\"\n"
            "  list:\n    - a\n    - {b: true}\n---\nsecond: 2\n")
    got = entries(text, FileKind.YAML)
    assert got[("kucoin", "key")].value == "569e"
    assert got[("kucoin", "key")].line == 5
    assert got[("kucoin", "list", 1, "b")].value is True
    assert got[("second",)].value == 2 and got[("second",)].line == 10
    # merged keys are reported where the anchor is written, once
    assert ("kucoin", "<<", "timeout") not in got
    assert got[("defaults", "timeout")].line == 2


def test_yaml_recursive_alias_does_not_hang() -> None:
    doc = parse_config("a: &x [1, *x]\n", FileKind.YAML)
    assert [e.value for e in doc.entries] == [1]


def test_toml_tables_arrays_inline_tables_and_strings() -> None:
    text = ('[bot]\nname = "grid" # comment\n\n[exchange]\napi_key = "k1"\n'
            '"quoted key" = \'lit\'\nnested.deep = 3\n'
            'inline = { secret = "s1", list = ["a", "b"] }\n'
            'multi = """\nline1\nline2"""\n\n'
            '[[accounts]]\nkey = "first"\n[[accounts]]\nkey = "second"\n'
            '[exchange.testnet]\napi_key = "YOUR_API_KEY"\nwhen = 1979-05-27 07:32:00Z\n')
    got = entries(text, FileKind.TOML)
    assert got[("exchange", "api_key")].line == 5
    assert got[("exchange", "quoted key")].value == "lit"
    assert got[("exchange", "nested", "deep")].value == 3
    assert got[("exchange", "inline", "secret")].line == 8
    assert got[("exchange", "inline", "list", 1)].value == "b"
    assert got[("exchange", "multi")].value == "line1\nline2"
    assert got[("exchange", "multi")].line == 9
    assert got[("accounts", 1, "key")].value == "second"
    assert got[("accounts", 1, "key")].line == 16
    assert got[("exchange", "testnet", "api_key")].line == 18
    assert parse_config(text, FileKind.TOML).tree["exchange"]["testnet"]["api_key"] == \
        "YOUR_API_KEY"


def test_ini_sections_delimiters_comments() -> None:
    text = ("; comment\n[binance]\napi_key = abc ; trailing\nsecret: \"s e\"\n"
            "  continued line\n# other\n[empty]\n")
    got = entries(text, FileKind.INI)
    assert got[("binance", "api_key")].value == "abc"
    assert got[("binance", "api_key")].span.column == 11
    assert got[("binance", "secret")].value == "s e"
    assert got[("binance", "secret")].line == 4
    assert parse_config(text, FileKind.INI).tree == {
        "binance": {"api_key": "abc", "secret": "s e"}, "empty": {}}


def test_env_quotes_export_comments_and_multiline() -> None:
    text = ('# comment\nexport A=1\nB="two # not a comment"\nC=three # comment\n'
            "D='single'\nE=\"multi\nline\"\nF=\nnot a line\nG = spaced\n")
    got = entries(text, FileKind.ENV)
    assert got[("A",)].value == "1" and got[("A",)].line == 2
    assert got[("B",)].value == "two # not a comment"
    assert got[("C",)].value == "three"
    assert got[("D",)].value == "single"
    assert got[("E",)].value == "multi\nline" and got[("E",)].line == 6
    assert got[("F",)].value == ""
    assert got[("G",)].value == "spaced" and got[("G",)].line == 10
    assert parse_config(text, FileKind.ENV).tree["C"] == "three"


@pytest.mark.parametrize(("text", "kind"), [
    ('{"a": [1, 2}', FileKind.JSON),
    ('{"a": 1} trailing', FileKind.JSON),
    ("a: [1, 2\nb: {", FileKind.YAML),
    ("key: @bad", FileKind.YAML),
    ("a = \n", FileKind.TOML),
    ("[a\nb = 1", FileKind.TOML),
    ("[" * 5000 + "]" * 5000, FileKind.JSON),
])
def test_malformed_files_yield_nothing(text: str, kind: FileKind) -> None:
    doc = parse_config(text, kind)
    assert doc.entries == ()
    assert doc.tree is None or (kind is FileKind.JSON and isinstance(doc.tree, list))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(list(FileKind)))
def test_never_raises_on_any_text(text: str, kind: FileKind) -> None:
    if kind is FileKind.PYTHON:
        return
    doc = parse_config(text, kind)
    assert isinstance(doc.entries, tuple)
    _ = doc.tree


def test_entries_are_shared_through_the_context() -> None:
    ctx = FileContext("c.json", FileKind.JSON, '{"a": {"b": "c"}}', load_knowledge(), Config())
    first = config_entries(ctx)
    assert [(e.path, e.value) for e in first] == [(("a", "b"), "c")]
    assert ctx.shared["configfile"].entries is ctx.shared["configfile"].entries
    assert config_tree(ctx) == {"a": {"b": "c"}}
    other = replace(first[0], value="d")
    assert other.value == "d" and first[0].value == "c"  # entries are immutable values

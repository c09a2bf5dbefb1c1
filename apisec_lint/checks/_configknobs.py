"""Client-config knobs in committed config files (JSON, YAML, TOML).

freqtrade-style configs hand a mapping straight to the ccxt constructor
(``"exchange": {"ccxt_config": {"verify": false, "enableRateLimit": false}}``). A
mapping is a client config of an SDK when it sits under one of the SDK's
``[[client_configs]]`` wrapper keys, or holds one of its marker keys; its scalar
entries are then judged against the SDK's ``config_key`` knobs.

The entries (key path, value, span) come from the shared config-file analysis
(:mod:`apisec_lint.analysis.configfile`) when it is installed; until then a minimal
position-keeping JSON/YAML reader below provides them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apisec_lint.analysis.knobs import Setting
from apisec_lint.analysis.values import Const
from apisec_lint.types import FileKind, Span

if TYPE_CHECKING:
    from apisec_lint.context import FileContext

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Entry:
    """A scalar of a config file: its key path, value and where it is written."""

    path: Path
    value: Any
    span: Span


def config_entries(ctx: FileContext) -> list[Any]:
    """Scalar entries of the config file ``ctx`` (``.path``, ``.value``, ``.span``)."""
    try:
        from apisec_lint.analysis import configfile  # the shared analysis, when present
    except ImportError:
        return ctx.analysis("configknobs.entries", _own_entries)  # type: ignore[no-any-return]
    return list(configfile.config_entries(ctx))


def _own_entries(ctx: FileContext) -> list[Entry]:
    try:
        if ctx.kind is FileKind.JSON:
            return list(_json_entries(ctx.text))
        if ctx.kind is FileKind.YAML:
            return list(_yaml_entries(ctx.text))
        if ctx.kind is FileKind.ENV:
            return list(_env_entries(ctx.text))
    except (ValueError, IndexError, RecursionError):
        return []
    except Exception as exc:  # yaml errors
        if type(exc).__module__.startswith("yaml"):
            return []
        raise
    return []


# --------------------------------------------------------------------------- JSON

_WS = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_STR = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LIT = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def _json_entries(text: str) -> Iterator[Entry]:
    """Scalars of a JSON document with positions (``//`` and ``/* */`` comments and
    trailing commas tolerated, as freqtrade configs use them)."""
    import bisect
    import json

    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out: list[Entry] = []

    def pos(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def ws(i: int) -> int:
        m = _WS.match(text, i)
        return m.end() if m else i

    def value(i: int, path: Path, depth: int) -> int:
        if depth > 200:
            raise ValueError("too deep")
        i = ws(i)
        c = text[i]
        if c == "{":
            i = ws(i + 1)
            while text[i] != "}":
                m = _STR.match(text, i)
                if m is None:
                    raise ValueError("bad key")
                key = json.loads(m.group(0), strict=False)
                i = ws(m.end())
                if text[i] != ":":
                    raise ValueError("expected :")
                i = ws(value(i + 1, (*path, key), depth + 1))
                if text[i] == ",":
                    i = ws(i + 1)
                elif text[i] != "}":
                    raise ValueError("expected , or }")
            return i + 1
        if c == "[":
            i = ws(i + 1)
            index = 0
            while text[i] != "]":
                i = ws(value(i, (*path, index), depth + 1))
                index += 1
                if text[i] == ",":
                    i = ws(i + 1)
                elif text[i] != "]":
                    raise ValueError("expected , or ]")
            return i + 1
        m = _STR.match(text, i) or _LIT.match(text, i)
        if m is None:
            raise ValueError("bad value")
        line, col = pos(m.start())
        end_line, end_col = pos(m.end())
        out.append(Entry(path, json.loads(m.group(0), strict=False),
                         Span(line, col, end_line, end_col)))
        return m.end()

    value(0, (), 0)
    return iter(out)


# --------------------------------------------------------------------------- .env

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")


def _env_entries(text: str) -> Iterator[Entry]:
    for number, line in enumerate(text.splitlines(), 1):
        m = _ENV_LINE.match(line)
        if m is None or line.lstrip().startswith("#"):
            continue
        raw = m.group(2)
        start = m.start(2)
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw, start = raw[1:-1], start + 1
        elif " #" in raw:
            raw = raw.split(" #", 1)[0].rstrip()
        yield Entry((m.group(1),), raw, Span(number, start + 1, number, start + 1 + len(raw)))


# --------------------------------------------------------------------------- YAML

def _yaml_entries(text: str) -> Iterator[Entry]:
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return
    loader = yaml.SafeLoader("")
    stack: list[tuple[Any, Path, int]] = [(root, (), 0)]
    count = 0
    while stack:
        node, path, depth = stack.pop()
        count += 1
        if depth > 100 or count > 100_000:
            return
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    stack.append((v, (*path, k.value), depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for idx, v in enumerate(node.value):
                stack.append((v, (*path, idx), depth + 1))
        elif isinstance(node, yaml.ScalarNode):
            value = loader.construct_object(node)
            s, e = node.start_mark, node.end_mark
            yield Entry(path, value, Span(s.line + 1, s.column + 1, e.line + 1, e.column + 1))


# --------------------------------------------------------------------------- settings

_EXCHANGE_KEYS = ("id", "name", "exchange", "exchange_id", "exchangeId")


def client_config_settings(ctx: FileContext,
                           knobs: list[dict[str, Any]]) -> Iterator[tuple[Setting, Span]]:
    """(Setting, span) for every knob set in a client config of the file."""
    wrappers: dict[str, str] = {}
    markers: dict[str, str] = {}
    for entry in ctx.knowledge.section("client_configs"):
        for key in entry.get("keys", ()):
            wrappers[key] = entry["sdk"]
        for key in entry.get("markers", ()):
            markers[key] = entry["sdk"]
    children: dict[Path, dict[str, Any]] = {}
    for e in config_entries(ctx):
        path = tuple(e.path)
        if path and isinstance(path[-1], str):
            children.setdefault(path[:-1], {})[path[-1]] = e
    for parent in sorted(children, key=repr):
        mapping = children[parent]
        sdks = {markers[k] for k in mapping if k in markers}
        if parent and isinstance(parent[-1], str) and parent[-1] in wrappers:
            sdks.add(wrappers[parent[-1]])
        if not sdks:
            continue
        exchange = _exchange_of(mapping) or _exchange_of(children.get(parent[:-1], {}))
        owner = ".".join(str(p) for p in parent) or "config"
        for knob in knobs:
            if knob["sdk"] not in sdks:
                continue
            e = mapping.get(knob["config_key"])
            if e is None:
                continue
            yield Setting(knob, None, None, (Const(e.value, None),), owner,
                          exchange=exchange), e.span


def _exchange_of(mapping: dict[str, Any]) -> str | None:
    for key in _EXCHANGE_KEYS:
        e = mapping.get(key)
        if e is not None and isinstance(e.value, str) and e.value.isidentifier():
            return e.value.lower()
    return None

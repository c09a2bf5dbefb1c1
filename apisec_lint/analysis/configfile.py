"""Config files (.env, JSON, YAML, TOML, INI) as entries with positions.

Rules for committed config files ask two things: *what* the file holds (a Python tree,
:func:`config_tree`) and *where* each value is written (:func:`config_entries`: one
:class:`ConfigEntry` per scalar, with its key path and the 1-based span of the value).
Both are computed once per file and shared through ``ctx.analysis``.

The standard parsers have no positions (``json``, ``tomllib``) or build them at a
cost, so each format has a small scanner here: JSON (lenient: ``//`` and ``/* */``
comments and trailing commas, as freqtrade configs use), YAML through
``yaml.compose`` (the safe loader's nodes carry marks), TOML (a scanner for tables,
dotted keys, arrays and inline tables; ``tomllib`` converts each scalar), INI and
``.env``. A malformed file never raises: it yields no entries and a ``None`` tree.

    from apisec_lint.analysis.configfile import config_entries, config_tree

    for entry in config_entries(ctx):          # ConfigEntry(path, value, span)
        if entry.path[-2:] == ("ccxt_config", "verify") and entry.value is False:
            ctx.report_span(rule, entry.span, "TLS verification disabled")
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from apisec_lint._lazy import lazy_re
from apisec_lint.types import FileKind, Span

if TYPE_CHECKING:
    from apisec_lint.context import FileContext

from apisec_lint._lazy import tomllib

#: Entries beyond this many are dropped (a YAML alias bomb must not exhaust memory).
MAX_ENTRIES = 200_000
MAX_DEPTH = 200

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigEntry:
    """One scalar of a config file: its key path (dict keys as str, list indices as
    int), its Python value and where the value is written."""

    path: Path
    value: Any
    span: Span
    key_span: Span | None = None

    @property
    def key(self) -> str:
        """The innermost dict key of the path (``""`` for a top-level list item)."""
        for part in reversed(self.path):
            if isinstance(part, str):
                return part
        return ""

    @property
    def line(self) -> int:
        return self.span.line

    def dotted(self) -> str:
        """``exchange.key`` / ``pairs[0]`` for messages."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


class _Malformed(Exception):
    pass


class _Lines:
    """Offsets -> 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())

    def pos(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.pos(start)
        end_line, end_col = self.pos(end)
        return Span(line, col, end_line, end_col)


class ConfigDoc:
    """The parsed form of one config file; computed lazily, never raises."""

    def __init__(self, text: str, kind: FileKind) -> None:
        self.text = text
        self.kind = kind

    @cached_property
    def entries(self) -> tuple[ConfigEntry, ...]:
        parser = _ENTRY_PARSERS.get(self.kind)
        if parser is None:
            return ()
        try:
            return tuple(parser(self.text)[1])
        except (_Malformed, RecursionError, ValueError, IndexError, TypeError):
            return ()
        except Exception as exc:  # yaml.YAMLError and friends
            if type(exc).__module__.startswith("yaml"):
                return ()
            raise

    @cached_property
    def tree(self) -> Any:
        try:
            if self.kind is FileKind.JSON:
                try:
                    return json.loads(self.text)
                except ValueError:
                    return _parse_json(self.text)[0]  # comments / trailing commas
            if self.kind is FileKind.TOML:
                return tomllib.loads(self.text)
            if self.kind is FileKind.YAML:
                return _yaml_tree(self.text)
            parser = _ENTRY_PARSERS.get(self.kind)
            return parser(self.text)[0] if parser else None
        except (_Malformed, RecursionError, ValueError, IndexError, TypeError,
                tomllib.TOMLDecodeError):
            return None
        except Exception as exc:  # yaml.YAMLError and friends
            if type(exc).__module__.startswith("yaml"):
                return None
            raise


def parse_config(text: str, kind: FileKind) -> ConfigDoc:
    """A :class:`ConfigDoc` for ``text`` of ``kind`` (entries and tree are lazy)."""
    return ConfigDoc(text, kind)


def config_doc(ctx: FileContext) -> ConfigDoc:
    """The shared :class:`ConfigDoc` of the file ``ctx`` describes."""
    doc: ConfigDoc = ctx.analysis("configfile", lambda c: ConfigDoc(c.text, c.kind))
    return doc


def config_entries(ctx: FileContext) -> list[ConfigEntry]:
    """Every scalar of the config file, with key path and value span."""
    return list(config_doc(ctx).entries)


def config_tree(ctx: FileContext) -> Any:
    """The config file as Python data (dict/list/scalars), or None if malformed."""
    return config_doc(ctx).tree


# --------------------------------------------------------------------------- JSON

_JSON_WS_RE = lazy_re(r"(?:\s+|//[^\n]*|/\*.*?\*/|#[^\n]*)*", re.DOTALL)
_JSON_STR_RE = lazy_re(r'"(?:[^"\\\n]|\\.)*"')
_JSON_LIT_RE = lazy_re(
    r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity")


def _parse_json(text: str) -> tuple[Any, list[ConfigEntry]]:
    """JSON with positions; lenient about comments and trailing commas."""
    lines = _Lines(text)
    entries: list[ConfigEntry] = []
    s = text
    n = len(s)

    def ws(i: int) -> int:
        m = _JSON_WS_RE.match(s, i)
        return m.end() if m else i

    def string_at(i: int) -> tuple[str, int]:
        m = _JSON_STR_RE.match(s, i)
        if not m:
            raise _Malformed
        return json.loads(m.group(0), strict=False), m.end()

    def value(i: int, path: Path, depth: int, key_span: Span | None) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise _Malformed
        i = ws(i)
        if i >= n:
            raise _Malformed
        c = s[i]
        if c == "{":
            obj: dict[str, Any] = {}
            i = ws(i + 1)
            while i < n and s[i] != "}":
                kstart = i
                key, i = string_at(i)
                kspan = lines.span(kstart, i)
                i = ws(i)
                if i >= n or s[i] != ":":
                    raise _Malformed
                obj[key], i = value(i + 1, (*path, key), depth + 1, kspan)
                i = ws(i)
                if i < n and s[i] == ",":
                    i = ws(i + 1)
                elif i < n and s[i] != "}":
                    raise _Malformed
            if i >= n:
                raise _Malformed
            return obj, i + 1
        if c == "[":
            arr: list[Any] = []
            i = ws(i + 1)
            while i < n and s[i] != "]":
                item, i = value(i, (*path, len(arr)), depth + 1, None)
                arr.append(item)
                i = ws(i)
                if i < n and s[i] == ",":
                    i = ws(i + 1)
                elif i < n and s[i] != "]":
                    raise _Malformed
            if i >= n:
                raise _Malformed
            return arr, i + 1
        start = i
        if c == '"':
            val, i = string_at(i)
        else:
            m = _JSON_LIT_RE.match(s, i)
            if not m:
                raise _Malformed
            i = m.end()
            val = json.loads(m.group(0))
        if len(entries) < MAX_ENTRIES:
            entries.append(ConfigEntry(path, val, lines.span(start, i), key_span))
        return val, i

    tree, end = value(0, (), 0, None)
    if ws(end) != n:
        raise _Malformed
    return tree, entries


# --------------------------------------------------------------------------- YAML

def _yaml_loader(text: str) -> Any:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    return loader_cls(text)


def _yaml_tree(text: str) -> Any:
    import yaml

    docs = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader))
    if not docs:
        return None
    return docs[0] if len(docs) == 1 else docs


def _parse_yaml(text: str) -> tuple[Any, list[ConfigEntry]]:
    import yaml

    loader = _yaml_loader(text)
    entries: list[ConfigEntry] = []
    try:
        roots = []
        try:
            while loader.check_node():
                roots.append(loader.get_node())
        except yaml.YAMLError:
            raise _Malformed from None
        for root in roots:
            _yaml_walk(loader, root, entries)
    finally:
        loader.dispose()
    return None, entries


def _yaml_span(node: Any) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _yaml_walk(loader: Any, root: Any, entries: list[ConfigEntry]) -> None:
    import yaml

    stack: list[tuple[Any, Path, Span | None, frozenset[int]]] = [(root, (), None, frozenset())]
    while stack:
        node, path, key_span, seen = stack.pop()
        if len(entries) >= MAX_ENTRIES or len(path) > MAX_DEPTH:
            return
        if id(node) in seen:
            continue  # a recursive alias
        if isinstance(node, yaml.ScalarNode):
            try:
                val = loader.construct_object(node, deep=True)
            except yaml.YAMLError:
                val = node.value
            entries.append(ConfigEntry(path, val, _yaml_span(node), key_span))
            continue
        inner = seen | {id(node)}
        if isinstance(node, yaml.MappingNode):
            items = []
            for knode, vnode in node.value:
                if isinstance(knode, yaml.ScalarNode):
                    if knode.tag == "tag:yaml.org,2002:merge":
                        continue  # merged entries are reported where the anchor is written
                    key: str | int = knode.value
                else:
                    key = "?"
                items.append((vnode, (*path, key), _yaml_span(knode), inner))
            stack.extend(reversed(items))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(v, (*path, i), None, inner) for i, v in enumerate(node.value)]))


# --------------------------------------------------------------------------- TOML

_TOML_WS_RE = lazy_re(r"[ \t]*")
_TOML_WSNL_RE = lazy_re(r"(?:[ \t\r\n]+|#[^\n]*)*")
_TOML_BARE_RE = lazy_re(r"[A-Za-z0-9_\-]+")
_TOML_BASIC_RE = lazy_re(r'"(?:[^"\\\n]|\\.)*"')
_TOML_LITERAL_RE = lazy_re(r"'[^'\n]*'")
_TOML_ML_BASIC_RE = lazy_re(r'"""(?:[^"\\]|\\.|"(?!""))*"""("{0,2})', re.DOTALL)
_TOML_ML_LITERAL_RE = lazy_re(r"'''(?:[^']|'(?!''))*'''('{0,2})", re.DOTALL)
_TOML_SCALAR_RE = lazy_re(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?"
    r"|\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"|[+-]?(?:inf|nan)|true|false"
    r"|[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|[0-9_]+(?:\.[0-9_]+)?(?:[eE][+-]?[0-9_]+)?)")


def _toml_scalar(raw: str) -> Any:
    return tomllib.loads(f"v = {raw}")["v"]


def _parse_toml(text: str) -> tuple[Any, list[ConfigEntry]]:
    tree = tomllib.loads(text)  # malformed TOML raises here: no entries at all
    lines = _Lines(text)
    entries: list[ConfigEntry] = []
    s = text
    n = len(s)
    arrays: dict[Path, int] = {}

    def key_at(i: int) -> tuple[list[str], int]:
        parts: list[str] = []
        while True:
            i = _TOML_WS_RE.match(s, i).end()  # type: ignore[union-attr]
            for regex in (_TOML_BARE_RE, _TOML_BASIC_RE, _TOML_LITERAL_RE):
                m = regex.match(s, i)
                if m:
                    raw = m.group(0)
                    parts.append(_toml_scalar(raw) if raw[0] in "\"'" else raw)
                    i = m.end()
                    break
            else:
                raise _Malformed
            i = _TOML_WS_RE.match(s, i).end()  # type: ignore[union-attr]
            if i < n and s[i] == ".":
                i += 1
                continue
            return parts, i

    def value(i: int, path: Path, key_span: Span | None, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Malformed
        c = s[i] if i < n else ""
        if c == "[":
            i = _TOML_WSNL_RE.match(s, i + 1).end()  # type: ignore[union-attr]
            index = 0
            while i < n and s[i] != "]":
                i = value(i, (*path, index), None, depth + 1)
                index += 1
                i = _TOML_WSNL_RE.match(s, i).end()  # type: ignore[union-attr]
                if i < n and s[i] == ",":
                    i = _TOML_WSNL_RE.match(s, i + 1).end()  # type: ignore[union-attr]
            return i + 1
        if c == "{":
            i = _TOML_WS_RE.match(s, i + 1).end()  # type: ignore[union-attr]
            while i < n and s[i] != "}":
                kstart = i
                parts, i = key_at(i)
                kspan = lines.span(kstart, i)
                if i >= n or s[i] != "=":
                    raise _Malformed
                i = _TOML_WS_RE.match(s, i + 1).end()  # type: ignore[union-attr]
                i = value(i, (*path, *parts), kspan, depth + 1)
                i = _TOML_WS_RE.match(s, i).end()  # type: ignore[union-attr]
                if i < n and s[i] == ",":
                    i = _TOML_WS_RE.match(s, i + 1).end()  # type: ignore[union-attr]
            return i + 1
        for regex in (_TOML_ML_BASIC_RE, _TOML_ML_LITERAL_RE, _TOML_BASIC_RE, _TOML_LITERAL_RE,
                      _TOML_SCALAR_RE):
            m = regex.match(s, i)
            if m and m.group(0):
                if len(entries) < MAX_ENTRIES:
                    entries.append(ConfigEntry(path, _toml_scalar(m.group(0)),
                                               lines.span(i, m.end()), key_span))
                return m.end()
        raise _Malformed

    table: Path = ()
    i = 0
    while True:
        i = _TOML_WSNL_RE.match(s, i).end()  # type: ignore[union-attr]
        if i >= n:
            break
        if s.startswith("[[", i):
            parts, i = key_at(i + 2)
            if not s.startswith("]]", i):
                raise _Malformed
            i += 2
            base = tuple(parts)
            index = arrays.get(base, 0)
            arrays[base] = index + 1
            table = (*base, index)
        elif s[i] == "[":
            parts, i = key_at(i + 1)
            if i >= n or s[i] != "]":
                raise _Malformed
            i += 1
            table = tuple(parts)
        else:
            kstart = i
            parts, i = key_at(i)
            kspan = lines.span(kstart, i)
            if i >= n or s[i] != "=":
                raise _Malformed
            i = _TOML_WS_RE.match(s, i + 1).end()  # type: ignore[union-attr]
            i = value(i, (*table, *parts), kspan, 0)
    return tree, entries


# --------------------------------------------------------------------------- INI

# Anchored and without nested or lazy quantifiers: linear on any input.
_INI_SECTION_RE = lazy_re(r"\A\[([^\]]*)\]")
_INI_OPTION_RE = lazy_re(r"\A([^=:\s][^=:]*)[=:][ \t]*(.*)")
_INLINE_COMMENT_RE = lazy_re(r"(?<!\s)\s+[;#].*")


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _parse_ini(text: str) -> tuple[Any, list[ConfigEntry]]:
    tree: dict[str, dict[str, str]] = {}
    entries: list[ConfigEntry] = []
    section = ""
    offset = 0
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        offset += len(line)
        if not stripped or stripped[0] in "#;":
            continue
        if body[0] in " \t":
            continue  # a continuation line: the value is reported where it starts
        m = _INI_SECTION_RE.match(stripped)
        if m:
            section = m.group(1).strip()
            tree.setdefault(section, {})
            continue
        m = _INI_OPTION_RE.match(body)
        if not m:
            continue
        key = m.group(1).strip()
        raw = _INLINE_COMMENT_RE.sub("", m.group(2), count=1).rstrip()
        start = m.start(2) + 1
        value = _unquote(raw)
        tree.setdefault(section, {})[key] = value
        path: Path = (section, key) if section else (key,)
        entries.append(ConfigEntry(path, value, Span(lineno, start, lineno, start + len(raw)),
                                   Span(lineno, m.start(1) + 1, lineno, m.end(1) + 1)))
    return tree, entries


# --------------------------------------------------------------------------- .env

_ENV_RE = lazy_re(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=[ \t]*",
                     re.MULTILINE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _parse_env(text: str) -> tuple[Any, list[ConfigEntry]]:
    tree: dict[str, str] = {}
    entries: list[ConfigEntry] = []
    lines = _Lines(text)
    i = 0
    n = len(text)
    while i < n:
        eol = text.find("\n", i)
        eol = n if eol < 0 else eol
        m = _ENV_RE.match(text, i, eol)
        if not m:
            i = eol + 1
            continue
        key = m.group(1)
        start = m.end()
        quote = text[start] if start < n and text[start] in "\"'`" else ""
        if quote:
            end = start + 1
            while end < n and text[end] != quote:
                end += 2 if text[end] == "\\" and quote == '"' else 1
            if end >= n:  # unterminated: take the rest of the line
                end = eol
                value = text[start + 1:end]
                vend = end
            else:
                value = text[start + 1:end]
                vend = end + 1
            if quote == '"':
                value = re.sub(r"\\(.)", lambda mm: _ESCAPES.get(mm.group(1), mm.group(0)), value)
            nxt = text.find("\n", vend)
            i = n if nxt < 0 else nxt + 1
        else:
            raw = text[start:eol]
            raw = re.sub(r"(^|\s+)#.*$", "", raw).rstrip()
            value = raw
            vend = start + len(raw)
            i = eol + 1
        tree[key] = value
        entries.append(ConfigEntry((key,), value, lines.span(start, vend),
                                   lines.span(m.start(1), m.end(1))))
    return tree, entries


_ENTRY_PARSERS: dict[FileKind, Callable[[str], tuple[Any, list[ConfigEntry]]]] = {
    FileKind.JSON: _parse_json,
    FileKind.YAML: _parse_yaml,
    FileKind.TOML: _parse_toml,
    FileKind.INI: _parse_ini,
    FileKind.ENV: _parse_env,
}


def iter_strings(tree: Any, path: Path = (), depth: int = 0) -> Iterator[tuple[Path, str]]:
    """(key path, string) for every string scalar of a tree (cheap pre-check before
    asking for positioned entries)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from iter_strings(v, (*path, str(k)), depth + 1)
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from iter_strings(v, (*path, i), depth + 1)
    elif isinstance(tree, str):
        yield path, tree

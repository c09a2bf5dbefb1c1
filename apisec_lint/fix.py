"""Fixes: what a rule attaches to a report, and how edits are applied.

A rule that can fix what it reports passes ``fix=FixSpec(...)`` to ``report()``: a few
node-level operations (replace this node, remove this argument or dict entry, add a
keyword argument to this call, remove this statement, add ``import os``). After the walk,
when positions are known, :func:`resolve` turns them into character-offset
:class:`~apisec_lint.types.Edit` s against the ORIGINAL source text: the fixed file is
the original with those ranges replaced, so every byte outside them (comments,
formatting, line endings) is unchanged. Nothing is regenerated from the tree.

:func:`apply_fixes` applies the non-overlapping edits of several fixes and checks that
the result still parses; the loop that re-lints and writes files is in
:mod:`apisec_lint.autofix`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from apisec_lint.types import Edit, Fix

if TYPE_CHECKING:
    from apisec_lint.context import FileContext

SAFE = "safe"
UNSAFE = "unsafe"

_NEWLINE = re.compile(r"\r\n|\r|\n")
# what may follow an item or statement on its line for the whole line to be its own
_LINE_REST = re.compile(r"[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|\Z)")


# --------------------------------------------------------------------------- operations
# Plain classes, not dataclasses: this module is imported by every rule family at
# start-up, and a dataclass costs far more to define.

class Replace:
    """Replace the source of ``node`` (without its parentheses) by ``text``."""

    __slots__ = ("node", "text")

    def __init__(self, node: Any, text: str) -> None:
        self.node, self.text = node, text


class ReplaceScheme:
    """In the string literal ``node`` (simple, concatenated or f-string), replace the
    URL scheme ``old`` (``http://``) that starts its text by ``new``."""

    __slots__ = ("new", "node", "old")

    def __init__(self, node: Any, old: str, new: str) -> None:
        self.node, self.old, self.new = node, old, new


class RemoveItem:
    """Remove ``item`` (an ``Arg`` or a ``DictElement``) from ``items``, the sequence it
    belongs to, with its comma; an item alone on its line(s) goes with the line(s)."""

    __slots__ = ("item", "items")

    def __init__(self, item: Any, items: Sequence[Any]) -> None:
        self.item, self.items = item, items


class AddArg:
    """Add the keyword argument ``text`` (``timeout=10``) at the end of ``call``."""

    __slots__ = ("call", "text")

    def __init__(self, call: Any, text: str) -> None:
        self.call, self.text = call, text


class RemoveStatement:
    """Remove a ``SimpleStatementLine`` that holds one statement, with its line."""

    __slots__ = ("statement",)

    def __init__(self, statement: Any) -> None:
        self.statement = statement


class AddImport:
    """``import <module>`` after the module docstring and ``__future__`` imports, unless
    the module already imports it under its own name at the top level."""

    __slots__ = ("module",)

    def __init__(self, module: str) -> None:
        self.module = module


class FixSpec:
    """What a rule attaches to a report: operations, applicability, a message, and the
    environment variables the fixed code reads."""

    __slots__ = ("applicability", "env", "message", "ops")

    def __init__(self, ops: tuple[Any, ...], applicability: str = SAFE, message: str = "",
                 env: tuple[str, ...] = ()) -> None:
        self.ops, self.applicability, self.message, self.env = ops, applicability, message, env


# --------------------------------------------------------------------------- resolution

class _Source:
    """Offsets of one file's lines, and node ranges from the positions of the walk."""

    def __init__(self, ctx: FileContext) -> None:
        self.text = ctx.text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(ctx.text)]
        self.positions = ctx.positions
        self.module = ctx.module
        self.newline = getattr(ctx.module, "default_newline", "\n")

    def offset(self, line: int, column: int) -> int:
        if line - 1 >= len(self.starts):
            return len(self.text)
        return self.starts[line - 1] + column

    def range(self, node: Any) -> tuple[int, int]:
        pos = self.positions.get(node)
        if pos is None:
            raise _Unfixable
        return (self.offset(pos.start.line, pos.start.column),
                self.offset(pos.end.line, pos.end.column))

    def line_start(self, offset: int) -> int:
        start = offset
        while start > 0 and self.text[start - 1] not in "\r\n":
            start -= 1
        return start

    def rest_of_line(self, offset: int) -> int | None:
        """End of the line (after its newline) when only blanks and a comment follow
        ``offset`` on it, else None."""
        m = _LINE_REST.match(self.text, offset)
        return m.end() if m else None

    def comma_after(self, offset: int) -> int:
        """Offset just after the comma that follows ``offset`` (blanks between)."""
        i = offset
        while i < len(self.text) and self.text[i] in " \t\\\r\n":
            i += 1
        if i >= len(self.text) or self.text[i] != ",":
            raise _Unfixable
        return i + 1


class _Unfixable(Exception):
    """An operation that cannot be turned into edits here: the report gets no fix."""


def resolve(ctx: FileContext, spec: FixSpec) -> Fix | None:
    """The edits of ``spec`` in ``ctx``'s source, or None when one cannot be made."""
    src: _Source = ctx.analysis("fix-source", _Source)
    edits: list[Edit] = []
    try:
        for op in spec.ops:
            edits.extend(_edits(src, op))
    except (_Unfixable, ValueError, IndexError):
        return None
    if not edits:
        return None
    edits = sorted(set(edits), key=lambda e: (e.start, e.end))
    for a, b in itertools.pairwise(edits):
        if _overlap(a, b):
            return None
    return Fix(tuple(edits), spec.applicability, spec.message, tuple(spec.env))


def _edits(src: _Source, op: Any) -> list[Edit]:
    if isinstance(op, Replace):
        start, end = src.range(op.node)
        return [Edit(start, end, op.text)]
    if isinstance(op, ReplaceScheme):
        return [_scheme_edit(src, op)]
    if isinstance(op, RemoveItem):
        return _remove_item(src, op.item, op.items)
    if isinstance(op, AddArg):
        return [_add_arg(src, op.call, op.text)]
    if isinstance(op, RemoveStatement):
        return [_remove_statement(src, op.statement)]
    if isinstance(op, AddImport):
        return _add_import(src, op.module)
    raise _Unfixable


def _scheme_edit(src: _Source, op: ReplaceScheme) -> Edit:
    from apisec_lint._lazy import cst

    node = op.node
    while isinstance(node, cst.ConcatenatedString):
        node = node.left
    start, _ = src.range(node)
    if isinstance(node, cst.SimpleString):
        raw = node.value
        prefix = len(raw) - len(raw.lstrip("rRbBuUfF"))
        quote = 3 if raw[prefix:prefix + 3] in ('"""', "'''") else 1
        body = prefix + quote
        text = raw
    elif isinstance(node, cst.FormattedString):
        body = len(node.start)
        text = src.module.code_for_node(node)
    else:
        raise _Unfixable
    if text[body:body + len(op.old)].lower() != op.old.lower():
        raise _Unfixable
    return Edit(start + body, start + body + len(op.old), op.new)


def _remove_item(src: _Source, item: Any, items: Sequence[Any]) -> list[Edit]:
    from apisec_lint._lazy import cst

    items = list(items)
    idx = next((i for i, it in enumerate(items) if it is item), None)
    if idx is None:
        raise _Unfixable
    start, end = src.range(item)
    has_comma = isinstance(getattr(item, "comma", None), cst.Comma)
    after = src.comma_after(end) if has_comma else end
    line_start = src.line_start(start)
    own_line_end = src.rest_of_line(after)
    if not src.text[line_start:start].strip() and own_line_end is not None and \
            (has_comma or idx == len(items) - 1):
        return [Edit(line_start, own_line_end, "")]  # the item is alone on its line(s)
    if idx < len(items) - 1:
        nxt, _ = src.range(items[idx + 1])
        return [Edit(start, nxt, "")]
    if idx > 0:
        _, prev_end = src.range(items[idx - 1])
        if "#" not in src.text[prev_end:start]:
            return [Edit(prev_end, end, "")]
        # a comment between the two stays: the previous comma becomes a trailing one
    return [Edit(start, after, "")]


def _add_arg(src: _Source, call: Any, text: str) -> Edit:
    from apisec_lint._lazy import cst

    if not call.args:
        _, fend = src.range(call.func)
        paren = src.text.index("(", fend)
        return Edit(paren + 1, paren + 1, text)
    last = call.args[-1]
    start, end = src.range(last)
    if isinstance(last.comma, cst.Comma):
        after = src.comma_after(end)
        line_start = src.line_start(start)
        line_end = src.rest_of_line(after)
        indent = src.text[line_start:start]
        if not indent.strip() and line_end is not None:
            # one argument per line, with a trailing comma: a new line like the others
            newline = src.text[after:line_end]
            newline = newline[len(newline.rstrip("\r\n")):] or src.newline
            return Edit(line_end, line_end, f"{indent}{text},{newline}")
    return Edit(end, end, f", {text}")


def _remove_statement(src: _Source, stmt: Any) -> Edit:
    from apisec_lint._lazy import cst

    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        raise _Unfixable
    start, end = src.range(stmt)
    line_start = src.line_start(start)
    line_end = src.rest_of_line(end)
    if src.text[line_start:start].strip() or line_end is None:
        raise _Unfixable
    return Edit(line_start, line_end, "")


def _imports_module(module: Any, name: str) -> bool:
    from apisec_lint._lazy import cst

    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    dotted = _dotted(alias.name)
                    bound = alias.asname.name.value if alias.asname is not None and \
                        isinstance(alias.asname.name, cst.Name) else None
                    if (dotted == name and bound in (None, name)) or \
                            (bound is None and dotted.startswith(name + ".")):
                        return True
    return False


def _dotted(node: Any) -> str:
    from apisec_lint._lazy import cst

    if isinstance(node, cst.Name):
        return str(node.value)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _add_import(src: _Source, name: str) -> list[Edit]:
    from apisec_lint._lazy import cst

    module = src.module
    if _imports_module(module, name):
        return []
    body = list(module.body)
    i = 0
    if body and _is_docstring(body[0]):
        i = 1
    while i < len(body) and isinstance(body[i], cst.SimpleStatementLine) and all(
            isinstance(s, cst.ImportFrom) and s.module is not None
            and _dotted(s.module) == "__future__" for s in body[i].body):
        i += 1
    line = f"import {name}{src.newline}"
    if i < len(body):
        start, _ = src.range(body[i])
        at = src.line_start(start)
        return [Edit(at, at, line)]
    if i == 0:
        return [Edit(0, 0, line)]
    _, end = src.range(body[i - 1])
    line_end = src.rest_of_line(end)
    if line_end is None:
        raise _Unfixable
    if line_end == len(src.text) and not src.text.endswith(("\n", "\r")):
        return [Edit(line_end, line_end, src.newline + line)]
    return [Edit(line_end, line_end, line)]


def _is_docstring(stmt: Any) -> bool:
    from apisec_lint._lazy import cst

    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and \
        isinstance(stmt.body[0], cst.Expr) and \
        isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))


# --------------------------------------------------------------------------- applying

def _overlap(a: Edit, b: Edit) -> bool:
    """Whether two edits cannot both be applied (identical edits can: ``import os``)."""
    if a == b:
        return False
    if a.start == a.end and b.start == b.end:
        return a.start == b.start  # two insertions at one point: order unknown
    # an insertion at either end of a replaced range waits for the next pass: what it
    # is inserted next to is being rewritten
    if a.start == a.end:
        return b.start <= a.start <= b.end
    if b.start == b.end:
        return a.start <= b.start <= a.end
    return a.start < b.end and b.start < a.end


def splice(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied."""
    out: list[str] = []
    pos = 0
    for e in sorted(set(edits), key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise ValueError("overlapping edits")
        out.append(text[pos:e.start])
        out.append(e.content)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def select_fixes(fixes: Sequence[Fix]) -> list[Fix]:
    """The fixes that can be applied together: in source order, a fix whose edits
    overlap those of a fix already taken waits for the next pass."""
    taken: list[Fix] = []
    edits: list[Edit] = []
    for fix in sorted(fixes, key=lambda f: (f.edits[0].start, f.edits[0].end)):
        if any(_overlap(e, a) for e in fix.edits for a in edits):
            continue
        taken.append(fix)
        edits.extend(fix.edits)
    return taken


def parses(text: str) -> bool:
    from apisec_lint._lazy import cst
    from apisec_lint.pipeline import _risky_parse

    if _risky_parse(text):
        return False
    try:
        cst.parse_module(text)
    except Exception:
        return False
    return True


def apply_fixes(text: str, fixes: Sequence[Fix]) -> tuple[str, list[Fix]]:
    """Apply what can be applied of ``fixes`` to ``text``: (new text, fixes applied).
    The result always parses; when the fixes together break the file, they are tried
    one by one and those that break it are left out."""
    taken = select_fixes(fixes)
    if not taken:
        return text, []
    fixed = splice(text, [e for f in taken for e in f.edits])
    if parses(fixed):
        return fixed, taken
    kept: list[Fix] = []
    for fix in taken:
        trial = splice(text, [e for f in (*kept, fix) for e in f.edits])
        if parses(trial):
            kept.append(fix)
    if not kept:
        return text, []
    return splice(text, [e for f in kept for e in f.edits]), kept


# --------------------------------------------------------------------------- rule helpers

def container_of(ctx: FileContext, key: Any) -> tuple[Any, Sequence[Any]] | None:
    """(the item, its sequence) for a dict key node (``{"verify": False}``) or a
    keyword of a call (``dict(verify=False)``): what :class:`RemoveItem` needs. The
    index is built on first use, only when a fix needs it."""
    index = ctx.analysis("fix-containers", _containers)
    return index.get(id(key))  # type: ignore[no-any-return]


def _containers(ctx: FileContext) -> dict[int, tuple[Any, Sequence[Any]]]:
    from apisec_lint._lazy import cst

    out: dict[int, tuple[Any, Sequence[Any]]] = {}
    for node in ctx.index.of(cst.Dict, cst.Call):
        if isinstance(node, cst.Dict):
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    out[id(el.key)] = (el, node.elements)
        elif isinstance(node, cst.Call):
            for arg in node.args:
                if arg.keyword is not None:
                    out[id(arg.keyword)] = (arg, node.args)
    return out


def is_simple(expr: Any) -> bool:
    """A value whose removal or replacement removes no side effect: a literal, a name,
    a dotted name, or a conditional / unary expression of those."""
    from apisec_lint._lazy import cst

    if isinstance(expr, (cst.Name, cst.Integer, cst.Float, cst.SimpleString,
                         cst.ConcatenatedString)):
        return True
    if isinstance(expr, cst.Attribute):
        return is_simple(expr.value)
    if isinstance(expr, cst.UnaryOperation):
        return is_simple(expr.expression)
    if isinstance(expr, cst.IfExp):
        return is_simple(expr.test) and is_simple(expr.body) and is_simple(expr.orelse)
    if isinstance(expr, cst.Comparison):
        return is_simple(expr.left) and all(is_simple(c.comparator)
                                              for c in expr.comparisons)
    return False

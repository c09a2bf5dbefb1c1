"""One fast traversal of a libcst tree that feeds every rule at once.

libcst's own ``visit`` rebuilds every node on the way back up, which makes a visitor
cost about as much as the parse. This walker reads the dataclass fields directly and
skips the pure-whitespace and punctuation fields that no rule looks at, which is
several times faster. Handlers are found by node class name (``visit_Call``) through
the class's MRO, so ``visit_BaseExpression`` works too.

The walk is iterative (deeply nested expressions must not exhaust the C stack) and in
source order. It keeps a stack of enclosing scopes (Module, FunctionDef, Lambda,
ClassDef) and statements that rules can query through the context.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator
from typing import Any

from apisec_lint._lazy import cst

Handler = Callable[[Any], Any]

# Fields holding only whitespace, comments or punctuation tokens. No rule inspects them
# by visiting (rules read e.g. ``node.operator`` from the parent), so they are skipped.
_SKIP_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators",
    "header", "footer", "trailing_whitespace", "equal", "colon", "dot", "operator",
    "whitespace", "whitespace_before", "whitespace_after", "whitespace_before_colon",
    "whitespace_after_colon", "whitespace_before_args", "whitespace_after_func",
    "whitespace_before_params", "whitespace_after_def", "whitespace_after_arrow",
    "whitespace_before_indent", "whitespace_after_indent", "whitespace_after_star",
    "whitespace_after_param", "whitespace_before_from", "whitespace_after_from",
    "whitespace_after_import", "whitespace_before_as", "whitespace_after_as",
    "whitespace_after_await", "whitespace_after_lambda", "whitespace_after_in",
    "whitespace_before_in", "whitespace_after_for", "whitespace_after_async",
    "whitespace_after_if", "whitespace_before_if", "whitespace_after_else",
    "whitespace_before_else", "whitespace_after_class", "whitespace_after_name",
    "whitespace_before_value", "whitespace_after_del", "whitespace_after_return",
    "whitespace_after_raise", "whitespace_after_assert", "whitespace_after_global",
    "whitespace_after_nonlocal", "whitespace_after_yield", "whitespace_after_while",
    "whitespace_after_with", "whitespace_after_except", "whitespace_after_elif",
    "whitespace_before_expression", "whitespace_after_expression",
    "whitespace_before_walrus", "whitespace_after_walrus", "whitespace_after_case",
    "whitespace_after_match", "whitespace_before_params_close",
})

_fields_cache: dict[type, tuple[str, ...]] = {}
# type -> is it a CSTNode? (CSTNode is an ABC: isinstance through it is slow)
_is_node: dict[type, bool] = {}


def is_node(value: Any) -> bool:
    tp = type(value)
    known = _is_node.get(tp)
    if known is None:
        known = _is_node[tp] = isinstance(value, cst.CSTNode)
    return known


def child_fields(tp: type) -> tuple[str, ...]:
    names = _fields_cache.get(tp)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(tp)
                      if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace")
                      and _may_hold_node(f.type))
        _fields_cache[tp] = names
    return names


def _may_hold_node(annotation: Any) -> bool:
    """False for a field whose declared type cannot hold a node (``Name.value: str``,
    ``Arg.star: Literal["", "*", "**"]``); anything unclear counts as a node field."""
    if annotation in (str, bool, int, float, type(None)) or annotation is cst.MaybeSentinel:
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is typing.Union:
        return any(_may_hold_node(arg) for arg in typing.get_args(annotation))
    return True


def iter_children(node: Any) -> Iterator[Any]:
    """The child nodes of ``node`` that the walker visits, in source order."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if is_node(value):
            yield value
        elif type(value) in (tuple, list):
            for item in value:
                if is_node(item):
                    yield item


def iter_tree(node: Any) -> Iterator[Any]:
    """Every visited node below (and including) ``node``, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        kids: list[Any] = []
        for name in child_fields(type(current)):
            value = getattr(current, name)
            if is_node(value):
                kids.append(value)
            elif type(value) in (tuple, list):
                kids.extend(v for v in value if is_node(v))
        kids.reverse()
        stack.extend(kids)


class WalkState:
    """What the walker knows about where it is; read by the FileContext."""

    __slots__ = ("scopes", "statements")

    def __init__(self) -> None:
        self.scopes: list[Any] = []
        self.statements: list[Any] = []


def walk(module: Any, rules: list[Any], state: WalkState, index: Any = None) -> None:
    """Run every rule's ``visit_*``/``leave_*`` handlers over ``module`` in one pass.

    The walk replays the preorder list of the file's
    :class:`~apisec_lint.analysis.index.TreeIndex` (built here when not given), so the
    tree is traversed once however many analyses and rules read it."""
    visit_by_name: dict[str, list[Handler]] = {}
    leave_by_name: dict[str, list[Handler]] = {}
    for rule in rules:
        for attr in dir(type(rule)):
            if attr.startswith("visit_"):
                visit_by_name.setdefault(attr[6:], []).append(getattr(rule, attr))
            elif attr.startswith("leave_"):
                leave_by_name.setdefault(attr[6:], []).append(getattr(rule, attr))

    scope_types = (cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef)
    stmt_types = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
    resolved: dict[type, tuple[list[Handler], list[Handler], bool, bool]] = {}

    def handlers_for(tp: type) -> tuple[list[Handler], list[Handler], bool, bool]:
        visits: list[Handler] = []
        leaves: list[Handler] = []
        for klass in tp.__mro__:
            visits.extend(visit_by_name.get(klass.__name__, ()))
            leaves.extend(leave_by_name.get(klass.__name__, ()))
        entry = (visits, leaves, issubclass(tp, scope_types), issubclass(tp, stmt_types))
        resolved[tp] = entry
        return entry

    scopes, statements = state.scopes, state.statements
    if index is None:
        from apisec_lint.analysis.index import TreeIndex

        index = TreeIndex(module)
    ends = index.ends
    pending: list[tuple[int, Any, list[Handler], bool, bool]] = []

    def close(upto: int) -> None:
        """Leave every open node whose subtree ends at or before ``upto``."""
        while pending and pending[-1][0] <= upto:
            _, done, leaves, is_scope, is_stmt = pending.pop()
            for handler in leaves:
                handler(done)
            if is_scope:
                scopes.pop()
            if is_stmt:
                statements.pop()

    for i, node in enumerate(index.nodes):
        if pending and pending[-1][0] <= i:
            close(i)
        tp = type(node)
        visits, leaves, is_scope, is_stmt = resolved.get(tp) or handlers_for(tp)
        if is_scope:
            scopes.append(node)
        if is_stmt:
            statements.append(node)
        for handler in visits:
            handler(node)
        if leaves or is_scope or is_stmt:
            pending.append((ends[i], node, leaves, is_scope, is_stmt))
    close(len(index.nodes))

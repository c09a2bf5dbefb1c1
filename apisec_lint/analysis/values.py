"""Constant values of expressions, followed through names within a file.

``VERIFY = False; requests.get(u, verify=VERIFY)`` -> ``False`` (with the node where
the literal is written, which is where credential findings are reported). Dicts are
followed when built literally, key by key (``cfg["apiKey"] = "..."``), with
``dict(...)``, ``.update({...})`` or ``{**base, ...}``. Conditional expressions and
names assigned in several places give several candidates (:meth:`Values.candidates`).

Scopes are the module and each function: a name is looked up in the function where it
is used, then in the module. Class bodies do not form a scope for their methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.index import TreeIndex

_MAX_DEPTH = 24
_MAX_CANDIDATES = 64


@dataclass(frozen=True)
class Const:
    """A literal value and the node where it is written."""

    value: Any
    node: Any


@dataclass(frozen=True)
class DictVal:
    """A dict whose keys are constants; values are Values (or UNKNOWN)."""

    items: tuple[tuple[Any, Any, Any], ...]  # (key, key node, Value)
    node: Any

    def get(self, key: Any) -> Any:
        for k, _, v in reversed(self.items):
            if k == key:
                return v
        return None

    def entry(self, key: Any) -> tuple[Any, Any] | None:
        """(key node, Value) of the last entry with ``key``."""
        for k, knode, v in reversed(self.items):
            if k == key:
                return knode, v
        return None

    def keys(self) -> list[Any]:
        seen: list[Any] = []
        for k, _, _ in self.items:
            if k not in seen:
                seen.append(k)
        return seen


@dataclass(frozen=True)
class SeqVal:
    items: tuple[Any, ...]
    node: Any


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def string_value(node: Any) -> str | bytes | None:
    """``node.evaluated_value`` of a SimpleString / ConcatenatedString, without
    libcst's ``ast.literal_eval`` (a compile per string) for the common strings: no
    backslash, no carriage return, no bytes or f prefix. May raise like
    ``evaluated_value`` does."""
    if type(node) is cst.SimpleString:
        raw = node.value
        i = 0
        while i < len(raw) and raw[i] not in "'\"":
            i += 1
        prefix = raw[:i].lower()
        if "\\" in raw or "\r" in raw or "b" in prefix or "f" in prefix:
            return node.evaluated_value  # type: ignore[no-any-return]
        body = raw[i:]
        if body[:3] in ('"""', "'''"):
            return body[3:-3]
        return body[1:-1]
    if type(node) is cst.ConcatenatedString:
        if type(node.left) is cst.FormattedString or type(node.right) is cst.FormattedString:
            return None
        left, right = string_value(node.left), string_value(node.right)
        if type(left) is not type(right) or left is None or right is None:
            return None
        return left + right  # type: ignore[operator]
    return node.evaluated_value  # type: ignore[no-any-return]


def literal(node: Any) -> Any:
    """The Python value of a literal node, or UNKNOWN (no name lookups)."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            return string_value(node)
        except Exception:
            return UNKNOWN
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return UNKNOWN
    if isinstance(node, cst.Float):
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return UNKNOWN
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
    return UNKNOWN


class Values:
    """Assignments of one file, indexed by scope, and their resolution."""

    def __init__(self, module: Any, index: TreeIndex | None = None) -> None:
        self.module = module
        self.index = index if index is not None else TreeIndex(module)
        # id(scope) -> name -> [value expressions]
        self._assigns: dict[int, dict[str, list[Any]]] = {}
        # id(scope) -> name -> [(key expr, value expr)] for name[key] = value / .update
        self._items: dict[int, dict[str, list[tuple[Any, Any]]]] = {}
        self._scope_of: dict[int, Any] = {}
        self._memo: dict[tuple[int, int], tuple[Any, Any, list[Any]]] = {}
        # id(key node of a DictVal item) -> the value expression (see entry_expr)
        self._entry_exprs: dict[int, Any] = {}
        self._index()

    # -- indexing ------------------------------------------------------------------
    def _index(self) -> None:
        index = self.index
        for _, node, scope in index.entries(cst.FunctionDef, cst.Lambda):
            self._scope_of[id(node)] = scope
        # Latest first: a name's most recent assignment leads its candidates.
        for _, node, scope in reversed(index.entries(cst.Assign, cst.AnnAssign, cst.Expr)):
            tp = type(node)
            if tp is cst.Assign:
                for target in node.targets:
                    self._bind(target.target, node.value, scope)
            elif tp is cst.AnnAssign:
                if node.value is not None:
                    self._bind(node.target, node.value, scope)
            elif isinstance(node.value, cst.Call):
                call = node.value
                if (isinstance(call.func, cst.Attribute) and call.func.attr.value == "update"
                        and isinstance(call.func.value, cst.Name) and call.args):
                    self._items.setdefault(id(scope), {}).setdefault(
                        call.func.value.value, []).append((None, call.args[0].value))

    def _bind(self, target: Any, value: Any, scope: Any) -> None:
        if isinstance(target, cst.Name):
            self._assigns.setdefault(id(scope), {}).setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Attribute):
            key = _attr_key(target)
            if key:
                self._assigns.setdefault(id(scope), {}).setdefault(key, []).append(value)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                self._items.setdefault(id(scope), {}).setdefault(target.value.value, []).append(
                    (target.slice[0].slice.value, value))
        elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements, strict=True):
                    self._bind(t.value, v.value, scope)

    # -- queries -------------------------------------------------------------------
    def assignments(self, name: str, scope: Any = None) -> list[Any]:
        """Value expressions assigned to ``name`` (a Name or ``self.x`` key) in the
        innermost of ``scope`` / the module that assigns it."""
        for s in self._scope_chain(scope):
            found = self._assigns.get(id(s), {}).get(name)
            if found:
                return found
        return []

    def all_assignments(self, name: str) -> list[Any]:
        """Every value assigned to ``name`` in any scope (for ``self.x`` attributes)."""
        return [v for table in self._assigns.values() for v in table.get(name, ())]

    def entry_expr(self, key_node: Any) -> Any:
        """The value expression of the DictVal item whose key node is ``key_node``
        (``{"apiKey": K}`` -> ``K``), for items whose value did not resolve."""
        return self._entry_exprs.get(id(key_node))

    def _scope_chain(self, scope: Any) -> Iterator[Any]:
        seen = 0
        while scope is not None and seen < 64:
            yield scope
            if scope is self.module:
                return
            scope = self._scope_of.get(id(scope), self.module)
            seen += 1
        if scope is None:
            yield self.module

    def resolve(self, expr: Any, scope: Any = None) -> Any:
        """The single value of ``expr`` or UNKNOWN when it is unknown or ambiguous."""
        cands = self.candidates(expr, scope)
        if not cands:
            return UNKNOWN
        first = cands[0]
        if all(_same(first, c) for c in cands[1:]):
            return first
        return UNKNOWN

    def candidates(self, expr: Any, scope: Any = None, depth: int = 0) -> list[Any]:
        """Every value ``expr`` may have (UNKNOWN entries dropped).

        Memoised per (expression, scope) and cut on cycles (``x = x + 1``), so a
        file that reassigns a name in many places costs linear time, not exponential."""
        if depth > _MAX_DEPTH or expr is None:
            return []
        key = (id(expr), id(scope))
        memo = self._memo.get(key)
        # the entry keeps ``expr`` alive and is checked by identity, so a recycled id
        # of a temporary node never returns another node's values
        if memo is not None and memo[0] is expr and memo[1] is scope:
            return list(memo[2])
        self._memo[key] = (expr, scope, [])  # in progress: a cycle resolves to nothing
        found = self._candidates(expr, scope, depth)[:_MAX_CANDIDATES]
        self._memo[key] = (expr, scope, found)
        return list(found)

    def _candidates(self, expr: Any, scope: Any, depth: int) -> list[Any]:
        lit = literal(expr)
        if lit is not UNKNOWN:
            return [Const(lit, expr)]
        if isinstance(expr, cst.IfExp):
            return (self.candidates(expr.body, scope, depth + 1)
                    + self.candidates(expr.orelse, scope, depth + 1))
        if isinstance(expr, cst.Dict):
            return [self._dict(expr, scope, depth)]
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            items = []
            for el in expr.elements:
                if isinstance(el, (cst.StarredElement,)):
                    return []
                items.append(self.resolve_depth(el.value, scope, depth + 1))
            return [SeqVal(tuple(items), expr)]
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and \
                expr.func.value == "dict" and all(a.keyword or a.star == "**" for a in expr.args):
            items: list[tuple[Any, Any, Any]] = []
            for arg in expr.args:
                if arg.star == "**":
                    inner = self.resolve_depth(arg.value, scope, depth + 1)
                    if isinstance(inner, DictVal):
                        items.extend(inner.items)
                else:
                    self._entry_exprs[id(arg.keyword)] = arg.value
                    items.append((arg.keyword.value, arg.keyword,
                                  self.resolve_depth(arg.value, scope, depth + 1)))
            return [DictVal(tuple(items), expr)]
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left = self.resolve_depth(expr.left, scope, depth + 1)
            right = self.resolve_depth(expr.right, scope, depth + 1)
            if isinstance(left, Const) and isinstance(right, Const):
                try:
                    return [Const(left.value + right.value, expr)]
                except TypeError:
                    return []
            return []
        key = None
        if isinstance(expr, cst.Name):
            key = expr.value
        elif isinstance(expr, cst.Attribute):
            key = _attr_key(expr)
        if key is None:
            return []
        sources = self.assignments(key, scope)
        if not sources and "." in key:
            sources = self.all_assignments(key)
        out: list[Any] = []
        for src in sources:
            out.extend(self.candidates(src, self._scope_for(key, scope), depth + 1))
        if isinstance(expr, cst.Name):
            extra = self._item_updates(key, scope, depth)
            if extra:
                out = [DictVal(v.items + extra, v.node) if isinstance(v, DictVal) else v
                       for v in out] or [DictVal(extra, expr)]
        return out

    def resolve_depth(self, expr: Any, scope: Any, depth: int) -> Any:
        cands = self.candidates(expr, scope, depth)
        if cands and all(_same(cands[0], c) for c in cands[1:]):
            return cands[0]
        return UNKNOWN

    def _scope_for(self, key: str, scope: Any) -> Any:
        for s in self._scope_chain(scope):
            if key in self._assigns.get(id(s), {}):
                return s
        return self.module

    def _item_updates(self, name: str, scope: Any, depth: int) -> tuple[tuple[Any, Any, Any], ...]:
        for s in self._scope_chain(scope):
            entries = self._items.get(id(s), {}).get(name)
            if entries:
                out: list[tuple[Any, Any, Any]] = []
                for key_expr, value_expr in entries:
                    if key_expr is None:  # name.update({...})
                        inner = self.resolve_depth(value_expr, s, depth + 1)
                        if isinstance(inner, DictVal):
                            out.extend(inner.items)
                        continue
                    key = self.resolve_depth(key_expr, s, depth + 1)
                    if isinstance(key, Const):
                        self._entry_exprs[id(key_expr)] = value_expr
                        out.append((key.value, key_expr,
                                    self.resolve_depth(value_expr, s, depth + 1)))
                return tuple(out)
        return ()

    def _dict(self, expr: Any, scope: Any, depth: int) -> DictVal:
        items: list[tuple[Any, Any, Any]] = []
        for el in expr.elements:
            if isinstance(el, cst.StarredDictElement):
                inner = self.resolve_depth(el.value, scope, depth + 1)
                if isinstance(inner, DictVal):
                    items.extend(inner.items)
                continue
            key = self.resolve_depth(el.key, scope, depth + 1)
            if isinstance(key, Const):
                self._entry_exprs[id(el.key)] = el.value
                items.append((key.value, el.key, self.resolve_depth(el.value, scope, depth + 1)))
        return DictVal(tuple(items), expr)


def _attr_key(node: Any) -> str | None:
    """``self.exchange`` -> "self.exchange"; other attribute chains likewise."""
    return dotted_name(node)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Const) and isinstance(b, Const):
        return type(a.value) is type(b.value) and a.value == b.value
    return a is b

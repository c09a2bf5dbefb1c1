"""What a call calls, as a qualified name, including methods of objects built in the
same file: ``s = requests.Session(); s.get(...)`` -> ``requests.Session.get``;
``async with aiohttp.ClientSession() as s: s.get(...)`` -> ``aiohttp.ClientSession.get``.
"""

from __future__ import annotations

from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.imports import ImportMap
from apisec_lint.analysis.values import Values, _attr_key


class Callees:
    def __init__(self, module: Any, imports: ImportMap, values: Values) -> None:
        self.module = module
        self.imports = imports
        self.values = values
        self._with: dict[str, list[Any]] | None = None
        self._memo: dict[tuple[int, int], tuple[Any, Any, str | None]] = {}

    def _with_items(self) -> dict[str, list[Any]]:
        if self._with is None:
            self._with = {}
            for node in self.values.index.of(cst.With):
                for item in node.items:
                    if item.asname is not None and isinstance(item.asname.name, cst.Name):
                        self._with.setdefault(item.asname.name.value, []).append(item.item)
        return self._with

    def type_of(self, expr: Any, scope: Any = None, depth: int = 0) -> str | None:
        """The qualified name of the class/factory that built ``expr``, if known.
        Memoised with a cycle cut (see Values.candidates)."""
        if depth > 6 or expr is None:
            return None
        key = (id(expr), id(scope))
        memo = self._memo.get(key)
        if memo is not None and memo[0] is expr and memo[1] is scope:
            return memo[2]
        self._memo[key] = (expr, scope, None)
        found = self._type_of(expr, scope, depth)
        self._memo[key] = (expr, scope, found)
        return found

    def _type_of(self, expr: Any, scope: Any, depth: int) -> str | None:
        if isinstance(expr, cst.Await):
            return self.type_of(expr.expression, scope, depth + 1)
        if isinstance(expr, cst.Call):
            return self.callee(expr, scope, depth + 1)
        key = expr.value if isinstance(expr, cst.Name) else (
            _attr_key(expr) if isinstance(expr, cst.Attribute) else None)
        if key is None:
            return None
        sources = self.values.assignments(key, scope)
        if not sources and "." in key:
            sources = self.values.all_assignments(key)
        for src in sources:
            found = self.type_of(src, None if "." in key else scope, depth + 1)
            if found:
                return found
        for src in self._with_items().get(key, ()):
            found = self.type_of(src, scope, depth + 1)
            if found:
                return found
        return None

    def callee(self, call: Any, scope: Any = None, depth: int = 0) -> str | None:
        """Qualified name of what ``call`` calls, or None."""
        name = self.imports.callee(call)
        if name is not None:
            return name
        func = call.func
        if isinstance(func, cst.Attribute):
            owner = self.type_of(func.value, scope, depth + 1)
            if owner:
                return f"{owner}.{func.attr.value}"
        return None


def find_arg(call: Any, name: str | None = None, position: int | None = None) -> Any:
    """The Arg of ``call`` passed as keyword ``name`` or at ``position`` (positional
    arguments before any ``*args``), or None."""
    if name is not None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg
    if position is not None:
        index = 0
        for arg in call.args:
            if arg.keyword is not None or arg.star:
                break
            if index == position:
                return arg
            index += 1
    return None

"""Import and alias resolution: which dotted name an expression refers to.

``import ccxt as cx; cx.binance`` -> ``ccxt.binance``; ``from binance.client import
Client; Client`` -> ``binance.client.Client``; ``getattr(ccxt, name)`` ->
``ccxt.<dynamic>``. Unimported builtins resolve to ``builtins.<name>``. This is a cheap
replacement for libcst's QualifiedNameProvider, which costs many times the parse:
one pass over the import statements, and name lookups are dictionary hits.
"""

from __future__ import annotations

import builtins
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.index import TreeIndex

DYNAMIC = "<dynamic>"
_BUILTINS = frozenset(dir(builtins))


def dotted_name(node: Any) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


class ImportMap:
    """Alias -> qualified module/object name for one file."""

    def __init__(self, module: Any, index: TreeIndex | None = None) -> None:
        self.aliases: dict[str, str] = {}
        self.defined: set[str] = set()  # module-level names bound by def/class
        if index is None:
            index = TreeIndex(module)
        for node in index.of(cst.Import, cst.ImportFrom, cst.FunctionDef, cst.ClassDef):
            if isinstance(node, cst.Import):
                for alias in node.names:
                    full = dotted_name(alias.name) or ""
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        self.aliases[alias.asname.name.value] = full
                    else:
                        root = full.split(".")[0]
                        self.aliases.setdefault(root, root)
            elif isinstance(node, cst.ImportFrom):
                if isinstance(node.names, cst.ImportStar):
                    continue
                mod = dotted_name(node.module) if node.module is not None else ""
                dots = "." * len(node.relative)
                base = f"{dots}{mod}" if mod else dots
                for alias in node.names:
                    name = dotted_name(alias.name) or ""
                    bound = name
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        bound = alias.asname.name.value
                    sep = "" if base.endswith(".") else "."
                    self.aliases[bound] = f"{base}{sep}{name}" if base else name
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                self.defined.add(node.name.value)

    @property
    def imported_roots(self) -> frozenset[str]:
        return frozenset(v.lstrip(".").split(".")[0] for v in self.aliases.values())

    def qualified_name(self, node: Any) -> str | None:
        """The dotted name ``node`` refers to, or None when it is not an import."""
        if isinstance(node, cst.Name):
            name = node.value
            if name in self.aliases:
                return self.aliases[name]
            if name in _BUILTINS and name not in self.defined:
                return f"builtins.{name}"
            return None
        if isinstance(node, cst.Attribute):
            base = self.qualified_name(node.value)
            return f"{base}.{node.attr.value}" if base else None
        if isinstance(node, cst.Call):
            # getattr(ccxt, exchange_id) -> "ccxt.<dynamic>"
            if self.qualified_name(node.func) == "builtins.getattr" and len(node.args) >= 2:
                base = self.qualified_name(node.args[0].value)
                second = node.args[1].value
                if base is None:
                    return None
                if isinstance(second, cst.SimpleString):
                    return f"{base}.{second.evaluated_value}"
                return f"{base}.{DYNAMIC}"
        return None

    def callee(self, call: Any) -> str | None:
        return self.qualified_name(call.func)

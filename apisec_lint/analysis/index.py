"""One pass over a file's tree that every analysis can query by node type.

Analyses used to walk the whole tree each (imports, assignments, ``with`` items, dict
keys...), and test every node with ``isinstance`` against libcst's abstract classes,
which is slow. :class:`TreeIndex` walks once, buckets the nodes by their exact class,
and remembers each node's enclosing function scope, so an analysis reads only the few
node types it cares about.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.walk import child_fields, is_node


class TreeIndex:
    """Nodes of one module by exact type, in source order, with their scope.

    The scope of a node is its innermost enclosing ``FunctionDef`` or ``Lambda`` (the
    module otherwise); class bodies do not scope names for their methods.
    """

    def __init__(self, module: Any) -> None:
        self.module = module
        # type -> [(preorder position, node, scope)]
        self._by_type: dict[type, list[tuple[int, Any, Any]]] = {}
        self._build(module)

    def _build(self, module: Any) -> None:
        scoping = (cst.FunctionDef, cst.Lambda)
        by_type = self._by_type
        stack: list[tuple[Any, Any]] = [(module, module)]
        pos = 0
        while stack:
            node, scope = stack.pop()
            tp = type(node)
            bucket = by_type.get(tp)
            if bucket is None:
                bucket = by_type[tp] = []
            bucket.append((pos, node, scope))
            pos += 1
            inner = node if tp in scoping else scope
            kids: list[tuple[Any, Any]] = []
            for name in child_fields(tp):
                value = getattr(node, name)
                if is_node(value):
                    kids.append((value, inner))
                elif type(value) in (tuple, list):
                    kids.extend((v, inner) for v in value if is_node(v))
            kids.reverse()
            stack.extend(kids)

    def entries(self, *types: type) -> list[tuple[int, Any, Any]]:
        """``(position, node, scope)`` of every node of exactly these types, in source
        order (preorder)."""
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        out = [e for tp in types for e in self._by_type.get(tp, ())]
        out.sort(key=lambda e: e[0])
        return out

    def of(self, *types: type) -> list[Any]:
        """Every node of exactly these types, in source order."""
        return [e[1] for e in self.entries(*types)]

    def types(self) -> Iterable[type]:
        return self._by_type.keys()

    def __contains__(self, tp: type) -> bool:
        return tp in self._by_type

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
from apisec_lint.walk import _fields_cache, child_fields, is_node
from apisec_lint.walk import _is_node as _is_node_cache


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
        # The hottest loop of a run after the parse: walk.iter_tree's logic, inlined.
        scoping = (cst.FunctionDef, cst.Lambda)
        by_type = self._by_type
        # preorder list of every node and, per node, the position after its subtree:
        # the walker replays this instead of traversing the tree a second time
        nodes: list[Any] = []
        ends: list[int] = []
        self.nodes, self.ends = nodes, ends
        known = _is_node_cache
        fields_of = _fields_cache
        scopes: list[Any] = [module]  # innermost function scope last
        stack: list[Any] = [module]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            if type(node) is int:  # end of the subtree of nodes[node]
                ends[node] = len(nodes)
                if nodes[node] is scopes[-1] and len(scopes) > 1:
                    scopes.pop()
                continue
            pos = len(nodes)
            nodes.append(node)
            ends.append(0)
            tp = type(node)
            bucket = by_type.get(tp)
            if bucket is None:
                bucket = by_type[tp] = []
            bucket.append((pos, node, scopes[-1]))
            if tp in scoping:
                scopes.append(node)
            push(pos)
            names = fields_of.get(tp)
            if names is None:
                names = child_fields(tp)
            if not names:
                continue
            kids: list[Any] = []
            for name in names:
                value = getattr(node, name)
                vt = type(value)
                flag = known.get(vt)
                if flag is None:
                    flag = is_node(value)
                if flag:
                    kids.append(value)
                elif vt is tuple or vt is list:
                    for item in value:
                        flag = known.get(type(item))
                        if flag or (flag is None and is_node(item)):
                            kids.append(item)
            if kids:
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

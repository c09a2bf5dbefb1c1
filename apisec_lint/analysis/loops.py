"""Paths through loop bodies: which ways get back to the top of a loop, and whether
each one passed something that pauses.

The rate-limit rules ask two questions of a loop: does every normal path through its
body pause before the next iteration (APS302), and does a path through an ``except``
handler come back without backing off (APS304)? :class:`Paths` answers both with a
small abstract interpretation over the statements (``if``/``else``, nested loops,
``break``/``continue``/``return``/``raise``, ``try``/``except``/``else``/``finally``,
``with``, ``match``), parametrised by what counts as a pause. :class:`LoopNests` hands
every call of a loop nest to a rule together with the loops around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.values import literal
from apisec_lint.walk import iter_children

#: (paused since the top of the iteration, the tag of the except handler the path went
#: through, or 0)
State = tuple[bool, int]
Flow = tuple[set[State], set[State], set[State]]  # (falls through, continues, breaks)


def suite(node: Any) -> list[Any]:
    """The statements of a block (an IndentedBlock or a one-line suite)."""
    if isinstance(node, cst.SimpleStatementSuite):
        return [node]
    return list(node.body)


def infinite(loop: Any) -> bool:
    """``while True:`` / ``while 1:``: the loop only ends through break/return/raise."""
    if not isinstance(loop, cst.While):
        return False
    value = literal(loop.test)
    return isinstance(value, (bool, int)) and bool(value)


class Paths:
    """Which ways through a loop body get back to its top, and whether each passed a
    throttle (``is_throttle`` on a call, ``is_context`` on a ``with`` item)."""

    def __init__(self, calls_in: Callable[[Any], Iterator[Any]], is_throttle: Callable[[Any], bool],
                 is_context: Callable[[Any], bool], tag: Callable[[Any, Any], int]) -> None:
        self.calls_in = calls_in
        self.is_throttle = is_throttle
        self.is_context = is_context
        self.tag = tag  # (try, handler) -> tag for paths through that handler, or 0

    def loop_backs(self, loop: Any) -> set[State]:
        fall, cont, _ = self.block(suite(loop.body), {(False, 0)})
        return fall | cont

    def _throttles(self, node: Any) -> bool:
        return any(self.is_throttle(c) for c in self.calls_in(node))

    @staticmethod
    def _mark(states: set[State]) -> set[State]:
        return {(True, h) for _, h in states}

    def block(self, stmts: list[Any], states: set[State]) -> Flow:
        fall, cont, brk = set(states), set(), set()
        for stmt in stmts:
            if not fall:
                break
            f, c, b = self.stmt(stmt, fall)
            fall = f
            cont |= c
            brk |= b
        return fall, cont, brk

    def stmt(self, node: Any, states: set[State]) -> Flow:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            cur = set(states)
            for small in node.body:
                if self._throttles(small):
                    cur = self._mark(cur)
                if isinstance(small, cst.Continue):
                    return set(), cur, set()
                if isinstance(small, cst.Break):
                    return set(), set(), cur
                if isinstance(small, (cst.Return, cst.Raise)):
                    return set(), set(), set()
            return cur, set(), set()
        if isinstance(node, cst.If):
            cur = self._mark(states) if self._throttles(node.test) else set(states)
            f1, c1, b1 = self.block(suite(node.body), cur)
            if node.orelse is None:
                f2, c2, b2 = cur, set(), set()
            elif isinstance(node.orelse, cst.If):
                f2, c2, b2 = self.stmt(node.orelse, cur)
            else:
                f2, c2, b2 = self.block(suite(node.orelse.body), cur)
            return f1 | f2, c1 | c2, b1 | b2
        if isinstance(node, (cst.For, cst.While)):
            head = node.iter if isinstance(node, cst.For) else node.test
            cur = self._mark(states) if self._throttles(head) else set(states)
            f, c, b = self.block(suite(node.body), cur)
            ends = set() if infinite(node) else cur | f | c
            cont: set[State] = set()
            brk: set[State] = set()
            if node.orelse is not None and ends:
                ends, cont, brk = self.block(suite(node.orelse.body), ends)
            return b | ends, cont, brk
        if isinstance(node, (cst.Try, cst.TryStar)):
            fb, cb, bb = self.block(suite(node.body), states)
            if node.orelse is not None:
                fo, co, bo = self.block(suite(node.orelse.body), fb)
                fb, cb, bb = fo, cb | co, bb | bo
            fall, cont, brk = set(fb), set(cb), set(bb)
            for handler in node.handlers:
                tag = self.tag(node, handler)
                entry = {(t, tag or h) for t, h in states}
                fh, ch, bh = self.block(suite(handler.body), entry)
                fall |= fh
                cont |= ch
                brk |= bh
            if node.finalbody is not None:
                ff, _, _ = self.block(suite(node.finalbody.body), {(False, 0)})
                if ff and all(t for t, _ in ff):
                    fall, cont, brk = self._mark(fall), self._mark(cont), self._mark(brk)
            return fall, cont, brk
        if isinstance(node, cst.With):
            cur = set(states)
            if any(self.is_context(item.item) or self._throttles(item.item) for item in node.items):
                cur = self._mark(cur)
            return self.block(suite(node.body), cur)
        if isinstance(node, cst.Match):
            fall, cont, brk = set(states), set(), set()
            for case in node.cases:
                f, c, b = self.block(suite(case.body), states)
                fall |= f
                cont |= c
                brk |= b
            return fall, cont, brk
        return set(states), set(), set()


def names_in(expr: Any) -> Iterator[str]:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node.value
        elif isinstance(node, cst.Attribute):
            yield node.attr.value
        stack.extend(iter_children(node))


class LoopNests:
    """Walks the loops of a file: each outermost loop of a function (or the module) is
    analysed once, with every call inside and the loops around it."""

    def __init__(self) -> None:
        self.depth = [0]

    def enter_function(self) -> None:
        self.depth.append(0)

    def leave_function(self) -> None:
        self.depth.pop()

    def enter_loop(self, node: Any) -> bool:
        """True when ``node`` is an outermost loop (analyse it now)."""
        outer = self.depth[-1] == 0
        self.depth[-1] += 1
        return outer

    def leave_loop(self) -> None:
        self.depth[-1] -= 1

    def calls(self, loop: Any) -> Iterator[tuple[Any, list[Any]]]:
        """(call, enclosing loops outermost first) for every call in the loop nest that
        runs on every iteration (not a ``for`` loop's iterable, not an ``else``)."""
        stack: list[tuple[Any, list[Any]]] = [(loop, [])]
        while stack:
            node, loops = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                continue
            if isinstance(node, (cst.For, cst.While)):
                inner = [*loops, node]
                kids: list[tuple[Any, list[Any]]] = []
                if isinstance(node, cst.For):
                    kids.append((node.iter, loops))
                else:
                    kids.append((node.test, inner))
                kids.append((node.body, inner))
                if node.orelse is not None:
                    kids.append((node.orelse, loops))
                stack.extend(reversed(kids))
                continue
            if isinstance(node, cst.Call) and loops:
                yield node, loops
            stack.extend((k, loops) for k in reversed(list(iter_children(node))))

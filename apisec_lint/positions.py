"""Positions of reported nodes, computed one top-level statement at a time.

libcst's ``PositionProvider`` re-generates the code of the whole module to count lines
and columns: on a file with one huge statement (a generated 200,000-element list) that
costs more than the parse itself, even when the only finding is on another line.

:class:`StatementPositions` behaves like the provider's mapping (``get`` and ``[]``) but
resolves a node by running the provider on the one top-level statement that contains
it, wrapped in a module of its own, and shifting the lines by where that statement
starts in the file. The start lines come from :func:`ast.parse` of the same text (a
fraction of the cost of a libcst parse, and no code generation). Whenever the two
parsers do not agree statement for statement, or a node is not inside a top-level
statement (the module itself), it falls back to the whole-module provider.
"""

from __future__ import annotations

from typing import Any


class StatementPositions:
    """Node -> CodeRange, like ``MetadataWrapper.resolve(PositionProvider)``."""

    def __init__(self, module: Any, text: str) -> None:
        self.module = module
        self.text = text
        self._starts: list[int] | bool | None = False  # False: not computed yet
        self._owner: dict[int, int] | None = None  # id(node) -> top-level index
        self._done: dict[int, tuple[Any, int]] = {}  # index -> (positions, line shift)
        self._full: Any = None

    # -- mapping protocol ------------------------------------------------------------
    def get(self, node: Any, default: Any = None) -> Any:
        found = self._lookup(node)
        return default if found is None else found

    def __getitem__(self, node: Any) -> Any:
        found = self._lookup(node)
        if found is None:
            raise KeyError(node)
        return found

    # -- internals -------------------------------------------------------------------
    def _lookup(self, node: Any) -> Any:
        if self._full is not None:
            return self._full.get(node)
        starts = self._start_lines()
        if starts is None:
            return self._whole().get(node)
        index = self._owners().get(id(node))
        if index is None:
            return self._whole().get(node)
        positions, shift = self._statement(index, starts[index])
        pos = positions.get(node)
        if pos is None or not shift:
            return pos
        from libcst.metadata import CodePosition, CodeRange

        return CodeRange(CodePosition(pos.start.line + shift, pos.start.column),
                         CodePosition(pos.end.line + shift, pos.end.column))

    def _whole(self) -> Any:
        if self._full is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            self._full = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(
                PositionProvider)
        return self._full

    def _start_lines(self) -> list[int] | None:
        """The line each top-level statement's code starts on."""
        if self._starts is not False:
            return self._starts  # type: ignore[return-value]
        self._starts = None
        import ast

        from apisec_lint._lazy import cst

        try:
            tree = ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return None
        stmts = tree.body
        starts: list[int] = []
        k = 0
        for stmt in self.module.body:
            n = len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
            if n < 1 or k + n > len(stmts):
                return None
            # both parsers start a decorated def/class at its ``def``/``class`` line
            starts.append(stmts[k].lineno)
            k += n
        if k != len(stmts):
            return None
        self._starts = starts
        return starts

    def _owners(self) -> dict[int, int]:
        if self._owner is None:
            from apisec_lint.walk import iter_tree

            owner: dict[int, int] = {}
            for i, stmt in enumerate(self.module.body):
                for sub in iter_tree(stmt):
                    owner[id(sub)] = i
            self._owner = owner
        return self._owner

    def _statement(self, index: int, start: int) -> tuple[Any, int]:
        done = self._done.get(index)
        if done is not None:
            return done
        from libcst.metadata import MetadataWrapper, PositionProvider

        from apisec_lint._lazy import cst

        stmt = self.module.body[index]
        alone = cst.Module(body=[stmt], header=(), footer=(), encoding=self.module.encoding,
                           default_indent=self.module.default_indent,
                           default_newline=self.module.default_newline,
                           has_trailing_newline=True)
        positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        own = positions.get(stmt)
        shift = start - own.start.line if own is not None else 0
        done = (positions, shift)
        self._done[index] = done
        return done

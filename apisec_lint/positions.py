"""Positions of reported nodes, computed one statement at a time.

libcst's ``PositionProvider`` re-generates the code of the whole module to count lines
and columns: on a file with one huge statement (a generated 200,000-element list, or an
exchange SDK whose 15,000 lines are one class) that costs more than the parse itself,
even when there is one finding.

:class:`StatementPositions` behaves like the provider's mapping (``get`` and ``[]``) but
resolves a node by running the provider on the innermost statement that contains it
(descending through class, function and other block bodies), wrapped in a module of its
own. Lines are shifted by where that statement starts in the file, which comes from
:func:`ast.parse` of the same text (a fraction of the cost of a libcst parse, and no
code generation); columns by the indentation the statement lost when generated alone,
read off each line of the file. Whenever the two parsers do not agree statement for
statement, a generated line does not match the file, or a node is not inside any
statement (the module itself), it falls back to the whole-module provider.
"""

from __future__ import annotations

from typing import Any


class StatementPositions:
    """Node -> CodeRange, like ``MetadataWrapper.resolve(PositionProvider)``."""

    def __init__(self, module: Any, text: str, index: Any = None) -> None:
        self.module = module
        self.text = text
        self._index = index
        self._tree: Any = False  # the ast module; False: not parsed yet, None: failed
        self._pos: dict[int, int] | None = None  # id(node) -> preorder position
        self._lines: list[str] | None = None
        # id(statement) -> (statement, positions, line shift, column shift per line)
        self._done: dict[int, tuple[Any, Any, int, dict[int, int]] | None] = {}
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
        unit = self._unit_of(node)
        done = self._resolve_unit(*unit) if unit is not None else None
        if done is None:
            return self._whole().get(node)
        _, positions, shift, cols = done
        pos = positions.get(node)
        if pos is None:
            return self._whole().get(node)
        start_col = cols.get(pos.start.line)
        end_col = cols.get(pos.end.line)
        if start_col is None or end_col is None:
            return self._whole().get(node)
        if not shift and not start_col and not end_col:
            return pos
        from libcst.metadata import CodePosition, CodeRange

        return CodeRange(CodePosition(pos.start.line + shift, pos.start.column + start_col),
                         CodePosition(pos.end.line + shift, pos.end.column + end_col))

    def _whole(self) -> Any:
        if self._full is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            self._full = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(
                PositionProvider)
        return self._full

    def _ast(self) -> Any:
        if self._tree is False:
            import ast

            try:
                self._tree = ast.parse(self.text)
            except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
                self._tree = None
        return self._tree

    def _positions(self) -> tuple[dict[int, int], list[int]]:
        """Preorder position of every node, and the position after each subtree."""
        if self._index is None:
            from apisec_lint.analysis.index import TreeIndex

            self._index = TreeIndex(self.module)
        if self._pos is None:
            self._pos = {id(n): i for i, n in enumerate(self._index.nodes)}
        return self._pos, self._index.ends

    def _unit_of(self, node: Any) -> tuple[Any, Any] | None:
        """The innermost statement holding ``node`` that both parsers agree on, as
        (libcst statement, ast statement)."""
        tree = self._ast()
        if tree is None:
            return None
        pos_of, ends = self._positions()
        where = pos_of.get(id(node))
        if where is None:
            return None
        block, astlist = list(self.module.body), tree.body
        unit = None
        while True:
            found = _locate(block, astlist, where, pos_of, ends)
            if found is None:
                return unit
            stmt, astmt = found
            unit = (stmt, astmt)
            inner = None
            for sub, subast in _sub_blocks(stmt, astmt):
                if sub and pos_of.get(id(sub[0]), -1) <= where < ends[pos_of.get(id(sub[-1]), 0)]:
                    inner = (sub, subast)
                    break
            if inner is None:
                return unit
            block, astlist = inner

    def _resolve_unit(self, stmt: Any, astmt: Any) -> tuple[Any, Any, int, dict[int, int]] | None:
        key = id(stmt)
        if key in self._done:
            done = self._done[key]
            return done if done is None or done[0] is stmt else None
        from libcst.metadata import MetadataWrapper, PositionProvider

        from apisec_lint._lazy import cst

        alone = cst.Module(body=[stmt], header=(), footer=(), encoding=self.module.encoding,
                           default_indent=self.module.default_indent,
                           default_newline=self.module.default_newline,
                           has_trailing_newline=True)
        positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        own = positions.get(stmt)
        result = None
        if own is not None:
            shift = astmt.lineno - own.start.line
            if self._lines is None:
                self._lines = self.text.split("\n")
            generated = alone.code.split("\n")
            cols: dict[int, int] = {}
            ok = True
            for line in range(own.start.line, own.end.line + 1):
                if not 0 < line + shift <= len(self._lines) or line > len(generated):
                    ok = False
                    break
                actual, gen = self._lines[line + shift - 1], generated[line - 1]
                lost = len(actual) - len(gen)
                if lost < 0 or not actual.endswith(gen) or actual[:lost].strip(" \t"):
                    ok = False
                    break
                cols[line] = lost
            if ok:
                result = (stmt, positions, shift, cols)
        self._done[key] = result
        return result


def _locate(block: list[Any], astlist: list[Any], where: int, pos_of: dict[int, int],
            ends: list[int]) -> tuple[Any, Any] | None:
    """The statement of ``block`` holding preorder position ``where`` and its ast twin,
    or None when the block does not hold it or the parsers disagree on the block."""
    from apisec_lint._lazy import cst

    k = 0
    hit = None
    for stmt in block:
        start = pos_of.get(id(stmt))
        if start is None:
            return None
        n = len(stmt.body) if type(stmt) is cst.SimpleStatementLine else 1
        if n < 1:
            return None
        if hit is None and start <= where < ends[start]:
            hit = (stmt, k)
        k += n
    if hit is None or k != len(astlist):
        return None
    stmt, k = hit
    return stmt, astlist[k]


def _sub_blocks(stmt: Any, astmt: Any) -> list[tuple[list[Any], list[Any]]]:
    """The statement lists inside a compound statement, paired with the ast's."""
    import ast

    from apisec_lint._lazy import cst

    def body(suite: Any) -> list[Any]:
        return list(suite.body) if type(suite) is cst.IndentedBlock else []

    tp = type(stmt)
    out: list[tuple[list[Any], list[Any]]] = []
    if tp in (cst.FunctionDef, cst.ClassDef) and \
            isinstance(astmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append((body(stmt.body), astmt.body))
    elif tp in (cst.For, cst.While) and isinstance(astmt, (ast.For, ast.AsyncFor, ast.While)):
        out.append((body(stmt.body), astmt.body))
        if stmt.orelse is not None:
            out.append((body(stmt.orelse.body), astmt.orelse))
    elif tp is cst.With and isinstance(astmt, (ast.With, ast.AsyncWith)):
        out.append((body(stmt.body), astmt.body))
    elif tp is cst.If and isinstance(astmt, ast.If):
        out.append((body(stmt.body), astmt.body))
        if type(stmt.orelse) is cst.Else:
            out.append((body(stmt.orelse.body), astmt.orelse))
        elif type(stmt.orelse) is cst.If:
            out.append(([stmt.orelse], astmt.orelse))
    elif tp is cst.Try and isinstance(astmt, ast.Try) and \
            len(stmt.handlers) == len(astmt.handlers):
        out.append((body(stmt.body), astmt.body))
        for handler, ahandler in zip(stmt.handlers, astmt.handlers, strict=True):
            out.append((body(handler.body), ahandler.body))
        if stmt.orelse is not None:
            out.append((body(stmt.orelse.body), astmt.orelse))
        if stmt.finalbody is not None:
            out.append((body(stmt.finalbody.body), astmt.finalbody))
    return out

"""What a rule sees of the file it checks, and how it reports.

The shared analyses (imports, constant values, SDK clients, taint, ...) are computed
lazily on first use and then shared by every rule of the file, so a fact is computed
once. Positions are resolved only for the nodes that were reported, after the walk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from apisec_lint.types import FileKind, FlowStep, Severity, Span

if TYPE_CHECKING:
    from apisec_lint.analysis.calls import Callees
    from apisec_lint.analysis.clients import Clients
    from apisec_lint.analysis.imports import ImportMap
    from apisec_lint.analysis.index import TreeIndex
    from apisec_lint.analysis.values import Values
    from apisec_lint.packs import Knowledge
    from apisec_lint.rule import Rule
    from apisec_lint.types import Config
    from apisec_lint.walk import WalkState

_WS_RE = re.compile(r"\s+")


@dataclass
class Report:
    """A finding before positions are known."""

    rule: type[Rule]
    message: str
    node: Any = None
    span: Span | None = None
    severity: Severity | None = None
    statement: Any = None
    statement_lines: tuple[int, int] | None = None
    snippet_key: str | None = None
    flow: tuple[FlowStep, ...] = ()
    secret: str | None = None
    fixable: bool | None = None
    fix: Any = None  # a fix.FixSpec, turned into edits once positions are known


class FileContext:
    """Per-file state shared by all rules: source, tree, analyses, reports."""

    def __init__(self, path: str, kind: FileKind, text: str, knowledge: Knowledge,
                 config: Config, module: Any = None, state: WalkState | None = None) -> None:
        self.path = path
        self.kind = kind
        self.text = text
        self.knowledge = knowledge
        self.config = config
        self.module = module
        self.state = state
        self.reports: list[Report] = []
        self.shared: dict[str, Any] = {}  # for analyses added by rule families

    def release(self) -> None:
        """Drop the tree, the walk state and every analysis (they reference each other
        and the context, so without this only the cyclic collector could free them).
        The context is not usable afterwards."""
        self.__dict__.clear()

    # -- source ------------------------------------------------------------------
    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def option(self, key: str, default: Any = None) -> Any:
        return self.config.option(key, default)

    # -- where the walk is ---------------------------------------------------------
    @property
    def scope(self) -> Any:
        """The innermost Module/FunctionDef/Lambda of the node being visited (class
        bodies are skipped: they do not scope names for their methods)."""
        from apisec_lint._lazy import cst

        if self.state is None:
            return self.module
        for node in reversed(self.state.scopes):
            if not isinstance(node, cst.ClassDef):
                return node
        return self.module

    @property
    def statement(self) -> Any:
        if self.state is None or not self.state.statements:
            return None
        return self.state.statements[-1]

    # -- shared analyses -----------------------------------------------------------
    @cached_property
    def index(self) -> TreeIndex:
        """The file's nodes by type (one pass; see analysis/index.py)."""
        from apisec_lint.analysis.index import TreeIndex

        return TreeIndex(self.module)

    @cached_property
    def imports(self) -> ImportMap:
        from apisec_lint.analysis.imports import ImportMap

        return ImportMap(self.module, self.index)

    @cached_property
    def values(self) -> Values:
        from apisec_lint.analysis.values import Values

        return Values(self.module, self.index)

    @cached_property
    def clients(self) -> Clients:
        from apisec_lint.analysis.clients import Clients

        return Clients(self.module, self.imports, self.values, self.knowledge)

    @cached_property
    def callees(self) -> Callees:
        from apisec_lint.analysis.calls import Callees

        return Callees(self.module, self.imports, self.values)

    def callee(self, call: Any) -> str | None:
        """Qualified name of what ``call`` calls (imports and objects built in the
        file followed), in the current scope."""
        return self.callees.callee(call, self.scope)

    def analysis(self, name: str, factory: Any) -> Any:
        """A shared analysis computed once per file: ``factory(ctx)`` on first use."""
        if name not in self.shared:
            self.shared[name] = factory(self)
        return self.shared[name]

    # -- reporting -----------------------------------------------------------------
    def report(self, rule: Rule | type[Rule], node: Any, message: str, *,
               severity: Severity | None = None, flow: tuple[FlowStep, ...] = (),
               secret: str | None = None, fixable: bool | None = None,
               fix: Any = None) -> None:
        """Report ``node``. ``secret``: the raw secret the finding is about; it is
        masked out of the message should the rule have let it slip in. ``fix``: a
        :class:`apisec_lint.fix.FixSpec` saying how to fix it."""
        self.reports.append(Report(
            rule=rule if isinstance(rule, type) else type(rule), message=message, node=node,
            severity=severity, statement=self.statement, flow=flow, secret=secret,
            fixable=fixable, fix=fix))

    def report_span(self, rule: Rule | type[Rule], span: Span, message: str, *,
                    severity: Severity | None = None, snippet_key: str | None = None,
                    secret: str | None = None) -> None:
        """Report a position directly (config files, comments)."""
        if snippet_key is None:
            line = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else ""
            snippet_key = _WS_RE.sub(" ", line).strip()
        self.reports.append(Report(
            rule=rule if isinstance(rule, type) else type(rule), message=message, span=span,
            severity=severity, statement_lines=(span.line, span.end_line),
            snippet_key=snippet_key, secret=secret))

    # -- positions -------------------------------------------------------------------
    @cached_property
    def positions(self) -> Any:
        """Node -> CodeRange, computed only when something is reported (or a rule needs
        the position of a flow step), one top-level statement at a time."""
        from apisec_lint.positions import StatementPositions

        return StatementPositions(self.module, self.text, self.__dict__.get("index"))

    def position(self, node: Any) -> Span | None:
        """The Span of ``node`` (1-based columns), or None for a node not in the tree."""
        pos = self.positions.get(node)
        if pos is None:
            return None
        return Span(pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)

    def resolve(self) -> list[Report]:
        """Fill in spans, statement lines and snippet keys of the node reports."""
        pending = [r for r in self.reports if r.span is None]
        if not pending:
            return self.reports
        from apisec_lint._lazy import cst

        positions = self.positions
        parents: dict[int, Any] | None = None
        stmt_types = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
        for rep in pending:
            pos = positions.get(rep.node)
            if pos is None:
                rep.span = Span(1, 1, 1, 1)
                rep.statement_lines = (1, 1)
                rep.snippet_key = ""
                continue
            rep.span = Span(pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)
            stmt = rep.statement
            if stmt is None or not _contains(positions.get(stmt), pos):
                if parents is None:
                    parents = _parent_map(self.module)
                stmt = rep.node
                while stmt is not None and not isinstance(stmt, stmt_types):
                    stmt = parents.get(id(stmt))
            if stmt is None:
                rep.statement_lines = (rep.span.line, rep.span.end_line)
                rep.snippet_key = _WS_RE.sub(" ", self.module.code_for_node(rep.node)).strip()
                continue
            spos = positions[stmt]
            if isinstance(stmt, cst.SimpleStatementLine):
                rep.statement_lines = (spos.start.line, spos.end.line)
                # the statement itself: comments above or after it do not change the key
                code = "; ".join(self.module.code_for_node(small) for small in stmt.body)
            else:
                rep.statement_lines = (spos.start.line, rep.span.end_line)
                code = self.module.code_for_node(rep.node)
            rep.snippet_key = _WS_RE.sub(" ", code).strip()
        return self.reports


def _contains(outer: Any, inner: Any) -> bool:
    if outer is None:
        return False
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)


def _parent_map(module: Any) -> dict[int, Any]:
    from apisec_lint.walk import iter_children

    parents: dict[int, Any] = {}
    stack = [module]
    while stack:
        node = stack.pop()
        for child in iter_children(node):
            parents[id(child)] = node
            stack.append(child)
    return parents


def fingerprint(rule: str, path: str, snippet_key: str) -> str:
    """Stable across line moves: rule + path + normalised statement source, hashed
    (so a secret in the statement never lands in a baseline or report)."""
    digest = hashlib.sha256(f"{rule}\0{path}\0{snippet_key}".encode()).hexdigest()
    return digest[:20]

"""Cross-file credentials: a module constant of one scanned file reaching a client in another.

``settings.py: K1 = "<key>"`` + ``bot.py: from settings import K1; ccxt.binance({"apiKey":
K1})`` is APS101, reported at the literal in ``settings.py``. The per-file pipeline cannot
see it (results are per file, cached by content, computed in a pool), so there are two
phases:

1. **Facts, per file** (in the pool, cached with the file's result). When APS101 finds a
   credential slot whose value is a name imported from elsewhere, it calls :func:`note`;
   the file's :class:`~apisec_lint.types.FileResult` carries the *use facts*
   ``(ref, line, role, where)``: ``ref`` the qualified name the import gives
   (``settings.K1``, ``..conf.K1``, ``pkg.settings.K1``), ``line`` where it is used,
   ``role`` the credential role of the slot and ``where`` the slot for messages. Facts
   are plain strings and ints (JSON in the cache, picklable through the pool), cost
   nothing in files without such slots, and need no walk of their own: only APS101's
   existing checks feed them. Defining files record nothing: a ``K1 = "..."`` file often
   triggers no rule at all and is never parsed, and keeping raw literals in the cache
   to judge them later would write secrets to disk.

2. **Join, after all files** (:func:`join`, in the main process, deterministic). Each
   ``ref`` is resolved to a scanned Python file -- relative imports from the importing
   file's package, absolute ones from the importing file's folder and then each parent
   folder (``pkg/sub/bot.py``: ``pkg/sub/``, ``pkg/``, the scan root) -- never through
   ``sys.path``, and nothing is imported. Only the defining files so found (few) are read
   and parsed again; the name's module-level assignment is followed to its literal, which
   is judged exactly as a same-file constant (:func:`~apisec_lint.analysis.secrets.assess`
   as a known credential slot, placeholders and ``placeholder-patterns`` included). A
   name the defining module itself imports (a package ``__init__`` re-export) is followed
   a few hops further.

The extra findings belong to the defining file: its inline suppressions (which then no
longer count as unused), per-file ignores, ``select``/``ignore``, severity overrides and,
afterwards in the engine, the baseline apply to them like to any finding of that file.
A literal that already has an APS1xx finding in its own file (APS102 for a secret-named
constant, a detect-secrets format...) is not reported a second time: one literal, one
finding.

Not covered: a defining file that is not scanned (``apisec-lint bot.py`` alone, or a
pre-commit run that passes only the changed file), ``from x import *``, class attributes
(``settings.Config.KEY``), and modules found only through ``sys.path`` or a ``src/``
layout above the importing file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from apisec_lint.types import FileKind, FileResult, Finding

if TYPE_CHECKING:
    from apisec_lint.context import FileContext
    from apisec_lint.discovery import FileJob
    from apisec_lint.pipeline import Session

#: ``(ref, line, role, where)``: see the module docstring.
Use = tuple[str, int, str, str]

_KEY = "crossfile.uses"
_MAX_DEPTH = 8
_MAX_HOPS = 4
_PASSTHROUGH = ("encode", "strip", "decode", "get_secret_value")


# --------------------------------------------------------------------------- phase 1

def note(ctx: FileContext, expr: Any, role: str, where: str) -> None:
    """Record the credential slot value ``expr`` if it is (through local names) a name
    imported from another module. Called by APS101; cheap when the file imports nothing."""
    if not ctx.imports.aliases:
        return
    refs: set[str] = set()
    _refs(ctx, expr, ctx.scope, 0, refs)
    if refs:
        pending = ctx.shared.setdefault(_KEY, [])
        for ref in sorted(refs):
            pending.append((ref, role, where, ctx.statement, expr))


def _refs(ctx: FileContext, expr: Any, scope: Any, depth: int, out: set[str]) -> None:
    from apisec_lint._lazy import cst
    from apisec_lint.analysis.imports import dotted_name

    if depth > _MAX_DEPTH or expr is None:
        return
    nxt = depth + 1
    if isinstance(expr, (cst.Name, cst.Attribute)):
        key = dotted_name(expr)
        if key is None:
            return
        sources = ctx.values.assignments(key, scope)
        if sources:
            for src in sources:
                _refs(ctx, src, scope, nxt, out)
            return
        if _parameter(ctx, key.split(".")[0]):
            return  # ``def connect(K1): Client(K1)``: the parameter, not the import
        ref = ctx.imports.qualified_name(expr)
        if ref and not ref.startswith("builtins.") and _split(ref) is not None:
            out.add(ref)
    elif isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _PASSTHROUGH:
            _refs(ctx, func.value, scope, nxt, out)
        elif isinstance(func, cst.Name) and func.value == "str" and len(expr.args) == 1:
            _refs(ctx, expr.args[0].value, scope, nxt, out)
    elif isinstance(expr, cst.IfExp):
        _refs(ctx, expr.body, scope, nxt, out)
        _refs(ctx, expr.orelse, scope, nxt, out)
    elif isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
        # ``os.getenv("K") or settings.K1``: the fallback reaches the client
        _refs(ctx, expr.left, scope, nxt, out)
        _refs(ctx, expr.right, scope, nxt, out)


def _parameter(ctx: FileContext, name: str) -> bool:
    from apisec_lint._lazy import cst

    for scope in (ctx.state.scopes if ctx.state is not None else ()):
        params = getattr(scope, "params", None)
        if isinstance(params, cst.Parameters):
            for param in (*params.posonly_params, *params.params, *params.kwonly_params,
                          params.star_arg, params.star_kwarg):
                if isinstance(param, cst.Param) and param.name.value == name:
                    return True
    return False


def facts_of(ctx: FileContext) -> tuple[Use, ...]:
    """The use facts of the file, with their lines, sorted (called by the pipeline)."""
    pending = ctx.shared.get(_KEY)
    if not pending:
        return ()
    out = {(ref, _use_line(ctx, stmt, node), role, where)
           for ref, role, where, stmt, node in pending}
    return tuple(sorted(out))


def _use_line(ctx: FileContext, stmt: Any, node: Any) -> int:
    """The line of a noted use: the expression's own line when it sits in the sink's
    statement, else the statement's first line (the value was built in an earlier
    statement: ``cfg = {"apiKey": K1}`` ... ``ccxt.binance(cfg)``). Positions come
    from the context, which resolves only the statements asked about."""
    span = ctx.position(node)
    outer = ctx.position(stmt) if stmt is not None else None
    if outer is None:
        return span.line if span is not None else 1
    if span is not None and (outer.line, outer.column) <= (span.line, span.column) and \
            (span.end_line, span.end_column) <= (outer.end_line, outer.end_column):
        return span.line
    return outer.line


# --------------------------------------------------------------------------- resolution

def _split(ref: str) -> tuple[int, list[str], str] | None:
    """``..pkg.mod.NAME`` -> (2, ["pkg", "mod"], "NAME"); None for a bare module."""
    dots = len(ref) - len(ref.lstrip("."))
    parts = [p for p in ref[dots:].split(".") if p]
    if not parts or (not dots and len(parts) < 2):
        return None
    return dots, parts[:-1], parts[-1]


def _join(base: str, *parts: str) -> str:
    path = posixpath.normpath(posixpath.join(base, *parts)) if base else \
        posixpath.normpath(posixpath.join(*parts))
    return path[2:] if path.startswith("./") else path


def _ancestors(folder: str) -> list[str]:
    out = [folder]
    while folder not in ("", "/", "."):
        parent = posixpath.dirname(folder)
        if parent == folder:
            break
        folder = "" if parent in ("", ".") else parent
        out.append(folder)
    return out


def resolve(ref: str, importer: str, modules: Iterable[str] | set[str]) -> tuple[str, str] | None:
    """(defining file, name) for the qualified name ``ref`` used in ``importer``, among
    the scanned Python files ``modules`` (display paths), or None."""
    split = _split(ref)
    if split is None:
        return None
    dots, mod, name = split
    here = posixpath.dirname(importer)
    if dots:
        base = here
        for _ in range(dots - 1):
            base = _join(base, "..")
        bases = [base]
    else:
        bases = _ancestors(here)
    for base in bases:
        if mod:
            cands = (_join(base, *mod[:-1], mod[-1] + ".py"), _join(base, *mod, "__init__.py"))
        else:
            cands = (_join(base, "__init__.py"),)
        for cand in cands:
            if cand in modules:
                return cand, name
    return None


# --------------------------------------------------------------------------- phase 2

def join(session: Session, files: Iterable[FileJob], results: dict[str, FileResult]) -> None:
    """Add the cross-file findings to the defining files' results (in place)."""
    py = {job.display: job for job in files if job.kind is FileKind.PYTHON}
    uses: dict[str, dict[str, list[tuple[str, int, str, str]]]] = {}
    for display in sorted(results):
        for ref, line, role, where in results[display].facts:
            target = resolve(ref, display, py)
            if target is None or target[0] == display:
                continue
            uses.setdefault(target[0], {}).setdefault(target[1], []).append(
                (display, line, role, where))
    if not uses:
        return
    done: set[tuple[str, str]] = set()
    extra: dict[str, list[Finding]] = {}
    texts: dict[str, str] = {}
    for _ in range(_MAX_HOPS):
        forwarded: dict[str, dict[str, list[tuple[str, int, str, str]]]] = {}
        for path in sorted(uses):
            names = {n: sorted(u) for n, u in uses[path].items() if (path, n) not in done}
            done.update((path, n) for n in names)
            if names and _joinable(results.get(path)):
                try:
                    found, more, text = _check_file(session, py[path], names, py)
                except Exception:  # never stop the run; the file's own findings stand
                    continue
                extra.setdefault(path, []).extend(found)
                if found:
                    texts[path] = text
                for (p, n), u in more.items():
                    forwarded.setdefault(p, {}).setdefault(n, []).extend(u)
        if not forwarded:
            break
        uses = forwarded
    for path in sorted(extra):
        if extra[path]:
            results[path] = _merge(session, path, results[path], extra[path], texts[path])


# syntax error, decode error, time budget exceeded: the file is not analysed again
_UNANALYSED = ("APS001", "APS002", "APS006")


def _joinable(result: FileResult | None) -> bool:
    return result is not None and not result.errors and \
        not any(f.rule in _UNANALYSED for f in result.findings)


def _check_file(session: Session, job: FileJob, names: dict[str, list[tuple[str, int, str, str]]],
                py: dict[str, FileJob]
                ) -> tuple[list[Finding], dict[tuple[str, str], list[Any]], str]:
    """Findings at the literals of ``names`` in the defining file ``job``, and the names
    it re-exports from elsewhere (to follow)."""
    from apisec_lint.checks.credentials import HardcodedCredential

    more: dict[tuple[str, str], list[Any]] = {}
    if HardcodedCredential.code not in {r.code for r in session.rules_for(job.display, job.kind)}:
        return [], more, ""
    ctx = _parse(session, job)
    if ctx is None:
        return [], more, ""
    from apisec_lint.analysis.secrets import classify_name, mask, role_label
    from apisec_lint.analysis.values import Const
    from apisec_lint.checks.credentials import _SKIPPED_ROLES, _kit, _secret_of

    kit = _kit(ctx)
    bindings = _module_bindings(ctx.module)
    seen: set[int] = set()
    for name in sorted(names):
        exprs = bindings.get(name)
        if not exprs:
            ref = ctx.imports.aliases.get(name)
            target = resolve(ref, job.display, py) if ref else None
            if target is not None and target[0] != job.display:
                more.setdefault(target, []).extend(names[name])
            continue
        uses = names[name]
        for expr in exprs:
            for cand in ctx.values.candidates(expr, ctx.module):
                if not isinstance(cand, Const) or id(cand.node) in seen or \
                        not isinstance(cand.value, (str, bytes)):
                    continue
                if cand.node is expr:
                    info = classify_name(name)
                    if info is not None and kit.assess(cand.value, info.strength, info.role,
                                                       name) is not None:
                        continue  # APS102's literal, reported (or suppressed) in its own file
                for use, line, role, where in uses:
                    if role in _SKIPPED_ROLES:
                        continue
                    verdict = kit.assess(cand.value, "slot", role)
                    if verdict is None:
                        continue
                    seen.add(id(cand.node))
                    secret = _secret_of(cand.value, verdict)
                    others = len({(u[0], u[1]) for u in uses}) - 1
                    also = f" (and {others} more use{'s' if others > 1 else ''})" if others else ""
                    ctx.report(HardcodedCredential, cand.node,
                               f"hardcoded {role_label(role)} {name} reaches {where} in "
                               f"{use}:{line}{also}: {mask(secret)} ({verdict.what}); read it "
                               f"from the environment or a secret store", secret=secret)
                    break
    if not ctx.reports:
        return [], more, ""
    from apisec_lint.pipeline import _to_findings

    return _to_findings(session, ctx), more, ctx.text


def _parse(session: Session, job: FileJob) -> FileContext | None:
    from apisec_lint._lazy import parse_module
    from apisec_lint.context import FileContext
    from apisec_lint.pipeline import _risky_parse, decode

    try:
        with open(job.path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    text, _, _ = decode(data, job.kind)
    if text is None or _risky_parse(text):
        return None
    try:
        module = parse_module(text)
    except Exception:
        return None
    ctx = FileContext(job.display, job.kind, text, session.knowledge, session.config)
    ctx.module = module
    return ctx


def _module_bindings(module: Any) -> dict[str, list[Any]]:
    """Name -> values assigned at module level (also under ``if``/``try``/``with``, not in
    functions or classes): what ``from module import NAME`` can get."""
    from apisec_lint._lazy import cst

    out: dict[str, list[Any]] = {}

    def bind(target: Any, value: Any) -> None:
        if isinstance(target, cst.Name):
            out.setdefault(target.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)) and \
                isinstance(value, (cst.Tuple, cst.List)) and \
                len(target.elements) == len(value.elements):
            for t, v in zip(target.elements, value.elements, strict=True):
                bind(t.value, v.value)

    stack = list(reversed(module.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        bind(target.target, small.value)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    bind(small.target, small.value)
        elif isinstance(stmt, (cst.If, cst.Try, cst.With, cst.Else, cst.Finally,
                               cst.ExceptHandler)):
            blocks: list[Any] = [stmt.body]
            for attr in ("orelse", "handlers", "finalbody"):
                extra = getattr(stmt, attr, None)
                if isinstance(extra, (tuple, list)):
                    blocks.extend(extra)
                elif extra is not None:
                    blocks.append(extra)
            for block in reversed(blocks):
                body = getattr(block, "body", block)
                if isinstance(body, (tuple, list)):
                    stack.extend(reversed(body))
                elif body is not None:
                    stack.append(body)
    return out


def _merge(session: Session, path: str, base: FileResult, found: list[Finding],
           text: str) -> FileResult:
    """``base`` plus ``found``, minus literals already reported and suppressed findings;
    suppressions that now suppress something no longer count as unused."""
    from apisec_lint import suppress
    from apisec_lint.checks import diagnostics as diag
    from apisec_lint.pipeline import _dedupe, _diag

    taken = {(f.span.line, f.span.column) for f in base.findings if f.family == "APS1"}
    unique = []
    for f in sorted(found, key=lambda f: f.sort_key):  # one finding per literal
        if (f.span.line, f.span.column) not in taken:
            taken.add((f.span.line, f.span.column))
            unique.append(f)
    found = unique
    findings = list(base.findings)
    if found and not session.config.no_suppressions:
        sups = suppress.parse_suppressions(text, FileKind.PYTHON)
        if sups:
            found = suppress.apply(found, sups, session.name_to_code)
            findings = _unmark_used(findings, sups, path, diag.UnusedSuppression, _diag)
    findings.extend(found)
    findings.sort(key=lambda f: f.sort_key)
    return replace(base, findings=tuple(_dedupe(findings)))


def _unmark_used(findings: list[Finding], sups: list[Any], path: str, rule: Any,
                 make: Any) -> list[Finding]:
    """Drop or shorten the unused-suppression diagnostics of suppressions now used."""
    used = {(s.line, s.column): s for s in sups if s.used}
    if not used:
        return findings
    out = []
    prefix = "unused suppression of "
    for f in findings:
        s = used.get((f.span.line, f.span.column))
        if f.rule != rule.code or s is None:
            out.append(f)
            continue
        if not s.codes:
            if "*" in s.used:
                continue
            out.append(f)
            continue
        if not f.message.startswith(prefix):
            out.append(f)
            continue
        left = [c for c in f.message[len(prefix):].split(", ") if c not in s.used]
        if left:
            out.append(make(rule, path, f.span.line, f.span.column, prefix + ", ".join(left)))
    return out

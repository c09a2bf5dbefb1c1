"""The per-file pipeline: bytes -> decode -> prefilter -> parse -> rules -> findings.

Runs inside worker processes as well as in the main process; everything it needs is
in a :class:`Session` (registry, packs, config) built once per process. One file's
failure becomes an APS0xx diagnostic for that file and never stops the run.
"""

from __future__ import annotations

import codecs
import gc
import io
import os
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

from apisec_lint import suppress
from apisec_lint.checks import diagnostics as diag
from apisec_lint.context import FileContext, Report, fingerprint
from apisec_lint.crossfile import facts_of
from apisec_lint.packs import Knowledge
from apisec_lint.rule import Registry, Rule
from apisec_lint.types import Config, FileError, FileKind, FileResult, Finding, Severity, Span


@dataclass
class Session:
    """What every file of a run needs, built once per process."""

    registry: Registry
    knowledge: Knowledge
    config: Config
    enabled: frozenset[str]
    prefilter: bool = True
    _groups: dict[str, tuple[tuple[bytes, ...], ...] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._groups_ready = False
        self.name_to_code = {r.name: r.code for r in self.registry.rules}
        self._applicable = frozenset(r.code for r in self.registry.rules
                                     if r.applies(self.config))
        self.severity_overrides = {code: sev for code, sev in self.config.severity}

    def rules_for(self, display_path: str, kind: FileKind) -> list[type[Rule]]:
        enabled = set(self.enabled)
        for pattern, selectors in self.config.per_file_ignores:
            if _path_matches(display_path, pattern):
                enabled -= self.registry.select(selectors, ())
        return [r for r in self.registry.rules
                if r.code in enabled and kind in r.kinds and r.code in self._applicable]

    def prepare(self) -> None:
        """Compute every rule's trigger tokens (on first need: a run whose files all
        come from the cache never does; the pool calls it before forking)."""
        if self._groups_ready:
            return
        for rule in self.registry.rules:
            groups = rule.trigger_groups(self.knowledge)
            self._groups[rule.code] = None if groups is None else tuple(
                _minimal(group) for group in groups)
        self._groups_ready = True

    def triggered(self, rules: Iterable[type[Rule]], data: bytes) -> list[type[Rule]]:
        """The rules whose trigger tokens occur in ``data`` (all, without prefilter)."""
        rules = list(rules)
        if not self.prefilter:
            return rules
        self.prepare()
        low = data.lower()
        seen: dict[bytes, bool] = {}  # each token is searched once per file

        def present(token: bytes) -> bool:
            found = seen.get(token)
            if found is None:
                found = seen[token] = token in low
            return found

        out = []
        for rule in rules:
            groups = self._groups.get(rule.code)
            if groups is None or all(any(present(t) for t in group) for group in groups):
                out.append(rule)
        return out


def _minimal(tokens: frozenset[bytes]) -> tuple[bytes, ...]:
    """Drop tokens that contain a shorter token of the same group (if "leverage" is
    present, so is... nothing more is learnt from "set_leverage"); shortest first."""
    ordered = sorted(set(tokens), key=lambda t: (len(t), t))
    kept: list[bytes] = []
    for token in ordered:
        if not any(k in token for k in kept):
            kept.append(token)
    return tuple(kept)


def _path_matches(path: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    return fnmatch(path, pattern) or fnmatch(path, f"{pattern}/*") or \
        fnmatch(path, f"*/{pattern}") or path.startswith(f"{pattern}/")


# --------------------------------------------------------------------------- decode

def decode(data: bytes, kind: FileKind) -> tuple[str | None, str, int]:
    """(text, error message, error line). Python honours BOM and PEP 263 cookies."""
    encoding = "utf-8"
    if kind is FileKind.PYTHON:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            return None, f"cannot decode: {exc.msg if hasattr(exc, 'msg') else exc}", 1
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    if b"\x00" in data[:8192]:
        return None, "binary file (contains NUL bytes)", 1
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, f"invalid {encoding} at byte {exc.start}: {exc.reason}", line
    except LookupError:
        return None, f"unknown encoding {encoding!r} in the coding cookie", 1
    return text, "", 0


# --------------------------------------------------------------------------- the pipeline

def _diag(rule: type[Rule], path: str, line: int, col: int, message: str) -> Finding:
    span = Span(line, max(col, 1), line, max(col, 1))
    return Finding(rule=rule.code, name=rule.name, severity=rule.severity, path=path,
                   span=span, message=message, snippet_key=message, statement_lines=(line, line),
                   fingerprint=fingerprint(rule.code, path, message))


def process_file(session: Session, path: str, display: str, kind: FileKind,
                 data: bytes | None = None) -> FileResult:
    """Analyse one file. Never raises for anything the file contains."""
    limit = max_file_size(session.config)
    if data is None:
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size if limit else 0
                if size > limit:
                    return _too_large(session, display, kind, size)
                data = fh.read()
        except OSError as exc:  # unreadable, or deleted since discovery
            return FileResult(display, errors=(FileError(display, _os_message(exc)),))
    if limit and len(data) > limit:
        return _too_large(session, display, kind, len(data))
    rules = session.rules_for(display, kind)
    enabled = {r.code for r in rules}
    findings: list[Finding] = []
    text, err, err_line = decode(data, kind)
    if text is None:
        if diag.DecodeErrorDiagnostic.code in enabled:
            findings.append(_diag(diag.DecodeErrorDiagnostic, display, err_line, 1, err))
        return FileResult(display, tuple(findings), lines=data.count(b"\n"))
    nlines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    checks = [r for r in session.triggered(rules, data) if not r.code.startswith("APS0")]
    ctx = FileContext(display, kind, text, session.knowledge, session.config)
    facts: tuple[Any, ...] = ()
    if checks:
        # The cyclic garbage collector would scan the file's tree again and again while
        # it is analysed (a parse allocates about a million objects, none of them garbage
        # until the file is done): a third of the analysis time. It is paused for the
        # file; afterwards the context drops the tree and its analyses, which reference
        # counting then frees without a scan.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            if kind is FileKind.PYTHON:
                findings.extend(_run_python(session, ctx, checks, enabled))
            else:
                _run_each(ctx, checks, lambda rule: rule.check_file(), findings, enabled)
            findings.extend(_to_findings(session, ctx))
            facts = facts_of(ctx)
        finally:
            ctx.release()
            if paused:
                gc.enable()
    findings.sort(key=lambda f: f.sort_key)
    sups = [] if session.config.no_suppressions else suppress.parse_suppressions(text, kind)
    if sups:
        findings = suppress.apply(findings, sups, session.name_to_code)
        findings.extend(_suppression_findings(session, display, sups, enabled))
        findings.sort(key=lambda f: f.sort_key)
    return FileResult(display, tuple(_dedupe(findings)), lines=nlines, facts=facts)


DEFAULT_MAX_FILE_SIZE_MB = 5.0


def max_file_size(config: Config) -> int:
    """``max-file-size`` in bytes (0: no limit)."""
    mb = config.extra("max-file-size", DEFAULT_MAX_FILE_SIZE_MB)
    return int(float(mb or 0) * 1_000_000)


def _too_large(session: Session, display: str, kind: FileKind, size: int) -> FileResult:
    """A file over ``max-file-size`` is not read: it would cost more memory and time than
    the per-file budget allows (generated data, dumps)."""
    if diag.FileTooLarge.code not in {r.code for r in session.rules_for(display, kind)}:
        return FileResult(display)
    limit = session.config.extra("max-file-size", DEFAULT_MAX_FILE_SIZE_MB)
    return FileResult(display, (_diag(diag.FileTooLarge, display, 1, 1,
                                      f"file is {size / 1_000_000:.1f} MB, over max-file-size "
                                      f"({float(limit):g} MB); not analysed"),))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.span, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _run_python(session: Session, ctx: FileContext, checks: list[type[Rule]],
                enabled: set[str]) -> list[Finding]:
    from apisec_lint._lazy import cst, parse_module
    from apisec_lint.walk import WalkState, walk

    try:
        guard = _risky_parse(ctx.text)
        if guard:
            if diag.SyntaxErrorDiagnostic.code not in enabled:
                return []
            return [_diag(diag.SyntaxErrorDiagnostic, ctx.path, 1, 1,
                          f"file not analysed: {guard}")]
        module = parse_module(ctx.text)
    except cst.ParserSyntaxError as exc:
        if diag.SyntaxErrorDiagnostic.code not in enabled:
            return []
        msg = f"syntax error, file not analysed: {exc.message}"
        if "print " in ctx.text or ("except " in ctx.text and ", e:" in ctx.text):
            msg += " (Python 2 code is not supported)"
        return [_diag(diag.SyntaxErrorDiagnostic, ctx.path, exc.raw_line, exc.raw_column + 1, msg)]
    except RecursionError:
        if diag.SyntaxErrorDiagnostic.code not in enabled:
            return []
        return [_diag(diag.SyntaxErrorDiagnostic, ctx.path, 1, 1,
                      "file nested too deeply to parse, not analysed")]
    except Exception as exc:  # libcst internal errors must not stop the run
        if diag.SyntaxErrorDiagnostic.code not in enabled:
            return []
        return [_diag(diag.SyntaxErrorDiagnostic, ctx.path, 1, 1,
                      f"file could not be parsed, not analysed: {type(exc).__name__}")]
    ctx.module = module
    ctx.state = WalkState()
    instances = [rule(ctx) for rule in checks]
    out: list[Finding] = []
    try:
        for inst in instances:
            inst.begin()
        walk(module, instances, ctx.state, ctx.index)
        for inst in instances:
            inst.finish()
    except Exception:
        # Find the culprit rule by running each alone, keep everyone else's findings.
        ctx.reports.clear()
        ctx.shared.clear()
        good: list[Any] = []
        for rule in checks:
            mark = len(ctx.reports)
            ctx.state = WalkState()
            inst = rule(ctx)
            try:
                inst.begin()
                walk(module, [inst], ctx.state, ctx.index)
                inst.finish()
                good.append(inst)
            except RecursionError:
                del ctx.reports[mark:]
                out.append(_diag(diag.InternalErrorDiagnostic, ctx.path, 1, 1,
                                 f"rule {rule.code} ({rule.name}) gave up: file nested too deeply"))
            except Exception as exc:
                del ctx.reports[mark:]
                out.append(_diag(diag.InternalErrorDiagnostic, ctx.path, 1, 1,
                                 f"rule {rule.code} ({rule.name}) failed: {type(exc).__name__}: "
                                 f"{str(exc)[:200]}"))
    if diag.InternalErrorDiagnostic.code not in enabled:
        out = []
    return out


_BRACKETS = re.compile(r"\(\)|\[\]|\{\}")
_KEEP = bytes(range(256)).translate(None, b"()[]{}")


def _risky_parse(text: str) -> str:
    """Why ``text`` must not reach libcst's native parser, or "".

    libcst's parser overflows its stack (a segfault, not an exception) on input nested
    a few thousand levels deep, which CPython itself rejects. Files that look deep (long
    lines or deeply nested brackets) are first checked with :func:`ast.parse`, which
    fails cleanly; ordinary files skip the check.
    """
    longest = max((len(line) for line in text.splitlines()), default=0)
    deep = False
    if longest <= 4000:
        brackets = text.encode("utf-8", "replace").translate(None, _KEEP).decode()
        for _ in range(60):
            reduced = _BRACKETS.sub("", brackets)
            if reduced == brackets:
                break
            brackets = reduced
        else:
            deep = True
    if longest <= 4000 and not deep:
        return ""
    import ast

    try:
        ast.parse(text)
    except RecursionError:
        return "nested too deeply to parse"
    except MemoryError:
        return "too large or nested to parse"
    except SyntaxError as exc:
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    except (ValueError, OverflowError) as exc:
        return f"cannot parse: {exc}"
    return ""


def _run_each(ctx: FileContext, checks: list[type[Rule]], call: Any,
              findings: list[Finding], enabled: set[str]) -> None:
    for rule in checks:
        mark = len(ctx.reports)
        try:
            call(rule(ctx))
        except Exception as exc:
            del ctx.reports[mark:]
            if diag.InternalErrorDiagnostic.code in enabled:
                findings.append(_diag(diag.InternalErrorDiagnostic, ctx.path, 1, 1,
                                      f"rule {rule.code} ({rule.name}) failed: "
                                      f"{type(exc).__name__}: {str(exc)[:200]}"))


def _to_findings(session: Session, ctx: FileContext) -> list[Finding]:
    try:
        reports = ctx.resolve()
    except RecursionError:
        reports = [r for r in ctx.reports if r.span is not None]
    out = []
    for rep in reports:
        out.append(_finding(session, ctx, rep))
    return out


def _finding(session: Session, ctx: FileContext, rep: Report) -> Finding:
    rule = rep.rule
    severity = session.severity_overrides.get(rule.code, rep.severity or rule.severity)
    message = rep.message
    if rep.secret and len(rep.secret) >= 4 and rep.secret in message:
        from apisec_lint.analysis.secrets import mask

        message = message.replace(rep.secret, mask(rep.secret))
    span = rep.span or Span(1, 1, 1, 1)
    key = rep.snippet_key or ""
    if rep.secret and len(rep.secret) >= 4 and rep.secret in key:
        # the snippet key is kept in the cache: a digest stands for the secret there
        # (still stable, so the fingerprint does not change when the code moves)
        import hashlib

        key = key.replace(rep.secret,
                          "secret:" + hashlib.sha256(rep.secret.encode()).hexdigest()[:16])
    fix = None
    if rep.fix is not None and ctx.module is not None:
        from apisec_lint.fix import resolve

        try:
            fix = resolve(ctx, rep.fix)
        except RecursionError:
            fix = None
    return Finding(
        rule=rule.code, name=rule.name, severity=Severity(severity), path=ctx.path, span=span,
        message=message, snippet_key=key,
        statement_lines=rep.statement_lines or (span.line, span.end_line),
        fixable=fix is not None if rep.fixable is None else rep.fixable, flow=rep.flow,
        fingerprint=fingerprint(rule.code, ctx.path, key), fix=fix)


def _suppression_findings(session: Session, path: str, sups: list[suppress.Suppression],
                          enabled: set[str]) -> list[Finding]:
    out = []
    known = set(session.registry.by_code) | set(session.name_to_code)
    for s in sups:
        if s.problem:
            if diag.MalformedSuppression.code in enabled:
                out.append(_diag(diag.MalformedSuppression, path, s.line, s.column,
                                 f"malformed suppression: {s.problem}"))
            continue
        unknown = [c for c in s.codes if c.upper() not in known and c.lower() not in known]
        if unknown and diag.MalformedSuppression.code in enabled:
            out.append(_diag(diag.MalformedSuppression, path, s.line, s.column,
                             f"malformed suppression: unknown rule {', '.join(unknown)}"))
        if diag.UnusedSuppression.code not in enabled:
            continue
        if not s.codes:
            if "*" not in s.used:
                out.append(_diag(diag.UnusedSuppression, path, s.line, s.column,
                                 "unused suppression: no finding here to ignore"))
            continue
        unused = [c for c in s.codes if c not in s.used and c not in unknown
                  and session.name_to_code.get(c.lower(), c.upper()) in session.enabled]
        if unused:
            out.append(_diag(diag.UnusedSuppression, path, s.line, s.column,
                             f"unused suppression of {', '.join(unused)}"))
    return out


def _os_message(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"

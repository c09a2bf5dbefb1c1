"""Inline suppressions: ``# apisec: ignore[APS101, rule-name] -- reason``.

A suppression applies to a finding when the comment is on any line of the finding's
statement (so it works on multi-line calls), or alone on the line just above the
statement. A bare ``# apisec: ignore`` silences every rule but needs a reason after
``--``. Comments are found with :mod:`tokenize`, so ``# apisec`` inside a string is
not a suppression.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from apisec_lint.types import FileKind, Finding

_MARK_RE = re.compile(r"#\s*apisec\s*:", re.IGNORECASE)
_DIRECTIVE_RE = re.compile(
    r"#\s*apisec\s*:\s*(?P<verb>[A-Za-z-]+)\s*(?:\[(?P<codes>[^\]]*)\])?\s*(?P<rest>.*)$",
    re.IGNORECASE)


@dataclass
class Suppression:
    line: int
    column: int
    end_column: int
    codes: tuple[str, ...]  # empty: blanket
    reason: str
    standalone: bool  # the comment is alone on its line
    used: set[str] = field(default_factory=set)
    problem: str = ""  # non-empty: malformed, and why


def _comments_python(text: str) -> list[tuple[int, int, str, bool]]:
    out = []
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        prev_line = -1
        line_has_code: dict[int, bool] = {}
        for tok in tokens:
            if tok.type == tokenize.COMMENT:
                line = tok.start[0]
                out.append((line, tok.start[1], tok.string, not line_has_code.get(line, False)))
            elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                  tokenize.DEDENT, tokenize.ENCODING):
                for ln in range(tok.start[0], tok.end[0] + 1):
                    line_has_code[ln] = True
            prev_line = tok.start[0]
        del prev_line
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # Unfinished code: fall back to a line scan (the file gets a parse diagnostic).
        return _comments_lines(text)
    return out


def _comments_lines(text: str) -> list[tuple[int, int, str, bool]]:
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        m = _MARK_RE.search(line)
        if m:
            out.append((i, m.start(), line[m.start():], not line[:m.start()].strip()))
    return out


def parse_suppressions(text: str, kind: FileKind) -> list[Suppression]:
    """Every ``# apisec:`` directive of a file (valid or not)."""
    if "apisec" not in text.lower():
        return []
    if kind is FileKind.PYTHON:
        comments = _comments_python(text)
    elif kind is FileKind.JSON:
        return []
    else:
        comments = _comments_lines(text)
    found: list[Suppression] = []
    for line, col, comment, standalone in comments:
        mark = _MARK_RE.search(comment)
        if not mark:
            continue
        body = comment[mark.start():]
        m = _DIRECTIVE_RE.match(body)
        sup = Suppression(line, col + 1, col + 1 + len(comment), (), "", standalone)
        if not m or m.group("verb").lower() != "ignore":
            sup.problem = "unknown directive; use '# apisec: ignore[CODE]'"
            found.append(sup)
            continue
        codes_text = m.group("codes")
        rest = m.group("rest").strip()
        if rest.startswith("--"):
            sup.reason = rest[2:].strip()
        elif rest:
            sup.problem = "text after the directive must start with '--' (a reason)"
        if codes_text is not None:
            codes = tuple(c.strip() for c in codes_text.split(",") if c.strip())
            if not codes:
                sup.problem = "empty code list"
            sup.codes = codes
        elif not sup.reason and not sup.problem:
            sup.problem = "a blanket '# apisec: ignore' needs a reason: '# apisec: ignore -- why'"
        found.append(sup)
    return found


def apply(findings: list[Finding], sups: list[Suppression],
          name_to_code: dict[str, str]) -> list[Finding]:
    """Drop suppressed findings; mark the suppressions that were used."""
    if not sups:
        return findings
    by_line: dict[int, list[Suppression]] = {}
    for s in sups:
        if not s.problem or s.codes:
            by_line.setdefault(s.line, []).append(s)
    kept = []
    for f in findings:
        if f.rule.startswith("APS0"):
            kept.append(f)
            continue
        start, end = f.statement_lines
        if (start, end) == (0, 0):
            start, end = f.span.line, f.span.end_line
        start, end = min(start, f.span.line), max(end, f.span.end_line)
        candidates = [s for ln in range(start, end + 1) for s in by_line.get(ln, ())]
        candidates += [s for s in by_line.get(start - 1, ()) if s.standalone]
        hit = None
        for s in candidates:
            if not s.codes:
                hit = s
                s.used.add("*")
                break
            for c in s.codes:
                code = name_to_code.get(c.lower(), c.upper())
                if code == f.rule:
                    hit = s
                    s.used.add(c)
                    break
            if hit:
                break
        if hit is None:
            kept.append(f)
    return kept

"""``--fix`` / ``--diff``: apply the fixes of a finished run, file by file.

For every file whose reported findings (after suppressions, select/ignore,
per-file-ignores and the baseline: only what the run reports is fixed) carry an
applicable fix, the edits are applied to the source, the result is linted again and
the loop repeats until no applicable fix is left (at most :data:`MAX_PASSES` passes, as
ruff does), so that fixes that touch the same code settle and a second ``--fix`` finds
nothing to do. The first pass uses the run's findings (from the cache on a warm run:
the cache stores the edits); later passes re-lint in process.

A fixed text that does not parse is never produced (:func:`apisec_lint.fix.apply_fixes`
drops the fixes that break it). Files are written atomically (a temporary file in the
same folder, then ``os.replace``) with their mode, encoding and line endings kept; only
files the run discovered from the command line are written, and never through a
symbolic link.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import io
import os
import stat
import tempfile
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from apisec_lint import baseline as baseline_mod
from apisec_lint.discovery import FileJob
from apisec_lint.engine import RunResult
from apisec_lint.fix import apply_fixes
from apisec_lint.pipeline import Session, decode, process_file
from apisec_lint.types import Edit, FileError, FileKind, Finding, Fix

MAX_PASSES = 8


def applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (unsafe or finding.fix.safe)


@dataclass
class FileFix:
    """What fixing one file did."""

    display: str
    path: str
    original: str
    fixed: str
    fixed_count: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    env: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        return unified_diff(self.original, self.fixed, self.display)


@dataclass
class FixOutcome:
    files: list[FileFix]
    errors: list[FileError]

    @property
    def fixed(self) -> int:
        return sum(f.fixed_count for f in self.files)

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files if f.changed]

    @property
    def env(self) -> list[str]:
        return sorted({name for f in self.files for name in f.env})


def fix_run(result: RunResult, session: Session, *, unsafe: bool, write: bool,
            baseline: str | None = None) -> FixOutcome:
    """Fix the files of ``result``; write them when ``write``."""
    counts = baseline_mod.load_baseline(baseline) if baseline else None
    reported: dict[str, list[Finding]] = {}
    for f in result.findings:
        reported.setdefault(f.path, []).append(f)
    # findings the run hides (the baseline): their code must not be fixed in a later
    # pass either, when an edit nearby has changed their fingerprint
    hidden: dict[str, list[Finding]] = {}
    if counts is not None:
        shown = {id(f) for f in result.findings}
        for r in result.results:
            for f in r.findings:
                if id(f) not in shown and f.fix is not None:
                    hidden.setdefault(r.path, []).append(f)
    files: list[FileFix] = []
    errors: list[FileError] = []
    for display in sorted(reported):
        findings = reported[display]
        if not any(applicable(f, unsafe) for f in findings):
            continue
        job = result.jobs.get(display)
        if job is None:
            continue
        try:
            outcome = _fix_file(session, job, findings, hidden.get(display, []), counts, unsafe)
        except OSError as exc:
            errors.append(FileError(display, f"cannot fix: {exc.strerror or exc}"))
            continue
        if outcome is None:
            continue
        if write and outcome.changed:
            try:
                write_atomic(job.path, outcome.fixed, outcome.encoding)
                outcome.written = True
            except OSError as exc:
                errors.append(FileError(display, f"cannot write the fixed file: "
                                                 f"{exc.strerror or exc}"))
                continue
        files.append(outcome)
    return FixOutcome(files, errors)


@dataclass
class _Fixed(FileFix):
    encoding: str = "utf-8"


def _fix_file(session: Session, job: FileJob, findings: list[Finding],
              hidden: list[Finding], counts: Counter[tuple[str, str, str]] | None,
              unsafe: bool) -> _Fixed | None:
    if job.kind is not FileKind.PYTHON or os.path.islink(job.path):
        return None
    with open(job.path, "rb") as fh:
        data = fh.read()
    text, _, _ = decode(data, job.kind)
    if text is None:
        return None
    encoding = _encoding(data)
    out = _Fixed(job.display, job.path, text, text, encoding=encoding)
    protected = [(f.rule, *_offsets(text, f)) for f in hidden]
    for _ in range(MAX_PASSES):
        fixes: list[Fix] = []
        owners: dict[int, Finding] = {}
        for f in findings:
            if not applicable(f, unsafe) or f.fix is None:
                continue
            if protected and _touches_protected(text, f, protected):
                continue
            fixes.append(f.fix)
            owners[id(f.fix)] = f
        if not fixes:
            break
        fixed, applied = apply_fixes(text, fixes)
        if not applied or fixed == text:
            break
        for fix in applied:
            out.fixed_count += 1
            out.rules[owners[id(fix)].rule] += 1
            out.env.extend(n for n in fix.env if n not in out.env)
        edits = sorted({e for fix in applied for e in fix.edits}, key=lambda e: (e.start, e.end))
        protected = [(rule, _shift(start, edits), _shift(end, edits))
                     for rule, start, end in protected]
        text = fixed
        try:
            encoded = text.encode(encoding)
        except UnicodeEncodeError:
            return None  # a fix brought in a character the file's encoding cannot hold
        result = process_file(session, job.path, job.display, job.kind, data=encoded)
        findings = list(result.findings)
        if counts is not None:
            findings = baseline_mod.filter_new(findings, counts)
    out.fixed = text
    return out


def _encoding(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return "utf-8"
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return encoding


def _line_starts(text: str) -> list[int]:
    import re

    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def _offsets(text: str, f: Finding) -> tuple[int, int]:
    starts = _line_starts(text)

    def at(line: int, col: int) -> int:
        return starts[min(line, len(starts)) - 1] + col - 1

    return at(f.span.line, f.span.column), at(f.span.end_line, f.span.end_column)


def _touches_protected(text: str, f: Finding, protected: Sequence[tuple[str, int, int]]) -> bool:
    start, end = _offsets(text, f)
    for rule, p_start, p_end in protected:
        if rule == f.rule and (start == p_start or (start < p_end and p_start < end)):
            return True
    return False


def _shift(offset: int, edits: Iterable[Edit]) -> int:
    """Where ``offset`` of the text before ``edits`` is in the text after them."""
    delta = 0
    for e in edits:
        if e.end <= offset:
            delta += len(e.content) - (e.end - e.start)
        elif e.start < offset:
            return e.start + delta  # inside an edited range: its start
        else:
            break
    return offset + delta


def write_atomic(path: str, text: str, encoding: str) -> None:
    """Replace ``path`` by ``text`` atomically, keeping its permission bits."""
    data = text.encode(encoding)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                               suffix=".apisec-fix")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def unified_diff(before: str, after: str, display: str) -> str:
    if before == after:
        return ""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    out = []
    for line in difflib.unified_diff(a, b, fromfile=f"a/{display}", tofile=f"b/{display}"):
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)

"""The human report: ``path:line:col: CODE [severity] message`` and a summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from apisec_lint.engine import RunResult
from apisec_lint.report import severity_counts
from apisec_lint.rule import Registry

_COLORS = {"high": "\033[1;31m", "medium": "\033[33m", "low": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(result: RunResult, registry: Registry, options: Any) -> str:
    color = bool(getattr(options, "color", False))
    out: list[str] = []
    sources: dict[str, list[str]] = {}
    for f in result.findings:
        sev = str(f.severity)
        loc = f"{f.path}:{f.span.line}:{f.span.column}:"
        if color:
            out.append(
                f"{_BOLD}{loc}{_RESET} {_COLORS[sev]}{f.rule}{_RESET} [{sev}] {f.message}")
        else:
            out.append(f"{loc} {f.rule} [{sev}] {f.message}")
        if getattr(options, "show_source", False):
            lines = sources.get(f.path)
            if lines is None:
                try:
                    with open(f.path, encoding="utf-8", errors="replace") as fh:
                        lines = fh.read().splitlines()
                except OSError:
                    lines = []
                sources[f.path] = lines
            if 0 < f.span.line <= len(lines):
                text = lines[f.span.line - 1]
                if f.rule.startswith("APS1"):
                    text = "(source line hidden: it holds a credential)"
                out.append(f"    {f.span.line:>5} | {text}")
                if not f.rule.startswith("APS1"):
                    if f.span.end_line == f.span.line:
                        width = max(1, f.span.end_column - f.span.column)
                    else:
                        width = max(1, len(text) - f.span.column + 1)
                    out.append("          | " + " " * (f.span.column - 1) + "^" * width)
    for e in result.errors:
        out.append(f"{e.path}: error: {e.message}")
    counts = severity_counts(result.findings)
    n = len(result.findings)
    if n:
        summary = (f"Found {n} finding{'s' if n != 1 else ''} ({counts['high']} high, "
                   f"{counts['medium']} medium, {counts['low']} low) in {result.files} "
                   f"file{'s' if result.files != 1 else ''}.")
    else:
        summary = f"No findings in {result.files} file{'s' if result.files != 1 else ''}."
    if result.baselined:
        summary += f" {result.baselined} known finding(s) hidden by the baseline."
    if result.errors:
        summary += f" {len(result.errors)} file(s) could not be read."
    out.append(summary if not color else f"{_BOLD}{summary}{_RESET}")
    if getattr(options, "stats", False):
        out.append("")
        out.append(f"{result.files} files, {result.lines} lines, {result.seconds:.2f}s"
                   f" ({result.cached} from cache)")
        by_rule = Counter((f.rule, f.name) for f in result.findings)
        for (code, name), count in sorted(by_rule.items()):
            out.append(f"{count:>6}  {code}  {name}")
    return "\n".join(out) + "\n"

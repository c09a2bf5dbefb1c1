"""Reporters: they format a finished run; they never re-analyse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apisec_lint.engine import RunResult
from apisec_lint.rule import Registry


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    show_source: bool = False
    stats: bool = False


Renderer = Callable[[RunResult, Registry, ReportOptions], str]


def renderer(fmt: str) -> Renderer:
    if fmt == "json":
        from apisec_lint.report.json import render
    elif fmt == "sarif":
        from apisec_lint.report.sarif import render
    elif fmt == "github":
        from apisec_lint.report.github import render
    else:
        from apisec_lint.report.text import render
    return render


def severity_counts(findings: list[Any]) -> dict[str, int]:
    counts = {"high": 0, "medium": 0, "low": 0}
    for f in findings:
        counts[str(f.severity)] += 1
    return counts

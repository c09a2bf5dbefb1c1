"""GitHub Actions workflow commands: an annotation per finding."""

from __future__ import annotations

from typing import Any

from apisec_lint.engine import RunResult
from apisec_lint.rule import Registry

_LEVEL = {"high": "error", "medium": "warning", "low": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult, registry: Registry, options: Any) -> str:
    lines = []
    for f in result.findings:
        s = f.span
        title = _prop(f"{f.rule} {f.name}")
        lines.append(
            f"::{_LEVEL[str(f.severity)]} file={_prop(f.path)},line={s.line},col={s.column},"
            f"endLine={s.end_line},endColumn={s.end_column},title={title}::"
            f"{_data(f'{f.rule} [{f.severity}] {f.message}')}")
    for e in result.errors:
        lines.append(f"::error file={_prop(e.path)},title=apisec-lint::{_data(e.message)}")
    return "\n".join(lines) + ("\n" if lines else "")

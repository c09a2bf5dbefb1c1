"""The JSON report: exactly the contract of SPEC §3."""

from __future__ import annotations

import json
from typing import Any

from apisec_lint import __version__
from apisec_lint.engine import RunResult
from apisec_lint.rule import Registry
from apisec_lint.types import Finding


def finding_dict(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rule": f.rule, "name": f.name, "family": f.family, "severity": str(f.severity),
        "path": f.path, "line": f.span.line, "column": f.span.column,
        "end_line": f.span.end_line, "end_column": f.span.end_column,
        "message": f.message, "fingerprint": f.fingerprint, "fixable": f.fixable,
    }
    if f.fix is not None:  # additive: only on findings that have a fix
        d["fix"] = {"applicability": f.fix.applicability, "message": f.fix.message}
        if f.fix.env:
            d["fix"]["env"] = list(f.fix.env)
    return d


def render(result: RunResult, registry: Registry, options: Any) -> str:
    doc = {
        "tool": {"name": "apisec-lint", "version": __version__},
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [{"path": e.path, "message": e.message} for e in result.errors],
        "stats": {"files": result.files, "lines": result.lines,
                  "seconds": round(result.seconds, 3)},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

"""SARIF 2.1.0 for code scanning: rule metadata with help text and CWE, one result per
finding with a stable partial fingerprint, and taint paths as code flows."""

from __future__ import annotations

import json
from typing import Any

from apisec_lint import __version__
from apisec_lint.engine import RunResult
from apisec_lint.rule import Registry, Rule
from apisec_lint.types import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"high": "8.0", "medium": "5.5", "low": "3.0"}
HELP_URI = "https://github.com/apisec-lint/apisec-lint/blob/main/docs/rules.md"


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    sev = str(rule.severity)
    tags = ["security", f"family/{rule.family()}"]
    if rule.cwe:
        tags.append(f"external/cwe/cwe-{rule.cwe}")
    doc = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": doc.split("\n## ", 1)[0].strip() or rule.summary()},
        "help": {"text": doc, "markdown": doc},
        "helpUri": f"{HELP_URI}#{rule.code.lower()}",
        "defaultConfiguration": {"level": _LEVEL[sev]},
        "properties": {"tags": tags, "precision": "high",
                       "security-severity": _SECURITY_SEVERITY[sev],
                       **({"cwe": f"CWE-{rule.cwe}"} if rule.cwe else {})},
    }


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": max(end_line, line),
            "endColumn": max(end_column, column + 1) if end_line <= line else max(end_column, 1)}


def _location(f: Finding) -> dict[str, Any]:
    s = f.span
    return {"physicalLocation": {
        "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
        "region": _region(s.line, s.column, s.end_line, s.end_column)}}


def _result(f: Finding, index: int) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": _LEVEL[str(f.severity)],
        "message": {"text": f.message},
        "locations": [_location(f)],
        "partialFingerprints": {"apisecFingerprint/v1": f.fingerprint},
        "properties": {"severity": str(f.severity), "family": f.family},
    }
    if f.flow:
        steps = [{"location": {
            "physicalLocation": {"artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                                 "region": {"startLine": st.line, "startColumn": st.column}},
            "message": {"text": st.message}}} for st in f.flow]
        res["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
    if f.fix is not None and f.fix.edits:
        # The fix as SARIF proposes it: character ranges of the file (as decoded) and
        # their replacement text, as ``--fix`` (safe) / ``--unsafe-fixes`` would apply.
        label = "" if f.fix.applicability == "safe" else " (unsafe: behaviour changes)"
        res["fixes"] = [{
            "description": {"text": (f.fix.message or "apply the fix") + label},
            "artifactChanges": [{
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "replacements": [{
                    "deletedRegion": {"charOffset": e.start, "charLength": e.end - e.start},
                    "insertedContent": {"text": e.content}} for e in f.fix.edits],
            }],
        }]
    return res


def render(result: RunResult, registry: Registry, options: Any) -> str:
    used = sorted({f.rule for f in result.findings})
    rules = [registry.by_code[c] for c in used if c in registry.by_code]
    index = {r.code: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "apisec-lint", "version": __version__, "semanticVersion": __version__,
            "informationUri": "https://github.com/apisec-lint/apisec-lint",
            "rules": [_rule_descriptor(r) for r in rules]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index.get(f.rule, 0)) for f in result.findings],
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": e.message},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": e.path}}}]}
                for e in result.errors]}],
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

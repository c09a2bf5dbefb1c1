"""Every rule's VALID and INVALID examples, built-in or plugin, become test cases."""

from __future__ import annotations

import pytest

from apisec_lint.testing import check_snippet, example_cases, registry

CASES = [
    pytest.param(rule, label, example, id=f"{rule.code}-{label}-{i}")
    for rule in registry().rules
    for i, (label, example) in enumerate(example_cases(rule))
]


def test_every_rule_has_examples_and_docs() -> None:
    for rule in registry().rules:
        doc = rule.documentation()
        assert "## What it does" in doc, rule.code
        assert "## Why is this bad?" in doc, rule.code
        if rule.code.startswith("APS0"):
            continue
        assert rule.VALID and rule.INVALID, f"{rule.code} needs VALID and INVALID examples"
        assert "## Example" in doc and "## Use instead" in doc, rule.code


@pytest.mark.parametrize(("rule", "label", "example"), CASES)
def test_rule_example(rule, label, example) -> None:
    findings = check_snippet(example.code, example.filename, options=example.options)
    mine = [f for f in findings if f.rule == rule.code]
    if label == "valid":
        assert not mine, f"{rule.code} fired on a VALID example: {[f.message for f in mine]}"
    else:
        assert mine, f"{rule.code} missed an INVALID example:\n{example.code}"
        if example.lines is not None:
            assert sorted({f.span.line for f in mine}) == sorted(example.lines)

"""Run rules on code snippets: used by the test suite and by plugin authors.

``check_snippet(code)`` runs the real pipeline (decode, prefilter, libcst, rules,
suppressions) on an in-memory file and returns its findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from apisec_lint.discovery import kind_of
from apisec_lint.packs import load_knowledge
from apisec_lint.pipeline import Session, process_file
from apisec_lint.rule import Example, Registry, Rule
from apisec_lint.types import Config, Finding

_REGISTRY: Registry | None = None
_KNOWLEDGE: dict[tuple[str, ...], Any] = {}


def registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry.load()
    return _REGISTRY


def check_snippet(code: str, filename: str = "example.py", *, select: Iterable[str] = ("APS",),
                  options: Iterable[tuple[str, Any]] = (), packs: Iterable[str] = (),
                  rules: Iterable[type[Rule]] | None = None,
                  prefilter: bool = True) -> list[Finding]:
    packs = tuple(str(p) for p in packs)
    if packs not in _KNOWLEDGE:
        _KNOWLEDGE[packs] = load_knowledge(packs)
    reg = Registry(rules) if rules is not None else registry()
    config = replace(Config(), select=tuple(select), rule_options=tuple(options), packs=packs)
    session = Session(reg, _KNOWLEDGE[packs], config, reg.select(config.select, ()),
                      prefilter=prefilter)
    kind = kind_of(filename, code.encode()[:64])
    if kind is None:
        raise ValueError(f"{filename}: not a file kind apisec-lint scans")
    result = process_file(session, filename, filename, kind, data=code.encode("utf-8"))
    return list(result.findings)


def example_cases(rule: type[Rule]) -> list[tuple[str, Example]]:
    """(``valid``/``invalid``, example) for every example on ``rule``."""
    out = []
    for label, items in (("valid", rule.VALID), ("invalid", rule.INVALID)):
        for item in items:
            out.append((label, item if isinstance(item, Example) else Example(item)))
    return out

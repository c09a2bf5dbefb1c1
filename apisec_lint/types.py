"""The data that flows through apisec-lint: findings, locations, severities, config.

Every type here is an immutable dataclass so that results can cross process boundaries,
be cached and be compared byte for byte. Nothing in this module imports libcst.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``--fail-on`` can compare."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use low, medium or high)") from None

    def __str__(self) -> str:
        return self.name.lower()


class FileKind(str, enum.Enum):
    """What a discovered file is, which decides the rules it is handed to."""

    PYTHON = "python"
    ENV = "env"
    JSON = "json"
    YAML = "yaml"
    TOML = "toml"
    INI = "ini"

    def __str__(self) -> str:
        return self.value


CONFIG_KINDS = frozenset({FileKind.ENV, FileKind.JSON, FileKind.YAML, FileKind.TOML, FileKind.INI})


@dataclass(frozen=True, order=True)
class Span:
    """A 1-based line and column range inside one file (end column exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class FlowStep:
    """One step of a taint path, for SARIF code flows and messages."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of the analysed source (character offsets into the
    decoded text) with ``content``; ``start == end`` inserts."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    """How to fix one finding: edits against the source the finding was reported in.

    ``applicability`` is ``"safe"`` (applied by ``--fix``) or ``"unsafe"`` (behaviour at
    run time changes: needs ``--unsafe-fixes``). ``env`` names the environment variables
    the fixed code reads (a credential moved out of the source)."""

    edits: tuple[Edit, ...]
    applicability: str = "safe"
    message: str = ""
    env: tuple[str, ...] = ()

    @property
    def safe(self) -> bool:
        return self.applicability == "safe"


@dataclass(frozen=True)
class Finding:
    """One reported problem. Reporters format these; they never re-analyse."""

    rule: str  # "APS201"
    name: str  # "tls-verify-disabled"
    severity: Severity
    path: str  # as the user gave it, posix separators
    span: Span
    message: str
    # Normalised source of the enclosing statement (or config entry); the baseline
    # fingerprint is built from it so that moving code keeps the match.
    snippet_key: str = ""
    # Lines of the whole enclosing statement: suppressions anywhere on it apply.
    statement_lines: tuple[int, int] = (0, 0)
    fixable: bool = False
    flow: tuple[FlowStep, ...] = ()
    fingerprint: str = ""
    fix: Fix | None = None

    @property
    def family(self) -> str:
        return self.rule[:4]

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.span.line, self.span.column, self.rule, self.message)


@dataclass(frozen=True)
class FileError:
    """A file that could not be processed at all (unreadable, vanished...)."""

    path: str
    message: str


@dataclass(frozen=True)
class FileResult:
    """Everything the per-file pipeline produced for one file."""

    path: str
    findings: tuple[Finding, ...] = ()
    errors: tuple[FileError, ...] = ()
    lines: int = 0
    # Suppression bookkeeping, resolved later by the filters.
    suppressions: tuple[Any, ...] = ()
    # Cross-file facts (crossfile.py): plain tuples of str/int, cached with the result.
    facts: tuple[tuple[Any, ...], ...] = ()


@dataclass(frozen=True)
class Config:
    """The effective configuration of one run (after file config and CLI are merged)."""

    select: tuple[str, ...] = ("APS",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    fail_on: Severity = Severity.LOW
    packs: tuple[str, ...] = ()
    rule_options: tuple[tuple[str, Any], ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False
    no_suppressions: bool = False
    # Where config-relative paths (packs, excludes) are anchored.
    root: str = "."
    source: str = ""  # which file the config came from, for messages
    extras: tuple[tuple[str, Any], ...] = field(default=())

    def option(self, name: str, default: Any = None) -> Any:
        """A rule option by its kebab-case name (snake_case accepted)."""
        name = name.replace("_", "-")
        for key, value in self.rule_options:
            if key == name:
                return value
        return default

    def extra(self, name: str, default: Any = None) -> Any:
        for key, value in self.extras:
            if key == name:
                return value
        return default

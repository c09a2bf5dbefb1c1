"""The rule plugin API and the registry of rules.

A rule is a small class with one job. It declares its code, name, severity and CWE,
documents itself in its docstring (What it does / Why is this bad? / Example / Use
instead) and carries ``VALID`` and ``INVALID`` examples that the test suite turns into
test cases. A fresh instance is made for every file.

Python rules define ``visit_<Node>`` / ``leave_<Node>`` methods for libcst node types;
all rules of a file run in one batched traversal (see :mod:`apisec_lint.walk`).
``begin()`` runs before the traversal and ``finish()`` after it. Rules for config
files (``kinds`` other than python) implement ``check_file()`` instead.

A rule that can fix what it reports sets ``fixable``, ``fix_description`` and
``fix_applicability`` and passes ``fix=FixSpec(...)`` (:mod:`apisec_lint.fix`: replace a
node, remove an argument or dict entry, add a keyword argument, add an import) to
``report()``; the edits are computed against the original source once positions are
known, so ``--fix`` changes nothing outside the nodes it names.

Third-party rules register a Rule subclass (or a module exposing ``RULES``) in the
entry-point group ``apisec_lint.rules``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from apisec_lint.errors import UsageError
from apisec_lint.types import FileKind, Severity

if TYPE_CHECKING:
    from apisec_lint.context import FileContext
    from apisec_lint.packs import Knowledge
    from apisec_lint.types import Config

CODE_RE = re.compile(r"^APS\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
ENTRY_POINT_GROUP = "apisec_lint.rules"


@dataclass(frozen=True)
class Example:
    """A code example on a rule. ``lines`` (for INVALID) are the lines expected to be
    reported; ``filename`` lets config-file rules give examples as ``.env``/JSON/…"""

    code: str
    filename: str = "example.py"
    lines: tuple[int, ...] | None = None
    options: tuple[tuple[str, Any], ...] = ()


class Rule:
    """Base class of every rule. Subclasses set the class attributes below."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.MEDIUM
    cwe: ClassVar[int | None] = None
    kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON})
    fixable: ClassVar[bool] = False
    fix_description: ClassVar[str] = ""
    # "safe" (applied by --fix) or "unsafe" (needs --unsafe-fixes): the default of the
    # rule's fixes; a FixSpec says it for each fix.
    fix_applicability: ClassVar[str] = "safe"
    # Byte strings (lowercase) one of which a file must contain for this rule to be able
    # to fire; the prefilter skips the CST entirely when no rule's trigger is present.
    # ``None`` means "always run"; it disables the fast path for every file.
    triggers: ClassVar[tuple[str, ...] | None] = None
    # Documented rule options and their defaults (config: [tool.apisec-lint] key).
    options: ClassVar[dict[str, Any]] = {}
    VALID: ClassVar[Sequence[str | Example]] = ()
    INVALID: ClassVar[Sequence[str | Example]] = ()

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    # -- hooks ---------------------------------------------------------------------
    def begin(self) -> None:
        """Called before the traversal of a Python file."""

    def finish(self) -> None:
        """Called after the traversal of a Python file."""

    def check_file(self) -> None:
        """Called once for a file of a non-Python kind this rule accepts."""

    # -- helpers -------------------------------------------------------------------
    def report(self, node: Any, message: str, **kwargs: Any) -> None:
        """Report ``node`` (a libcst node) with ``message``; see FileContext.report."""
        self.ctx.report(self, node, message, **kwargs)

    def option(self, key: str) -> Any:
        return self.ctx.option(key, self.options.get(key))

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        """The prefilter tokens; override to derive them from the packs."""
        if cls.triggers is None:
            return None
        return frozenset(t.lower().encode() for t in cls.triggers)

    @classmethod
    def trigger_groups(cls, knowledge: Knowledge) -> tuple[frozenset[bytes], ...] | None:
        """Prefilter as groups: a file must contain a token of *every* group (an AND of
        ORs). By default the single group of :meth:`trigger_tokens`."""
        tokens = cls.trigger_tokens(knowledge)
        return None if tokens is None else (tokens,)

    @classmethod
    def applies(cls, config: Config) -> bool:
        """Whether the rule can fire at all under ``config`` (e.g. it needs an option
        that is not set); a rule that cannot is never run, which keeps files unparsed."""
        return True

    @classmethod
    def fix_label(cls) -> str:
        """What ``--list-rules`` shows in its fix column: -, safe, unsafe."""
        return cls.fix_applicability if cls.fixable else "-"

    @classmethod
    def family(cls) -> str:
        return cls.code[:4]

    @classmethod
    def summary(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else cls.name

    @classmethod
    def documentation(cls) -> str:
        return inspect.getdoc(cls) or ""


def _validate(rule: type[Rule], origin: str) -> None:
    if not CODE_RE.match(rule.code or ""):
        raise UsageError(f"{origin}: rule {rule.__name__} has an invalid code {rule.code!r}")
    if not NAME_RE.match(rule.name or ""):
        raise UsageError(f"{origin}: rule {rule.code} has an invalid name {rule.name!r}")


def _rules_in(obj: Any) -> list[type[Rule]]:
    if inspect.isclass(obj) and issubclass(obj, Rule):
        return [obj]
    if inspect.ismodule(obj):
        found = getattr(obj, "RULES", None)
        if found is None:
            found = [v for v in vars(obj).values() if inspect.isclass(v)
                     and issubclass(v, Rule) and v.code and v.__module__ == obj.__name__]
        return list(found)
    if isinstance(obj, (list, tuple)):
        return [r for item in obj for r in _rules_in(item)]
    return []


BUILTIN_MODULES = (
    "apisec_lint.checks.diagnostics",
    "apisec_lint.checks.credentials",
    "apisec_lint.checks.transport",
    "apisec_lint.checks.ratelimit",
    "apisec_lint.checks.orders",
    "apisec_lint.checks.permissions",
)


def builtin_rules() -> list[type[Rule]]:
    rules: list[type[Rule]] = []
    for mod_name in BUILTIN_MODULES:
        try:
            module = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name == mod_name:  # a family not written yet
                continue
            raise
        rules.extend(_rules_in(module))
    return rules


def _may_have_plugins() -> bool:
    """Could any installed distribution declare our entry-point group?

    ``import importlib.metadata`` alone costs a noticeable part of a pre-commit run on
    a clean file. Entry points live in ``entry_points.txt`` of ``*.dist-info`` /
    ``*.egg-info`` folders on ``sys.path``: when none of those mentions the group, there
    is nothing to load. Anything this cheap scan cannot read (a zip on the path, an
    unreadable folder) answers yes, and importlib.metadata decides.
    """
    marker = f"[{ENTRY_POINT_GROUP}]".encode()
    for entry in sys.path:
        try:
            if entry and os.path.isfile(entry):
                return True  # a zip or egg: let importlib.metadata look inside
            with os.scandir(entry or ".") as found:
                names = [e.name for e in found if e.name.endswith((".dist-info", ".egg-info"))]
        except FileNotFoundError:
            continue
        except OSError:
            return True
        for name in names:
            path = os.path.join(entry or ".", name, "entry_points.txt")
            try:
                with open(path, "rb") as fh:
                    if marker in fh.read():
                        return True
            except FileNotFoundError:
                continue
            except OSError:
                return True
    return False


def plugin_rules() -> list[type[Rule]]:
    if not _may_have_plugins():
        return []
    from importlib.metadata import entry_points

    rules: list[type[Rule]] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not hide the built-in rules
            raise UsageError(f"rule plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        found = _rules_in(obj)
        for rule in found:
            _validate(rule, f"plugin {ep.name}")
        rules.extend(found)
    return rules


class Registry:
    """All known rules, by code and by name."""

    def __init__(self, rules: Iterable[type[Rule]]) -> None:
        self.by_code: dict[str, type[Rule]] = {}
        self.by_name: dict[str, type[Rule]] = {}
        for rule in rules:
            _validate(rule, rule.__module__)
            if rule.code in self.by_code and self.by_code[rule.code] is not rule:
                raise UsageError(f"two rules use the code {rule.code}: "
                                 f"{self.by_code[rule.code].__name__} and {rule.__name__}")
            self.by_code[rule.code] = rule
            self.by_name[rule.name] = rule
        self.rules = [self.by_code[c] for c in sorted(self.by_code)]

    @classmethod
    def load(cls) -> Registry:
        return cls([*builtin_rules(), *plugin_rules()])

    def lookup(self, key: str) -> type[Rule] | None:
        return self.by_code.get(key.upper()) or self.by_name.get(key.lower())

    def _match(self, selector: str) -> list[type[Rule]]:
        sel = selector.strip()
        if not sel:
            return []
        if sel.lower() in self.by_name:
            return [self.by_name[sel.lower()]]
        up = sel.upper()
        if up == "ALL":
            return list(self.rules)
        if not re.fullmatch(r"APS\d{0,3}", up):
            raise UsageError(f"unknown rule selector {selector!r}{self._hint(sel)}")
        # A well-formed code or prefix is valid even when no installed rule has it yet
        # (a config written for a newer version keeps working).
        return [r for r in self.rules if r.code.startswith(up)]

    def _hint(self, text: str) -> str:
        import difflib

        close = difflib.get_close_matches(text.lower(), list(self.by_name), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    def check_selectors(self, selectors: Iterable[str]) -> None:
        for sel in selectors:
            self._match(sel)

    def select(self, select: Sequence[str], ignore: Sequence[str],
               extend_select: Sequence[str] = ()) -> frozenset[str]:
        """Resolve selectors ruff's way: the most specific selector for a code wins;
        on a tie, ignore wins. Names count as fully specific."""
        best: dict[str, tuple[int, bool]] = {}
        for enabled, sels in ((True, [*select, *extend_select]), (False, ignore)):
            for sel in sels:
                spec = 99 if sel.strip().lower() in self.by_name else len(sel.strip())
                for rule in self._match(sel):
                    prev = best.get(rule.code)
                    if prev is None or spec > prev[0] or (spec == prev[0] and not enabled):
                        best[rule.code] = (spec, enabled)
        return frozenset(code for code, (_, on) in best.items() if on)

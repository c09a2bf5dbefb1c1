"""A rule that reports insecure values of the pack knobs of its topics.

TLS verification (APS201), SSL contexts (APS202), the ccxt rate limiter (APS301) and
timeouts (APS303) are all "this argument / config key / attribute must not be set to
that": the packs say where (``[[knobs]]``), :mod:`apisec_lint.analysis.knobs` finds the
settings, and this base class reports the insecure ones where they are written.
"""

from __future__ import annotations

from typing import Any, ClassVar

from apisec_lint._lazy import cst
from apisec_lint.analysis.knobs import Knobs, Setting, bad_value, knobs_for
from apisec_lint.fix import (
    SAFE,
    AddImport,
    FixSpec,
    RemoveItem,
    RemoveStatement,
    Replace,
    container_of,
    is_simple,
)
from apisec_lint.packs import Knowledge
from apisec_lint.rule import Rule
from apisec_lint.types import FileKind


def knob_tokens(knowledge: Knowledge, topics: tuple[str, ...]) -> set[str]:
    """Prefilter tokens for the knobs of ``topics``: for each knob a word that any file
    setting it must contain (its key, attribute or keyword; else the modules it needs)."""
    tokens: set[str] = set()
    sdk_modules: dict[str, set[str]] = {}
    for pack in knowledge.packs:
        mods = set(pack.data.get("pack", {}).get("modules", ()))
        for entry in pack.data.get("clients", ()):
            sdk_modules.setdefault(entry["sdk"], set()).update(mods)
    for knob in knowledge.section("knobs"):
        if knob["topic"] not in topics:
            continue
        if knob.get("config_key"):
            tokens.add(knob["config_key"])
        elif knob.get("attribute"):
            last = knob["attribute"].rsplit(".", 1)[-1]
            tokens.add(last.strip("*") or last)
        elif knob.get("param") and knob.get("position") is None and not knob.get("required"):
            tokens.add(knob["param"])
        else:
            for pattern in knob.get("calls", ()):
                root = pattern.split(".", 1)[0]
                if root and not any(c in root for c in "*["):
                    tokens.add(root)
            if knob.get("sdk"):
                tokens.update(sdk_modules.get(knob["sdk"], ()) or {knob["sdk"]})
    return {t.lower() for t in tokens if t}


class KnobRule(Rule):
    """Reports settings of the knobs of ``topics`` whose value is insecure."""

    topics: ClassVar[tuple[str, ...]] = ()
    kinds = frozenset({FileKind.PYTHON, FileKind.JSON, FileKind.YAML, FileKind.TOML})
    fix_applicability: ClassVar[str] = SAFE

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(t.encode() for t in cls.extra_tokens(knowledge)
                         | knob_tokens(knowledge, cls.topics))

    @classmethod
    def extra_tokens(cls, knowledge: Knowledge) -> set[str]:
        return set()

    def begin(self) -> None:
        self.knob_list = knobs_for(self.ctx, self.topics)
        self.knobs = Knobs.of(self.ctx)
        self.attributes = {k["attribute"].rsplit(".", 1)[-1] for k in self.knob_list
                           if k.get("attribute")}
        self.reported: set[int] = set()

    # -- where knobs are set ---------------------------------------------------------
    def visit_Call(self, node: Any) -> None:
        if node.args:
            for setting in self.knobs.at_call(node, self.knob_list, self.ctx.scope):
                self.check(setting)

    def visit_Assign(self, node: Any) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: Any) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def _assigned(self, target: Any, value: Any) -> None:
        base = target
        while isinstance(base, cst.Subscript):
            base = base.value
        if not isinstance(base, cst.Attribute) or not self.attributes:
            return
        name = base.attr.value
        if name in self.attributes or any("*" in a or "[" in a for a in self.attributes):
            for setting in self.knobs.at_assign(target, value, self.knob_list, self.ctx.scope):
                self.check(setting)

    def visit_Dict(self, node: Any) -> None:
        if self.knobs.wrappers or self.knobs.markers:
            for setting in self.knobs.at_dict(node, self.knob_list, self.ctx.scope):
                self.check(setting)

    # -- config files --------------------------------------------------------------------
    def check_file(self) -> None:
        """Client-config knobs in a JSON/YAML/TOML file (freqtrade ``ccxt_config``)."""
        knobs = [k for k in knobs_for(self.ctx, self.topics) if k.get("sdk")
                 and k.get("config_key") and k.get("param") is None
                 and k.get("position") is None]
        if not knobs:
            return
        from apisec_lint.checks._configknobs import client_config_settings

        self.knobs = Knobs.of(self.ctx)
        for setting, span in client_config_settings(self.ctx, knobs):
            bad = bad_value(self.knobs, setting, self.floor(setting))
            if bad is not None:
                self.ctx.report_span(self, span, self.message(setting, bad))

    # -- judging a setting -------------------------------------------------------------
    def check(self, setting: Setting) -> None:
        bad = bad_value(self.knobs, setting, self.floor(setting))
        if bad is None or id(setting.node) in self.reported:
            return
        self.reported.add(id(setting.node))
        self.report(setting.node, self.message(setting, bad), fix=self.fix_for(setting))

    # -- fixing a setting ----------------------------------------------------------------
    def fix_value(self, knob: Any) -> str | None:
        """The Python source a ``fix = "set"`` knob is set to (the knob's ``fix_value``)."""
        value = knob.get("fix_value")
        return value if isinstance(value, str) else None

    def fix_for(self, setting: Setting) -> FixSpec | None:
        """The knob's ``fix`` applied where the setting is written, or None: only a
        value without side effects is removed or replaced."""
        knob = setting.knob
        how = knob.get("fix")
        if how is None or (setting.expr is not None and not is_simple(setting.expr)):
            return None
        node = setting.node
        where = knob.get("config_key") or knob.get("param") or knob.get("attribute") or "value"
        where = where.rsplit(".", 1)[-1]
        applicability = knob.get("fix_applicability") or self.fix_applicability
        if how == "set":
            value = self.fix_value(knob)
            if value is None or setting.expr is None:
                return None
            ops: tuple[Any, ...] = (Replace(setting.expr, value),)
            if knob.get("fix_import"):
                ops += (AddImport(knob["fix_import"]),)
            return FixSpec(ops, applicability, f"set {where} to {value}")
        if isinstance(node, cst.Arg):
            if node.keyword is None or setting.call is None:
                return None
            op: Any = RemoveItem(node, setting.call.args)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            stmt = self.ctx.statement
            if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or \
                    not isinstance(stmt.body[0], cst.Assign) or \
                    not any(t.target is node for t in stmt.body[0].targets):
                return None
            op = RemoveStatement(stmt)
        else:
            found = container_of(self.ctx, node)
            if found is None:
                return None
            op = RemoveItem(*found)
        return FixSpec((op,), applicability, f"remove {where}")

    def floor(self, setting: Setting) -> float | None:
        """A floor overriding the knob's ``below`` (rule options, exchange defaults)."""
        return None

    def message(self, setting: Setting, bad: Any) -> str:
        knob = setting.knob
        where = knob.get("config_key") or knob.get("attribute") or knob.get("param") or "value"
        shown = bad if isinstance(bad, str) else repr(getattr(bad, "value", bad))
        text = knob.get("message") or f"insecure {where}"
        return f"{text}: {where}={shown} in {_short(setting.owner)}"


def _short(owner: str) -> str:
    parts = owner.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else owner

"""Where a file sets a knob of the packs, and to what.

A knob (``[[knobs]]`` in a pack) is an argument, a config key or an attribute whose
value matters to one rule family (its ``topic``). This analysis finds every place a
file sets one, in the forms the packs describe:

- an argument of a call, by keyword or position: ``requests.get(u, verify=False)``
  (``calls`` + ``param``/``position``), of a method of an SDK client
  (``sdk`` + ``methods``) or of an SDK client constructor (``sdk`` alone);
- a key inside a dict argument: ``Client(k, s, {"verify": False})``
  (``param``/``position`` + ``config_key``);
- a key of a client's config dict: ``ccxt.binance({"enableRateLimit": False})``
  (``sdk`` + ``config_key``), also inside a dict under one of the wrapper keys of
  ``[[client_configs]]`` (``{"ccxt_config": {"verify": False}}``);
- an attribute assignment on a client (``exchange.verify = False``), on an object built
  by one of ``calls`` (``s = requests.Session(); s.verify = False``), on a receiver of
  unknown type whose name matches ``receivers``, or, with none of these, on anything
  (``ctx.check_hostname = False``). ``attribute`` may be a dotted path
  (``session.verify`` for ``client.session.verify = False``).

Values are followed through names, dicts and conditional expressions; :func:`bad_value`
says whether one of a setting's possible values is insecure for its knob.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.values import Const, DictVal, _attr_key, string_value
from apisec_lint.packs import matches_any

if TYPE_CHECKING:
    from apisec_lint.analysis.clients import ClientInfo
    from apisec_lint.context import FileContext


@dataclass(frozen=True)
class Setting:
    """One place where a knob is given a value."""

    knob: Mapping[str, Any]
    node: Any  # where to report: the Arg, the dict key, the assignment target
    expr: Any  # the value expression, when known
    values: tuple[Any, ...]  # its possible values (Const / DictVal / SeqVal)
    owner: str  # what is configured, for messages ("requests.get", "ccxt.kucoin")
    client: ClientInfo | None = None
    call: Any = None
    scope: Any = None
    exchange: str | None = None  # the exchange id, when known from outside a client

    @property
    def exchange_id(self) -> str | None:
        if self.exchange:
            return self.exchange
        return self.client.exchange if self.client is not None and self.client.exchange else None


def knobs_for(ctx: FileContext, topics: Iterable[str]) -> list[dict[str, Any]]:
    wanted = set(topics)
    return [k for k in ctx.knowledge.section("knobs") if k["topic"] in wanted]


class Knobs:
    """Knob settings of one file; shared by every rule through ``ctx.analysis``."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._callee: dict[int, str | None] = {}
        self._dict_cands: dict[tuple[int, int], list[Any]] = {}
        self._last_names: dict[int, frozenset[str] | bool | None] = {}
        self._names_memo: dict[tuple[int, int], tuple[Any, Any, list[str]]] = {}
        self.wrappers: dict[str, str] = {}
        self.markers: dict[str, str] = {}
        for entry in ctx.knowledge.section("client_configs"):
            for key in entry.get("keys", ()):
                self.wrappers[key] = entry["sdk"]
            for key in entry.get("markers", ()):
                self.markers[key] = entry["sdk"]

    @classmethod
    def of(cls, ctx: FileContext) -> Knobs:
        return ctx.analysis("knobs", cls)  # type: ignore[no-any-return]

    # -- per-file indexes, each built on first use ------------------------------------------
    @cached_property
    def key_values(self) -> dict[int, Any]:
        """id(dict key node) -> the value expression written for it (dict literals,
        ``dict(k=v)`` keywords, ``cfg["k"] = v``)."""
        out: dict[int, Any] = {}
        for node in self.ctx.index.of(cst.DictElement, cst.Call, cst.Assign):
            if type(node) is cst.DictElement:
                out[id(node.key)] = node.value
            elif type(node) is cst.Call:
                for arg in node.args:
                    if arg.keyword is not None:
                        out.setdefault(id(arg.keyword), arg.value)
            elif isinstance(node, cst.Assign):
                for target in node.targets:
                    t = target.target
                    if isinstance(t, cst.Subscript) and len(t.slice) == 1 and \
                            isinstance(t.slice[0].slice, cst.Index):
                        out[id(t.slice[0].slice.value)] = node.value
        return out

    @cached_property
    def with_items(self) -> dict[str, list[Any]]:
        """``as`` name -> the context expressions bound to it by ``with``."""
        out: dict[str, list[Any]] = {}
        for node in self.ctx.index.of(cst.With):
            for item in node.items:
                if item.asname is not None:
                    key = dotted_name(item.asname.name)
                    if key:
                        out.setdefault(key, []).append(item.item)
        return out

    def callee(self, call: Any) -> str | None:
        """The qualified callee (ctx.callee), also for methods of a parameter annotated
        with a class (``def f(s: aiohttp.ClientSession): s.get(...)``)."""
        key = id(call)
        if key not in self._callee:
            name = self.ctx.callee(call)
            if name is None and isinstance(call.func, cst.Attribute):
                owner = self.annotated_type(call.func.value, self.ctx.scope)
                if owner:
                    name = f"{owner}.{call.func.attr.value}"
            self._callee[key] = name
        return self._callee[key]

    def annotated_type(self, expr: Any, scope: Any) -> str | None:
        """The qualified class a parameter ``expr`` is annotated with, if imported."""
        if not isinstance(expr, cst.Name):
            return None
        param = self.param(expr.value, scope)
        if param is None or param.annotation is None:
            return None
        ann = param.annotation.annotation
        if isinstance(ann, cst.SimpleString):
            return None
        return self.ctx.imports.qualified_name(ann)

    def type_of(self, expr: Any, scope: Any) -> str | None:
        return self.ctx.callees.type_of(expr, scope) or self.annotated_type(expr, scope)

    # -- clients -------------------------------------------------------------------
    def client_of(self, expr: Any, scope: Any) -> ClientInfo | None:
        """The SDK client ``expr`` holds: built in the file, or a parameter annotated
        with an SDK client class (``def f(exchange: ccxt.Exchange)``)."""
        info = self.ctx.clients.client_of(expr, scope)
        if info is not None or not isinstance(expr, cst.Name):
            return info
        name = self.annotated_type(expr, scope)
        if name is None:
            return None
        from apisec_lint.analysis.clients import ClientInfo

        for entry in self.ctx.knowledge.section("clients"):
            if matches_any(name, entry["match"]):
                return ClientInfo(entry["sdk"], entry.get("exchange", ""), name, None, entry)
        return None

    def param(self, name: str, scope: Any) -> Any:
        """The Param ``name`` of the function ``scope``, if it has one."""
        if not isinstance(scope, cst.FunctionDef):
            return None
        ps = scope.params
        for p in (*ps.posonly_params, *ps.params, *ps.kwonly_params):
            if p.name.value == name:
                return p
        return None

    def method_call(self, call: Any, scope: Any) -> tuple[ClientInfo, str] | None:
        func = call.func
        if isinstance(func, cst.Attribute):
            info = self.client_of(func.value, scope)
            if info is not None:
                return info, func.attr.value
        return None

    def constructor(self, expr: Any, scope: Any, depth: int = 0) -> Any:
        """The Call that built the object ``expr`` holds, if it is in the file."""
        if depth > 6 or expr is None:
            return None
        if isinstance(expr, cst.Await):
            return self.constructor(expr.expression, scope, depth + 1)
        if isinstance(expr, cst.Call):
            return expr
        key = expr.value if isinstance(expr, cst.Name) else (
            _attr_key(expr) if isinstance(expr, cst.Attribute) else None)
        if key is None:
            return None
        values = self.ctx.values
        sources = values.assignments(key, scope) or (
            values.all_assignments(key) if "." in key else [])
        for src in sources:
            found = self.constructor(src, scope, depth + 1)
            if found is not None:
                return found
        for src in self.with_items.get(key, ()):
            found = self.constructor(src, scope, depth + 1)
            if found is not None:
                return found
        return None

    # -- settings at a call ----------------------------------------------------------
    def _owner(self, call: Any, knob: Mapping[str, Any], scope: Any) -> str | None:
        """What ``call`` is, when it is a call the knob applies to."""
        if knob.get("calls"):
            callee = self.callee(call)
            if callee and matches_any(callee, knob["calls"]):
                return callee
            if not knob.get("sdk"):
                return None
        sdk = knob.get("sdk")
        if not sdk:
            # neither calls nor sdk: an argument distinctive enough to matter on any
            # call (websocket-client's ``sslopt``)
            return self.callee(call) or dotted_name(call.func) or "call"
        if knob.get("methods"):
            found = self.method_call(call, scope)
            if found is not None and found[0].sdk == sdk and \
                    matches_any(found[1], knob["methods"]):
                return f"{found[0].constructor.rsplit('.', 1)[-1]}.{found[1]}"
            return None
        info = self.ctx.clients.constructed_by(call)
        if info is not None and info.sdk == sdk:
            return info.constructor
        return None

    def at_call(self, call: Any, knobs: list[dict[str, Any]], scope: Any) -> list[Setting]:
        """The knobs set by arguments of ``call`` (and keys of its config dicts)."""
        out: list[Setting] = []
        for knob in knobs:
            if knob.get("attribute"):
                continue
            param, position = knob.get("param"), knob.get("position")
            if param is None and position is None:
                if knob.get("config_key") and knob.get("sdk"):
                    out.extend(self._client_config(call, knob, scope))
                continue
            arg = find_arg(call, param, position)
            if arg is None:
                if param is not None and any(a.star == "**" for a in call.args):
                    out.extend(self._splat(call, knob, scope))
                continue
            owner = self._owner(call, knob, scope)
            if owner is None:
                continue
            if knob.get("config_key"):
                out.extend(self.entries(arg.value, knob, scope, owner, call=call))
            else:
                out.append(Setting(knob, arg, arg.value,
                                   tuple(self.ctx.values.candidates(arg.value, scope)),
                                   owner, call=call, scope=scope))
        return out

    def _splat(self, call: Any, knob: Mapping[str, Any], scope: Any) -> list[Setting]:
        """``kwargs = {"verify": False}; requests.get(u, **kwargs)``: the knob's
        parameter as a key of a dict passed with ``**``."""
        owner = self._owner(call, knob, scope)
        if owner is None:
            return []
        out: list[Setting] = []
        for arg in call.args:
            if arg.star != "**":
                continue
            as_key = {**knob, "config_key": knob["param"]}
            for setting in self.entries(arg.value, as_key, scope, owner, call=call):
                if knob.get("config_key"):  # a dict-valued parameter: look one level down
                    if setting.expr is not None:
                        out.extend(self.entries(setting.expr, knob, scope, owner, call=call))
                else:
                    out.append(Setting(knob, setting.node, setting.expr, setting.values, owner,
                                       call=call, scope=scope))
        return out

    def _client_config(self, call: Any, knob: Mapping[str, Any], scope: Any) -> list[Setting]:
        info = self.ctx.clients.constructed_by(call)
        if info is None or info.sdk != knob["sdk"]:
            return []
        spec = info.entry.get("config")
        if not spec:
            return []
        out: list[Setting] = []
        # the key given as a keyword of the constructor (``ccxt.kraken(enableRateLimit=False)``)
        kw = find_arg(call, knob["config_key"])
        if kw is not None:
            out.append(Setting(knob, kw, kw.value,
                               tuple(self.ctx.values.candidates(kw.value, scope)),
                               info.constructor, info, call, scope))
        arg = find_arg(call, spec.get("name"), spec.get("position"))
        if arg is not None:
            out.extend(self.entries(arg.value, knob, scope, info.constructor, client=info,
                                    call=call))
        return out

    def missing_at_call(self, call: Any, knobs: list[dict[str, Any]],
                        scope: Any) -> list[tuple[dict[str, Any], str, Any]]:
        """(knob, owner, where) for the ``required`` knobs that ``call`` leaves out and
        that the object it is a method of was not built with. ``where`` is the call, or
        the constructor of that object when the constructor takes the same parameter
        (a knob of the same topic names it): that is where the setting belongs."""
        out: list[tuple[dict[str, Any], str, Any]] = []
        for knob in knobs:
            if not knob.get("required") or knob.get("config_key") or knob.get("attribute"):
                continue
            if any(arg.star for arg in call.args):
                continue  # *args / **kwargs may carry it
            if find_arg(call, knob.get("param"), knob.get("position")) is not None:
                continue
            if not self._may_match(call, knob):
                continue
            owner = self._owner(call, knob, scope)
            if owner is None:
                continue
            where = call
            if isinstance(call.func, cst.Attribute) and knob.get("param"):
                built = self.constructor(call.func.value, scope)
                if built is not None:
                    if find_arg(built, knob["param"]) is not None or \
                            any(arg.star == "**" for arg in built.args):
                        continue
                    if self._takes(built, knob, scope):
                        where = built
            out.append((knob, owner, where))
        return out

    def _may_match(self, call: Any, knob: Mapping[str, Any]) -> bool:
        """Cheap syntactic test before resolving the callee: the call's own name is the
        last segment of one of the knob's ``calls`` (when none of them is a wildcard)."""
        if knob.get("sdk") or not knob.get("calls"):
            return True
        key = id(knob)
        names = self._last_names.get(key, False)
        if names is False:
            lasts = [p.rsplit(".", 1)[-1] for p in knob["calls"]]
            names = None if any(c in n for n in lasts for c in "*[") else frozenset(lasts)
            self._last_names[key] = names
        if names is None:
            return True
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else None)
        # an aliased import (``from requests import get as fetch``) keeps its own name
        return last is None or last in names or last in self.ctx.imports.aliases

    def _takes(self, built: Any, knob: Mapping[str, Any], scope: Any) -> bool:
        """Whether a knob of ``knob``'s topic says the call ``built`` accepts its param."""
        callee = self.callee(built)
        if not callee:
            return False
        for other in self.ctx.knowledge.section("knobs"):
            if other["topic"] == knob["topic"] and other.get("param") == knob["param"] and \
                    other.get("calls") and not other.get("config_key") and \
                    matches_any(callee, other["calls"]):
                return True
        return False

    # -- dict entries ----------------------------------------------------------------
    def entries(self, expr: Any, knob: Mapping[str, Any], scope: Any, owner: str, *,
                client: ClientInfo | None = None, call: Any = None) -> list[Setting]:
        """Settings of ``knob["config_key"]`` in the dict(s) ``expr`` may hold."""
        key = knob["config_key"]
        out: list[Setting] = []
        seen: set[int] = set()
        ckey = (id(expr), id(scope))
        cands = self._dict_cands.get(ckey)
        if cands is None:
            cands = self._dict_cands[ckey] = self.ctx.values.candidates(expr, scope)
        for cand in cands:
            if not isinstance(cand, DictVal):
                continue
            entry = cand.entry(key)
            if entry is None:
                continue
            knode, value = entry
            if id(knode) in seen:
                continue
            seen.add(id(knode))
            vexpr = self.key_values.get(id(knode))
            if vexpr is not None:
                values = tuple(self.ctx.values.candidates(vexpr, scope))
            else:
                values = (value,) if value else ()
            out.append(Setting(knob, knode, vexpr, values, owner, client, call, scope))
        return out

    def at_dict(self, node: Any, knobs: list[dict[str, Any]], scope: Any) -> list[Setting]:
        """Client-config knobs set in a dict literal that is a client config by its
        keys (``[[client_configs]]`` markers) or inside one under a wrapper key."""
        if not self.wrappers and not self.markers:
            return []
        out: list[Setting] = []
        marked: set[str] = set()
        for el in node.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(
                    el.key, (cst.SimpleString, cst.ConcatenatedString)):
                continue
            try:
                key = string_value(el.key)
            except Exception:
                continue
            if not isinstance(key, str):
                continue
            if key in self.markers:
                marked.add(self.markers[key])
            sdk = self.wrappers.get(key)
            if sdk is not None:
                for knob in _config_knobs(knobs, sdk):
                    out.extend(self.entries(el.value, knob, scope, key))
        if isinstance(scope, cst.FunctionDef) and scope.name.value == "describe":
            marked.clear()  # a ccxt exchange's own definition, not a client config
        for sdk in sorted(marked):
            for knob in _config_knobs(knobs, sdk):
                out.extend(self.entries(node, knob, scope, f"{sdk} config"))
        return out

    # -- attribute assignments -------------------------------------------------------
    def at_assign(self, target: Any, value: Any, knobs: list[dict[str, Any]],
                  scope: Any) -> list[Setting]:
        """Attribute knobs set by ``target = value`` (``target`` may subscript the
        attribute: ``exchange.urls["api"] = ...``)."""
        base = target
        while isinstance(base, cst.Subscript):
            base = base.value
        if not isinstance(base, cst.Attribute):
            return []
        out: list[Setting] = []
        for knob in knobs:
            attr = knob.get("attribute")
            if not attr:
                continue
            receiver = _strip_path(base, attr.split("."))
            if receiver is None:
                continue
            found = self._receiver_owner(receiver, knob, scope)
            if found is None:
                continue
            owner, info = found
            out.append(Setting(knob, target, value,
                               tuple(self.ctx.values.candidates(value, scope)), owner,
                               client=info, scope=scope))
        return out

    def _receiver_owner(self, receiver: Any, knob: Mapping[str, Any],
                        scope: Any) -> tuple[str, ClientInfo | None] | None:
        text = dotted_name(receiver) or "<object>"
        sdk, calls, names = knob.get("sdk"), knob.get("calls"), knob.get("receivers")
        if not sdk and not calls and not names:
            return text, None
        if sdk:
            info = self.client_of(receiver, scope)
            if info is not None:
                return (text, info) if info.sdk == sdk else None
            # the client class itself: ``Client.API_URL = ...``
            qual = self.ctx.imports.qualified_name(receiver)
            if qual is not None:
                for entry in self.ctx.knowledge.section("clients"):
                    if entry["sdk"] == sdk and matches_any(qual, entry["match"]):
                        return text, None
        if calls:
            built = self.type_of(receiver, scope)
            if built is not None:
                return (text, None) if matches_any(built, calls) else None
        if names:
            last = text.rsplit(".", 1)[-1]
            if matches_any(last, names) or matches_any(last.lower(), names):
                return text, None
        return None

    # -- values --------------------------------------------------------------------------
    def names_of(self, expr: Any, scope: Any, depth: int = 0) -> list[str]:
        """Qualified names ``expr`` may refer to (``ssl.CERT_NONE``), through names.
        Memoised with a cycle cut: a name reassigned in many places stays linear."""
        if expr is None or depth > 6:
            return []
        key = (id(expr), id(scope))
        memo = self._names_memo.get(key)
        if memo is not None and memo[0] is expr and memo[1] is scope:
            return memo[2]
        self._names_memo[key] = (expr, scope, [])
        found = list(dict.fromkeys(self._names_of(expr, scope, depth)))[:64]
        self._names_memo[key] = (expr, scope, found)
        return found

    def _names_of(self, expr: Any, scope: Any, depth: int) -> list[str]:
        if isinstance(expr, cst.IfExp):
            return self.names_of(expr.body, scope, depth + 1) + \
                self.names_of(expr.orelse, scope, depth + 1)
        out: list[str] = []
        if isinstance(expr, (cst.Name, cst.Attribute)):
            qual = self.ctx.imports.qualified_name(expr)
            if qual is not None:
                out.append(qual)
            key = expr.value if isinstance(expr, cst.Name) else _attr_key(expr)
            if key:
                for src in self.ctx.values.assignments(key, scope):
                    out.extend(self.names_of(src, scope, depth + 1))
        return out


def _config_knobs(knobs: list[dict[str, Any]], sdk: str) -> list[dict[str, Any]]:
    """The knobs of ``sdk`` that are keys of its client config."""
    return [k for k in knobs if k.get("sdk") == sdk and k.get("config_key")
            and k.get("param") is None and k.get("position") is None]


def _strip_path(node: Any, path: list[str]) -> Any:
    """For ``a.b.session.verify`` and path ``[session, verify]``: ``a.b``; else None."""
    for name in reversed(path):
        if not isinstance(node, cst.Attribute):
            return None
        attr = node.attr.value
        if attr != name and not (any(c in name for c in "*[") and matches_any(attr, (name,))):
            return None
        node = node.value
    return node


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_bad_const(value: Any, bad: Iterable[Any]) -> bool:
    """``value`` equals one of ``bad``: bools and None by identity, numbers by value,
    strings case-insensitively."""
    for b in bad:
        if isinstance(b, bool) or b is None or isinstance(value, bool) or value is None:
            if value is b:
                return True
        elif _num(b) and _num(value):
            if value == b:
                return True
        elif isinstance(b, str) and isinstance(value, str):
            if value.lower() == b.lower():
                return True
    return False


def bad_value(knobs: Knobs, setting: Setting, below: float | None = None) -> Any:
    """The possible value of ``setting`` that is insecure for its knob (a Const, or the
    qualified name of a bad constant such as ``ssl.CERT_NONE``), else None.
    ``below`` overrides the knob's own floor."""
    knob = setting.knob
    bad = knob.get("bad", ())
    floor = below if below is not None else knob.get("below")
    for cand in setting.values:
        if not isinstance(cand, Const):
            continue
        if bad and is_bad_const(cand.value, bad):
            return cand
        if floor is not None and _num(cand.value) and cand.value < floor:
            return cand
        # ``bad_names = ["builtins.None"]`` is how a pack (TOML has no null) says None
        if cand.value is None and matches_any("builtins.None", knob.get("bad_names", ())):
            return cand
    if knob.get("bad_names") and setting.expr is not None:
        for name in knobs.names_of(setting.expr, setting.scope):
            if matches_any(name, knob["bad_names"]):
                return name
    return None

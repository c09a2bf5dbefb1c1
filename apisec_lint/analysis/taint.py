"""Taint analysis: does untrusted input reach this expression, and along which path?

The question a rule asks is ``taint_of(expr) -> Taint | None``: "is the value of this
argument derived from a web request, a chat message, a websocket message, a third-party
HTTP response or the command line, without being validated on the way?"

The model (all of it data from the packs, see docs/rules.md "APS4xx"):

* **Sources** (``[[taint_sources]]``): objects such as ``flask.request`` or ``sys.argv``
  whose every attribute, item, method result and element is untrusted; calls such as
  ``input()``, ``websockets.connect()`` or ``argparse.ArgumentParser.parse_args()``
  whose result is; and the parameters of **handlers** (``[[taint_handlers]]``):
  functions a framework calls with request or message data (``@app.post``,
  ``@bot.message_handler``, ``CommandHandler("buy", fn)``, ``on_message(ws, msg)``).
* **Propagation**: assignments (also tuple unpacking, augmented, walrus), attributes,
  subscripts and ``.get()``, f-strings, ``%``/``format``/concatenation, method calls on
  an untrusted receiver (``.upper()``, ``.split()``, ``.json()``), conversions
  (``float()``/``Decimal()``/``round()`` convert, they do not validate), containers and
  comprehensions, ``**kwargs``, ``async``/``await``, iteration, and calls of functions
  and methods defined in the same file through per-function summaries
  (parameter -> return value), so a sink inside a helper is found when a handler
  passes it untrusted data.
* **Sanitizers**, per value and per path: a check that rejects on failure
  (``if side not in SIDES: return`` / ``raise`` / ``abort()``), a clamp
  (``min(qty, MAX)``), a lookup in a trusted table (``ALLOWED[symbol]``), a ternary
  mapping to constants, constrained pydantic/FastAPI fields and jsonschema properties,
  configured validator functions and functions of the file that validate their
  parameters. An ``assert`` is noted but does not count (``python -O`` strips it).

The analysis is flow-sensitive inside a function (a value is validated after the
check, on the paths the check guards) and summary-based across the functions of one
file. It is computed once per file, on first use, and only for files where a rule
asked. Nothing here knows an exchange.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.values import Const, DictVal, literal
from apisec_lint.packs import Knowledge, compile_pattern, matches_any
from apisec_lint.types import FlowStep, Severity

#: How bad a source is: the operator controls the command line.
KIND_SEVERITY = {
    "web": Severity.HIGH, "chat": Severity.HIGH, "websocket": Severity.HIGH,
    "http": Severity.MEDIUM, "cli": Severity.LOW,
}
KIND_TEXT = {
    "web": "web request", "chat": "chat message", "websocket": "websocket message",
    "http": "third-party HTTP response", "cli": "command-line/console input",
}

_MAX_STEPS = 16
_MAX_PATH = 6
_LOOP_ROUNDS = 3
_FILE_ROUNDS = 4
_MUTATORS = frozenset({"append", "extend", "add", "insert", "update", "setdefault",
                       "appendleft", "extendleft", "put", "put_nowait"})
_MODEL_PARSERS = frozenset({"parse_obj", "parse_raw", "model_validate", "model_validate_json",
                            "validate"})


# --------------------------------------------------------------------------- values

class Source:
    """Where untrusted data enters: a source expression or a handler parameter."""

    __slots__ = ("framework", "handler", "kind", "label", "node")

    def __init__(self, kind: str, label: str, node: Any, framework: str = "",
                 handler: str = "") -> None:
        self.kind = kind
        self.label = label  # the source expression, or the parameter name
        self.node = node
        self.framework = framework
        self.handler = handler  # for a handler parameter: the handler's name


class Param:
    """A function parameter, resolved to sources through the function's call sites."""

    __slots__ = ("func", "name")

    def __init__(self, func: FuncInfo, name: str) -> None:
        self.func = func
        self.name = name


class Entry:
    """One origin of a value, with the path it took and what happened on the way:
    ``formatted`` is the expression that formatted raw untrusted text into a string,
    ``amplified`` the multiplication by a balance/leverage, ``encoded`` that it went
    through a structured encoder (urlencode, json.dumps)."""

    __slots__ = ("amplified", "encoded", "formatted", "origin", "steps")

    def __init__(self, origin: Source | Param, steps: tuple[tuple[Any, str], ...] = (),
                 formatted: Any = None, amplified: Any = None, encoded: bool = False) -> None:
        self.origin = origin
        self.steps = steps
        self.formatted = formatted
        self.amplified = amplified
        self.encoded = encoded

    def step(self, node: Any, message: str) -> Entry:
        if len(self.steps) >= _MAX_STEPS:
            return self
        return Entry(self.origin, (*self.steps, (node, message)), self.formatted,
                     self.amplified, self.encoded)

    def replace(self, **changes: Any) -> Entry:
        new = Entry(self.origin, self.steps, self.formatted, self.amplified, self.encoded)
        for key, value in changes.items():
            setattr(new, key, value)
        return new


#: A taint value: origin key -> Entry. Empty means trusted. Treated as immutable.
TaintVal = dict
EMPTY: dict[Any, Entry] = {}


def _okey(origin: Source | Param) -> tuple[Any, ...]:
    if isinstance(origin, Source):
        return ("s", id(origin.node))
    return ("p", id(origin.func.node), origin.name)


def join(*values: TaintVal | None) -> TaintVal:
    """The union of taint values (the first path to an origin is kept)."""
    out: TaintVal | None = None
    for v in values:
        if not v:
            continue
        if out is None:
            out = v
            continue
        if out is v:
            continue
        merged = None
        for k, e in v.items():
            if k not in out:
                if merged is None:
                    merged = dict(out)
                merged[k] = e
        if merged is not None:
            out = merged
    return out if out is not None else EMPTY


def _map(value: TaintVal, fn: Any) -> TaintVal:
    if not value:
        return EMPTY
    return {k: fn(e) for k, e in value.items()}


def _step(value: TaintVal, node: Any, message: str) -> TaintVal:
    return _map(value, lambda e: e.step(node, message))


@dataclass(frozen=True)
class Taint:
    """A resolved taint: which source, where, and the path to the queried value."""

    kind: str  # web, chat, websocket, http, cli
    framework: str
    source: str  # the source expression as written (shortened)
    line: int
    column: int
    flow: tuple[FlowStep, ...]
    node: Any = None  # the source node
    formatted: Any = None  # the expression that formatted it into a string, if any
    amplified: Any = None  # the multiplication by a balance/leverage, if any
    handler: str = ""  # set when the source is a parameter of this handler function

    @property
    def where(self) -> str:
        """``request.json``, line 18 / ``message`` of handler on_message(), line 15."""
        if self.handler:
            return f"`{self.source}` of handler {self.handler}(), line {self.line}"
        return f"`{self.source}`, line {self.line}"

    @property
    def severity(self) -> Severity:
        return KIND_SEVERITY.get(self.kind, Severity.MEDIUM)

    @property
    def description(self) -> str:
        return KIND_TEXT.get(self.kind, self.kind)


# --------------------------------------------------------------------------- program model

@dataclass(eq=False)
class ParamInfo:
    name: str
    kind: str  # pos, kw, star, dstar
    node: Any


@dataclass(eq=False)
class ClassInfo:
    node: Any
    name: str
    parent: FuncInfo | None
    methods: dict[str, FuncInfo] = field(default_factory=dict)
    bases: list[ClassInfo] = field(default_factory=list)


@dataclass(eq=False)
class HandlerMatch:
    entry: dict[str, Any]
    framework: str


@dataclass(eq=False)
class FuncInfo:
    node: Any  # FunctionDef, or the Module for module-level code
    name: str
    parent: FuncInfo | None = None  # enclosing function (closures)
    cls: ClassInfo | None = None  # the class this is a method of
    params: list[ParamInfo] = field(default_factory=list)
    locals: set[str] = field(default_factory=set)
    bound: bool = False  # first parameter is self/cls
    classmethod: bool = False
    handler: HandlerMatch | None = None

    @property
    def is_module(self) -> bool:
        return self.parent is None and self.name == "<module>"


@dataclass(eq=False)
class Summary:
    ret: TaintVal
    validates: frozenset[str]  # parameters validated when the call returns
    returns_validates: frozenset[str]  # parameters validated when the result is truthy
    end: State | None
    items: list[TaintVal] | None = None  # per element, for functions returning tuples


_NO_SUMMARY = Summary(EMPTY, frozenset(), frozenset(), None)


class State:
    """Taint of the access paths (``payload``, ``payload['qty']``, ``self.x``) at one
    program point. An explicit empty value is a validated path."""

    __slots__ = ("asserts", "checked", "vars")

    def __init__(self, vars: dict[tuple[str, ...], TaintVal] | None = None,
                 asserts: dict[tuple[str, ...], Any] | None = None,
                 checked: set[tuple[str, ...]] | None = None) -> None:
        self.vars = vars if vars is not None else {}
        self.asserts = asserts if asserts is not None else {}
        # paths validated by a check (not merely reassigned), for function summaries
        self.checked = checked if checked is not None else set()

    def copy(self) -> State:
        return State(dict(self.vars), dict(self.asserts), set(self.checked))

    def local(self, path: tuple[str, ...]) -> TaintVal | None:
        """Exact or derived from the longest stored prefix; None when not stored."""
        v = self.vars.get(path)
        if v is not None:
            return v
        for i in range(len(path) - 1, 0, -1):
            v = self.vars.get(path[:i])
            if v is not None:
                return v
        return None

    def subkeys(self, path: tuple[str, ...]) -> TaintVal:
        n = len(path)
        out: TaintVal = EMPTY
        for k, v in self.vars.items():
            if v and len(k) > n and k[:n] == path:
                out = join(out, v)
        return out

    def kill(self, path: tuple[str, ...]) -> None:
        n = len(path)
        for k in [k for k in self.vars if len(k) > n and k[:n] == path]:
            del self.vars[k]

    def signature(self) -> frozenset[Any]:
        return frozenset((k, frozenset(v)) for k, v in self.vars.items())

    def taint_signature(self) -> frozenset[Any]:
        return frozenset((k, frozenset(v)) for k, v in self.vars.items() if v)


def join_states(states: Iterable[State | None]) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    if len(live) == 1:
        return live[0].copy()
    keys: set[tuple[str, ...]] = set()
    for s in live:
        keys.update(s.vars)
    out: dict[tuple[str, ...], TaintVal] = {}
    for k in keys:
        acc: TaintVal = EMPTY
        outside = False
        for s in live:
            v = s.local(k)
            if v is None:
                outside = True
            else:
                acc = join(acc, v)
        if outside and not acc:
            continue  # validated on one path only: the other path reads it from outside
        out[k] = acc
    asserts: dict[tuple[str, ...], Any] = {}
    for s in live:
        asserts.update(s.asserts)
    checked = set(live[0].checked)
    for s in live[1:]:
        checked &= s.checked
    return State(out, asserts, checked)


# --------------------------------------------------------------------------- helpers

_KINDS: dict[type, str] = {}


def _eval_kinds() -> dict[type, str]:
    """Expression node type -> how the analysis evaluates it (built on first use, since
    libcst is imported lazily)."""
    if not _KINDS:
        for names, kind in (
                (("Name", "Attribute", "Subscript"), "path"), (("Call",), "call"),
                (("Await",), "await"), (("FormattedString",), "fstring"),
                (("ConcatenatedString",), "concat"), (("BinaryOperation",), "binop"),
                (("UnaryOperation",), "unary"), (("BooleanOperation",), "boolop"),
                (("Comparison",), "compare"), (("IfExp",), "ifexp"), (("Dict",), "dict"),
                (("List", "Tuple", "Set"), "seq"),
                (("ListComp", "SetComp", "GeneratorExp", "DictComp"), "comp"),
                (("NamedExpr",), "walrus"), (("Yield",), "yield"),
                (("StarredElement",), "starred")):
            for name in names:
                _KINDS[getattr(cst, name)] = kind
    return _KINDS


def path_of(node: Any, resolve: Any = None) -> tuple[str, ...] | None:
    """The access path of ``node``: ``a.b['k']`` -> ("a", ".b", "['k']"); ``d.get('k')``
    reads as ``d['k']``. None for anything else."""
    parts: list[str] = []
    name_t, attr_t, sub_t, call_t = cst.Name, cst.Attribute, cst.Subscript, cst.Call
    while True:
        if len(parts) > _MAX_PATH:
            return None
        tp = type(node)
        if tp is name_t:
            parts.append(node.value)
            return tuple(reversed(parts))
        if tp is attr_t:
            parts.append("." + node.attr.value)
            node = node.value
        elif tp is sub_t:
            key = _index_key(node, resolve)
            if key is None:
                return None
            parts.append(key)
            node = node.value
        elif (tp is call_t and type(node.func) is attr_t
              and node.func.attr.value == "get" and node.args
              and node.args[0].keyword is None and not node.args[0].star):
            key = _const_key(node.args[0].value, resolve)
            if key is None:
                return None
            parts.append(key)
            node = node.func.value
        else:
            return None


def _index_key(sub: Any, resolve: Any) -> str | None:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    return _const_key(sub.slice[0].slice.value, resolve)


def _const_key(node: Any, resolve: Any) -> str | None:
    value = literal(node)
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return f"[{value!r}]"
    if resolve is not None and isinstance(node, cst.Name):
        found = resolve(node)
        if isinstance(found, Const) and isinstance(found.value, (str, int)) \
                and not isinstance(found.value, bool):
            return f"[{found.value!r}]"
    return None


def path_text(path: tuple[str, ...]) -> str:
    return "".join(path)


def _body(node: Any) -> list[Any]:
    body = getattr(node, "body", None)
    if body is None:
        return []
    inner = getattr(body, "body", body)
    return list(inner) if isinstance(inner, (list, tuple)) else []


def _is_stringy(node: Any) -> bool:
    if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        return _is_stringy(node.left) or _is_stringy(node.right)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in ("format", "join") and _is_stringy(node.func.value)
    return False


_dotted = dotted_name  # one implementation: analysis.imports


def _glob_any(name: str, patterns: Iterable[str]) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, p.lower()) for p in patterns)


def _bound_names(target: Any) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from _bound_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from _bound_names(target.value)


# --------------------------------------------------------------------------- the model from packs

class TaintModel:
    """The packs' sources, handlers and sanitizers, indexed; one per Knowledge."""

    def __init__(self, knowledge: Knowledge, validators: Iterable[str] = ()) -> None:
        self.sources = knowledge.section("taint_sources")
        self.handlers = knowledge.section("taint_handlers")
        self.models = knowledge.section("taint_models")
        sans = knowledge.section("taint_sanitizers")
        self.by_role: dict[str, list[dict[str, Any]]] = {}
        for s in sans:
            self.by_role.setdefault(s["role"], []).append(s)
        self.extra_validators = tuple(validators)
        self.size_names = [n for e in knowledge.section("size_factors") for n in e.get("names", ())]
        self.size_methods = frozenset(m for e in knowledge.section("size_factors")
                                      for m in e.get("methods", ()))
        self.converter_methods = frozenset(m for e in self.by_role.get("converter", ())
                                           for m in e.get("methods", ()))
        self.propagator_methods = frozenset(m for e in self.by_role.get("propagator", ())
                                            for m in e.get("methods", ()))
        self.validator_methods = frozenset(m for e in self.by_role.get("validator", ())
                                           for m in e.get("methods", ()))

        def merged(key: str) -> list[str]:
            return [v for m in self.models for v in m.get(key, ())]

        self.model_bases = merged("bases")
        self.constraint_calls = merged("constraint_calls")
        self.constraint_keywords = frozenset(merged("constraint_keywords"))
        self.literal_types = merged("literal_types")
        self.enum_bases = merged("enum_bases")
        self.validator_decorators = merged("validator_decorators")
        self._roles: dict[tuple[Any, ...], str | None] = {}
        self._source_calls: dict[tuple[Any, ...], list[dict[str, Any]]] = {}


    def role_of(self, qualified: str | None, bare: str | None, method: str | None) -> str | None:
        """The sanitizer role of a call, by qualified callee, bare function name or
        method name."""
        key = (qualified, bare, method)
        if key in self._roles:
            return self._roles[key]
        role = self._role_of(qualified, bare, method)
        self._roles[key] = role
        return role

    def source_calls(self, qualified: str | None, method: str | None) -> list[dict[str, Any]]:
        """The [[taint_sources]] entries whose ``calls``/``methods`` match (the import
        gate of ``methods`` is checked by the caller)."""
        key = (qualified, method)
        found = self._source_calls.get(key)
        if found is None:
            found = [e for e in self.sources
                     if (qualified and e.get("calls") and matches_any(qualified, e["calls"]))
                     or (method and method in e.get("methods", ()))]
            self._source_calls[key] = found
        return found

    def _role_of(self, qualified: str | None, bare: str | None, method: str | None) -> str | None:
        for role, entries in self.by_role.items():
            for e in entries:
                if qualified and e.get("calls") and matches_any(qualified, e["calls"]):
                    return role
                if bare and e.get("names") and _glob_any(bare, e["names"]):
                    return role
                if method and method in e.get("methods", ()) and role in (
                        "validator", "propagator", "converter"):
                    return role
        if self.extra_validators:
            for name in (qualified, bare, method):
                if name and _glob_any(name, self.extra_validators):
                    return "validator"
        return None


_MODELS: dict[tuple[str, tuple[str, ...]], TaintModel] = {}


def taint_model(knowledge: Knowledge, validators: Iterable[str] = ()) -> TaintModel:
    """The model of ``knowledge`` (shared by every file of a run: its caches too)."""
    key = (knowledge.digest, tuple(validators))
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = TaintModel(knowledge, key[1])
    return model


# --------------------------------------------------------------------------- the analysis

class _Loop:
    __slots__ = ("breaks", "conts")

    def __init__(self) -> None:
        self.breaks: list[State] = []
        self.conts: list[State] = []


class _Frame:
    __slots__ = ("fi", "items", "loops", "ret", "returns")

    def __init__(self, fi: FuncInfo) -> None:
        self.fi = fi
        self.ret: TaintVal = EMPTY
        # element-wise taint when every return is a tuple of one length; None otherwise
        self.items: list[TaintVal] | None = None
        self.returns: list[tuple[Any, State]] = []
        self.loops: list[_Loop] = []


class TaintAnalysis:
    """The taint facts of one file. Build with ``TaintAnalysis(ctx)`` (or share it
    with :func:`taint_analysis`); it runs on the first query."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.module = ctx.module
        self.imports = ctx.imports
        validators = ctx.option("order-validators", ()) or ()
        if isinstance(validators, str):
            validators = [validators]
        self.model = taint_model(ctx.knowledge, validators)
        self._done = False
        # program model
        self.funcs: list[FuncInfo] = []
        self.func_of: dict[int, FuncInfo] = {}
        self.classes: dict[int, ClassInfo] = {}
        self.calls: list[tuple[Any, FuncInfo]] = []
        self.module_fi = FuncInfo(self.module, "<module>")
        self._by_name: dict[str, list[FuncInfo]] = {}
        self._class_by_name: dict[str, ClassInfo] = {}
        self._callee_cache: dict[int, str | None] = {}
        self._gates: dict[int, bool] = {}
        self._dotted_entries: list[dict[str, Any]] | None = None
        self._imported_roots = self.imports.imported_roots
        # results of the last round
        self.memo: dict[int, TaintVal] = {}
        self.asserted: dict[int, Any] = {}
        self.kwmemo: dict[int, dict[str, TaintVal]] = {}
        self.callsites: dict[int, list[tuple[Any, dict[str, TaintVal]]]] = {}
        self.summaries: dict[int, Summary] = {}
        self.class_attrs: dict[int, dict[tuple[str, ...], TaintVal]] = {}
        self.globals = State()
        self._observed: dict[tuple[str, Any, tuple[str, ...]], frozenset[Any]] = {}
        self._tuple_results: dict[int, list[TaintVal]] = {}
        self._progress: set[int] = set()
        self._concrete: dict[tuple[int, str], list[Entry]] = {}
        self.fr = _Frame(self.module_fi)

    # ------------------------------------------------------------------ public API
    def run(self) -> None:
        if self._done:
            return
        self._done = True
        self._index()
        for _ in range(_FILE_ROUNDS):
            self._round()
            if not self._stale():
                break

    def _stale(self) -> bool:
        """Did a read of an attribute or global see a value that changed later in the
        round (a method analysed before the one assigning it)? Then run again."""
        for (kind, cls, path), seen in self._observed.items():
            now = self._class_attr(cls, path) if kind == "c" else self._global(path)
            if (frozenset(now) if now else frozenset()) != seen:
                return True
        return False

    def value(self, expr: Any) -> TaintVal:
        """The raw taint of an evaluated expression (origins may be parameters)."""
        self.run()
        return self.memo.get(id(expr), EMPTY)

    def keyword_value(self, expr: Any, key: str) -> TaintVal | None:
        """For ``**expr`` passed to a call: the taint of its key ``key`` when the dict's
        keys are known (a literal, or built key by key), else None."""
        self.run()
        table = self.kwmemo.get(id(expr))
        if table is None:
            return None
        return table.get(key)

    def assert_of(self, expr: Any) -> Any:
        """The ``assert`` statement that checked ``expr`` (which does not count)."""
        self.run()
        return self.asserted.get(id(expr))

    def taints_of(self, expr: Any, value: TaintVal | None = None) -> list[Taint]:
        """Every untrusted source ``expr`` (or ``value``) is derived from, most severe
        first."""
        self.run()
        val = self.memo.get(id(expr), EMPTY) if value is None else value
        if not val:
            return []
        out = [self._materialize(e) for e in self.concrete(val)]
        out.sort(key=lambda t: (-int(t.severity), t.line, t.column))
        return out

    def taint_of(self, expr: Any, scope: Any = None) -> Taint | None:
        """The most severe untrusted source ``expr`` is derived from, or None when it is
        trusted or validated. ``scope`` is accepted for symmetry with the other
        analyses; positions in the tree identify the program point."""
        found = self.taints_of(expr)
        return found[0] if found else None

    def function_of(self, node: Any) -> FuncInfo | None:
        self.run()
        return self.func_of.get(id(node))

    def local_target(self, call: Any, fi: FuncInfo | None = None) -> Any:
        """The function/method/class of this file that ``call`` calls, or None."""
        self.run()
        return self._local_target(call, fi or self.module_fi)[0]

    def call_sites(self, fi: FuncInfo) -> list[tuple[Any, dict[str, TaintVal]]]:
        """(call, parameter name -> taint of the argument) for every call of ``fi``."""
        self.run()
        return list(self.callsites.get(id(fi.node), ()))

    def arguments(self, call: Any, caller: FuncInfo) -> dict[str, Any]:
        """Parameter name -> argument expression, for a call of a function of the file
        (``*args``/``**kwargs`` spreads are not mapped)."""
        target, bound = self._local_target(call, caller)
        if not isinstance(target, FuncInfo):
            return {}
        positional = [p for p in target.params if p.kind == "pos"]
        if target.bound and bound:
            positional = positional[1:]
        names = {p.name for p in target.params if p.kind in ("pos", "kw")}
        out: dict[str, Any] = {}
        i = 0
        for arg in call.args:
            if arg.star:
                break
            if arg.keyword is not None:
                if arg.keyword.value in names:
                    out[arg.keyword.value] = arg.value
            elif i < len(positional):
                out[positional[i].name] = arg.value
                i += 1
        return out

    def through(self, value: TaintVal, fi: FuncInfo, binding: dict[str, TaintVal],
                call: Any) -> TaintVal:
        """``value`` (inside ``fi``) as seen from one call site: the parameters of ``fi``
        replaced by that call's arguments."""
        return self._substitute(value, fi, binding, call)

    # ------------------------------------------------------------------ indexing
    def _index(self) -> None:
        self.funcs = [self.module_fi]
        stack: list[tuple[Any, FuncInfo, ClassInfo | None]] = [(self.module, self.module_fi, None)]
        registrations: list[tuple[Any, FuncInfo, ClassInfo | None]] = []
        reg_names = self._registration_names()
        from apisec_lint.walk import child_fields, is_node

        T = cst
        FunctionDef, ClassDef, Lambda, Call = T.FunctionDef, T.ClassDef, T.Lambda, T.Call
        binders = {T.Assign, T.AugAssign, T.AnnAssign, T.For, T.CompFor, T.WithItem,
                   T.NamedExpr, T.ExceptHandler, T.Global, T.Nonlocal}
        while stack:
            node, fi, cls = stack.pop()
            inner_fi, inner_cls = fi, cls
            tp = type(node)
            if tp is FunctionDef:
                new = FuncInfo(node, node.name.value,
                               parent=None if fi.is_module else fi, cls=cls)
                self._params(new)
                self.funcs.append(new)
                self.func_of[id(node)] = new
                if cls is not None:
                    cls.methods.setdefault(node.name.value, new)
                else:
                    fi.locals.add(node.name.value)
                    self._by_name.setdefault(node.name.value, []).append(new)
                # decorators and defaults are evaluated in the enclosing scope
                for dec in node.decorators:
                    stack.append((dec, fi, None))
                for child in (node.params, node.body):
                    stack.append((child, new, None))
                continue
            if tp is ClassDef:
                info = ClassInfo(node, node.name.value, None if fi.is_module else fi)
                self.classes[id(node)] = info
                fi.locals.add(node.name.value)
                for child in (*node.decorators, *node.bases, *node.keywords):
                    stack.append((child, fi, None))
                stack.append((node.body, fi, info))
                continue
            if tp is Lambda:
                continue  # lambda bodies are not analysed
            if tp is Call:
                self.calls.append((node, fi))
                name = node.func.attr.value if isinstance(node.func, cst.Attribute) else (
                    node.func.value if isinstance(node.func, cst.Name) else None)
                if reg_names(name):
                    registrations.append((node, fi, cls))
            elif tp not in binders:
                pass
            elif isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) \
                    else [node.target]
                for t in targets:
                    fi.locals.update(_bound_names(t))
            elif isinstance(node, (cst.For, cst.CompFor)):
                fi.locals.update(_bound_names(node.target))
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                fi.locals.update(_bound_names(node.asname.name))
            elif isinstance(node, cst.NamedExpr):
                fi.locals.update(_bound_names(node.target))
            elif isinstance(node, cst.ExceptHandler) and node.name is not None:
                fi.locals.update(_bound_names(node.name.name))
            elif isinstance(node, (cst.Global, cst.Nonlocal)) and not fi.is_module:
                for n in node.names:
                    fi.locals.discard(n.name.value)
                    fi.locals.add("\0global:" + n.name.value)
            for fname in child_fields(tp):
                value = getattr(node, fname)
                if is_node(value):
                    stack.append((value, inner_fi, inner_cls))
                elif type(value) in (tuple, list):
                    stack.extend((v, inner_fi, inner_cls) for v in reversed(value)
                                 if is_node(v))
        for fi in self.funcs:
            for marker in [n for n in fi.locals if n.startswith("\0global:")]:
                fi.locals.discard(marker)
                fi.locals.discard(marker[8:])
        self._link_classes()
        self._find_handlers(registrations)

    def _params(self, fi: FuncInfo) -> None:
        p = fi.node.params
        for param in (*p.posonly_params, *p.params):
            fi.params.append(ParamInfo(param.name.value, "pos", param))
        if isinstance(p.star_arg, cst.Param):
            fi.params.append(ParamInfo(p.star_arg.name.value, "star", p.star_arg))
        for param in p.kwonly_params:
            fi.params.append(ParamInfo(param.name.value, "kw", param))
        if p.star_kwarg is not None:
            fi.params.append(ParamInfo(p.star_kwarg.name.value, "dstar", p.star_kwarg))
        for info in fi.params:
            fi.locals.add(info.name)
        decorators = {_dotted(d.decorator) for d in fi.node.decorators}
        static = "staticmethod" in decorators
        fi.classmethod = "classmethod" in decorators
        fi.bound = fi.cls is not None and not static and bool(fi.params) \
            and fi.params[0].kind == "pos"

    def _link_classes(self) -> None:
        by_name = self._class_by_name
        for info in self.classes.values():
            by_name.setdefault(info.name, info)
        for info in self.classes.values():
            for arg in info.node.bases:
                if isinstance(arg.value, cst.Name) and arg.value.value in by_name:
                    parent = by_name[arg.value.value]
                    if parent is not info:
                        info.bases.append(parent)

    def _mro(self, cls: ClassInfo) -> Iterator[ClassInfo]:
        seen: set[int] = set()
        stack = [cls]
        while stack:
            c = stack.pop(0)
            if id(c) in seen:
                continue
            seen.add(id(c))
            yield c
            stack.extend(c.bases)

    def _method(self, cls: ClassInfo, name: str) -> FuncInfo | None:
        for c in self._mro(cls):
            if name in c.methods:
                return c.methods[name]
        return None

    # ------------------------------------------------------------------ handlers
    def _gated(self, entry: dict[str, Any]) -> bool:
        """The entry applies to this file (it imports one of the entry's modules)."""
        key = id(entry)
        found = self._gates.get(key)
        if found is None:
            gate = tuple(entry.get("imports") or ())
            found = not gate or any(root.startswith(gate) for root in self._imported_roots)
            self._gates[key] = found
        return found

    def _registration_names(self) -> Any:
        """A test for the last name of a call that may register a handler."""
        names: set[str] = set()
        patterns = []
        for e in self.model.handlers:
            names.update(e.get("methods", ()))
            for c in e.get("calls", ()):
                last = c.rsplit(".", 1)[-1]
                if "*" in last or "[" in last:
                    patterns.append(compile_pattern(last))
                else:
                    names.add(last)
        frozen = frozenset(names)
        if not patterns:
            return frozen.__contains__
        return lambda name: name in frozen or (
            name is not None and any(p.match(name) for p in patterns))

    def _expr_names(self, expr: Any, fi: FuncInfo) -> tuple[str | None, str | None]:
        """(qualified name, dotted text) of a decorator/callee expression."""
        qualified = None
        if isinstance(expr, cst.Attribute):
            owner = self.ctx.callees.type_of(expr.value, fi.node)
            if owner:
                qualified = f"{owner}.{expr.attr.value}"
        if qualified is None:
            qualified = self.imports.qualified_name(expr)
        return qualified, _dotted(expr)

    def _find_handlers(self, registrations: list[tuple[Any, FuncInfo, ClassInfo | None]]) -> None:
        for fi in self.funcs[1:]:
            for dec in fi.node.decorators:
                expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
                scope = fi.parent or self.module_fi
                qualified, _ = self._expr_names(expr, scope)
                method = expr.attr.value if isinstance(expr, cst.Attribute) else (
                    expr.value if isinstance(expr, cst.Name) else None)
                for e in self.model.handlers:
                    names = e.get("function_names")
                    if names and fi.name not in names:
                        continue
                    by_name = bool(qualified and e.get("decorators")
                                   and matches_any(qualified, e["decorators"]))
                    by_method = bool(method and method in e.get("decorator_methods", ())
                                     and self._gated(e))
                    if by_name or by_method:
                        fi.handler = fi.handler or HandlerMatch(e, e.get("framework", ""))
                        break
            if fi.handler is None and fi.cls is not None:
                for e in self.model.handlers:
                    if e.get("bases") and fi.name in e.get("function_names", ()) \
                            and self._class_derives(fi.cls, e["bases"]):
                        fi.handler = HandlerMatch(e, e.get("framework", ""))
                        break
        for call, fi, _ in registrations:
            qualified, _ = self._expr_names(call.func, fi)
            method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
            for e in self.model.handlers:
                cb = e.get("callback")
                if cb is None:
                    continue
                hit = (qualified and e.get("calls") and matches_any(qualified, e["calls"])) or (
                    method and method in e.get("methods", ()) and self._gated(e))
                if not hit:
                    continue
                arg = find_arg(call, cb.get("name"), cb.get("position"))
                if arg is None:
                    continue
                target = self._callable(arg.value, fi)
                if target is not None and target.handler is None:
                    target.handler = HandlerMatch(e, e.get("framework", ""))

    def _class_derives(self, cls: ClassInfo, patterns: list[str]) -> bool:
        for c in self._mro(cls):
            for arg in c.node.bases:
                qualified = self.imports.qualified_name(arg.value)
                dotted = _dotted(arg.value)
                if (qualified and matches_any(qualified, patterns)) or (
                        dotted and matches_any(dotted, patterns)):
                    return True
        return False

    def _callable(self, expr: Any, fi: FuncInfo) -> FuncInfo | None:
        """The function of this file an expression names (``fn``, ``self.on_message``)."""
        if isinstance(expr, cst.Name):
            return self._function_named(expr.value, fi)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) \
                and expr.value.value in ("self", "cls"):
            owner = fi
            while owner is not None and owner.cls is None:
                owner = owner.parent
            if owner is not None and owner.cls is not None:
                return self._method(owner.cls, expr.attr.value)
        return None

    def _function_named(self, name: str, fi: FuncInfo) -> FuncInfo | None:
        """The function ``name`` refers to from inside ``fi`` (nested, then module)."""
        candidates = self._by_name.get(name)
        if not candidates:
            return None
        scope: FuncInfo | None = fi
        while scope is not None:
            for f in candidates:
                if f.parent is scope or (scope.is_module and f.parent is None):
                    return f
            scope = scope.parent if scope.parent is not None else (
                self.module_fi if not scope.is_module else None)
        return None

    # ------------------------------------------------------------------ rounds
    def _round(self) -> None:
        self.memo = {}
        self.asserted = {}
        self.kwmemo = {}
        self.callsites = {}
        self.summaries = {}
        self._concrete = {}
        self._progress = set()
        self._callee_cache = {}
        self._observed = {}
        self._tuple_results = {}
        end = self._analyze_body(self.module_fi)
        self.globals = end if end is not None else State()
        for fi in self.funcs[1:]:
            self.analyze(fi)

    def _analyze_body(self, fi: FuncInfo) -> State | None:
        saved = self.fr
        self.fr = _Frame(fi)
        try:
            return self.exec_block(_body(fi.node), State())
        finally:
            self.fr = saved

    def analyze(self, fi: FuncInfo) -> Summary:
        key = id(fi.node)
        done = self.summaries.get(key)
        if done is not None:
            return done
        if key in self._progress:
            return _NO_SUMMARY
        self._progress.add(key)
        saved = self.fr
        frame = self.fr = _Frame(fi)
        try:
            state = self._seed(fi)
            end = self.exec_block(_body(fi.node), state)
            exits = [s for _, s in frame.returns] + ([end] if end is not None else [])
            validates = frozenset(
                p.name for p in fi.params
                if exits and all((p.name,) in s.checked for s in exits))
            returns_validates = self._returns_validate(fi, frame)
            summary = Summary(frame.ret, validates, returns_validates, join_states(exits),
                              frame.items if frame.items else None)
        finally:
            self.fr = saved
            self._progress.discard(key)
        self.summaries[key] = summary
        return summary

    def _returns_validate(self, fi: FuncInfo, frame: _Frame) -> frozenset[str]:
        if not frame.returns:
            return frozenset()
        names: set[str] | None = None
        for value, state in frame.returns:
            if value is None or literal(value) in (False, None, 0):
                continue
            saved = self.fr
            self.fr = frame
            try:
                found = {p[0] for p in self.facts(value, True, state) if len(p) == 1}
            finally:
                self.fr = saved
            names = found if names is None else names & found
        return frozenset(names or ()) & {p.name for p in fi.params}

    def _seed(self, fi: FuncInfo) -> State:
        state = State()
        handler = fi.handler
        positions = set(handler.entry.get("params", ())) if handler and \
            handler.entry.get("params") is not None else None
        index = 0
        for i, p in enumerate(fi.params):
            if i == 0 and fi.bound:
                continue
            is_pos = p.kind == "pos"
            untrusted = handler is not None and (
                positions is None or (is_pos and index in positions))
            if is_pos:
                index += 1
            if untrusted and self._skip_param(p, handler.entry):
                untrusted = False
            if untrusted:
                if self._constrained(p.node.annotation.annotation if p.node.annotation else None,
                                     p.node.default):
                    state.vars[(p.name,)] = EMPTY
                    continue
                src = Source(handler.entry["kind"], p.name, p.node, handler.framework, fi.name)
                state.vars[(p.name,)] = {_okey(src): Entry(src, ((p.node, (
                    f"untrusted {KIND_TEXT[src.kind]}: parameter `{p.name}` of handler "
                    f"{fi.name}() ({handler.framework})")),))}
                for attr in handler.entry.get("clean_attributes", ()):
                    state.vars[(p.name, "." + attr)] = EMPTY
                model = self._model_class(p.node.annotation.annotation) \
                    if p.node.annotation else None
                if model is not None:
                    for fname in self._validated_fields(model):
                        state.vars[(p.name, "." + fname)] = EMPTY
            else:
                par = Param(fi, p.name)
                state.vars[(p.name,)] = {_okey(par): Entry(par)}
        return state

    def _skip_param(self, p: ParamInfo, entry: dict[str, Any]) -> bool:
        skip_ann = entry.get("skip_annotations", ())
        skip_def = entry.get("skip_defaults", ())
        ann = p.node.annotation.annotation if p.node.annotation else None
        if ann is not None and skip_ann:
            for node in self._annotation_parts(ann):
                d = _dotted(node)
                if d and d.rsplit(".", 1)[-1] in skip_ann:
                    return True
                if isinstance(node, cst.Call) and skip_def:
                    d = _dotted(node.func)
                    if d and d.rsplit(".", 1)[-1] in skip_def:
                        return True
        default = p.node.default
        if isinstance(default, cst.Call) and skip_def:
            d = _dotted(default.func)
            if d and d.rsplit(".", 1)[-1] in skip_def:
                return True
        return False

    def _annotation_parts(self, ann: Any) -> Iterator[Any]:
        yield ann
        if isinstance(ann, cst.Subscript):
            for el in ann.slice:
                if isinstance(el.slice, cst.Index):
                    yield from self._annotation_parts(el.slice.value)

    # ------------------------------------------------------------------ models
    def _names(self, expr: Any) -> list[str]:
        out = []
        q = self.imports.qualified_name(expr)
        if q:
            out.append(q)
        d = _dotted(expr)
        if d:
            out.append(d)
        return out

    def _model_class(self, ann: Any) -> ClassInfo | None:
        if isinstance(ann, cst.Subscript):  # Optional[Model], Annotated[Model, ...]
            for el in ann.slice:
                if isinstance(el.slice, cst.Index):
                    found = self._model_class(el.slice.value)
                    if found is not None:
                        return found
            return None
        if isinstance(ann, cst.Name) and ann.value in self._class_by_name:
            cls = self._class_by_name[ann.value]
            if self._class_derives(cls, self.model.model_bases):
                return cls
        return None

    def _validated_fields(self, cls: ClassInfo) -> list[str]:
        out: list[str] = []
        for c in self._mro(cls):
            named: set[str] = set()
            for m in c.methods.values():
                for dec in m.node.decorators:
                    d = dec.decorator
                    if isinstance(d, cst.Call) and any(
                            matches_any(n, self.model.validator_decorators)
                            for n in self._names(d.func)):
                        for arg in d.args:
                            v = literal(arg.value)
                            if isinstance(v, str):
                                named.add(v)
            for stmt in _body(c.node):
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        name = small.target.value
                        if name in named or self._constrained(small.annotation.annotation,
                                                              small.value):
                            out.append(name)
        return out

    def _constraint_call(self, node: Any) -> bool:
        if not isinstance(node, cst.Call):
            return False
        if not any(matches_any(n, self.model.constraint_calls) for n in self._names(node.func)):
            return False
        return any(a.keyword is not None and a.keyword.value in self.model.constraint_keywords
                   for a in node.args)

    def _constrained(self, ann: Any, default: Any = None) -> bool:
        """A type/default that validates the value (Literal, Enum, conint(le=),
        Field(le=), Query(le=), pattern=)."""
        if default is not None and self._constraint_call(default):
            return True
        return self._ann_constrained(ann, 0)

    def _ann_constrained(self, ann: Any, depth: int) -> bool:
        if ann is None or depth > 6:
            return False
        if isinstance(ann, cst.Call):
            return self._constraint_call(ann)
        if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
            sides = [s for s in (ann.left, ann.right) if literal(s) is not None]
            return bool(sides) and all(self._ann_constrained(s, depth + 1) for s in sides)
        if isinstance(ann, cst.Subscript):
            names = self._names(ann.value)
            if any(matches_any(n, self.model.literal_types) for n in names):
                return True
            last = (names[-1] if names else "").rsplit(".", 1)[-1]
            items = [el.slice.value for el in ann.slice if isinstance(el.slice, cst.Index)]
            if last == "Annotated":
                return any(self._ann_constrained(i, depth + 1) for i in items)
            if last == "Optional" and items:
                return self._ann_constrained(items[0], depth + 1)
            if last == "Union":
                rest = [i for i in items if literal(i) is not None]
                return bool(rest) and all(self._ann_constrained(i, depth + 1) for i in rest)
            return False
        if isinstance(ann, cst.Name) and ann.value in self._class_by_name:
            return self._class_derives(self._class_by_name[ann.value], self.model.enum_bases)
        return False

    def _model_of_value(self, value: Any) -> ClassInfo | None:
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return None
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MODEL_PARSERS:
            func = func.value
        if isinstance(func, cst.Name):
            return self._model_class(func)
        return None

    # ------------------------------------------------------------------ statements
    def exec_block(self, stmts: list[Any], state: State | None) -> State | None:
        for stmt in stmts:
            if state is None:
                return None
            state = self.exec_stmt(stmt, state)
        return state

    def exec_stmt(self, stmt: Any, st: State) -> State | None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if st is None:
                    return None
                st = self.exec_small(small, st)
            return st
        if isinstance(stmt, cst.If):
            return self._exec_if(stmt, st)
        if isinstance(stmt, cst.For):
            it = self.eval(stmt.iter, st)

            def bind(s: State) -> None:
                self.bind(stmt.target, _step(it, stmt.target, "iterated"), s, None)
            return self._loop(st, bind, _body(stmt), stmt.orelse, None)
        if isinstance(stmt, cst.While):
            self.eval(stmt.test, st)
            return self._loop(st, lambda s: None, _body(stmt), stmt.orelse, stmt.test)
        if isinstance(stmt, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            return self._exec_try(stmt, st)
        if isinstance(stmt, cst.With):
            for item in stmt.items:
                v = self.eval(item.item, st)
                if item.asname is not None:
                    self.bind(item.asname.name, v, st, item.item)
            return self.exec_block(_body(stmt), st)
        if isinstance(stmt, getattr(cst, "Match", ())):
            return self._exec_match(stmt, st)
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return st
        return st

    def _exec_if(self, stmt: Any, st: State) -> State | None:
        self.eval(stmt.test, st)
        yes = st.copy()
        self.apply_facts(yes, self.facts(stmt.test, True, st))
        no = st.copy()
        self.apply_facts(no, self.facts(stmt.test, False, st))
        a = self.exec_block(_body(stmt), yes)
        orelse = stmt.orelse
        if orelse is None:
            b = no
        elif isinstance(orelse, cst.If):
            b = self._exec_if(orelse, no)
        else:
            b = self.exec_block(_body(orelse), no)
        return join_states([a, b])

    def _loop(self, st: State, bind: Any, body: list[Any], orelse: Any, test: Any) -> State | None:
        head: State = st
        loop = _Loop()
        self.fr.loops.append(loop)
        try:
            for _ in range(_LOOP_ROUNDS):
                loop.breaks, loop.conts = [], []
                s = head.copy()
                if test is not None:
                    self.apply_facts(s, self.facts(test, True, s))
                bind(s)
                end = self.exec_block(body, s)
                new_head = join_states([head, end, *loop.conts])
                assert new_head is not None
                same = new_head.signature() == head.signature()
                head = new_head
                if same:
                    break
        finally:
            self.fr.loops.pop()
        exit_state: State | None = head.copy()
        if test is not None:
            if literal(test) is True or (isinstance(test, cst.Integer) and literal(test)):
                exit_state = None
            else:
                self.apply_facts(exit_state, self.facts(test, False, exit_state))
        if orelse is not None and exit_state is not None:
            exit_state = self.exec_block(_body(orelse), exit_state)
        return join_states([exit_state, *loop.breaks])

    def _exec_try(self, stmt: Any, st: State) -> State | None:
        pre = st.copy()
        body_end = self.exec_block(_body(stmt), st)
        else_end = body_end
        if stmt.orelse is not None and body_end is not None:
            else_end = self.exec_block(_body(stmt.orelse), body_end.copy())
        entry = join_states([pre, body_end])
        ends: list[State | None] = [else_end]
        for handler in stmt.handlers:
            s = entry.copy() if entry is not None else pre.copy()
            if handler.name is not None:
                self.bind(handler.name.name, EMPTY, s, None)
            ends.append(self.exec_block(_body(handler), s))
        result = join_states(ends)
        if stmt.finalbody is not None:
            if result is None:
                self.exec_block(_body(stmt.finalbody), (entry or pre).copy())
                return None
            result = self.exec_block(_body(stmt.finalbody), result)
        return result

    def _exec_match(self, stmt: Any, st: State) -> State | None:
        subject = self.eval(stmt.subject, st)
        spath = path_of(stmt.subject, self._resolve)
        ends: list[State | None] = []
        exhaustive = False
        from apisec_lint.walk import iter_tree

        for case in stmt.cases:
            s = st.copy()
            pattern = case.pattern
            if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
                exhaustive = exhaustive or case.guard is None
            if spath is not None and self._literal_pattern(pattern):
                s.vars[spath] = EMPTY
                s.kill(spath)
            for node in iter_tree(pattern):
                if isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
                    self.bind(node.name, subject, s, None)
            if case.guard is not None:
                self.eval(case.guard, s)
                self.apply_facts(s, self.facts(case.guard, True, s))
            ends.append(self.exec_block(_body(case), s))
        if not exhaustive:
            ends.append(st)
        return join_states(ends)

    def _literal_pattern(self, pattern: Any) -> bool:
        if isinstance(pattern, cst.MatchValue):
            return literal(pattern.value) is not None or isinstance(pattern.value, cst.Attribute)
        if isinstance(pattern, cst.MatchOr):
            return all(self._literal_pattern(p.pattern) for p in pattern.patterns)
        return False

    def exec_small(self, small: Any, st: State) -> State | None:
        fr = self.fr
        if isinstance(small, cst.Expr):
            self.eval(small.value, st)
            call = small.value.expression if isinstance(small.value, cst.Await) else small.value
            if isinstance(call, cst.Call):
                return self._after_call_statement(call, st)
            return st
        if isinstance(small, cst.Assign):
            value = small.value
            target0 = small.targets[0].target
            if len(small.targets) == 1 and isinstance(target0, (cst.Tuple, cst.List)) \
                    and isinstance(value, (cst.Tuple, cst.List)) \
                    and len(target0.elements) == len(value.elements) \
                    and not any(isinstance(e, cst.StarredElement) for e in value.elements):
                vals = [self.eval(e.value, st) for e in value.elements]
                for t, v, e in zip(small.targets[0].target.elements, vals, value.elements,
                                   strict=True):
                    self.bind(t.value, v, st, e.value)
                return self._after_value(value, st)
            v = self.eval(value, st)
            call = value.expression if type(value) is cst.Await else value
            items = self._tuple_results.get(id(call))
            for t in small.targets:
                if items is not None and type(t.target) in (cst.Tuple, cst.List) \
                        and len(t.target.elements) == len(items) and not any(
                            type(el.value) is cst.StarredElement for el in t.target.elements):
                    for el, item in zip(t.target.elements, items, strict=True):
                        self.bind(el.value, item, st, None)
                else:
                    self.bind(t.target, v, st, value)
            return self._after_value(value, st)
        if isinstance(small, cst.AnnAssign):
            if small.value is not None:
                v = self.eval(small.value, st)
                self.bind(small.target, v, st, small.value)
                return self._after_value(small.value, st)
            return st
        if isinstance(small, cst.AugAssign):
            cur = self.eval(small.target, st)
            v = self.eval(small.value, st)
            if isinstance(small.operator, (cst.AddAssign, cst.ModuloAssign)) and v and (
                    _is_stringy(small.value) or _is_stringy(small.target)):
                v = self._formatted(v, small)
            if isinstance(small.operator, (cst.MultiplyAssign, cst.DivideAssign)):
                amp = (cur and self._amplifier(small.value)) or (
                    v and self._amplifier(small.target))
                v = join(cur, v)
                if amp:
                    v = _map(v, lambda e: e if e.amplified else e.replace(amplified=small))
                self.bind(small.target, v, st, None)
            else:
                self.bind(small.target, join(cur, v), st, None)
            return st
        if isinstance(small, cst.Return):
            v = self.eval(small.value, st) if small.value is not None else EMPTY
            message = f"returned from {fr.fi.name}()"
            fr.ret = join(fr.ret, _step(v, small, message))
            self._return_items(fr, small.value, message, small)
            fr.returns.append((small.value, st))
            return None
        if isinstance(small, cst.Raise):
            if small.exc is not None:
                self.eval(small.exc, st)
            return None
        if isinstance(small, cst.Continue):
            if fr.loops:
                fr.loops[-1].conts.append(st)
            return None
        if isinstance(small, cst.Break):
            if fr.loops:
                fr.loops[-1].breaks.append(st)
            return None
        if isinstance(small, cst.Assert):
            self.eval(small.test, st)
            for key in self.facts(small.test, True, st):
                st.asserts[key] = small
            return st
        return st

    def _return_items(self, fr: _Frame, value: Any, message: str, node: Any) -> None:
        if fr.items == []:
            return  # returns of different shapes seen: no element-wise summary
        if type(value) not in (cst.Tuple, cst.List) or any(
                type(el) is cst.StarredElement for el in value.elements):
            fr.items = []
            return
        vals = [_step(self.memo.get(id(el.value), EMPTY), node, message) for el in value.elements]
        if fr.items is None:
            fr.items = vals
        elif len(fr.items) == len(vals):
            fr.items = [join(a, b) for a, b in zip(fr.items, vals, strict=True)]
        else:
            fr.items = []

    def _after_value(self, value: Any, st: State) -> State | None:
        call = value.expression if isinstance(value, cst.Await) else value
        if isinstance(call, cst.Call):
            return self._after_call_statement(call, st)
        return st

    def _after_call_statement(self, call: Any, st: State) -> State | None:
        """A call as a statement: terminators end the path, validators validate."""
        role = self._role(call)
        if role == "terminator":
            return None
        if role == "validator":
            self.apply_facts(st, {k for a in call.args
                                  if (k := self.fact_key(a.value)) is not None})
        elif role == "schema":
            self._apply_schema(call, st)
        else:
            target, _ = self._local_target(call, self.fr.fi)
            if isinstance(target, FuncInfo):
                summary = self.summaries.get(id(target.node))
                if summary is not None and summary.validates:
                    binding = self._arg_paths(target, call)
                    self.apply_facts(st, {binding[p] for p in summary.validates if p in binding})
        return st

    def _arg_paths(self, target: FuncInfo, call: Any) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        positional = [p for p in target.params if p.kind == "pos"]
        if target.bound and self._is_bound_call(call):
            positional = positional[1:]
        i = 0
        for arg in call.args:
            if arg.star:
                break
            key = self.fact_key(arg.value)
            if arg.keyword is not None:
                if key is not None:
                    out[arg.keyword.value] = key
            elif i < len(positional):
                if key is not None:
                    out[positional[i].name] = key
                i += 1
        return out

    def _apply_schema(self, call: Any, st: State) -> None:
        entry = next((e for e in self.model.by_role.get("schema", ())
                      if any(matches_any(n, e.get("calls", ())) for n in self._call_names(call))),
                     None)
        if entry is None:
            return
        ispec, sspec = entry.get("instance", {}), entry.get("schema", {})
        inst = find_arg(call, ispec.get("name"), ispec.get("position"))
        schema = find_arg(call, sspec.get("name"), sspec.get("position"))
        if inst is None:
            return
        path = self.fact_key(inst.value)
        if path is None:
            return
        resolved = self.ctx.values.resolve(schema.value, self.fr.fi.node) if schema else None
        props = resolved.get("properties") if isinstance(resolved, DictVal) else None
        if not isinstance(props, DictVal):
            # a schema we cannot read: trust the validation rather than guess
            self.apply_facts(st, {path})
            return
        checked = []
        for key in props.keys():  # noqa: SIM118 - a DictVal, not a dict
            spec = props.get(key)
            keys = set(spec.keys()) if isinstance(spec, DictVal) else set()
            if keys & {"enum", "const", "pattern", "maximum", "exclusiveMaximum"}:
                checked.append((*path, f"[{key!r}]"))
        self.apply_facts(st, set(checked))

    # ------------------------------------------------------------------ binding
    def bind(self, target: Any, value: TaintVal, st: State, value_node: Any) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.bind(el.value, value, st, None)
            return
        if isinstance(target, cst.StarredElement):
            self.bind(target.value, value, st, None)
            return
        path = path_of(target, self._resolve)
        if path is None:
            if isinstance(target, cst.Subscript):  # d[k] = v with an unknown key
                base = path_of(target.value, self._resolve)
                if base is not None and value:
                    st.vars[base] = join(self._read_local(base, st), value)
            return
        value = _step(value, target, f"assigned to `{path_text(path)}`") if value else EMPTY
        st.kill(path)
        st.vars[path] = value
        st.asserts.pop(path, None)
        st.checked.discard(path)
        if value_node is not None and isinstance(value_node, cst.Dict):
            # keep the keys of a literal dict apart: validating one leaves the others
            own: TaintVal = EMPTY
            for el in value_node.elements:
                if isinstance(el, cst.DictElement):
                    key = _const_key(el.key, self._resolve)
                    if key is not None:
                        st.vars[(*path, key)] = _step(self.memo.get(id(el.value), EMPTY), target,
                                                      f"assigned to `{path_text(path)}{key}`")
                        continue
                    own = join(own, self.memo.get(id(el.key), EMPTY),
                               self.memo.get(id(el.value), EMPTY))
                else:
                    own = join(own, self.memo.get(id(el.value), EMPTY))
            st.vars[path] = _step(own, target, f"assigned to `{path_text(path)}`") if own else EMPTY
        if value_node is not None and value:
            model = self._model_of_value(value_node)
            if model is not None:
                for fname in self._validated_fields(model):
                    st.vars[(*path, "." + fname)] = EMPTY
        fi = self.fr.fi
        if path[0] == "self" and len(path) > 1 and fi.cls is not None:
            table = self.class_attrs.setdefault(id(fi.cls), {})
            table[path] = join(table.get(path, EMPTY), st.vars[path])

    def _read_local(self, path: tuple[str, ...], st: State) -> TaintVal:
        v = st.local(path)
        return v if v is not None else EMPTY

    # ------------------------------------------------------------------ facts (sanitizers)
    def apply_facts(self, st: State, keys: Iterable[tuple[str, ...]]) -> None:
        for key in keys:
            st.kill(key)
            st.vars[key] = EMPTY
            st.checked.add(key)

    def fact_key(self, node: Any) -> tuple[str, ...] | None:
        """The access path a check is about, looking through conversions:
        ``float(qty) > MAX`` checks ``qty``."""
        for _ in range(8):
            if isinstance(node, cst.Await):
                node = node.expression
                continue
            if isinstance(node, cst.Call) and node.args and not node.args[0].keyword \
                    and not isinstance(node.func, cst.Attribute) \
                    and self._role(node) == "converter":
                node = node.args[0].value
                continue
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                    node.func.attr.value in self.model.converter_methods and not node.args:
                node = node.func.value
                continue
            break
        return path_of(node, self._resolve)

    def _clean(self, node: Any, st: State) -> bool:
        return not self.eval(node, st)

    def facts(self, e: Any, truth: bool, st: State) -> set[tuple[str, ...]]:
        """Access paths validated when ``e`` evaluates to ``truth``."""
        if isinstance(e, cst.BooleanOperation):
            left = self.facts(e.left, truth, st)
            right = self.facts(e.right, truth, st)
            conj = isinstance(e.operator, cst.And)
            return (left | right) if conj == truth else (left & right)
        if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
            return self.facts(e.expression, not truth, st)
        if isinstance(e, cst.Comparison):
            pairs = []
            left = e.left
            for target in e.comparisons:
                pairs.append(self._pair_facts(left, target.operator, target.comparator, truth, st))
                left = target.comparator
            if truth:
                return set().union(*pairs)
            out = pairs[0]
            for p in pairs[1:]:
                out = out & p
            return out
        if isinstance(e, cst.Await):
            return self.facts(e.expression, truth, st)
        if isinstance(e, cst.Call) and truth:
            role = self._role(e)
            if role == "validator":
                return {k for a in e.args if (k := self.fact_key(a.value)) is not None}
            target, _ = self._local_target(e, self.fr.fi)
            if isinstance(target, FuncInfo):
                summary = self.summaries.get(id(target.node)) or (
                    self.analyze(target) if id(target.node) not in self._progress else None)
                if summary is not None and summary.returns_validates:
                    binding = self._arg_paths(target, e)
                    return {binding[p] for p in summary.returns_validates if p in binding}
        return set()

    def _pair_facts(self, left: Any, op: Any, right: Any, truth: bool,
                    st: State) -> set[tuple[str, ...]]:
        out: set[tuple[str, ...]] = set()
        if isinstance(op, (cst.In, cst.NotIn)):
            member = isinstance(op, cst.In) == truth
            if member and self._clean(right, st):
                key = self.fact_key(left)
                if key is not None:
                    out.add(key)
            return out
        if isinstance(op, (cst.Equal, cst.NotEqual)):
            if isinstance(op, cst.Equal) == truth:
                for a, b in ((left, right), (right, left)):
                    key = self.fact_key(a)
                    if key is not None and self._clean(b, st):
                        out.add(key)
            return out
        if isinstance(op, (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)):
            less = isinstance(op, (cst.LessThan, cst.LessThanEqual))
            # bounded above: x < K (true) / x > K (false) / K > x (true) / K < x (false)
            bounded, bound = (left, right) if less == truth else (right, left)
            key = self.fact_key(bounded)
            if key is not None and self._clean(bound, st):
                out.add(key)
            return out
        return out

    # ------------------------------------------------------------------ expressions
    def eval(self, e: Any, st: State) -> TaintVal:
        v = self._eval(e, st)
        if v:
            old = self.memo.get(id(e))
            self.memo[id(e)] = join(old, v) if old else v
        return v

    def _eval(self, e: Any, st: State) -> TaintVal:
        # dispatch on the exact node type: isinstance() on libcst's ABCs is slow
        kind = _eval_kinds().get(type(e))
        if kind is None:
            return EMPTY
        if kind == "path":
            path = path_of(e, self._resolve)
            if path is not None:
                if path in st.asserts:
                    self.asserted[id(e)] = st.asserts[path]
                return self.read(e, path, st)
            if type(e) is cst.Subscript:
                base = self.eval(e.value, st)
                for el in e.slice:
                    self._eval_slice(el.slice, st)
                return base
            if type(e) is cst.Attribute:
                return self.eval(e.value, st)
            return EMPTY
        if kind == "call":
            return self.eval_call(e, st)
        if kind == "await":
            return self.eval(e.expression, st)
        if kind == "fstring":
            parts = []
            for part in e.parts:
                if type(part) is cst.FormattedStringExpression:
                    parts.append(self.eval(part.expression, st))
            return self._formatted(join(*parts), e)
        if kind == "concat":
            return join(self.eval(e.left, st), self.eval(e.right, st))
        if kind == "binop":
            left = self.eval(e.left, st)
            right = self.eval(e.right, st)
            v = join(left, right)
            if not v:
                return v
            op = type(e.operator)
            if op in (cst.Add, cst.Modulo) and (_is_stringy(e.left) or _is_stringy(e.right)):
                return self._formatted(v, e)
            scaling = op in (cst.Multiply, cst.Divide, cst.FloorDivide, cst.Power)
            if scaling and ((left and self._amplifier(e.right) is not None) or (
                    right and self._amplifier(e.left) is not None)):
                return _map(v, lambda x: x if x.amplified else x.replace(amplified=e))
            return v
        if kind == "unary":
            return self.eval(e.expression, st)
        if kind == "boolop":
            return join(self.eval(e.left, st), self.eval(e.right, st))
        if kind == "compare":
            self.eval(e.left, st)
            for c in e.comparisons:
                self.eval(c.comparator, st)
            return EMPTY
        if kind == "ifexp":
            self.eval(e.test, st)
            yes = st.copy()
            self.apply_facts(yes, self.facts(e.test, True, st))
            no = st.copy()
            self.apply_facts(no, self.facts(e.test, False, st))
            return join(self.eval(e.body, yes), self.eval(e.orelse, no))
        if kind == "dict":
            vals = []
            for el in e.elements:
                if type(el) is cst.DictElement:
                    vals.append(self.eval(el.key, st))
                vals.append(self.eval(el.value, st))
            return join(*vals)
        if kind == "seq":
            return join(*(self.eval(el.value, st) for el in e.elements))
        if kind == "comp":
            return self._eval_comp(e, st)
        if kind == "walrus":
            v = self.eval(e.value, st)
            self.bind(e.target, v, st, e.value)
            return v
        if kind == "yield":
            if e.value is not None and type(e.value) is not cst.From:
                self.eval(e.value, st)
            return EMPTY
        if kind == "starred":
            return self.eval(e.value, st)
        return EMPTY

    def _eval_slice(self, sl: Any, st: State) -> None:
        if isinstance(sl, cst.Index):
            self.eval(sl.value, st)
        elif isinstance(sl, cst.Slice):
            for part in (sl.lower, sl.upper, sl.step):
                if part is not None:
                    self.eval(part, st)

    def _eval_comp(self, e: Any, st: State) -> TaintVal:
        s = st.copy()
        comp = e.for_in
        while comp is not None:
            it = self.eval(comp.iter, s)
            self.bind(comp.target, it, s, None)
            for cond in comp.ifs:
                self.eval(cond.test, s)
                self.apply_facts(s, self.facts(cond.test, True, s))
            comp = comp.inner_for_in
        if isinstance(e, cst.DictComp):
            return join(self.eval(e.key, s), self.eval(e.value, s))
        return self.eval(e.elt, s)

    def _formatted(self, v: TaintVal, node: Any) -> TaintVal:
        return _map(v, lambda x: x if x.formatted is not None or x.encoded
                    else x.replace(formatted=node))

    def _amplifier(self, other: Any, depth: int = 0) -> Any:
        """The balance/leverage/equity value ``other`` is or is computed from (APS405):
        a size-factor method call (``fetch_balance()``) or a name like ``balance``,
        followed through the names' assignments."""
        node = other.expression if isinstance(other, cst.Await) else other
        for sub in self._leaves(node):
            if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute) and \
                    sub.func.attr.value in self.model.size_methods:
                return sub
            path = path_of(sub, self._resolve)
            if path is None:
                continue
            if any(_glob_any(seg.strip(".[]'\""), self.model.size_names) for seg in path):
                return sub
            if depth < 3 and isinstance(sub, (cst.Name, cst.Attribute)):
                key = _dotted(sub)
                sources = self.ctx.values.assignments(key, self.fr.fi.node) if key else []
                for src in sources[:4]:
                    if self._amplifier(src, depth + 1) is not None:
                        return sub
        return None

    def _leaves(self, node: Any) -> Iterator[Any]:
        stack = [node]
        while stack:
            n = stack.pop()
            yield n
            if isinstance(n, cst.BinaryOperation):
                stack.extend((n.left, n.right))
            elif isinstance(n, (cst.Subscript, cst.Attribute)):
                stack.append(n.value)
            elif isinstance(n, cst.Call):
                stack.append(n.func)
                stack.extend(a.value for a in n.args)

    def _resolve(self, node: Any) -> Any:
        try:
            return self.ctx.values.resolve(node, self.fr.fi.node)
        except RecursionError:  # pragma: no cover - pathological files
            return None

    # ------------------------------------------------------------------ reading paths
    def read(self, e: Any, path: tuple[str, ...], st: State) -> TaintVal:
        exact = st.vars.get(path)
        if exact is not None:
            return join(exact, st.subkeys(path))
        src = self._dotted_source(e, path)
        if src:
            return src
        derived = st.local(path)
        sub = st.subkeys(path)
        if derived is not None:
            return join(derived, sub)
        fi = self.fr.fi
        root = path[0]
        if root == "self" and fi.cls is not None and fi.bound:
            v = self._class_attr(fi.cls, path)
            self._observed[("c", fi.cls, path)] = frozenset(v) if v else frozenset()
            return join(v, sub) if v is not None else sub
        if root in fi.locals:
            return sub
        src = self._object_source(e, path)
        if src:
            return src
        outer = fi.parent
        while outer is not None:
            if root in outer.locals:
                summary = self.summaries.get(id(outer.node))
                if summary is not None and summary.end is not None:
                    v = summary.end.local(path)
                    if v is not None:
                        return v
                return sub
            outer = outer.parent
        if not fi.is_module:
            v = self._global(path)
            self._observed[("g", None, path)] = frozenset(v)
            return join(sub, v)
        return sub

    def _class_attr(self, cls: ClassInfo, path: tuple[str, ...]) -> TaintVal | None:
        """``self.<path>`` as assigned in any method of the class (or its bases)."""
        for c in self._mro(cls):
            table = self.class_attrs.get(id(c))
            if table:
                v = table.get(path)
                if v is None:
                    for i in range(len(path) - 1, 1, -1):
                        v = table.get(path[:i])
                        if v is not None:
                            break
                if v is not None:
                    return v
        return None

    def _global(self, path: tuple[str, ...]) -> TaintVal:
        """A module-level name as the module code left it (previous round)."""
        v = self.globals.local(path)
        if v is not None:
            return join(v, self.globals.subkeys(path))
        if path[0] in self.module_fi.locals:
            return self.globals.subkeys(path)
        return EMPTY

    def _source(self, entry: dict[str, Any], e: Any, label: str) -> TaintVal:
        src = Source(entry["kind"], label, e, entry.get("framework", ""))
        first = (e, f"untrusted {KIND_TEXT[src.kind]}: `{label}`")
        return {_okey(src): Entry(src, (first,))}

    def _code(self, node: Any) -> str:
        try:
            text = self.module.code_for_node(node)
        except Exception:  # pragma: no cover - defensive
            return "?"
        text = " ".join(text.split())
        return text if len(text) <= 60 else text[:57] + "..."

    def _dotted_source(self, e: Any, path: tuple[str, ...]) -> TaintVal:
        if self._dotted_entries is None:
            self._dotted_entries = [s for s in self.model.sources
                                    if s.get("dotted") and self._gated(s)]
        if not self._dotted_entries or len(path) < 2:
            return EMPTY
        dotted = [path[0]]
        for seg in path[1:]:
            if not seg.startswith("."):
                break
            dotted.append(seg[1:])
        for entry in self._dotted_entries:
            pats = entry["dotted"]
            for i in range(len(dotted), 1, -1):
                if ".".join(dotted[:i]) in pats:
                    return self._source(entry, e, self._code(e))
        return EMPTY

    def _object_source(self, e: Any, path: tuple[str, ...]) -> TaintVal:
        root = path[0]
        qualified = self.imports.aliases.get(root)
        if qualified is None:
            return EMPTY
        names = [qualified]
        for seg in path[1:]:
            if not seg.startswith("."):
                break
            names.append(f"{names[-1]}.{seg[1:]}")
        for entry in self.model.sources:
            objects = entry.get("objects")
            if not objects:
                continue
            for name in names:
                if matches_any(name, objects):
                    return self._source(entry, e, self._code(e))
        return EMPTY

    # ------------------------------------------------------------------ calls
    def callee(self, call: Any) -> str | None:
        key = id(call)
        if key in self._callee_cache:
            return self._callee_cache[key]
        try:
            q = self.ctx.callees.callee(call, self.fr.fi.node)
        except RecursionError:  # pragma: no cover - pathological files
            q = None
        self._callee_cache[key] = q
        return q

    def _call_names(self, call: Any) -> list[str]:
        names = []
        q = self.callee(call)
        if q:
            names.append(q)
        d = _dotted(call.func)
        if d and d not in names:
            names.append(d)
        return names

    def _role(self, call: Any) -> str | None:
        q = self.callee(call)
        bare = call.func.value if isinstance(call.func, cst.Name) else None
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        role = self.model.role_of(q, bare, method)
        if role is None and method is not None and bare is None:
            d = _dotted(call.func)
            if d and d != q:
                role = self.model.role_of(d, None, None)
        return role

    def _is_bound_call(self, call: Any) -> bool:
        return isinstance(call.func, cst.Attribute)

    def _local_target(self, call: Any, fi: FuncInfo) -> tuple[Any, bool]:
        """(FuncInfo or ClassInfo of this file that ``call`` calls, bound call?)."""
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            f = self._function_named(name, fi)
            if f is not None:
                return f, False
            cls = self._class_by_name.get(name)
            if cls is not None and name not in self.imports.aliases:
                return cls, False
            return None, False
        if isinstance(func, cst.Attribute):
            recv = func.value
            mname = func.attr.value
            if isinstance(recv, cst.Name) and recv.value in ("self", "cls"):
                owner: FuncInfo | None = fi
                while owner is not None and owner.cls is None:
                    owner = owner.parent
                if owner is not None and owner.cls is not None:
                    m = self._method(owner.cls, mname)
                    if m is not None:
                        return m, True
                return None, False
            if isinstance(recv, cst.Name) and recv.value in self._class_by_name \
                    and recv.value not in fi.locals:
                m = self._method(self._class_by_name[recv.value], mname)
                if m is not None:
                    return m, m.classmethod
            cls = self._instance_class(recv, fi)
            if cls is not None:
                m = self._method(cls, mname)
                if m is not None:
                    return m, True
        return None, False

    def _instance_class(self, expr: Any, fi: FuncInfo) -> ClassInfo | None:
        if type(expr) is cst.Call and type(expr.func) is cst.Name:  # Bot(cfg).run(...)
            return self._class_by_name.get(expr.func.value)
        key = _dotted(expr)
        if key is None:
            return None
        for src in self.ctx.values.assignments(key, fi.node) or (
                self.ctx.values.all_assignments(key) if "." in key else []):
            if isinstance(src, cst.Call) and isinstance(src.func, cst.Name):
                cls = self._class_by_name.get(src.func.value)
                if cls is not None:
                    return cls
        return None

    def eval_call(self, call: Any, st: State) -> TaintVal:
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        recv: TaintVal = EMPTY
        fi = self.fr.fi
        qualified = self.callee(call)
        if method in ("get", "pop") and 0 < len(call.args) <= 2 \
                and all(a.keyword is None and not a.star for a in call.args):
            src = self._call_source(call, qualified, method)
            if src:
                for arg in call.args:
                    self.eval(arg.value, st)
                return src
            self.eval(call.args[0].value, st)
            default = self.eval(call.args[1].value, st) if len(call.args) > 1 else EMPTY
            path = path_of(call, self._resolve) if method == "get" else None
            if path is not None:
                if path in st.asserts:
                    self.asserted[id(call)] = st.asserts[path]
                return join(self.read(call, path, st), default)
            # a lookup in a trusted table is trusted, whatever the key
            return join(self.eval(func.value, st), default)
        if isinstance(func, cst.Attribute):
            recv = self.eval(func.value, st)
            if recv and not isinstance(func.value, cst.Call) and any(
                    isinstance(e.origin, Source) and e.origin.node is func.value
                    and len(e.steps) == 1 for e in recv.values()):
                # `request.get_json()` reads better than `request` as the source
                recv = {k: (self._relabel(e, call) if isinstance(e.origin, Source)
                            and e.origin.node is func.value else e) for k, e in recv.items()}
        else:
            self.eval(func, st)
        args: list[tuple[Any, TaintVal]] = []
        for arg in call.args:
            v = self.eval(arg.value, st)
            args.append((arg, v))
            if arg.star == "**":
                self._record_kwargs(arg.value, st, v)
        src = self._call_source(call, qualified, method)
        if src:
            return src
        all_args = join(*(v for _, v in args))
        target, bound = self._local_target(call, fi)
        if target is None and not all_args and not recv:
            return EMPTY  # nothing untrusted goes in, nothing comes out
        role = self._role(call)
        if role == "validator":
            return EMPTY
        if target is not None:
            return self._apply_local(call, target, bound, args)
        if role in ("clean", "terminator", "schema"):
            return EMPTY
        if role == "clamp":
            return self._clamp(call, qualified, args, all_args)
        if role == "encoder":
            return _map(join(recv, all_args), lambda x: x.replace(encoded=True))
        if method is not None and self.ctx.clients.method_call(call, fi.node) is not None:
            if method in self.model.propagator_methods:
                return all_args
            return EMPTY
        if method in ("format", "join") and all_args:
            return self._formatted(join(recv, all_args), call)
        if method in _MUTATORS and all_args:
            path = path_of(func.value, self._resolve)
            if path is not None:
                st.vars[path] = join(self._read_local(path, st) if path in st.vars or
                                     st.local(path) is not None else recv, all_args)
            return EMPTY
        return join(recv, all_args)

    def _clamp(self, call: Any, qualified: str | None, args: list[tuple[Any, TaintVal]],
               all_args: TaintVal) -> TaintVal:
        """min(qty, MAX) is bounded when any argument is trusted; a clamp with a
        ``bound`` (numpy.clip) when that argument is."""
        entry = next((e for e in self.model.by_role.get("clamp", ())
                      if qualified and matches_any(qualified, e.get("calls", ()))), None)
        bound = entry.get("bound") if entry else None
        if bound:
            arg = find_arg(call, bound.get("name"), bound.get("position"))
            trusted = arg is not None and not self.memo.get(id(arg.value))
            return EMPTY if trusted else all_args
        plain = [v for a, v in args if not a.star]
        if len(plain) >= 2 and any(not v for v in plain):
            return EMPTY
        return all_args

    def _relabel(self, e: Entry, node: Any) -> Entry:
        o = e.origin
        assert isinstance(o, Source)
        src = Source(o.kind, self._code(node), node, o.framework, o.handler)
        return Entry(src, ((node, f"untrusted {KIND_TEXT[src.kind]}: `{src.label}`"),),
                     e.formatted, e.amplified, e.encoded)

    def _record_kwargs(self, expr: Any, st: State, whole: TaintVal) -> None:
        table: dict[str, TaintVal] = {}
        if isinstance(expr, cst.Dict):
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    key = literal(el.key)
                    if isinstance(key, str):
                        table[key] = self.memo.get(id(el.value), EMPTY)
            table[""] = EMPTY
        else:
            path = path_of(expr, self._resolve)
            if path is None:
                return
            n = len(path)
            for k, v in st.vars.items():
                if len(k) == n + 1 and k[:n] == path and k[-1].startswith("["):
                    key = k[-1][2:-2]
                    table[key] = join(v, st.subkeys(k))
            own = st.local(path)
            table[""] = own if own is not None else whole
        self.kwmemo[id(expr)] = table

    def _call_source(self, call: Any, qualified: str | None, method: str | None) -> TaintVal:
        for entry in self.model.source_calls(qualified, method):
            hit = bool(qualified and entry.get("calls") and matches_any(qualified, entry["calls"]))
            if not hit and not self._gated(entry):
                continue
            hosts = entry.get("exclude_hosts")
            if hosts and call.args:
                text = self.static_text(call.args[0].value)
                if any(h in text for h in hosts):
                    continue
            return self._source(entry, call, self._code(call))
        return EMPTY

    def static_text(self, node: Any, depth: int = 0, scope: Any = None) -> str:
        """See :func:`static_text`; ``scope`` defaults to the function being analysed."""
        return static_text(self.ctx, node, scope if scope is not None else self.fr.fi.node,
                           depth)

    def _apply_local(self, call: Any, target: Any, bound: bool,
                     args: list[tuple[Any, TaintVal]]) -> TaintVal:
        if isinstance(target, ClassInfo):
            init = self._method(target, "__init__")
            if init is not None:
                binding = self._bind_args(init, args, skip_first=init.bound)
                self.callsites.setdefault(id(init.node), []).append((call, binding))
                self.analyze(init)
            return join(*(v for _, v in args))
        fi: FuncInfo = target
        binding = self._bind_args(fi, args, skip_first=fi.bound and bound)
        self.callsites.setdefault(id(fi.node), []).append((call, binding))
        summary = self.analyze(fi)
        if summary.items:
            self._tuple_results[id(call)] = [self._substitute(v, fi, binding, call)
                                             for v in summary.items]
        return self._substitute(summary.ret, fi, binding, call)

    def _bind_args(self, fi: FuncInfo, args: list[tuple[Any, TaintVal]],
                   skip_first: bool) -> dict[str, TaintVal]:
        params = fi.params[1:] if skip_first else fi.params
        positional = [p for p in params if p.kind == "pos"]
        names = {p.name for p in params if p.kind in ("pos", "kw")}
        star = next((p.name for p in params if p.kind == "star"), None)
        dstar = next((p.name for p in params if p.kind == "dstar"), None)
        out: dict[str, TaintVal] = {}

        def add(name: str | None, v: TaintVal) -> None:
            if name is not None and v:
                out[name] = join(out.get(name, EMPTY), v)

        i = 0
        for arg, v in args:
            if arg.star == "*":
                for p in positional[i:]:
                    add(p.name, v)
                add(star, v)
                i = len(positional)
            elif arg.star == "**":
                table = self.kwmemo.get(id(arg.value), {})
                for p in params:
                    if p.kind in ("pos", "kw") and p.name not in out:
                        add(p.name, table.get(p.name, table.get("", v)) if table else v)
                add(dstar, v)
            elif arg.keyword is not None:
                kw = arg.keyword.value
                add(kw if kw in names else dstar, v)
            elif i < len(positional):
                add(positional[i].name, v)
                i += 1
            else:
                add(star, v)
        return out

    def _substitute(self, ret: TaintVal, fi: FuncInfo, binding: dict[str, TaintVal],
                    call: Any) -> TaintVal:
        if not ret:
            return EMPTY
        out: TaintVal = {}
        for k, e in ret.items():
            origin = e.origin
            if isinstance(origin, Param) and origin.func is fi:
                for k2, e2 in binding.get(origin.name, EMPTY).items():
                    if k2 in out:
                        continue
                    steps = (*e2.steps, (call, f"passed to {fi.name}() as `{origin.name}`"),
                             *e.steps)[:_MAX_STEPS]
                    out[k2] = Entry(e2.origin, steps, e2.formatted or e.formatted,
                                    e2.amplified or e.amplified, e2.encoded or e.encoded)
            elif k not in out:
                out[k] = e
        return out

    # ------------------------------------------------------------------ resolution
    def concrete(self, value: TaintVal) -> list[Entry]:
        """The entries of ``value`` whose origin is a real source, following
        parameters back to every call site in the file."""
        out: dict[Any, Entry] = {}
        for k, e in value.items():
            if isinstance(e.origin, Source):
                out.setdefault(k, e)
                continue
            for ce in self._param_sources(e.origin):
                key = _okey(ce.origin)
                if key in out:
                    continue
                out[key] = Entry(ce.origin, (*ce.steps, *e.steps)[:_MAX_STEPS + 4],
                                 ce.formatted or e.formatted, ce.amplified or e.amplified,
                                 ce.encoded or e.encoded)
        return list(out.values())

    def _param_sources(self, par: Param) -> list[Entry]:
        key = (id(par.func.node), par.name)
        if key in self._concrete:
            return self._concrete[key]
        self._concrete[key] = []
        found: dict[Any, Entry] = {}
        for call, binding in self.callsites.get(id(par.func.node), ()):
            v = binding.get(par.name)
            if not v:
                continue
            for ce in self.concrete(v):
                k = _okey(ce.origin)
                if k not in found:
                    found[k] = ce.step(call, f"passed to {par.func.name}() as `{par.name}`")
        result = list(found.values())
        self._concrete[key] = result
        return result

    def _materialize(self, e: Entry) -> Taint:
        src = e.origin
        assert isinstance(src, Source)
        steps: list[FlowStep] = []
        for node, message in e.steps:
            span = self.ctx.position(node)
            if span is None:
                continue
            if steps and steps[-1].line == span.line:
                # one location per line: merge what happened there
                if message not in steps[-1].message:
                    steps[-1] = FlowStep(span.line, steps[-1].column,
                                         f"{steps[-1].message}; {message}")
                continue
            steps.append(FlowStep(span.line, span.column, message))
        span = self.ctx.position(src.node)
        line, col = (span.line, span.column) if span else (0, 0)
        return Taint(src.kind, src.framework, src.label, line, col, tuple(steps), src.node,
                     e.formatted, e.amplified, src.handler)


def static_text(ctx: Any, node: Any, scope: Any, depth: int = 0,
                names: dict[str, str] | None = None) -> str:
    """The constant text of a string expression, with ``{}`` for unknown parts:
    f-strings, concatenation, ``%`` and ``.format`` templates, names of constants.
    ``names`` gives the text of some names (a helper's parameters at one call site)."""
    if depth > 12 or node is None:
        return ""
    if names and type(node) is cst.Name and node.value in names:
        return names[node.value]
    value = literal(node)
    if isinstance(value, str):
        return value
    if isinstance(node, cst.FormattedString):
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            else:
                out.append(static_text(ctx, part.expression, scope, depth + 1, names) or "{}")
        return "".join(out)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Add):
            return (static_text(ctx, node.left, scope, depth + 1, names)
                    + static_text(ctx, node.right, scope, depth + 1, names))
        if isinstance(node.operator, cst.Modulo):
            return static_text(ctx, node.left, scope, depth + 1, names)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value == "format":
            return static_text(ctx, node.func.value, scope, depth + 1, names)
        if node.func.attr.value in ("urljoin",) or _dotted(node.func) in ("urljoin",):
            return "".join(static_text(ctx, a.value, scope, depth + 1, names) for a in node.args)
    if isinstance(node, cst.Call) and _dotted(node.func) in ("urljoin", "urllib.parse.urljoin",
                                                             "parse.urljoin"):
        return "".join(static_text(ctx, a.value, scope, depth + 1, names) for a in node.args)
    if isinstance(node, (cst.Name, cst.Attribute)):
        for cand in ctx.values.candidates(node, scope):
            if isinstance(cand, Const) and isinstance(cand.value, str):
                return cand.value
        key = _dotted(node)
        if key:
            for src in ctx.values.assignments(key, scope) or \
                    ctx.values.all_assignments(key):
                text = static_text(ctx, src, scope, depth + 1)
                if text:
                    return text
    return ""


def taint_analysis(ctx: Any) -> TaintAnalysis:
    """The file's shared taint analysis (computed on the first query)."""
    return ctx.analysis("taint", TaintAnalysis)

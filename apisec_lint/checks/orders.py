"""APS4xx: order safety — untrusted input reaching order, leverage and funds parameters.

The sinks (SDK methods with the position, name and meaning of each parameter, REST
order endpoints, HTTP senders) come from the packs' ``[[order_sinks]]``,
``[[order_endpoints]]`` and ``[[http_senders]]``; whether a value is untrusted comes
from the shared taint analysis (:mod:`apisec_lint.analysis.taint`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.taint import EMPTY, Taint, TaintAnalysis, static_text, taint_analysis
from apisec_lint.analysis.values import Const, literal
from apisec_lint.fix import UNSAFE, AddImport, FixSpec, Replace
from apisec_lint.packs import Knowledge, compile_pattern, matches_any
from apisec_lint.rule import Example, Rule
from apisec_lint.types import FlowStep, Severity
from apisec_lint.walk import iter_tree

_SAFE_VERBS = frozenset({"GET", "HEAD", "OPTIONS"})
#: URL path segments too common in ordinary code to serve as prefilter tokens.
_COMMON_SEGMENTS = frozenset({
    "api", "v1", "v2", "v3", "v4", "v5", "order", "orders", "create", "private", "public",
    "position", "positions", "trade", "account", "accounts", "new", "auth", "spot",
    "futures", "apply", "multi", "mix", "um", "cm", "w", "0", "oco", "oto", "sor", "dual",
    "hf", "linear", "submit", "asset", "capital", "margin", "transfer", "user", "wallet"})


# --------------------------------------------------------------------------- the sink index

class SinkIndex:
    """The packs' sinks, indexed by method name; one per Knowledge."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.by_method: dict[str, list[dict[str, Any]]] = {}
        self.patterns: list[tuple[str, re.Pattern[str], dict[str, Any]]] = []
        for entry in knowledge.section("order_sinks"):
            for m in entry.get("methods", ()):
                self.by_method.setdefault(m, []).append(entry)
            for p in entry.get("method_patterns", ()):
                self.patterns.append((p, compile_pattern(p), entry))
        self.endpoints: list[tuple[str, str]] = [
            (path, e["kind"]) for e in knowledge.section("order_endpoints") for path in e["paths"]]
        self.senders = knowledge.section("http_senders")
        self.sender_methods = frozenset(m for s in self.senders for m in s.get("methods", ()))
        self.sender_names = frozenset(c.rsplit(".", 1)[-1] for s in self.senders
                                      for c in s.get("calls", ())) | self.sender_methods
        self.deserializers = knowledge.section("unsafe_deserializers")
        self.pack_modules: dict[str, tuple[str, ...]] = {
            p.name: tuple(p.data.get("pack", {}).get("modules", ())) for p in knowledge.packs}
        self.sdk_modules = tuple(sorted({m for e in knowledge.section("order_sinks")
                                         for m in self.pack_modules.get(e["_pack"], ())}))
        self.client_modules = tuple(sorted({m for e in knowledge.section("clients")
                                            for m in self.pack_modules.get(e["_pack"], ())}))
        self.leverage_methods = frozenset(
            m for e in knowledge.section("order_sinks")
            if any(p["role"] == "leverage" for p in e["params"]) for m in e.get("methods", ()))

    def candidates(self, method: str, roots: frozenset[str] | None = None) -> list[dict[str, Any]]:
        """Sink entries for a method name; pattern entries only when the file imports
        their SDK (``roots``: the file's imported top-level modules)."""
        found = list(self.by_method.get(method, ()))
        for _, rx, entry in self.patterns:
            if rx.match(method) and entry not in found and (
                    roots is None or self.imports_pack(roots, entry)):
                found.append(entry)
        return found

    def imports_pack(self, roots: frozenset[str], entry: dict[str, Any]) -> bool:
        modules = self.pack_modules.get(entry["_pack"], ())
        return bool(modules) and any(r.startswith(modules) for r in roots if r)

    def maybe_sink(self, call: Any) -> bool:
        """Cheap pre-check: could this call be a sink (an SDK method or an HTTP sender)?"""
        name = _call_name(call)
        if name is None:
            return False
        return name in self.sender_names or self.maybe_sdk_sink(call)

    def maybe_sdk_sink(self, call: Any) -> bool:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return False
        name = func.attr.value
        return name in self.by_method or any(rx.match(name) for _, rx, _ in self.patterns)

    def names_endpoint(self, ctx: Any, call: Any, scope: Any) -> bool:
        """Walk-time check for raw REST: the URL of an HTTP sender call, or a literal
        argument of any call, names an order/leverage/funds endpoint."""
        if _call_name(call) in self.sender_names:
            for sender in self.senders:
                spec = sender["url"]
                arg = find_arg(call, spec.get("name"), spec.get("position"))
                if arg is not None and self.endpoint_kind(static_text(ctx, arg.value, scope)):
                    return True
        for arg in call.args:
            value = arg.value
            if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)) \
                    and self.endpoint_kind(static_text(ctx, value, scope)):
                return True
        return False

    def endpoint_kind(self, url: str) -> tuple[str, str] | None:
        for path, kind in self.endpoints:
            start = url.find(path)
            while start >= 0:
                end = start + len(path)
                if end == len(url) or not (url[end].isalnum() or url[end] in "_-"):
                    return path, kind
                start = url.find(path, start + 1)
        return None

    # -- prefilter tokens: a file that can hold a sink contains one of them ----------
    def method_tokens(self) -> set[str]:
        """Sink method names; for ``method_patterns`` (which only apply to files that
        import the SDK) the SDK's module names."""
        tokens = {m.lower() for m in self.by_method}
        for _, _, entry in self.patterns:
            tokens.update(m.lower() for m in self.pack_modules.get(entry["_pack"], ()))
        return tokens

    def endpoint_tokens(self) -> set[str]:
        """Per endpoint path, its most distinctive segment (``fapi``, ``set-leverage``),
        or ``/<last segment>`` when every segment is a common word. Assumes a URL is
        split into string pieces only before a ``/`` (``BASE + "/order"``)."""
        out = set()
        for path, _ in self.endpoints:
            segments = [s.lower() for s in path.split("/") if s]
            rare = [s for s in segments if s not in _COMMON_SEGMENTS and len(s) >= 4]
            if rare:
                out.add(max(rare, key=len))
            elif segments:
                out.add("/" + segments[-1])
        return out


def sink_index(knowledge: Knowledge) -> SinkIndex:
    return knowledge.derived("order-sinks", SinkIndex)


# --------------------------------------------------------------------------- sink hits

@dataclass
class ParamHit:
    """A sink parameter and the untrusted sources that reach it."""

    name: str
    role: str
    node: Any  # the argument expression (or the call for ``**kwargs``)
    taints: list[Taint]
    asserted: Any = None  # an assert statement that "checked" it


@dataclass
class SinkCall:
    call: Any
    method: str
    kind: str
    raw_http: bool
    params: list[ParamHit] = field(default_factory=list)
    endpoint: str = ""


class OrderFacts:
    """Every sink call of the file with the untrusted parameters reaching it."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.index = sink_index(ctx.knowledge)
        self.taint: TaintAnalysis = taint_analysis(ctx)

    @cached_property
    def sinks(self) -> list[SinkCall]:
        self.taint.run()
        out = []
        for call, fi in self.taint.calls:
            if not self.index.maybe_sink(call):
                continue
            sink = self._sdk_sink(call, fi) or self._http_sink(call, fi)
            if sink is not None:
                out.append(sink)
        return out

    # -- SDK methods -----------------------------------------------------------------
    def _sdk_sink(self, call: Any, fi: Any) -> SinkCall | None:
        entries = resolve_sdk_sink(self.ctx, self.index, call, fi.node,
                                   is_local=lambda c: self.taint.local_target(c, fi) is not None)
        if not entries:
            return None
        method = call.func.attr.value
        sink = SinkCall(call, method, entries[0]["kind"], raw_http=False)
        seen: set[int] = set()
        for entry in entries:
            for spec in entry["params"]:
                self._param(sink, call, spec, seen)
            self._star_args(sink, call, entry, seen)
        return sink

    def _param(self, sink: SinkCall, call: Any, spec: dict[str, Any], seen: set[Any],
               through: Any = None, site: Any = None) -> None:
        """Add the untrusted parts of one sink parameter. ``through`` maps a value to
        one call site of the helper the sink is in (``site``)."""

        def value(node: Any) -> Any:
            v = self.taint.value(node)
            return through(v) if through is not None and v else v

        def add(label: str, node: Any, v: Any, key: Any = None) -> None:
            mark = (key if key is not None else id(node), id(site))
            self._add(sink, label, spec["role"], node, v, seen, key=mark)

        arg = find_arg(call, spec.get("name"), spec.get("position"))
        name = spec.get("name") or f"argument {spec.get('position', 0) + 1}"
        if arg is None:
            for a in call.args:
                if a.star == "**" and spec.get("name"):
                    v = self.taint.keyword_value(a.value, spec["name"])
                    if v and through is not None:
                        v = through(v)
                    if v:
                        add(f"{spec['name']} (from **{_short(self.ctx, a.value)})", a.value, v,
                            key=(id(a.value), spec["name"]))
            return
        if isinstance(arg.value, cst.Dict) and spec["role"] in ("params", "body", "orders"):
            for el in arg.value.elements:
                if isinstance(el, cst.DictElement):
                    key = literal(el.key)
                    label = f"{name}[{key!r}]" if isinstance(key, str) else name
                    add(label, el.value, value(el.value))
                    if not isinstance(key, str):
                        add(name, el.key, value(el.key))
                else:
                    add(name, el.value, value(el.value))
            return
        add(name, arg.value, value(arg.value))

    def _star_args(self, sink: SinkCall, call: Any, entry: dict[str, Any], seen: set[int]) -> None:
        named = {p.get("name") for p in entry["params"]}
        for a in call.args:
            if a.star == "*":
                self._add(sink, f"*{_short(self.ctx, a.value)}", "params", a.value,
                          self.taint.value(a.value), seen)
            elif a.star == "**":
                table = self.taint.kwmemo.get(id(a.value))
                if table is None:
                    self._add(sink, f"**{_short(self.ctx, a.value)}", "params", a.value,
                              self.taint.value(a.value), seen)
                else:
                    rest = table.get("", EMPTY)
                    for key, value in table.items():
                        if key and key not in named:
                            rest = {**rest, **value} if value else rest
                    self._add(sink, f"**{_short(self.ctx, a.value)}", "params", a.value, rest,
                              seen, key=(id(a.value), ""))

    def _add(self, sink: SinkCall, name: str, role: str, node: Any, value: Any, seen: set[Any],
             key: Any = None) -> None:
        mark = key if key is not None else id(node)
        if not value or mark in seen:
            return
        seen.add(mark)
        taints = self.taint.taints_of(node, value)
        if taints:
            sink.params.append(ParamHit(name, role, node, taints, self.taint.assert_of(node)))

    # -- raw HTTP --------------------------------------------------------------------
    def _http_sink(self, call: Any, fi: Any) -> SinkCall | None:
        found = resolve_http_sink(self.ctx, self.index, call, fi.node)
        if found is None:
            return self._wrapped_http_sink(call, fi)
        sender, endpoint, kind = found
        sink = SinkCall(call, _short(self.ctx, call.func), kind, raw_http=True, endpoint=endpoint)
        seen: set[Any] = set()
        for spec in sender["params"]:
            self._param(sink, call, spec, seen)
        return sink

    def _wrapped_http_sink(self, call: Any, fi: Any) -> SinkCall | None:
        """A helper that sends to a URL built from its parameters
        (``def _request(method, path, params): requests.request(method, BASE + path, ...)``):
        a sink for the call sites that pass an order endpoint path."""
        if fi.is_module:
            return None
        params = {p.name for p in fi.params}
        sink: SinkCall | None = None
        for sender in http_senders(self.ctx, self.index, call, fi.node):
            used = set()
            for key in ("url", "verb"):
                spec = sender.get(key)
                arg = find_arg(call, spec.get("name"), spec.get("position")) if spec else None
                if arg is not None:
                    used.update(n.value for n in iter_tree(arg.value)
                                if isinstance(n, cst.Name) and n.value in params)
            if not used:
                continue
            seen: set[Any] = set()
            for site, binding in self.taint.call_sites(fi):
                caller = self._caller.get(id(site))
                if caller is None:
                    continue
                args = self.taint.arguments(site, caller)
                names = {p: static_text(self.ctx, args[p], caller.node) for p in used if p in args}
                found = sender_endpoint(self.ctx, self.index, sender, call, fi.node, names)
                if found is None:
                    continue
                if sink is None:
                    sink = SinkCall(call, _short(self.ctx, call.func), found[1], raw_http=True,
                                    endpoint=found[0])
                for spec in sender["params"]:
                    self._param(sink, call, spec, seen, lambda v, s=site, b=binding:
                                self.taint.through(v, fi, b, s), site=site)
            if sink is not None:
                return sink
        return None

    @cached_property
    def _caller(self) -> dict[int, Any]:
        return {id(call): fi for call, fi in self.taint.calls}

    # -- unsafe deserialization --------------------------------------------------------
    @cached_property
    def deserializations(self) -> list[tuple[Any, str, list[Taint]]]:
        self.taint.run()
        out = []
        for call, fi in self.taint.calls:
            q = self.ctx.callees.callee(call, fi.node)
            if not q:
                continue
            for entry in self.index.deserializers:
                if not matches_any(q, entry["calls"]):
                    continue
                if self._safe_loader(call, entry):
                    break
                spec = entry.get("data", {"position": 0})
                arg = find_arg(call, spec.get("name"), spec.get("position"))
                if arg is None:
                    break
                taints = [t for t in self.taint.taints_of(arg.value) if t.kind != "cli"]
                if taints:
                    out.append((call, q.rsplit(".", 1)[-1] if q.startswith("builtins.") else q,
                                taints))
                break
        return out

    def _safe_loader(self, call: Any, entry: dict[str, Any]) -> bool:
        spec = entry.get("loader")
        if not spec:
            return False
        arg = find_arg(call, spec.get("name"), spec.get("position"))
        if arg is None:
            return False
        names = [n for n in (self.ctx.imports.qualified_name(arg.value), _dotted(arg.value)) if n]
        return any(matches_any(n, entry.get("safe_loaders", ())) for n in names)

    @cached_property
    def holds_client(self) -> bool:
        roots = self.ctx.imports.imported_roots
        return any(r.startswith(self.index.client_modules) for r in roots if r)


def resolve_sdk_sink(ctx: Any, index: SinkIndex, call: Any, scope: Any,
                     is_local: Any) -> list[dict[str, Any]]:
    """The ``[[order_sinks]]`` entries ``call`` is an instance of (empty if none)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return []
    roots = ctx.imports.imported_roots
    entries = index.candidates(func.attr.value, roots)
    if not entries:
        return []
    found = ctx.clients.method_call(call, scope)
    if found is not None:
        return [e for e in entries if e["sdk"] == found[0].sdk]
    if is_local(call):
        return []
    qualified = ctx.callees.callee(call, scope)
    if qualified and not qualified.startswith(index.sdk_modules):
        return []  # a known object of another library
    imported = [e for e in entries if index.imports_pack(roots, e)]
    return imported or entries


def http_senders(ctx: Any, index: SinkIndex, call: Any, scope: Any) -> list[dict[str, Any]]:
    """The ``[[http_senders]]`` entries ``call`` is an instance of."""
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else None
    qualified = ctx.callees.callee(call, scope)
    roots = ctx.imports.imported_roots
    out = []
    for sender in index.senders:
        hit = bool(qualified and sender.get("calls") and matches_any(qualified, sender["calls"]))
        if not hit and method in sender.get("methods", ()) and (
                qualified is None or not any(qualified.startswith(r + ".") for r in roots
                                             if r not in sender.get("imports", ()))):
            hit = any(r in sender.get("imports", ()) for r in roots)
        if hit:
            out.append(sender)
    return out


def sender_endpoint(ctx: Any, index: SinkIndex, sender: dict[str, Any], call: Any, scope: Any,
                    names: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(endpoint path, kind) when this sender call targets an order/leverage/funds
    endpoint with a verb that changes something; ``names`` as for static_text."""
    spec = sender["url"]
    arg = find_arg(call, spec.get("name"), spec.get("position"))
    if arg is None:
        return None
    found = index.endpoint_kind(static_text(ctx, arg.value, scope, names=names))
    if found is None:
        return None
    verb = sender.get("verb")
    if verb:
        varg = find_arg(call, verb.get("name"), verb.get("position"))
        text = static_text(ctx, varg.value, scope, names=names).upper() if varg else ""
        if text in _SAFE_VERBS:
            return None
    return found


def resolve_http_sink(ctx: Any, index: SinkIndex, call: Any,
                      scope: Any) -> tuple[dict[str, Any], str, str] | None:
    """(sender entry, endpoint path, kind) when ``call`` sends an HTTP request to an
    order/leverage/funds endpoint."""
    for sender in http_senders(ctx, index, call, scope):
        found = sender_endpoint(ctx, index, sender, call, scope)
        if found is not None:
            return sender, found[0], found[1]
    return None


def _call_name(call: Any) -> str | None:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


_dotted = dotted_name  # one implementation: analysis.imports


def _short(ctx: Any, node: Any) -> str:
    text = " ".join(ctx.module.code_for_node(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


def order_facts(ctx: Any) -> OrderFacts:
    return ctx.analysis("order-facts", OrderFacts)


def _names(params: list[ParamHit]) -> str:
    return ", ".join(f"`{n}`" for n in dict.fromkeys(p.name for p in params))


def _source_text(t: Taint) -> str:
    return f"the {t.description} ({t.where})"


def _assert_note(ctx: Any, params: list[ParamHit]) -> str:
    for p in params:
        if p.asserted is not None:
            span = ctx.position(p.asserted)
            where = f" on line {span.line}" if span else ""
            return (f"; the assert{where} does not count: `python -O` strips asserts, "
                    "reject with `if ...: raise`")
    return ""


def _flow(ctx: Any, taint: Taint, node: Any, message: str) -> tuple[FlowStep, ...]:
    span = ctx.position(node)
    steps = list(taint.flow)
    if span is not None:
        steps.append(FlowStep(span.line, span.column, message))
    return tuple(steps)


# --------------------------------------------------------------------------- rules

class _OrderRule(Rule):
    """Shared plumbing: remember whether the file has a sink call at all."""

    cwe = 20
    severity = Severity.HIGH

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        index = sink_index(knowledge)
        tokens = index.method_tokens() | index.endpoint_tokens()
        return frozenset(t.encode() for t in tokens if t)

    def begin(self) -> None:
        self.index = sink_index(self.ctx.knowledge)
        self.seen = False

    def visit_Call(self, node: Any) -> None:
        if self.seen:
            return
        # the three rules of this kind ask the same question: answer it once per file
        shared = self.ctx.analysis("order-sink-seen", lambda ctx: {})
        key = id(node)
        found = shared.get(key)
        if found is None:
            found = self.index.maybe_sdk_sink(node) or (
                bool(self.index.endpoints)
                and self.index.names_endpoint(self.ctx, node, self.ctx.scope))
            shared[key] = found
        self.seen = found


class UntrustedOrderParameter(_OrderRule):
    """Untrusted input reaches an order, leverage or funds parameter without validation.

    ## What it does
    Follows data from web requests (Flask, FastAPI, aiohttp, Django), chat messages
    (Telegram, Discord), websocket messages, third-party HTTP responses and the
    command line (`input()`, `sys.argv`, argparse, click) through assignments,
    containers, string operations, conversions and the functions of the file, and
    reports an SDK order/leverage/margin/withdraw method (or a raw REST call to an
    order endpoint) that receives it with no validation on the way. The message names
    the parameters, the source and its line; the finding carries the whole path
    (rendered as a SARIF code flow).

    Validation is a check that rejects (`if side not in ("buy", "sell"): return` /
    `raise` / `abort(400)`), a bound check that rejects (`if not 0 < qty <= MAX: raise`),
    a clamp (`min(qty, MAX_QTY)`), a lookup in a trusted table (`ALLOWED[symbol]`), a
    ternary mapping to constants, membership in the exchange's markets, constrained
    pydantic/FastAPI fields (`Literal`, `Enum`, `Field(le=...)`), jsonschema
    properties with `enum`/`pattern`/`maximum`, a validator function you configure, or
    a function of the same file that raises on bad input. `float()`, `int()`,
    `Decimal()`, `.upper()`, an `assert` and an authentication check (owner id,
    passphrase) are not validation. Validating one parameter leaves the others
    untrusted.

    Severity: high for web, chat and websocket input, medium for responses of
    third-party HTTP services, low for command-line input (the operator controls it).

    ## Why is this bad?
    Whoever can send the webhook, post in the chat or spoof the signal feed chooses
    the market, the side, the size and the leverage of your orders, or the withdrawal
    address: a typo or a hostile message becomes a 100x position or an empty account.

    ## Example
    ```python
    @app.route("/alert", methods=["POST"])
    def alert():
        payload = request.json
        exchange.create_market_order(payload["pair"], payload["action"], payload["amount"])
    ```

    ## Use instead
    ```python
    @app.route("/alert", methods=["POST"])
    def alert():
        payload = request.json
        pair = payload.get("pair")
        if pair not in ALLOWED_PAIRS:
            abort(400)
        side = "buy" if payload.get("action") == "buy" else "sell"
        amount = min(float(payload.get("amount", 0)), MAX_AMOUNT)
        exchange.create_market_order(pair, side, amount)
    ```
    Add your own validators with the option `order-validators = ["check_order", "risk.*"]`
    or a pack's `[[taint_sanitizers]]` (role `validator`).

    ## How to suppress
    `# apisec: ignore[APS401] -- <why the value is safe>` on the sink call.
    """

    code = "APS401"
    name = "untrusted-order-parameter"
    options = {"order-validators": []}
    VALID = (
        "import ccxt\nfrom flask import Flask, request, abort\napp = Flask(__name__)\n"
        "ex = ccxt.binance()\nALLOWED = {'BTC/USDT'}\n"
        "@app.post('/o')\ndef o():\n    p = request.json\n    s = p.get('symbol')\n"
        "    if s not in ALLOWED:\n        abort(400)\n    q = min(float(p['qty']), 0.1)\n"
        "    side = 'buy' if p.get('side') == 'buy' else 'sell'\n"
        "    ex.create_order(s, 'market', side, q)\n",
        "import ccxt\nex = ccxt.binance()\n"
        "def place(symbol, qty):\n    return ex.create_order(symbol, 'market', 'buy', qty)\n",
    )
    INVALID = (
        Example("import ccxt\nfrom flask import Flask, request\napp = Flask(__name__)\n"
                "ex = ccxt.binance()\n@app.post('/o')\ndef o():\n    p = request.json\n"
                "    ex.create_order(p['symbol'], 'market', p['side'], p['qty'])\n", lines=(8,)),
        Example("import sys\nfrom binance.client import Client\nc = Client('k', 's')\n"
                "c.futures_change_leverage(symbol='BTCUSDT', leverage=int(sys.argv[1]))\n",
                lines=(4,)),
    )

    def finish(self) -> None:
        if not self.seen:
            return
        facts = order_facts(self.ctx)
        for sink in facts.sinks:
            params = [p for p in sink.params if self._mine(sink, p)]
            if not params:
                continue
            best = max((p.taints[0] for p in params), key=lambda t: int(t.severity))
            target = f"{sink.method}()" if not sink.raw_http else (
                f"{sink.method}() to the {sink.kind} endpoint {sink.endpoint}")
            message = (f"untrusted {_names(params)} reach{'es' if len(params) == 1 else ''} "
                       f"{target} without validation: from {_source_text(best)}"
                       f"{_assert_note(self.ctx, params)}")
            flow = _flow(self.ctx, best, sink.call,
                         f"reaches {sink.method}({params[0].name})")
            self.report(sink.call, message, severity=best.severity, flow=flow)

    @staticmethod
    def _mine(sink: SinkCall, p: ParamHit) -> bool:
        taints = p.taints
        if sink.raw_http:
            taints = [t for t in taints if t.formatted is None]
        if p.role == "amount":
            taints = [t for t in taints if t.amplified is None]
        p.taints = taints or p.taints
        return bool(taints)


class OrderStringFormatting(_OrderRule):
    """An order request is assembled by string formatting from untrusted data.

    ## What it does
    Reports the f-string, `%`, `.format()`, `+` or `.join()` that puts untrusted text
    into a query string, URL or JSON body that is then sent to an order, leverage or
    withdrawal endpoint (`/api/v3/order`, `/fapi/v1/leverage`, `/v5/order/create`,
    `/api/v5/trade/order`, ... from the packs' `[[order_endpoints]]`).
    `urllib.parse.urlencode()` and `json.dumps()` escape their input and are not
    reported here (the untrusted values are still reported by APS401).

    ## Why is this bad?
    Parameter smuggling: a value such as `0.01&quantity=100` or
    `buy", "sz": "500` adds or overrides fields of the signed request. Validation of
    the visible value does not help once the attacker controls the structure.

    ## Example
    ```python
    body = '{"instId": "%s", "side": "%s", "sz": "%s"}' % (sig["inst"], sig["side"], sig["size"])
    requests.post("https://www.okx.com/api/v5/trade/order", data=body, timeout=10)
    ```

    ## Use instead
    ```python
    body = json.dumps({"instId": inst, "side": side, "sz": str(size)})  # after validation
    requests.post("https://www.okx.com/api/v5/trade/order", data=body, timeout=10)
    ```

    ## How to suppress
    `# apisec: ignore[APS402] -- <why>` on the formatting expression.
    """

    code = "APS402"
    name = "order-string-formatting"
    cwe = 88
    VALID = (
        "import requests\nfrom urllib.parse import urlencode\nfrom flask import request\n"
        "def f():\n    q = urlencode({'symbol': request.args['s']})\n"
        "    requests.post('https://api.binance.com/api/v3/order?' + q, timeout=5)\n",
        "import requests\ndef f(sym):\n    q = f'symbol={sym}'\n"
        "    requests.post('https://api.binance.com/api/v3/order?' + q, timeout=5)\n",
    )
    INVALID = (
        Example("import requests\nfrom flask import request\n"
                "def f():\n    q = f\"symbol={request.args['s']}&side=BUY\"\n"
                "    requests.post('https://api.binance.com/api/v3/order?' + q, timeout=5)\n",
                lines=(4,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(t.encode() for t in sink_index(knowledge).endpoint_tokens() if t)

    def finish(self) -> None:
        if not self.seen:
            return
        facts = order_facts(self.ctx)
        done: set[int] = set()
        for sink in facts.sinks:
            if not sink.raw_http:
                continue
            for p in sink.params:
                for t in p.taints:
                    if t.formatted is None or id(t.formatted) in done:
                        continue
                    done.add(id(t.formatted))
                    message = (f"{sink.kind} request for {sink.endpoint} built by string "
                               f"formatting from {_source_text(t)}: a value like "
                               "`1&quantity=100` smuggles parameters; validate the values and "
                               "encode with urlencode()/json.dumps()")
                    flow = _flow(self.ctx, t, sink.call, f"sent by {sink.method}()")
                    self.report(t.formatted, message, severity=t.severity, flow=flow)


class UnsafeDeserialization(Rule):
    """Webhook, chat or websocket data is executed or unsafely deserialized in trading code.

    ## What it does
    Reports `eval()`, `exec()`, `pickle.loads()`, `yaml.load()` without a safe loader
    (and the other calls of the packs' `[[unsafe_deserializers]]`) applied to data
    from a web request, a chat message, a websocket message or a third-party HTTP
    response, in a file that uses an exchange SDK.

    ## Why is this bad?
    Whoever can send the message runs code in the process that holds your API keys:
    they can read the keys, place orders and withdraw.

    ## Example
    ```python
    @bot.message_handler(commands=["calc"])
    def calc(message):
        size = eval(message.text.split(maxsplit=1)[1])
    ```

    ## Use instead
    ```python
    size = float(message.text.split(maxsplit=1)[1])  # and bound-check it
    data = json.loads(body)                           # or yaml.safe_load(body)
    ```

    ## Fix
    Unsafe (input that is not JSON now raises instead of running): `eval(data)` becomes
    `json.loads(data)` (`replacement` of `[[unsafe_deserializers]]` in the packs) and
    `import json` is added once. `exec`, pickle and yaml calls are not fixed.

    ## How to suppress
    `# apisec: ignore[APS403] -- <why>` on the call.
    """

    code = "APS403"
    name = "unsafe-deserialization-of-untrusted-data"
    severity = Severity.HIGH
    cwe = 502
    fixable = True
    fix_applicability = UNSAFE
    fix_description = ("unsafe (an input that is not JSON now raises): `eval(data)` becomes "
                       "`json.loads(data)` (the packs' `replacement`), `import json` is added "
                       "once; pickle, yaml and exec are not fixed")
    VALID = (
        "import ccxt, json\nfrom flask import request\nex = ccxt.binance()\n"
        "def f():\n    return json.loads(request.data)\n",
        "import ccxt, yaml\nfrom flask import request\nex = ccxt.binance()\n"
        "def f():\n    return yaml.load(request.data, Loader=yaml.SafeLoader)\n",
    )
    INVALID = (
        Example("import ccxt, pickle\nfrom flask import request\nex = ccxt.binance()\n"
                "def f():\n    return pickle.loads(request.data)\n", lines=(5,)),
        Example("import ccxt, yaml\nfrom flask import request\nex = ccxt.binance()\n"
                "def f():\n    return yaml.load(request.data)\n", lines=(5,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        # it only reports in files that import an exchange SDK: the import names it
        return frozenset(m.lower().encode() for m in sink_index(knowledge).client_modules)

    @classmethod
    def trigger_groups(cls, knowledge: Knowledge) -> tuple[frozenset[bytes], ...] | None:
        # ... and that call one of the deserializers by name (how visit_Call finds them)
        names = frozenset(c.rsplit(".", 1)[-1].lower().encode()
                          for e in knowledge.section("unsafe_deserializers") for c in e["calls"])
        return (cls.trigger_tokens(knowledge) or frozenset(), names)

    def begin(self) -> None:
        self.names = frozenset(c.rsplit(".", 1)[-1] for e in
                               self.ctx.knowledge.section("unsafe_deserializers")
                               for c in e["calls"])
        self.seen = False

    def visit_Call(self, node: Any) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else None)
        if name in self.names:
            self.seen = True

    def finish(self) -> None:
        if not self.seen:
            return
        facts = order_facts(self.ctx)
        if not facts.holds_client:
            return
        for call, name, taints in facts.deserializations:
            t = taints[0]
            self.report(call, f"{name}() runs {_source_text(t)} in code that holds exchange "
                              "credentials: whoever sends it runs code with your API keys",
                        severity=Severity.HIGH, flow=_flow(self.ctx, t, call, f"{name}()"),
                        fix=self._fix(call))

    def _fix(self, call: Any) -> FixSpec | None:
        """The pack's ``replacement`` for the call (``eval(body)`` -> ``json.loads(body)``)
        when it takes the data alone."""
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return None
        callee = self.ctx.imports.qualified_name(call.func)
        if not callee:
            return None
        for entry in self.ctx.knowledge.section("unsafe_deserializers"):
            if entry.get("replacement") and matches_any(callee, entry["calls"]):
                ops: tuple[Any, ...] = (Replace(call.func, entry["replacement"]),)
                if entry.get("replacement_import"):
                    ops += (AddImport(entry["replacement_import"]),)
                return FixSpec(ops, UNSAFE, f"use {entry['replacement']}()")
        return None


class ExcessiveLeverage(Rule):
    """Leverage above the configured maximum is set with a literal or constant.

    ## What it does
    Reports a leverage parameter of a leverage/margin sink (`set_leverage`,
    `futures_change_leverage`, `change_leverage`, pybit `buyLeverage`/`sellLeverage`,
    OKX `lever`, ...) whose value, a literal or a constant of the file, is above the
    rule option `max-leverage` (default 20). Strings such as `"100"` count.

    ## Why is this bad?
    At 75x a 1.3% move liquidates the position. Hard-coded extreme leverage is rarely
    a deliberate risk decision; it is usually a test value or a copy-paste.

    ## Example
    ```python
    exchange.set_leverage(75, "BTC/USDT:USDT")
    ```

    ## Use instead
    ```python
    exchange.set_leverage(MAX_LEVERAGE, "BTC/USDT:USDT")  # MAX_LEVERAGE = 3
    ```
    or raise `max-leverage` in the configuration if your risk policy allows more.

    ## How to suppress
    `# apisec: ignore[APS404] -- <risk sign-off>` on the call.
    """

    code = "APS404"
    name = "excessive-leverage"
    severity = Severity.MEDIUM
    cwe = 1284
    options = {"max-leverage": 20}
    VALID = (
        "import ccxt\nex = ccxt.binanceusdm()\nex.set_leverage(3, 'BTC/USDT:USDT')\n",
        "import ccxt, os\nex = ccxt.binanceusdm()\n"
        "ex.set_leverage(int(os.environ['LEV']), 'BTC/USDT:USDT')\n",
        Example("import ccxt\nex = ccxt.binanceusdm()\nex.set_leverage(50, 'BTC/USDT:USDT')\n",
                options=(("max-leverage", 50),)),
    )
    INVALID = (
        Example("import ccxt\nex = ccxt.binanceusdm()\nex.set_leverage(75, 'BTC/USDT:USDT')\n",
                lines=(3,)),
        Example("from pybit.unified_trading import HTTP\ns = HTTP()\nLEV = '100'\n"
                "s.set_leverage(category='linear', symbol='X', buyLeverage=LEV,"
                " sellLeverage=LEV)\n",
                lines=(4,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return frozenset(m.lower().encode() for m in sink_index(knowledge).leverage_methods)

    def begin(self) -> None:
        self.index = sink_index(self.ctx.knowledge)
        self.calls: list[tuple[Any, Any]] = []

    def visit_Call(self, node: Any) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.index.leverage_methods:
            self.calls.append((node, self.ctx.scope))

    def finish(self) -> None:
        if not self.calls:
            return
        limit = self.option("max-leverage")
        try:
            limit = float(limit)
        except (TypeError, ValueError):
            limit = 20.0
        local = _local_methods(self.ctx)
        for call, scope in self.calls:
            entries = resolve_sdk_sink(self.ctx, self.index, call, scope,
                                       is_local=lambda c: _is_local_method(c, local))
            done = False
            for entry in entries:
                for spec in entry["params"]:
                    if spec["role"] != "leverage" or done:
                        continue
                    arg = find_arg(call, spec.get("name"), spec.get("position"))
                    if arg is None:
                        continue
                    value, where = _leverage_value(self.ctx, arg.value, scope)
                    if value is None or value <= limit:
                        continue
                    shown = int(value) if value == int(value) else value
                    const = "" if where is None or where is arg.value else (
                        f" (the constant on line {self.ctx.position(where).line})"
                        if self.ctx.position(where) else "")
                    self.report(arg, f"leverage {shown}x{const} passed to "
                                     f"{call.func.attr.value}() is above the configured maximum "
                                     f"of {int(limit) if limit == int(limit) else limit}x")
                    done = True


def _leverage_value(ctx: Any, expr: Any, scope: Any) -> tuple[float | None, Any]:
    best: float | None = None
    where = None
    for cand in ctx.values.candidates(expr, scope):
        if not isinstance(cand, Const):
            continue
        v = cand.value
        if isinstance(v, bool):
            continue
        if isinstance(v, str):
            try:
                v = float(v.strip().rstrip("xX"))
            except ValueError:
                continue
        if isinstance(v, (int, float)) and (best is None or v > best):
            best, where = float(v), cand.node
    return best, where


def _local_methods(ctx: Any) -> frozenset[str]:

    return frozenset(n.name.value for n in ctx.index.of(cst.FunctionDef))


def _is_local_method(call: Any, local: frozenset[str]) -> bool:
    func = call.func
    return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
        func.value.value in ("self", "cls") and func.attr.value in local


class UnboundedPositionSize(_OrderRule):
    """An order size is untrusted input multiplied by the balance or the leverage.

    ## What it does
    Reports an order/margin amount derived from untrusted input (a percentage, a risk
    factor, a multiplier from a webhook or a chat command) multiplied by the account
    balance, equity or leverage, with no cap (`min(size, MAX_SIZE)` or a rejecting
    bound check) before the order.

    ## Why is this bad?
    `risk=100` in a message turns "1% of the balance" into the whole balance times the
    leverage. The size of the position is then chosen by whoever sends the message.

    ## Example
    ```python
    qty = float(signal["risk"]) * balance["USDT"]["free"] * LEVERAGE / price
    exchange.create_order(symbol, "market", "buy", qty)
    ```

    ## Use instead
    ```python
    risk = min(float(signal["risk"]), 0.02)
    qty = min(risk * balance["USDT"]["free"] * LEVERAGE / price, MAX_QTY)
    exchange.create_order(symbol, "market", "buy", qty)
    ```

    ## How to suppress
    `# apisec: ignore[APS405] -- <why>` on the order call.
    """

    code = "APS405"
    name = "unbounded-position-size"
    cwe = 770
    VALID = (
        "import ccxt\nfrom flask import request\nex = ccxt.binance()\nMAX = 1\n"
        "def f():\n    bal = ex.fetch_balance()['USDT']['free']\n"
        "    qty = min(float(request.json['risk']) * bal, MAX)\n"
        "    ex.create_order('BTC/USDT', 'market', 'buy', qty)\n",
    )
    INVALID = (
        Example("import ccxt\nfrom flask import request\nex = ccxt.binance()\n"
                "def f():\n    bal = ex.fetch_balance()['USDT']['free']\n"
                "    qty = float(request.json['risk']) * bal\n"
                "    ex.create_order('BTC/USDT', 'market', 'buy', qty)\n", lines=(7,)),
    )

    def finish(self) -> None:
        if not self.seen:
            return
        facts = order_facts(self.ctx)
        for sink in facts.sinks:
            for p in sink.params:
                if p.role != "amount":
                    continue
                t = next((t for t in p.taints if t.amplified is not None), None)
                if t is None:
                    continue
                span = self.ctx.position(t.amplified)
                at = f" (line {span.line})" if span else ""
                self.report(sink.call,
                            f"order size `{p.name}` of {sink.method}() scales {_source_text(t)} "
                            f"by the balance/leverage{at} with no cap: bound it with "
                            "min(..., MAX_SIZE) or a rejecting check",
                            severity=t.severity,
                            flow=_flow(self.ctx, t, sink.call, f"reaches {sink.method}({p.name})"))
                break


RULES = [UntrustedOrderParameter, OrderStringFormatting, UnsafeDeserialization,
         ExcessiveLeverage, UnboundedPositionSize]

"""Which calls go over the network, to which host, and whether something paces them.

Shared by the transport (APS2xx) and rate-limit (APS3xx) rules:

- :meth:`Network.url_roots` finds the literal a URL expression starts with
  (``BASE + "/x"``, ``f"{BASE}/x"``, ``URL.format(p)``, ``os.getenv("URL", "http://…")``),
  through names, so a plaintext URL is reported where it is written;
- :meth:`Network.classify` says whether a call is a network call: a method of an SDK
  client (``[[network]]``), a raw HTTP/websocket call (the ``http-endpoint`` and
  ``exchange-endpoint`` knobs give its URL argument), or a call of a function of the
  same file that makes one; with the exchange it reaches and whether the client
  throttles itself (``rate_limited`` clients unless the file switches the limiter off);
- :meth:`Network.is_throttle` / :meth:`Network.sleep_seconds` recognise what paces a
  loop (``[[throttles]]``); :meth:`Network.catches_transient` what a retry catches
  (``[[transient_errors]]``);
- :func:`host_of`, :func:`is_local_host` and :meth:`Network.exchange_for_host` classify
  hosts with the ``[[exchanges]]`` domains.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.knobs import Knobs, bad_value, knobs_for
from apisec_lint.analysis.values import Const, _attr_key, string_value
from apisec_lint.packs import matches_any
from apisec_lint.walk import iter_children

if TYPE_CHECKING:
    from apisec_lint.analysis.clients import ClientInfo
    from apisec_lint.context import FileContext

ENDPOINT_TOPICS = ("http-endpoint", "http-base-url", "ws-endpoint", "exchange-endpoint")
REQUEST_TOPICS = ("http-endpoint", "ws-endpoint")
# catch-alls: an except of one of these is a retry only around a recognised network call
_BROAD_ERRORS = frozenset({"builtins.Exception", "builtins.BaseException", "builtins.OSError",
                           "builtins.IOError", "builtins.EnvironmentError", "socket.error"})
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain")
_RECEIVER_HINT = re.compile(
    r"(exchange|client|api|session|broker|trader|ccxt|binance|bybit|okx|kucoin|^ex$|^ex_)",
    re.IGNORECASE)


def host_of(url: str) -> str | None:
    """The host of ``url`` (lowercase), or None when it has none or is a template."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host or any(c in host for c in "{}%$<>"):
        return None
    return host.lower().rstrip(".")


def scheme_of(url: str) -> str:
    head, sep, _ = url.strip().partition("://")
    return head.lower() if sep else ""


def is_local_host(host: str, allowed: Iterable[str] = ()) -> bool:
    """Loopback, private, link-local, single-label and ``.local``-style hosts, and
    ``allowed`` domains: traffic that does not cross the internet."""
    if host in ("localhost", "host.docker.internal") or host.endswith(_LOCAL_SUFFIXES):
        return True
    for domain in allowed:
        d = domain.lower().lstrip(".")
        if host == d or host.endswith("." + d):
            return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." not in host  # a docker/compose service name
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


@dataclass(frozen=True)
class NetCall:
    """A call that goes over the network."""

    kind: str  # "sdk", "http", "ws", "helper" (a same-file function that makes one), "guess"
    call: Any
    what: str  # for messages: "exchange.fetch_ticker", "requests.get"
    client: ClientInfo | None = None
    method: str = ""
    host: str | None = None
    exchange: str | None = None  # exchange id of the client or host, when known
    limiter: str = "unknown"  # "on", "off" (switched off in this file), "none" (SDK has none)
    inner: NetCall | None = None  # for "helper": the call inside the helper


class Network:
    """Network facts of one file; shared through ``ctx.analysis``."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.knobs = Knobs.of(ctx)
        self.endpoint_knobs = knobs_for(ctx, ENDPOINT_TOPICS)
        self.domains: dict[str, str] = {}
        self.rate_limits: dict[str, float] = {}
        for entry in ctx.knowledge.section("exchanges"):
            for d in entry.get("domains", ()):
                d = d.lower().lstrip(".")
                # several ids share a domain (okx/myokx, binance/binanceusdm): prefer the
                # one the domain is named after, else the shortest
                held = self.domains.get(d)
                if held is None or _better_id(entry["id"], held, d):
                    self.domains[d] = entry["id"]
            if "rate_limit" in entry:
                self.rate_limits.setdefault(entry["id"], entry["rate_limit"])
        self.network = ctx.knowledge.section("network")
        self.throttles = ctx.knowledge.section("throttles")
        self.transient = [n for e in ctx.knowledge.section("transient_errors") for n in e["names"]]
        self._functions: dict[str, list[Any]] | None = None
        self._helpers: dict[int, tuple[NetCall | None, bool]] = {}
        self._classified: dict[tuple[int, bool], NetCall | None] = {}

    @classmethod
    def of(cls, ctx: FileContext) -> Network:
        return ctx.analysis("network", cls)  # type: ignore[no-any-return]

    # -- hosts -----------------------------------------------------------------------
    def exchange_for_host(self, host: str | None) -> str | None:
        if not host:
            return None
        labels = host.split(".")
        for i in range(len(labels) - 1):
            found = self.domains.get(".".join(labels[i:]))
            if found:
                return found
        return None

    # -- URLs ------------------------------------------------------------------------
    def url_roots(self, expr: Any, scope: Any, depth: int = 0) -> list[tuple[str, Any]]:
        """(text, node) of the string literals a URL expression starts with."""
        if expr is None or depth > 12:
            return []
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            try:
                value = string_value(expr)
            except Exception:
                return []
            return [(value, expr)] if isinstance(value, str) else []
        if isinstance(expr, cst.FormattedString):
            if not expr.parts:
                return []
            first = expr.parts[0]
            if isinstance(first, cst.FormattedStringText):
                return [(first.value, expr)]
            return self.url_roots(first.expression, scope, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(
                expr.operator, (cst.Add, cst.Modulo)):
            return self.url_roots(expr.left, scope, depth + 1)
        if isinstance(expr, cst.IfExp):
            return self.url_roots(expr.body, scope, depth + 1) + \
                self.url_roots(expr.orelse, scope, depth + 1)
        if isinstance(expr, cst.Dict):  # ccxt ``urls`` overrides: every value
            out: list[tuple[str, Any]] = []
            for el in expr.elements:
                out.extend(self.url_roots(el.value, scope, depth + 1))
            return out
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("format", "rstrip",
                                                                        "strip", "lower"):
                return self.url_roots(func.value, scope, depth + 1)
            callee = self.knobs.callee(expr) or ""
            if callee in ("urllib.parse.urljoin", "posixpath.join") and expr.args:
                return self.url_roots(expr.args[0].value, scope, depth + 1)
            if callee in ("os.getenv", "os.environ.get", "os.environ.setdefault") and \
                    len(expr.args) >= 2:
                return self.url_roots(expr.args[1].value, scope, depth + 1)
            if callee.startswith(("httpx.URL", "yarl.URL")) and expr.args:
                return self.url_roots(expr.args[0].value, scope, depth + 1)
            return []
        key = expr.value if isinstance(expr, cst.Name) else (
            _attr_key(expr) if isinstance(expr, cst.Attribute) else None)
        if key is None:
            return []
        values = self.ctx.values
        sources = values.assignments(key, scope) or (
            values.all_assignments(key) if "." in key else [])
        out = []
        for src in sources:
            out.extend(self.url_roots(src, scope, depth + 1))
        return out

    def endpoint_urls(self, call: Any, scope: Any) -> list[tuple[dict[str, Any], Any]]:
        """(knob, URL expression) for the endpoint arguments of ``call``."""
        out = []
        for setting in self.knobs.at_call(call, self.endpoint_knobs, scope):
            if setting.expr is not None:
                out.append((dict(setting.knob), setting.expr))
        return out

    # -- clients and limiters --------------------------------------------------------
    def limiter(self, info: ClientInfo, receiver: Any = None) -> str:
        """"on", "off" or "none" for the client ``info`` (held by ``receiver``)."""
        if not info.entry.get("rate_limited"):
            return "none"
        if info.call is not None:
            for setting in self.knobs.at_call(info.call, self._limiter_knobs(), None):
                if self._switches_off(setting):
                    return "off"
        key = dotted_name(receiver) if receiver is not None else None
        if key and self._switched_off_by_assignment(key):
            return "off"
        return "on"

    def _limiter_knobs(self) -> list[dict[str, Any]]:
        return knobs_for(self.ctx, ("rate-limiter", "rate-limit"))

    def _switches_off(self, setting: Any) -> bool:
        if setting.knob["topic"] == "rate-limiter":
            return bad_value(self.knobs, setting) is not None
        # rateLimit of 0 (or less) means no pause between requests at all
        return any(isinstance(c, Const) and isinstance(c.value, (int, float))
                   and not isinstance(c.value, bool) and c.value <= 0 for c in setting.values)

    def _switched_off_by_assignment(self, key: str) -> bool:
        """``<key>.enableRateLimit = False`` / ``<key>.rateLimit = 0`` somewhere in the file."""
        from apisec_lint.analysis.knobs import Setting

        for knob in self._limiter_knobs():
            attr = knob.get("attribute")
            if not attr:
                continue
            for value in self.ctx.values.all_assignments(f"{key}.{attr}"):
                cands = tuple(self.ctx.values.candidates(value, None))
                if self._switches_off(Setting(knob, None, value, cands, key)):
                    return True
        return False

    # -- network calls ---------------------------------------------------------------
    def is_network_method(self, sdk: str, method: str) -> bool:
        entries = [e for e in self.network if e["sdk"] == sdk]
        if not entries:
            return bool(method) and method[0].islower()
        return any(matches_any(method, e["methods"]) and
                   not matches_any(method, e.get("exclude", ())) for e in entries)

    def classify(self, call: Any, scope: Any, *, helpers: bool = True,
                 guess: bool = False) -> NetCall | None:
        """The network call ``call`` is, or None."""
        key = (id(call), helpers)
        if key in self._classified and not guess:
            return self._classified[key]
        found = self._classify(call, scope, helpers)
        self._classified[key] = found
        if found is None and guess:
            return self._guess(call)
        return found

    def _classify(self, call: Any, scope: Any, helpers: bool) -> NetCall | None:
        func = call.func
        mc = self.knobs.method_call(call, scope)
        if mc is not None:
            info, method = mc
            if not self.is_network_method(info.sdk, method):
                return None
            recv = func.value
            what = f"{dotted_name(recv) or info.constructor}.{method}"
            return NetCall("sdk", call, what, info, method, None, info.exchange or None,
                           self.limiter(info, recv))
        for knob, expr in self.endpoint_urls(call, scope):
            if knob["topic"] not in REQUEST_TOPICS:
                continue  # base URLs are configuration, not requests
            host = None
            scheme = ""
            for text, _node in self.url_roots(expr, scope):
                host = host or host_of(text)
                scheme = scheme or scheme_of(text)
            kind = "ws" if scheme in ("ws", "wss") or knob["topic"] == "ws-endpoint" else "http"
            return NetCall(kind, call, self.knobs.callee(call) or "call", None, "", host,
                           self.exchange_for_host(host), "none")
        if helpers:
            defn = self.helper_def(call)
            if defn is not None:
                inner, _ = self.helper_summary(defn)
                if inner is not None:
                    return NetCall("helper", call, f"{defn.name.value}()", inner.client,
                                   inner.method, inner.host, inner.exchange, inner.limiter,
                                   inner)
        return None

    def _guess(self, call: Any) -> NetCall | None:
        """``<exchange-like name>.<SDK network method>()`` on a receiver of unknown type."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        name = dotted_name(func.value)
        if not name or not _RECEIVER_HINT.search(name.rsplit(".", 1)[-1]):
            return None
        method = func.attr.value
        for entry in self.network:
            if matches_any(method, entry["methods"]) and \
                    not matches_any(method, entry.get("exclude", ())) and method[:1].islower():
                return NetCall("guess", call, f"{name}.{method}", None, method)
        return None

    # -- same-file helpers -------------------------------------------------------------
    def functions(self) -> dict[str, list[Any]]:
        """Module-level functions and methods of module-level classes, by name."""
        if self._functions is None:
            funcs: dict[str, list[Any]] = {}
            stack = list(self.ctx.module.body)
            while stack:
                node = stack.pop()
                if isinstance(node, cst.FunctionDef):
                    funcs.setdefault(node.name.value, []).append(node)
                elif isinstance(node, (cst.ClassDef, cst.If, cst.Try)):
                    stack.extend(_suite_statements(node.body))
            self._functions = funcs
        return self._functions

    def helper_def(self, call: Any) -> Any:
        """The function of this file that ``call`` calls (``f()``, ``self.f()``)."""
        func = call.func
        if isinstance(func, cst.Name):
            if func.value in self.ctx.imports.aliases:
                return None
            name = func.value
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.value.value in ("self", "cls"):
            name = func.attr.value
        else:
            return None
        defs = self.functions().get(name)
        return defs[0] if defs else None

    def helper_summary(self, defn: Any) -> tuple[NetCall | None, bool]:
        """(first network call in ``defn``, whether ``defn`` throttles)."""
        key = id(defn)
        if key in self._helpers:
            return self._helpers[key]
        self._helpers[key] = (None, False)  # recursion guard
        first: NetCall | None = None
        throttles = any(self.is_throttle_decorator(d.decorator) for d in defn.decorators)
        for node in self.calls_in(defn.body):
            if not throttles and self.is_throttle(node, defn):
                throttles = True
            if first is None:
                first = self.classify(node, defn, helpers=False)
        self._helpers[key] = (first, throttles)
        return first, throttles

    # -- throttles -------------------------------------------------------------------
    def _throttle_entry(self, call: Any, scope: Any) -> dict[str, Any] | None:
        func = call.func
        callee = None
        last = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else None)
        # the call's own name, and the object it is called on (``limiter.acquire()``)
        names = [last] if last else []
        if isinstance(func, cst.Attribute):
            recv = dotted_name(func.value)
            if recv:
                names.append(recv.rsplit(".", 1)[-1])
        for entry in self.throttles:
            if entry.get("calls"):
                if callee is None:
                    callee = self.knobs.callee(call) or ""
                if callee and matches_any(callee, entry["calls"]):
                    return entry
            if entry.get("sdk") and entry.get("methods") and isinstance(func, cst.Attribute):
                info = self.knobs.client_of(func.value, scope)
                if info is not None and info.sdk == entry["sdk"] and \
                        matches_any(func.attr.value, entry["methods"]):
                    return entry
            if entry.get("names") and any(_named(n, entry["names"]) for n in names):
                return entry
        extra = self.ctx.option("throttle-names", None)
        if extra and any(_named(n, extra) for n in names):
            return {"names": extra}
        return None

    def is_throttle(self, call: Any, scope: Any) -> bool:
        """``call`` pauses: a sleep of more than 0 seconds, a limiter, a helper of this
        file that pauses."""
        entry = self._throttle_entry(call, scope)
        if entry is not None:
            seconds = self.sleep_seconds(call, scope, entry)
            return seconds is None or seconds > 0
        defn = self.helper_def(call)
        if defn is not None:
            return self.helper_summary(defn)[1]
        return False

    def throttle_entry(self, call: Any, scope: Any) -> dict[str, Any] | None:
        return self._throttle_entry(call, scope)

    def sleep_seconds(self, call: Any, scope: Any, entry: dict[str, Any]) -> float | None:
        """The constant number of seconds a sleep call waits, or None (not constant or
        not a sleep)."""
        unit = entry.get("unit")
        if unit is None:
            return None
        arg = find_arg(call, None, 0) or find_arg(call, "seconds") or find_arg(call, "delay")
        if arg is None:
            return None
        value = self.ctx.values.resolve(arg.value, scope)
        if isinstance(value, Const) and isinstance(value.value, (int, float)) and \
                not isinstance(value.value, bool):
            return float(value.value) * (0.001 if unit == "ms" else 1.0)
        return None

    def is_throttle_decorator(self, expr: Any) -> bool:
        target = expr.func if isinstance(expr, cst.Call) else expr
        qual = self.ctx.imports.qualified_name(target)
        last = dotted_name(target)
        last = last.rsplit(".", 1)[-1] if last else None
        for entry in self.throttles:
            if qual and entry.get("decorators") and matches_any(qual, entry["decorators"]):
                return True
            if last and entry.get("names") and _named(last, entry["names"]):
                return True
        return False

    def is_throttle_context(self, expr: Any, scope: Any) -> bool:
        """``with limiter:`` / ``async with throttler.acquire():``"""
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Call):
            if self._throttle_entry(expr, scope) is not None:
                return True
            return self.is_throttle_decorator(expr)
        return self.is_throttle_decorator(expr)

    # -- exceptions --------------------------------------------------------------------
    def caught(self, handler: Any) -> tuple[str, list[str]]:
        """("bare" | "broad" | "transient" | "other", qualified names) for an except."""
        if handler.type is None:
            return "bare", []
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
        exprs = [el.value for el in types] if types is not None else [handler.type]
        names = []
        for e in exprs:
            q = self.ctx.imports.qualified_name(e) or dotted_name(e) or ""
            names.append(q)
        if any(n in _BROAD_ERRORS for n in names):
            return "broad", names
        if self.transient and any(matches_any(n, self.transient) for n in names if n):
            return "transient", names
        return "other", names

    def catches_transient(self, handler: Any) -> bool:
        return self.caught(handler)[0] != "other"

    # -- traversal helpers ---------------------------------------------------------------
    def calls_in(self, node: Any) -> Iterator[Any]:
        """Calls under ``node`` (a node or a sequence), not inside nested functions,
        lambdas or classes, in source order."""
        stack = list(reversed(node)) if isinstance(node, (list, tuple)) else [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                continue
            if isinstance(cur, cst.Call):
                yield cur
            kids = list(iter_children(cur))
            kids.reverse()
            stack.extend(kids)

    def walk_with_scopes(self, root: Any, into_functions: bool = True) -> Iterator[tuple[Any, Any]]:
        """(node, scope) for every node under ``root``: the scope is the innermost
        function (class bodies do not scope), else the module."""
        stack: list[tuple[Any, Any]] = [(root, self.ctx.module)]
        while stack:
            node, scope = stack.pop()
            yield node, scope
            inner = scope
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                if not into_functions:
                    continue
                inner = node
            kids = list(iter_children(node))
            kids.reverse()
            stack.extend((k, inner) for k in kids)


def _named(name: str, patterns: Iterable[str]) -> bool:
    return matches_any(name, patterns) or matches_any(name.lower(), patterns)


def _better_id(new: str, held: str, domain: str) -> bool:
    label = domain.split(".")[0]
    if (new == label) != (held == label):
        return new == label
    return (len(new), new) < (len(held), held)


def _suite_statements(block: Any) -> list[Any]:
    body = getattr(block, "body", ())
    return list(body) if isinstance(body, (list, tuple)) else []

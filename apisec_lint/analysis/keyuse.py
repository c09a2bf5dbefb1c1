"""Which API key each SDK call uses, and which permission that call needs.

For one file this analysis finds every SDK client (through :mod:`.clients`), names the
source of its API key (``env:NAME``, ``config:<file or object>#<key path>``,
``literal:<masked>``), and maps each method called on it to a permission of the
vocabulary in :data:`apisec_lint.packs.PERMISSIONS` using the ``[[permissions]]`` and
``[[markets]]`` pack sections. It is shared by the APS5xx rules and by the
least-privilege report (:mod:`apisec_lint.permissions`), which aggregates it across
files.

Clients are followed into helper functions within the file: ``def buy(ex): ex.create_order(...)``
called as ``buy(binance)``, and ``self.ex = ex`` in ``__init__`` of a class built as
``Bot(ccxt.binance(...))``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.clients import ClientInfo
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.values import Const, DictVal, literal
from apisec_lint.packs import PERMISSIONS, Knowledge, matches_any

if TYPE_CHECKING:
    from apisec_lint.context import FileContext

_MAX_DEPTH = 8
_KEY_ROLES = ("key", "token", "private_key", "secret", "passphrase")
RANK = {p: i for i, p in enumerate(PERMISSIONS)}


def normalise(method: str) -> str:
    """``create_order`` / ``createOrder`` -> ``createorder``: how pack names compare."""
    return method.replace("_", "").lower()


# --------------------------------------------------------------------------- pack maps

class PermissionMap:
    """The ``[[permissions]]`` and ``[[markets]]`` sections, indexed by SDK."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.exact: dict[str, list[tuple[frozenset[str], dict[str, Any]]]] = {}
        self.regex: dict[str, list[tuple[list[re.Pattern[str]], dict[str, Any]]]] = {}
        for entry in knowledge.section("permissions"):
            sdk = entry["sdk"]
            if entry.get("methods"):
                names = frozenset(normalise(m) for m in entry["methods"])
                self.exact.setdefault(sdk, []).append((names, entry))
            if entry.get("regex"):
                pats = [re.compile(r) for r in entry["regex"]]
                self.regex.setdefault(sdk, []).append((pats, entry))
        self.markets: dict[str, list[dict[str, Any]]] = {}
        for entry in knowledge.section("markets"):
            self.markets.setdefault(entry["sdk"], []).append(entry)
        self._cache: dict[tuple[str, str, str], dict[str, Any] | None] = {}

    def entry(self, sdk: str, exchange: str, method: str) -> dict[str, Any] | None:
        """The pack entry that says what ``method`` on a client of ``sdk`` needs."""
        key = (sdk, exchange, method)
        if key in self._cache:
            return self._cache[key]
        name = normalise(method)
        found = None
        for names, entry in self.exact.get(sdk, ()):
            if name in names and _exchange_ok(entry, exchange):
                found = entry
                break
        if found is None:
            for pats, entry in self.regex.get(sdk, ()):
                if _exchange_ok(entry, exchange) and any(p.search(name) for p in pats):
                    found = entry
                    break
        self._cache[key] = found
        return found


def _exchange_ok(entry: dict[str, Any], exchange: str) -> bool:
    allowed = entry.get("exchanges")
    return not allowed or exchange in allowed


def permission_map(knowledge: Knowledge) -> PermissionMap:
    """One map per set of packs (per process)."""
    return knowledge.derived("permission-map", PermissionMap)


# --------------------------------------------------------------------------- results

@dataclass
class ClientKey:
    """A client built in this file and where its API key comes from."""

    info: ClientInfo
    credential: str | None  # "env:X", "config:f#k", "literal:…", None when unknown
    aliases: tuple[str, ...] = ()  # the sources of all its credentials (key, secret...)
    node: Any = None  # where the key is passed (for findings), else the constructor call
    market: str | None = None  # "futures" / "spot" from the client alone


@dataclass
class Use:
    """One SDK call and the permission it needs."""

    call: Any
    method: str
    permission: str
    client: ClientKey
    entry: dict[str, Any]
    scope: Any = None


@dataclass
class KeyUses:
    """The per-file result: clients, their keys, and the permission of each call."""

    clients: list[ClientKey] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)


# --------------------------------------------------------------------------- analysis

class KeyUseAnalysis:
    """Computes :class:`KeyUses` for one file; ``ctx.analysis("keyuse", ...)``."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.knowledge = ctx.knowledge
        self.pmap = permission_map(ctx.knowledge)
        self.env_calls: list[dict[str, Any]] = []
        self.env_subscripts: list[str] = []
        self.file_calls: list[str] = []
        for src in ctx.knowledge.section("credential_sources"):
            if src["kind"] == "env":
                if src.get("calls"):
                    self.env_calls.append(src)
                self.env_subscripts.extend(src.get("subscripts", ()))
            else:
                self.file_calls.extend(src.get("calls", ()))
        # filled by _index()
        self.calls: list[tuple[Any, Any]] = []
        self.funcs: dict[str, list[tuple[Any, Any, Any]]] = {}  # name -> (def, scope, class)
        self.func_info: dict[int, tuple[Any, Any]] = {}  # id(def) -> (enclosing scope, class)
        self.attr_assigns: list[tuple[Any, Any, Any]] = []  # (target, value, scope)
        self.item_assigns: dict[str, list[tuple[Any, Any, Any]]] = {}  # name -> (key, value, scope)
        self.call_scope: dict[int, Any] = {}
        self.returns: dict[int, list[Any]] = {}  # id(def) -> returned expressions
        self._keys: dict[int, ClientKey] = {}
        self._param_cache: dict[tuple[int, str], ClientInfo | None] = {}
        self._by_called: dict[str, list[tuple[Any, Any, bool]]] | None = None
        self._index()
        self._result: KeyUses | None = None

    @property
    def result(self) -> KeyUses:
        """Clients, keys and uses of the file (computed on first use: the key-grant
        rules only need :meth:`client_of`)."""
        if self._result is None:
            self._result = self._analyse()
        return self._result

    # -- indexing ----------------------------------------------------------------
    def _index(self) -> None:
        index = self.ctx.index
        # the class a def is a method of: the innermost class around it with no function
        # in between (same function scope as the def)
        klass_of: dict[int, Any] = {}
        if cst.ClassDef in index:
            ends = index.ends
            open_classes: list[tuple[int, Any, Any]] = []
            for pos, node, scope in index.entries(cst.ClassDef, cst.FunctionDef):
                while open_classes and ends[open_classes[-1][0]] <= pos:
                    open_classes.pop()
                if type(node) is cst.ClassDef:
                    open_classes.append((pos, node, scope))
                    continue
                klass_of[pos] = next((c for _, c, cscope in reversed(open_classes)
                                      if cscope is scope), None)
        wanted = (cst.FunctionDef, cst.Return, cst.Call, cst.Assign, cst.AnnAssign)
        for pos, node, scope in index.entries(*wanted):
            tp = type(node)
            if tp is cst.FunctionDef:
                klass = klass_of.get(pos)
                self.funcs.setdefault(node.name.value, []).append((node, scope, klass))
                self.func_info[id(node)] = (scope, klass)
            elif tp is cst.Return:
                if node.value is not None and type(scope) is cst.FunctionDef:
                    self.returns.setdefault(id(scope), []).append(node.value)
            elif tp is cst.Call:
                self.calls.append((node, scope))
                self.call_scope[id(node)] = scope
            else:
                targets = [t.target for t in node.targets] if tp is cst.Assign \
                    else [node.target]
                value = node.value
                if value is not None:
                    for target in targets:
                        if isinstance(target, cst.Attribute):
                            self.attr_assigns.append((target, value, scope))
                        elif isinstance(target, cst.Subscript) and \
                                isinstance(target.value, cst.Name) and len(target.slice) == 1 \
                                and isinstance(target.slice[0].slice, cst.Index):
                            self.item_assigns.setdefault(target.value.value, []).append(
                                (target.slice[0].slice.value, value, scope))

    # -- clients and receivers -----------------------------------------------------
    def client_of(self, expr: Any, scope: Any, depth: int = 0) -> ClientInfo | None:
        """The SDK client ``expr`` holds, also through parameters of local functions."""
        if depth > _MAX_DEPTH or expr is None:
            return None
        info = self.ctx.clients.client_of(expr, scope)
        if info is not None:
            return info
        if isinstance(expr, cst.Await):
            return self.client_of(expr.expression, scope, depth + 1)
        if isinstance(expr, cst.Call):
            return self._factory_client(expr, depth)
        if isinstance(expr, cst.Name):
            for src in self.ctx.values.assignments(expr.value, scope):
                if isinstance(src, (cst.Call, cst.Await)):
                    found = self.client_of(src, self._scope_for(expr.value, scope), depth + 1)
                    if found is not None:
                        return found
            return self._param_client(expr.value, scope, depth)
        if isinstance(expr, cst.Attribute):
            key = dotted_name(expr)
            if key is None:
                return None
            for target, value, tscope in self.attr_assigns:
                if dotted_name(target) == key and \
                        isinstance(value, (cst.Name, cst.Await, cst.Call)):
                    found = self.client_of(value, tscope, depth + 1)
                    if found is not None:
                        return found
        return None

    def _factory_client(self, call: Any, depth: int) -> ClientInfo | None:
        """``make_exchange()`` where a function of this file returns a client."""
        func = call.func
        name = func.value if isinstance(func, cst.Name) else (
            func.attr.value if isinstance(func, cst.Attribute) and _is_self_name(func.value)
            else None)
        for fdef, _, _ in self.funcs.get(name or "", ()):
            for value in self.returns.get(id(fdef), ()):
                found = self.client_of(value, fdef, depth + 1)
                if found is not None:
                    return found
        return None

    def _param_client(self, name: str, scope: Any, depth: int) -> ClientInfo | None:
        if not isinstance(scope, cst.FunctionDef):
            return None
        key = (id(scope), name)
        if key in self._param_cache:
            return self._param_cache[key]
        self._param_cache[key] = None  # recursion guard
        found = None
        params = [p for p in (*scope.params.posonly_params, *scope.params.params)]
        index = next((i for i, p in enumerate(params) if p.name.value == name), None)
        kwonly = any(p.name.value == name for p in scope.params.kwonly_params)
        if index is not None or kwonly:
            _, klass = self.func_info.get(id(scope), (None, None))
            if klass is not None and index is not None and params and \
                    params[0].name.value in ("self", "cls"):
                index -= 1
            for call, cscope in self._callers(scope, klass):
                arg = find_arg(call, name, index if index is not None and index >= 0 else None)
                if arg is None:
                    continue
                found = self.client_of(arg.value, cscope, depth + 1)
                if found is not None:
                    break
        self._param_cache[key] = found
        return found

    def _callers(self, func: Any, klass: Any) -> list[tuple[Any, Any]]:
        fname = func.name.value
        name = fname
        if fname == "__init__" and klass is not None:
            name = klass.name.value
        by_name = self._calls_by_name().get(name, ())
        # ``x.__init__(...)`` is not a construction; ``obj.f(...)`` may call method f
        return [(call, scope) for call, scope, is_attr in by_name
                if not (is_attr and fname == "__init__")]

    def _calls_by_name(self) -> dict[str, list[tuple[Any, Any, bool]]]:
        """Called name (``f(...)`` or ``x.f(...)``) -> its calls, in source order."""
        found = self._by_called
        if found is None:
            found = {}
            for call, scope in self.calls:
                f = call.func
                tp = type(f)
                if tp is cst.Name:
                    found.setdefault(f.value, []).append((call, scope, False))
                elif tp is cst.Attribute:
                    found.setdefault(f.attr.value, []).append((call, scope, True))
            self._by_called = found
        return found

    def receiver(self, call: Any, scope: Any) -> tuple[ClientInfo, str] | None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        info = self.client_of(func.value, scope)
        if info is None:
            return None
        return info, func.attr.value

    # -- keys ----------------------------------------------------------------------
    def key_of(self, info: ClientInfo) -> ClientKey:
        """The key of the client built at ``info.call`` (computed once)."""
        found = self._keys.get(id(info.call))
        if found is not None:
            return found
        scope = self.call_scope.get(id(info.call), self.ctx.module)
        by_role: list[tuple[str, Any, Any]] = []  # (role, expr, node)
        entry = info.entry
        for param in entry.get("params", ()):
            arg = find_arg(info.call, param.get("name"), param.get("position"))
            if arg is not None:
                by_role.append((param.get("role", ""), arg.value, arg))
        config = entry.get("config")
        cfg_expr = None
        if config:
            arg = find_arg(info.call, config.get("name"), config.get("position"))
            if arg is not None:
                cfg_expr = arg.value
                for ck in entry.get("config_keys", ()):
                    got = self._dict_entry(cfg_expr, ck["key"], scope, 0)
                    if got is not None:
                        by_role.append((ck["role"], got[1], got[0]))
        attrs = {a["name"]: a["role"] for a in entry.get("attributes", ())}
        if attrs:
            for target, value, tscope in self.attr_assigns:
                role = attrs.get(target.attr.value)
                if role is None:
                    continue
                owner = self.client_of(target.value, tscope)
                if owner is not None and owner.call is info.call:
                    by_role.append((role, value, target))
        credential = None
        node = None
        aliases: list[str] = []
        for role in _KEY_ROLES:
            for r, expr, where in by_role:
                if r != role:
                    continue
                desc = self.describe(expr, scope)
                if desc is None:
                    continue
                if desc not in aliases:
                    aliases.append(desc)
                if credential is None:
                    credential, node = desc, where
        if credential is None and by_role:
            # a key is passed but its source is unknown (a parameter, a computed value)
            role_expr = next(((e, w) for r, e, w in by_role if r == "key"), None)
            if role_expr is not None:
                credential, node = f"unknown:{_short(self.ctx, role_expr[0])}", role_expr[1]
        market = self._client_market(info, cfg_expr, scope)
        key = ClientKey(info, credential, tuple(aliases), node or info.call, market)
        self._keys[id(info.call)] = key
        return key

    def _dict_entry(self, expr: Any, key: str, scope: Any, depth: int) -> tuple[Any, Any] | None:
        """(node to report, value expression) of ``key`` in the dict ``expr`` builds."""
        if depth > _MAX_DEPTH or expr is None:
            return None
        if isinstance(expr, cst.Dict):
            found = None
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    k = literal(el.key)
                    if k == key:
                        found = (el, el.value)
                elif isinstance(el, cst.StarredDictElement):
                    inner = self._dict_entry(el.value, key, scope, depth + 1)
                    if inner is not None:
                        found = inner
            return found
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and \
                expr.func.value == "dict":
            found = None
            for arg in expr.args:
                if arg.keyword is not None and arg.keyword.value == key:
                    found = (arg, arg.value)
                elif arg.star == "**":
                    inner = self._dict_entry(arg.value, key, scope, depth + 1)
                    if inner is not None:
                        found = inner
            return found
        if isinstance(expr, cst.Name):
            for kexpr, value, iscope in reversed(self.item_assigns.get(expr.value, ())):
                if literal(kexpr) == key and _visible(iscope, scope, self.ctx.module):
                    return (kexpr, value)
            for src in self.ctx.values.assignments(expr.value, scope):
                found = self._dict_entry(src, key, self._scope_for(expr.value, scope), depth + 1)
                if found is not None:
                    return found
        return None

    def _file_of(self, call: Any, scope: Any) -> str:
        """The file a loader call reads: the first path literal in it
        (``json.load(open("c.json"))``), also through ``with open("c.json") as fh``
        or a name holding the path."""
        found = _first_path(call)
        if found is not None:
            return found
        from apisec_lint.walk import iter_tree

        for node in iter_tree(call):
            if not isinstance(node, cst.Name) or node is call.func:
                continue
            for item in self.ctx.clients._with_items():
                asname = item.asname
                if asname is not None and isinstance(asname.name, cst.Name) and \
                        asname.name.value == node.value:
                    path = _first_path(item.item)
                    if path is not None:
                        return path
            value = self.ctx.values.resolve(node, scope)
            if isinstance(value, Const) and isinstance(value.value, str):
                return value.value
        return "<file>"

    def _scope_for(self, name: str, scope: Any) -> Any:
        finder = getattr(self.ctx.values, "_scope_for", None)
        return finder(name, scope) if finder is not None else scope

    def _client_market(self, info: ClientInfo, cfg_expr: Any, scope: Any) -> str | None:
        for m in self.pmap.markets.get(info.sdk, ()):
            if info.exchange and info.exchange in m.get("futures_exchanges", ()):
                return "futures"
            if m.get("config_key") and cfg_expr is not None:
                value: Any = self.ctx.values.resolve(cfg_expr, scope)
                for part in m["config_key"].split("."):
                    value = value.get(part) if isinstance(value, DictVal) else None
                if isinstance(value, Const) and isinstance(value.value, str):
                    decided = _decide(m, value.value)
                    if decided:
                        return decided
        return None

    def call_market(self, client: ClientKey, call: Any, scope: Any) -> str:
        """``futures`` or ``spot`` for a ``trade`` call: call arguments first (symbol,
        category, tdMode...), then the client's market, else spot."""
        verdicts = set()
        for m in self.pmap.markets.get(client.info.sdk, ()):
            if not m.get("param") and m.get("position") is None:
                continue
            arg = find_arg(call, m.get("param"), m.get("position"))
            if arg is None:
                continue
            for cand in self.ctx.values.candidates(arg.value, scope):
                if isinstance(cand, Const) and isinstance(cand.value, str):
                    decided = _decide(m, cand.value)
                    if decided:
                        verdicts.add(decided)
        if "futures" in verdicts:
            return "futures"
        if "spot" in verdicts:
            return "spot"
        return client.market or "spot"

    # -- credential sources ------------------------------------------------------------
    def describe(self, expr: Any, scope: Any, depth: int = 0) -> str | None:
        """Where the value of ``expr`` comes from: ``env:NAME``, ``config:src#key``,
        ``literal:<masked>``, or None when it cannot be told (or is empty)."""
        if depth > _MAX_DEPTH or expr is None:
            return None
        if isinstance(expr, cst.Await):
            return self.describe(expr.expression, scope, depth + 1)
        lit = literal(expr)
        if isinstance(lit, str):
            from apisec_lint.analysis.secrets import mask

            return f"literal:{mask(lit)}" if lit.strip() else None
        if isinstance(expr, cst.BooleanOperation):
            return self.describe(expr.left, scope, depth + 1) or \
                self.describe(expr.right, scope, depth + 1)
        if isinstance(expr, cst.IfExp):
            return self.describe(expr.body, scope, depth + 1) or \
                self.describe(expr.orelse, scope, depth + 1)
        if isinstance(expr, cst.Call):
            env = self._env_call(expr, scope)
            if env is not None:
                return env
            func = expr.func
            if isinstance(func, cst.Name) and func.value == "str" and expr.args:
                return self.describe(expr.args[0].value, scope, depth + 1)
            if isinstance(func, cst.Attribute) and func.attr.value in ("strip", "rstrip",
                                                                       "lstrip", "encode"):
                return self.describe(func.value, scope, depth + 1)
        if isinstance(expr, cst.Subscript):
            base = self.ctx.imports.qualified_name(expr.value)
            if base and matches_any(base, self.env_subscripts):
                key = self._slice_key(expr, scope)
                return f"env:{key}" if key else None
        if isinstance(expr, cst.Name):
            sources = self.ctx.values.assignments(expr.value, scope)
            for src in sources:
                found = self.describe(src, self._scope_for(expr.value, scope), depth + 1)
                if found is not None:
                    return found
            if sources:
                return None
            via_param = self._describe_param(expr.value, scope, depth)
            if via_param is not None:
                return via_param
        if isinstance(expr, cst.Attribute):
            key = dotted_name(expr)
            sources = [(v, s) for t, v, s in self.attr_assigns if dotted_name(t) == key]
            for src, sscope in sources:
                found = self.describe(src, sscope, depth + 1)
                if found is not None:
                    return found
            if sources:
                return None
        ref = self._config_ref(expr, scope, depth)
        if ref is not None:
            root, keys = ref
            if keys:
                return f"config:{root}#{'.'.join(keys)}"
        return None

    def _describe_param(self, name: str, scope: Any, depth: int) -> str | None:
        """The source of a function parameter, when every caller in the file agrees."""
        if not isinstance(scope, cst.FunctionDef):
            return None
        params = [*scope.params.posonly_params, *scope.params.params]
        index = next((i for i, p in enumerate(params) if p.name.value == name), None)
        kwonly = any(p.name.value == name for p in scope.params.kwonly_params)
        if index is None and not kwonly:
            return None
        _, klass = self.func_info.get(id(scope), (None, None))
        if klass is not None and index is not None and params[0].name.value in ("self", "cls"):
            index -= 1
        found: set[str] = set()
        for call, cscope in self._callers(scope, klass):
            arg = find_arg(call, name, index if index is not None and index >= 0 else None)
            if arg is None:
                continue
            desc = self.describe(arg.value, cscope, depth + 1)
            if desc is None:
                return None
            found.add(desc)
        return found.pop() if len(found) == 1 else None

    def _env_call(self, call: Any, scope: Any) -> str | None:
        callee = self.ctx.callees.callee(call, scope)
        if not callee:
            return None
        for src in self.env_calls:
            if matches_any(callee, src["calls"]):
                arg = find_arg(call, src.get("param"), src.get("position", 0))
                if arg is None:
                    return None
                value = self.ctx.values.resolve(arg.value, scope)
                if isinstance(value, Const) and isinstance(value.value, str):
                    return f"env:{value.value}"
                return None
        return None

    def _slice_key(self, sub: Any, scope: Any) -> str | None:
        if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
            return None
        value = self.ctx.values.resolve(sub.slice[0].slice.value, scope)
        if isinstance(value, Const) and isinstance(value.value, (str, int)):
            return str(value.value)
        return None

    def _config_ref(self, expr: Any, scope: Any, depth: int) -> tuple[str, list[str]] | None:
        """``cfg["binance"]["key"]`` -> (source of cfg, ["binance", "key"])."""
        if depth > _MAX_DEPTH or expr is None:
            return None
        if isinstance(expr, cst.Subscript):
            key = self._slice_key(expr, scope)
            base = self._config_ref(expr.value, scope, depth + 1)
            if base is None or key is None:
                return None
            return base[0], [*base[1], key]
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("get", "getstr") \
                    and expr.args:
                value = self.ctx.values.resolve(expr.args[0].value, scope)
                base = self._config_ref(func.value, scope, depth + 1)
                if base is None or not isinstance(value, Const):
                    return None
                return base[0], [*base[1], str(value.value)]
            callee = self.ctx.callees.callee(expr, scope)
            if callee and matches_any(callee, self.file_calls):
                return self._file_of(expr, scope), []
            return None
        if isinstance(expr, cst.Attribute):
            qual = self.ctx.imports.qualified_name(expr)
            if qual and "." in qual:
                mod, attr = qual.rsplit(".", 1)
                return mod, [attr]
            key = dotted_name(expr)
            if key is not None and (self.ctx.values.all_assignments(key)):
                for src in self.ctx.values.all_assignments(key):
                    found = self._config_ref(src, None, depth + 1)
                    if found is not None:
                        return found
            base = self._config_ref(expr.value, scope, depth + 1)
            if base is None:
                return None
            return base[0], [*base[1], expr.attr.value]
        if isinstance(expr, cst.Name):
            if expr.value in ("self", "cls"):
                return None
            qual = self.ctx.imports.qualified_name(expr)
            if qual and not qual.startswith("builtins."):
                if "." in qual:
                    mod, attr = qual.rsplit(".", 1)
                    return mod, [attr]
                return qual, []
            for src in self.ctx.values.assignments(expr.value, scope):
                found = self._config_ref(src, self._scope_for(expr.value, scope), depth + 1)
                if found is not None:
                    return found
            return expr.value, []
        return None

    # -- the uses --------------------------------------------------------------------
    def _analyse(self) -> KeyUses:
        out = KeyUses()
        seen: set[int] = set()
        for call, _ in self.calls:
            info = self.ctx.clients.constructed_by(call)
            if info is not None and id(call) not in seen:
                seen.add(id(call))
                out.clients.append(self.key_of(info))
        for call, scope in self.calls:
            got = self.receiver(call, scope)
            if got is None:
                continue
            info, method = got
            entry = self.pmap.entry(info.sdk, info.exchange, method)
            if entry is None:
                continue
            client = self.key_of(info)
            if id(info.call) not in seen:
                seen.add(id(info.call))
                out.clients.append(client)
            permission = entry["permission"]
            if permission == "trade":
                permission = f"trade:{self.call_market(client, call, scope)}"
            out.uses.append(Use(call, method, permission, client, entry, scope))
        return out


def _decide(market: dict[str, Any], value: str) -> str | None:
    low = value.lower()
    if any(low == v.lower() for v in market.get("futures_values", ())):
        return "futures"
    regex = market.get("futures_regex")
    if regex and re.search(regex, value):
        return "futures"
    spot = market.get("spot_values")
    if spot and any(low == v.lower() for v in spot):
        return "spot"
    return None


def _is_self_name(expr: Any) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("self", "cls")


def _visible(inner: Any, scope: Any, module: Any) -> bool:
    return inner is scope or inner is module


_MODES = frozenset({"r", "rb", "rt", "utf-8", "utf8", "w"})


def _first_path(node: Any) -> str | None:
    from apisec_lint.walk import iter_tree

    for sub in iter_tree(node):
        if isinstance(sub, cst.SimpleString):
            value = literal(sub)
            if isinstance(value, str) and value and value.lower() not in _MODES:
                return value
    return None


def _short(ctx: FileContext, expr: Any) -> str:
    try:
        text = ctx.module.code_for_node(expr)
    except Exception:
        return "?"
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def key_uses(ctx: FileContext) -> KeyUses:
    """The shared per-file analysis (computed once, for every APS5xx rule)."""
    return ctx.analysis("keyuse", lambda c: KeyUseAnalysis(c)).result


def analysis(ctx: FileContext) -> KeyUseAnalysis:
    return ctx.analysis("keyuse", lambda c: KeyUseAnalysis(c))

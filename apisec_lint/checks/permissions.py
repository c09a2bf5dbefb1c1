"""APS5xx: key permissions — API keys with more power than the code needs.

Two kinds of evidence. Key-management calls (``[[key_grants]]`` in the packs) that
create or modify an API key: what they grant (APS501) and whether the key is bound to
an IP allow-list (APS502). And the SDK calls the code makes (``[[permissions]]``): a
withdrawal or transfer in trading code (APS503), and, when the project declares what
each key may do (``[tool.apisec-lint.keys]``), calls that need more (APS504) or
declared powers never used (APS505).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.calls import find_arg
from apisec_lint.analysis.keyuse import RANK, analysis, key_uses, normalise
from apisec_lint.analysis.values import UNKNOWN, Const, DictVal, SeqVal
from apisec_lint.packs import PERMISSIONS, SCOPE_ALIASES, Knowledge, matches_any
from apisec_lint.rule import Example, Rule
from apisec_lint.types import Config, Severity

FUNDS = ("transfer", "withdraw")
_SPLIT_RE = re.compile(r"[,;|\s]+")
_MISSING = object()


# --------------------------------------------------------------------------- key grants

def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value).strip().lower()


def _tokens(value: Any) -> set[str] | None:
    """The words a grant value is made of (``"General,Trade"`` -> {general, trade};
    ``{"Wallet": ["AccountTransfer"]}`` -> {wallet, accounttransfer}); None if unknown."""
    if isinstance(value, Const):
        if isinstance(value.value, str):
            return {t.lower() for t in _SPLIT_RE.split(value.value) if t}
        if value.value is None:
            return set()
        return {_norm(value.value)}
    if isinstance(value, SeqVal):
        out: set[str] = set()
        for item in value.items:
            inner = _tokens(item)
            if inner is None:
                return None
            out |= inner
        return out
    if isinstance(value, DictVal):
        out = {_norm(k) for k in value.keys()}  # noqa: SIM118 (DictVal)
        for _, _, item in value.items:
            inner = _tokens(item)
            if inner is None:
                return None
            out |= inner
        return out
    return None


@dataclass
class _Arg:
    node: Any  # where to report
    values: list[Any]  # resolved candidates (empty: unknown)


class ArgView:
    """The parameters of a key-management call: keyword/positional arguments, or the
    keys of a payload dict (raw REST, ccxt implicit methods)."""

    def __init__(self, ctx: Any, call: Any, scope: Any, payload: list[tuple[str | None,
                 int | None]] | None) -> None:
        self.ctx = ctx
        self.call = call
        self.scope = scope
        self.dicts: list[Any] | None = None
        self.unknown_payload = False
        if payload is not None:
            self.dicts = []
            for name, position in payload:
                arg = find_arg(call, name, position)
                if arg is None:
                    continue
                value = ctx.values.resolve(arg.value, scope)
                if isinstance(value, DictVal):
                    self.dicts.append(value)
                else:
                    self.unknown_payload = True
        self.star_kwargs = [a for a in call.args if a.star == "**"]

    def get(self, name: str | None, position: int | None) -> _Arg | Any | None:
        """An _Arg, None when absent, or UNKNOWN when it cannot be told."""
        if self.dicts is not None:
            for d in reversed(self.dicts):
                entry = d.entry(name)
                if entry is not None:
                    return _Arg(entry[0], [entry[1]] if entry[1] is not UNKNOWN else [])
            return UNKNOWN if self.unknown_payload else None
        arg = find_arg(self.call, name, position)
        if arg is not None:
            cands = self.ctx.values.candidates(arg.value, self.scope)
            return _Arg(arg, cands)
        for star in self.star_kwargs:
            value = self.ctx.values.resolve(star.value, self.scope)
            if not isinstance(value, DictVal):
                return UNKNOWN
            entry = value.entry(name)
            if entry is not None:
                return _Arg(entry[0], [entry[1]] if entry[1] is not UNKNOWN else [])
        return None


@dataclass
class Grant:
    permission: str
    node: Any
    detail: str


@dataclass
class GrantCall:
    """A matched key-management call."""

    entry: dict[str, Any]
    view: ArgView
    label: str  # the method/endpoint name for messages

    def grants(self) -> tuple[list[Grant], bool]:
        """(what the call grants, whether some grant could not be evaluated)."""
        out: list[Grant] = []
        unknown = False
        for g in self.entry.get("grants", ()):
            if g.get("always"):
                out.append(Grant(g["permission"], self.view.call, f"{self.label}()"))
                continue
            arg = self.view.get(g.get("param"), g.get("position"))
            if arg is UNKNOWN:
                unknown = True
                continue
            if arg is None:
                if g.get("missing"):
                    out.append(Grant(g["permission"], self.view.call,
                                     f"{g.get('param')} not given (the default)"))
                continue
            if not arg.values:
                unknown = True
                continue
            hit = self._match(g, arg.values)
            if hit is None:
                unknown = True
            elif hit:
                out.append(Grant(g["permission"], arg.node, f"{g.get('param')}={hit}"))
        return out, unknown

    @staticmethod
    def _match(g: dict[str, Any], values: list[Any]) -> str | bool | None:
        """The matching word, False when no candidate matches, None when unknown."""
        contains = {_norm(c) for c in g.get("contains", ())}
        equals = {_norm(e) for e in g.get("equals", ())}
        unknown = False
        for value in values:
            if equals and isinstance(value, Const) and _norm(value.value) in equals:
                return repr(value.value)
            if contains:
                toks = _tokens(value)
                if toks is None:
                    unknown = True
                    continue
                hit = sorted(toks & contains)
                if hit:
                    return ",".join(hit)
            elif not isinstance(value, Const):
                unknown = True
        return None if unknown else False

    def rights(self) -> str:
        """"none" (known read-only), "trade", "funds", or "unknown"."""
        grants, unknown = self.grants()
        perms = {g.permission for g in grants}
        if perms & set(FUNDS):
            return "funds"
        if perms:
            return "trade"
        if unknown or not self.entry.get("grants"):
            return "unknown"
        if self.entry["action"] == "modify":
            # a modification that sets no permission leaves the key's rights as they are
            specified = any(self.view.get(g.get("param"), g.get("position")) is not None
                            for g in self.entry["grants"] if not g.get("always"))
            return "none" if specified else "unknown"
        return "none"

    def ip_problem(self) -> tuple[Any, str] | None:
        """(node, reason) when the key is left without an IP allow-list."""
        spec = self.entry.get("ip")
        if not spec:
            return None
        arg = self.view.get(spec["param"], spec.get("position"))
        if arg is UNKNOWN:
            return None
        if arg is None:
            if spec.get("missing") and self.entry["action"] == "create":
                return self.view.call, f"no {spec['param']} given"
            return None
        bad = {_norm(b) for b in spec.get("bad", ())}
        for value in arg.values:
            toks = _tokens(value)
            if toks is None:
                continue
            if (not toks and "" in bad) or toks & bad:
                shown = repr(value.value) if isinstance(value, Const) else "an open list"
                return arg.node, f"{spec['param']}={shown}"
        return None


class _GrantMatcher:
    """Finds the ``[[key_grants]]`` entry a call matches (shared by APS501/502)."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        knowledge: Knowledge = ctx.knowledge
        self.entries = knowledge.section("key_grants")
        self.rest = knowledge.section("rest_calls")
        self.regex = {id(e): [re.compile(r) for r in e.get("regex", ())] for e in self.entries}
        self.endpoints = {id(e): [re.compile(r) for r in e.get("endpoints", ())]
                          for e in self.entries}
        self.methods = {id(e): {m.lower() for m in e.get("methods", ())} for e in self.entries}
        roots = ctx.imports.imported_roots if ctx.module is not None else frozenset()
        self.imported_packs = {p.name for p in knowledge.packs
                               if any(r in roots or any(r.startswith(m) for m in
                                      p.data.get("pack", {}).get("modules", ()))
                                      for r in roots)}
        self.all_methods = set().union(*self.methods.values()) if self.methods else set()
        self.any_regex = [p for pats in self.regex.values() for p in pats]
        self.by_calls = [e for e in self.entries if e.get("calls")]
        self.by_endpoint = [e for e in self.entries if e.get("endpoints")]
        self._cache: dict[int, GrantCall | None] = {}

    def match(self, call: Any, scope: Any) -> GrantCall | None:
        key = id(call)
        if key not in self._cache:
            self._cache[key] = self._match(call, scope)
        return self._cache[key]

    def _match(self, call: Any, scope: Any) -> GrantCall | None:
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else None)
        receiver: Any = _MISSING
        callee: Any = _MISSING
        url: Any = _MISSING
        named = bool(method) and (method.lower() in self.all_methods or any(
            p.search(normalise(method)) for p in self.any_regex))
        if not named and not self.by_calls and not self.by_endpoint:
            return None
        for entry in self.entries:
            eid = id(entry)
            payload = [("params", entry["payload"])] if entry.get("payload") is not None \
                else None
            if named and (self.methods[eid] or self.regex[eid]):
                name_ok = method.lower() in self.methods[eid] or any(
                    p.search(normalise(method)) for p in self.regex[eid])
                if name_ok:
                    sdk = entry.get("sdk")
                    if sdk is None or not isinstance(func, cst.Attribute):
                        if sdk is None:
                            return GrantCall(entry, ArgView(self.ctx, call, scope, payload),
                                             method)
                    else:
                        if receiver is _MISSING:
                            receiver = analysis(self.ctx).client_of(func.value, scope)
                        if receiver is not None and receiver.sdk == sdk:
                            return GrantCall(entry, ArgView(self.ctx, call, scope, payload),
                                             method)
                        if receiver is None and entry.get("_pack") in self.imported_packs \
                                and not _is_self(func.value):
                            return GrantCall(entry, ArgView(self.ctx, call, scope, payload),
                                             method)
            if entry.get("calls"):
                if callee is _MISSING:
                    callee = self.ctx.callees.callee(call, scope)
                if callee and matches_any(callee, entry["calls"]):
                    return GrantCall(entry, ArgView(self.ctx, call, scope, payload), method or "")
            if self.endpoints[eid]:
                if url is _MISSING:
                    url = self._rest_url(call, scope)
                if url is not None:
                    path = url[0].split("?", 1)[0]
                    if any(p.search(path) for p in self.endpoints[eid]):
                        rest = url[1]
                        view = ArgView(self.ctx, call, scope,
                                       [(kw, None) for kw in rest.get("payload", ())])
                        return GrantCall(entry, view, path.rsplit("/", 1)[-1] or path)
        return None

    def _rest_url(self, call: Any, scope: Any) -> tuple[str, dict[str, Any]] | None:
        if not self.rest:
            return None
        callee = self.ctx.callees.callee(call, scope)
        if not callee:
            return None
        for rest in self.rest:
            if matches_any(callee, rest["calls"]):
                spec = rest.get("url", {})
                arg = find_arg(call, spec.get("name"), spec.get("position"))
                if arg is None:
                    return None
                return static_text(self.ctx, arg.value, scope), rest
        return None


def static_text(ctx: Any, expr: Any, scope: Any, depth: int = 0) -> str:
    """The text of a string expression with unknown parts left out (f-strings,
    ``BASE + "/path"``, names of constants)."""
    if depth > 8:
        return ""
    value = ctx.values.resolve(expr, scope)
    if isinstance(value, Const) and isinstance(value.value, str):
        return value.value
    if isinstance(expr, cst.FormattedString):
        parts = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            else:
                parts.append(static_text(ctx, part.expression, scope, depth + 1))
        return "".join(parts)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return static_text(ctx, expr.left, scope, depth + 1) + \
            static_text(ctx, expr.right, scope, depth + 1)
    if isinstance(expr, cst.Name):
        for src in ctx.values.assignments(expr.value, scope):
            return static_text(ctx, src, scope, depth + 1)
    return ""


def _built_locally(ctx: Any, expr: Any, scope: Any, depth: int = 0) -> bool:
    """``expr`` holds an instance of a class (or the result of a function) defined in
    this file: ``w = Wallet(); w.withdraw(5)``."""
    if depth > 6 or expr is None:
        return False
    if isinstance(expr, cst.Call):
        return isinstance(expr.func, cst.Name) and expr.func.value in ctx.imports.defined
    key = None
    if isinstance(expr, cst.Name):
        key = expr.value
    elif isinstance(expr, cst.Attribute):
        from apisec_lint.analysis.imports import dotted_name

        key = dotted_name(expr)
    if key is None:
        return False
    sources = ctx.values.assignments(key, scope) or (
        ctx.values.all_assignments(key) if "." in key else [])
    return any(_built_locally(ctx, src, None if "." in key else scope, depth + 1)
               for src in sources)


def _is_self(expr: Any) -> bool:
    return isinstance(expr, cst.Name) and expr.value in ("self", "cls")


def grant_matcher(ctx: Any) -> _GrantMatcher:
    return ctx.analysis("key-grants", _GrantMatcher)


def _grant_tokens(knowledge: Knowledge) -> frozenset[bytes]:
    tokens: set[str] = set()
    for entry in knowledge.section("key_grants"):
        tokens.update(m.lower() for m in entry.get("methods", ()))
        tokens.update(t.lower() for t in entry.get("triggers", ()))
        tokens.update(c.rsplit(".", 1)[-1].lower() for c in entry.get("calls", ())
                      if "*" not in c.rsplit(".", 1)[-1])
    return frozenset(t.encode() for t in tokens if t)


class _GrantRule(Rule):
    """Shared visitor of key-management calls."""

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return _grant_tokens(knowledge)

    def visit_Call(self, node: Any) -> None:
        func = node.func
        if not isinstance(func, (cst.Attribute, cst.Name)):
            return
        found = grant_matcher(self.ctx).match(node, self.ctx.scope)
        if found is not None:
            self.check(found)

    def check(self, found: GrantCall) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class KeyGrantsFunds(_GrantRule):
    """An API key is created or modified with withdrawal or transfer rights.

    ## What it does
    Finds calls that create or modify an API key (Bybit `create_sub_api_key` /
    `modify_sub_api_key`, OKX `create_subaccount_apikey` / `reset_subaccount_apikey` /
    `set_permission_transfer_out`, KuCoin `create_apis_for_sub_account` /
    `modify_sub_account_apis`, Binance sub-account and broker key calls, and the raw REST
    endpoints behind them) whose arguments grant withdrawals or universal / internal
    transfers: a Bybit `Wallet` group, an OKX `perm` with `withdraw`, a KuCoin
    `permission` with `Transfer` / `InnerTransfer`, `canUniversalTransfer=True`,
    `canTransOut=True`, the fast-withdraw switch. The calls and the over-broad values
    come from the `[[key_grants]]` entries of the packs.

    ## Why is this bad?
    A trading key never needs to move funds. If a key that can withdraw or transfer
    leaks (a log line, a committed `.env`, a compromised VPS), the attacker empties the
    account instead of merely placing bad trades. Universal transfer lets an attacker
    move funds into a sub-account they control and withdraw from there.

    ## Example
    ```python
    session.create_sub_api_key(subuid=uid, readOnly=0, ips="203.0.113.7",
                               permissions={"Spot": ["SpotTrade"], "Wallet": ["AccountTransfer"]})
    ```

    ## Use instead
    ```python
    session.create_sub_api_key(subuid=uid, readOnly=0, ips="203.0.113.7",
                               permissions={"Spot": ["SpotTrade"]})
    ```
    Create a separate, IP-bound key for the treasury job that really moves funds.

    ## How to suppress
    `# apisec: ignore[APS501] -- treasury key, IP-bound, reviewed` on the call.
    """

    code = "APS501"
    name = "key-grants-withdraw-or-transfer"
    severity = Severity.HIGH
    cwe = 250
    VALID = (
        "from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
        "s.create_sub_api_key(subuid=1, readOnly=1, permissions={'ContractTrade': ['Position']},"
        " ips='192.0.2.1')\n",
        "from kucoin.client import User\nu = User('k', 's', 'p')\n"
        "u.create_apis_for_sub_account('sub', 'pw', 'bot', permission='General,Spot',"
        " ipWhitelist='192.0.2.1')\n",
        "class Admin:\n    def create_sub_api_key(self, **kw):\n        return kw\n"
        "Admin().create_sub_api_key(permissions={'Wallet': ['AccountTransfer']})\n",
    )
    INVALID = (
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "s.create_sub_api_key(\n    subuid=1, readOnly=0,\n"
                "    permissions={'Wallet': ['AccountTransfer']}, ips='192.0.2.1')\n",
                lines=(5,)),
        Example("import okx.SubAccount as Sub\napi = Sub.SubAccountAPI('k', 's', 'p', False, '0')\n"
                "PERM = 'read_only,trade,withdraw'\n"
                "api.reset_subaccount_apikey('sub', 'key', perm=PERM, ip='192.0.2.1')\n",
                lines=(4,)),
        Example("import okx.SubAccount as Sub\napi = Sub.SubAccountAPI('k', 's', 'p', False, '0')\n"
                "api.set_permission_transfer_out('sub', True)\n", lines=(3,)),
        Example("import requests\nBASE = 'https://api.binance.com'\n"
                "requests.post(BASE + '/sapi/v1/sub-account/subAccountApi',\n"
                "              params={'canUniversalTransfer': True, 'status': 2}, timeout=5)\n",
                lines=(4,)),
    )

    def check(self, found: GrantCall) -> None:
        grants, _ = found.grants()
        funds = [g for g in grants if g.permission in FUNDS]
        if not funds:
            return
        worst = max(funds, key=lambda g: RANK[g.permission])
        powers = sorted({g.permission for g in funds}, key=RANK.__getitem__, reverse=True)
        what = " and ".join("withdrawal" if p == "withdraw" else "transfer" for p in powers)
        self.report(worst.node, f"{found.label}() grants {what} rights to an API key "
                                f"({worst.detail}): a leaked key could move funds off the "
                                "account; keep trading keys without them")


class KeyWithoutIpWhitelist(_GrantRule):
    """An API key that can trade or move funds is not bound to an IP allow-list.

    ## What it does
    Finds key creation or modification calls that leave the key usable from any IP:
    Bybit `ips` missing or `"*"`, OKX `ip` empty or not given, KuCoin `ipWhitelist`
    empty or missing, Binance IP-restriction `status` 1 (unrestricted). A key that is
    known to be read-only (Bybit `readOnly=1`, OKX `perm="read_only"`, KuCoin
    `permission="General"`) is not reported; a modification that removes the allow-list
    of an existing key is.

    ## Why is this bad?
    An IP allow-list makes a leaked key useless from anywhere but your server. Without
    it, a key copied from a log or a repository can trade (or withdraw) from the
    attacker's machine. Exchanges also expire unbound keys (Bybit: 90 days) — bots
    break silently.

    ## Example
    ```python
    broker.create_subaccount_apikey(subAcct=sub, label="bot", passphrase=pw,
                                    perm="read_only,trade", ip="")
    ```

    ## Use instead
    ```python
    broker.create_subaccount_apikey(subAcct=sub, label="bot", passphrase=pw,
                                    perm="read_only,trade", ip=SERVER_IP)
    ```

    ## How to suppress
    `# apisec: ignore[APS502] -- <why the key cannot be IP-bound>` on the call.
    """

    code = "APS502"
    name = "key-without-ip-whitelist"
    severity = Severity.MEDIUM
    cwe = 284
    VALID = (
        "from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
        "s.create_sub_api_key(subuid=1, readOnly=1, permissions={'Spot': ['SpotTrade']})\n",
        "import okx.Broker as B\nb = B.BrokerAPI('k', 's', 'p', False, '0')\nIP = '192.0.2.9'\n"
        "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p', ip=IP,"
        " perm='read_only,trade')\n",
        "from kucoin.client import User\nu = User('k', 's', 'p')\n"
        "u.create_apis_for_sub_account('sub', 'pw', 'view', permission='General')\n",
    )
    INVALID = (
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "s.create_sub_api_key(subuid=1, readOnly=0,\n"
                "    permissions={'ContractTrade': ['Order']}, ips='*')\n", lines=(4,)),
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "s.modify_sub_api_key(apikey='x', ips=['*'])\n", lines=(3,)),
        Example("import okx.Broker as B\nb = B.BrokerAPI('k', 's', 'p', False, '0')\n"
                "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',"
                " perm='read_only,trade')\n", lines=(3,)),
        Example("from kucoin.client import User\nu = User('k', 's', 'p')\n"
                "u.create_apis_for_sub_account('sub', 'pw', 'bot', permission='General,Spot',"
                " ipWhitelist='')\n", lines=(3,)),
        Example("from binance.spot import Spot\nc = Spot('k', 's')\n"
                "c.sub_account_update_ip_restriction('a@b.c', 'key', '1')\n", lines=(3,)),
    )

    def check(self, found: GrantCall) -> None:
        problem = found.ip_problem()
        if problem is None:
            return
        rights = found.rights()
        if rights == "none":
            return
        node, reason = problem
        severity = Severity.HIGH if rights == "funds" else None
        can = {"funds": "move funds", "trade": "trade"}.get(rights, "trade or move funds")
        self.report(node, f"{found.label}(): API key without an IP allow-list ({reason}); "
                          f"a leaked key that can {can} works from anywhere",
                    severity=severity)


class ReadWriteKeyForReadOnlyCode(_GrantRule):
    """A key with trading rights is created for code that only reads.

    ## What it does
    Finds key creation or modification calls that give the key trading rights — Bybit
    `readOnly=0` (or `readOnly` not given on create: read-write is the default), OKX
    `perm` with `trade`, KuCoin `permission` with `Spot` / `Futures` / `Margin`,
    Binance `canTrade` / `futuresTrade` / `marginTrade` — (the `[[key_grants]]` entries
    with `permission = "trade"`) when there is evidence that read-only suffices:

    - the project declares its keys (`[tool.apisec-lint.keys]` or the keys file) and
      every declared key is read-only (`read`, `read:account`); or
    - the file is a read-only tool: it reads market or account data through an SDK
      client other than the one that manages keys, and nothing in it trades or moves
      funds — no SDK call that needs more than `read:account` (whatever the receiver),
      and no raw HTTP call other than GET/HEAD/OPTIONS.

    A provisioning script that creates trading keys for a bot running elsewhere (it
    reads only with its admin client, if at all) is not reported.

    ## Why is this bad?
    A dashboard, a tax export or a balance monitor needs to read. A read-write key
    lets whoever gets it trade with your money — pump an illiquid coin into their own
    sell orders, or open leveraged positions against you.

    ## Example
    ```python
    new = admin.create_sub_api_key(subuid=uid, readOnly=0, ips=SERVER_IP)
    viewer = HTTP(api_key=new["result"]["apiKey"], api_secret=new["result"]["secret"])
    viewer.get_wallet_balance(accountType="UNIFIED")
    ```

    ## Use instead
    ```python
    new = admin.create_sub_api_key(subuid=uid, readOnly=1, ips=SERVER_IP)
    ```

    ## How to suppress
    `# apisec: ignore[APS506] -- <who trades with this key>` on the call.
    """

    code = "APS506"
    name = "read-write-key-for-read-only-code"
    severity = Severity.MEDIUM
    cwe = 250
    VALID = (
        # provisioning: the admin client reads and creates keys for a bot elsewhere
        "from pybit.unified_trading import HTTP\nadmin = HTTP(api_key='k', api_secret='s')\n"
        "for sub in admin.get_sub_uid_list()['result']['subMembers']:\n"
        "    admin.create_sub_api_key(subuid=sub['uid'], readOnly=0, ips='192.0.2.1')\n",
        # read-only key in a read-only tool
        "from pybit.unified_trading import HTTP\nadmin = HTTP(api_key='k', api_secret='s')\n"
        "new = admin.create_sub_api_key(subuid=1, readOnly=1, ips='192.0.2.1')['result']\n"
        "view = HTTP(api_key=new['apiKey'], api_secret=new['secret'])\n"
        "view.get_wallet_balance(accountType='UNIFIED')\n",
        # the file also trades (through a receiver it cannot resolve)
        "from pybit.unified_trading import HTTP\nadmin = HTTP(api_key='k', api_secret='s')\n"
        "view = HTTP(api_key='k2', api_secret='s2')\nview.get_tickers(category='spot')\n"
        "admin.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1')\n"
        "def run(bot):\n    bot.place_order(category='spot', symbol='BTCUSDT')\n",
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "s.modify_sub_api_key(readOnly=0, ips='192.0.2.1')\n",
                options=(("keys", {"BYBIT_KEY": ["read", "trade:spot"]}),)),
    )
    INVALID = (
        Example("from pybit.unified_trading import HTTP\n"
                "admin = HTTP(api_key='k', api_secret='s')\n"
                "new = admin.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1')['result']\n"
                "view = HTTP(api_key=new['apiKey'], api_secret=new['secret'])\n"
                "view.get_wallet_balance(accountType='UNIFIED')\n", lines=(3,)),
        Example("from pybit.unified_trading import HTTP\n"
                "admin = HTTP(api_key='k', api_secret='s')\n"
                "view = HTTP(api_key='k2', api_secret='s2')\n"
                "admin.create_sub_api_key(subuid=1, ips='192.0.2.1')\n"
                "print(view.get_tickers(category='spot'))\n", lines=(4,)),
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "s.modify_master_api_key(readOnly='0', ips='192.0.2.1')\n",
                lines=(3,), options=(("keys", {"BYBIT_KEY": ["read"]}),)),
        Example("import okx.SubAccount as Sub\nimport okx.MarketData as Market\n"
                "sub = Sub.SubAccountAPI('k', 's', 'p', False, '0')\n"
                "market = Market.MarketAPI(flag='0')\n"
                "sub.reset_subaccount_apikey('sub', 'key', perm='read_only,trade',"
                " ip='192.0.2.1')\n"
                "print(market.get_tickers(instType='SPOT'))\n", lines=(5,)),
    )

    def begin(self) -> None:
        self.found: list[tuple[GrantCall, Grant]] = []

    def check(self, found: GrantCall) -> None:
        grants, _ = found.grants()
        trade = next((g for g in grants if g.permission == "trade"), None)
        if trade is not None:
            self.found.append((found, trade))

    def finish(self) -> None:
        if not self.found:
            return
        reason = self._evidence()
        if reason is None:
            return
        for found, grant in self.found:
            spec = next((g for g in found.entry.get("grants", ())
                         if g.get("permission") == "trade" and g.get("instead")), None)
            fix = f"give it read-only rights ({spec['instead']})" if spec else \
                "give it read-only rights"
            detail = grant.detail.replace(" (the default)", ": read-write by default")
            self.report(grant.node, f"{found.label}() gives an API key trading rights "
                                    f"({detail}) but {reason}: {fix}")

    def _evidence(self) -> str | None:
        """Why read-only suffices, or None when it cannot be told."""
        declared = self.option("keys") or {}
        if declared:
            if all(isinstance(v, (list, tuple)) and
                   declared_scopes(v) <= {"read", "read:account"} for v in declared.values()):
                return "every key this project declares is read-only"
            return None
        an = analysis(self.ctx)
        managing = {id(found.view.call) for found, _ in self.found}
        admins: set[int] = set()
        for found, _ in self.found:
            func = found.view.call.func
            if isinstance(func, cst.Attribute):
                info = an.client_of(func.value, found.view.scope)
                if info is not None:
                    admins.add(id(info.call))
        if self._writes(an, managing):
            return None
        reads = [u for u in key_uses(self.ctx).uses
                 if id(u.call) not in managing and id(u.client.info.call) not in admins]
        if not reads or any(u.permission not in ("read", "read:account") for u in reads):
            return None
        return f"this file only reads data ({reads[0].method}())"

    def _writes(self, an: Any, managing: set[int]) -> bool:
        """Something in the file may trade or move funds: a call whose method name any
        SDK maps to more than reading, or a raw HTTP call that is not a GET."""
        names, patterns = _write_methods(self.ctx.knowledge)
        rest = self.ctx.knowledge.section("rest_calls")
        for call, scope in an.calls:
            if id(call) in managing:
                continue
            func = call.func
            if isinstance(func, cst.Attribute):
                name = normalise(func.attr.value)
                if name in names or any(p.search(name) for p in patterns):
                    return True
            if rest:
                callee = self.ctx.callees.callee(call, scope)
                if callee and any(matches_any(callee, r["calls"]) for r in rest) and \
                        callee.rsplit(".", 1)[-1].lower() not in _SAFE_HTTP:
                    return True
        return False


_SAFE_HTTP = frozenset({"get", "head", "options"})


def _write_methods(knowledge: Knowledge) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """Normalised method names (and regexes) any ``[[permissions]]`` entry maps to more
    than reading."""
    def build(k: Knowledge) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        names: set[str] = set()
        pats: list[re.Pattern[str]] = []
        for entry in k.section("permissions"):
            if entry["permission"] in ("read", "read:account"):
                continue
            names.update(normalise(m) for m in entry.get("methods", ()))
            pats.extend(re.compile(r) for r in entry.get("regex", ()))
        return frozenset(names), tuple(pats)

    return knowledge.derived("aps506-write-methods", build)


# --------------------------------------------------------------------------- uses of keys

def _is_constant(ctx: Any, expr: Any, scope: Any) -> bool:
    """A literal, a constant, or an element of a constant table (an allow-list)."""
    untrusted = _taint_verdict(ctx, expr, scope)
    if untrusted is not None:
        return not untrusted
    cands = ctx.values.candidates(expr, scope)
    if cands and all(_const_value(c) for c in cands):
        return True
    if isinstance(expr, cst.Subscript):
        table = ctx.values.resolve(expr.value, scope)
        if isinstance(table, DictVal) and table.items and \
                all(_const_value(v) for _, _, v in table.items):
            return True
    return False


def _const_value(value: Any) -> bool:
    if isinstance(value, Const):
        return True
    if isinstance(value, SeqVal):
        return all(_const_value(v) for v in value.items)
    if isinstance(value, DictVal):
        return all(_const_value(v) for _, _, v in value.items)
    return False


def _taint_verdict(ctx: Any, expr: Any, scope: Any) -> bool | None:
    """Hook for the taint analysis (APS4xx): True when ``expr`` is untrusted, False when
    it is known clean, None when no taint analysis is available — then the caller falls
    back to "is it a constant?"."""
    taint = ctx.shared.get("taint")
    checker = getattr(taint, "is_tainted", None)
    if checker is None:
        return None
    try:
        return bool(checker(expr, scope))
    except Exception:  # the hook must never break this family
        return None


def _funds_tokens(knowledge: Knowledge) -> frozenset[bytes]:
    tokens: set[str] = set()
    for entry in knowledge.section("permissions"):
        if entry["permission"] in FUNDS:
            tokens.update(t.lower() for t in entry.get("triggers", ()))
    return frozenset(t.encode() for t in tokens)


def _funds_methods(knowledge: Knowledge) -> dict[str, dict[str, dict[str, Any]]]:
    """pack name -> normalised withdraw method -> entry (for unresolved receivers)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in knowledge.section("permissions"):
        if entry["permission"] == "withdraw":
            for m in entry.get("methods", ()):
                out.setdefault(entry["_pack"], {}).setdefault(normalise(m), entry)
    return out


# -- declared keys ([tool.apisec-lint.keys]) ------------------------------------------

_ALIASES = SCOPE_ALIASES


def declared_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """Declared scope names -> the vocabulary (``trade`` -> both trade scopes)."""
    out: set[str] = set()
    for raw in scopes:
        s = raw.strip().lower()
        if s in PERMISSIONS:
            out.add(s)
        out.update(_ALIASES.get(s, ()))
    return frozenset(out)


def unused_scopes(raw_scopes: Iterable[str], needs: Iterable[str]) -> list[str]:
    """Declared trading/funds scopes (as written) that none of ``needs`` requires;
    ``trade`` counts as used when either market is."""
    needed = set(needs)
    out = []
    for raw in raw_scopes:
        expanded = declared_scopes([raw]) - {"read", "read:account"}
        if expanded and not expanded & needed and raw not in out:
            out.append(raw)
    return out


def covers(declared: frozenset[str], needed: str) -> bool:
    """Reading is implied by any key (public data needs none; an exchange key always
    reads its own account); every other permission must be declared."""
    if needed in ("read", "read:account"):
        return True
    return needed in declared


def declared_for(credentials: Iterable[str | None], declared: dict[str, Any]) -> \
        tuple[str, frozenset[str]] | None:
    """The declared entry (name, scopes) that names one of ``credentials``."""
    if not declared or not isinstance(declared, dict):
        return None
    for cred in credentials:
        if not cred:
            continue
        kind, _, rest = cred.partition(":")
        key_path = rest.partition("#")[2]
        for name, scopes in declared.items():
            if not isinstance(scopes, (list, tuple)):
                continue
            if name in (cred, rest) or (kind == "config" and key_path and (
                    name == key_path or key_path.endswith("." + name)
                    or name == rest.replace("#", "."))):
                return name, declared_scopes(scopes)
    return None


class WithdrawalInTradingCode(Rule):
    """The code withdraws or transfers funds, so its API key must be able to.

    ## What it does
    Finds SDK calls that move funds — ccxt `withdraw` / `transfer` and implicit endpoints
    such as `sapiPostCapitalWithdrawApply`, python-binance `withdraw` /
    `universal_transfer`, pybit `withdraw` / `create_universal_transfer`, OKX
    `withdrawal` / `funds_transfer`, KuCoin `apply_withdrawal` / `inner_transfer` (the
    `[[permissions]]` entries with `withdraw` or `transfer`). Severity is high when the
    destination address or the amount is not a constant (a parameter, user input, a
    computed value) rather than a literal or an entry of a constant allow-list.

    ## Why is this bad?
    The key this code runs with must have withdrawal or transfer rights, so whoever gets
    the key — or controls the address or amount reaching this call — can drain the
    account. Bots should run on keys that cannot withdraw; sweeps belong in a separate,
    audited job with its own IP-bound key and a fixed whitelist of addresses.

    ## Example
    ```python
    def sweep(address, amount):
        return exchange.withdraw("USDT", amount, address)
    ```

    ## Use instead
    ```python
    COLD_WALLETS = {"USDT": "TXYZ...cold"}  # also whitelisted on the exchange
    def sweep(amount):
        return treasury.withdraw("USDT", min(amount, MAX_SWEEP), COLD_WALLETS["USDT"])
    ```
    and declare the key's scopes in `[tool.apisec-lint.keys]` (then constant-address
    sweeps on a key declared with `withdraw` are not reported).

    ## How to suppress
    `# apisec: ignore[APS503] -- treasury job, key IP-bound` on the call.
    """

    code = "APS503"
    name = "withdrawal-in-trading-code"
    severity = Severity.MEDIUM
    cwe = 250
    VALID = (
        "import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
        "ex.fetch_withdrawals('USDT')\nex.create_order('BTC/USDT', 'limit', 'buy', 1, 2)\n",
        Example("import os, ccxt\nex = ccxt.kraken({'apiKey': os.environ['K'], 'secret': 's'})\n"
                "ex.withdraw('BTC', 0.1, 'bc1qcold')\n", options=(("keys", {"K": ["withdraw"]}),)),
        "class Wallet:\n    def withdraw(self, amount):\n        return amount\n"
        "Wallet().withdraw(5)\n",
    )
    INVALID = (
        Example("import ccxt\nex = ccxt.kraken({'apiKey': 'k', 'secret': 's'})\n"
                "def sweep(amount, to):\n    return ex.withdraw('BTC', amount, to)\n",
                lines=(4,)),
        Example("from binance.client import Client\nc = Client('k', 's')\n"
                "c.withdraw(coin='BTC', address='bc1qcold', amount=0.1)\n", lines=(3,)),
        Example("import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
                "ex.sapiPostCapitalWithdrawApply({'coin': 'USDT', 'address': 'T1', 'amount': 5})\n",
                lines=(3,)),
        Example("import ccxt\n\ndef move(exchange, amount):\n"
                "    exchange.withdraw('USDT', amount, 'TXcold')\n", lines=(4,)),
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "s.create_universal_transfer(coin='USDT', amount='10', fromMemberId=1,"
                " toMemberId=2, fromAccountType='UNIFIED', toAccountType='UNIFIED',"
                " transferId='x')\n", lines=(3,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        return _funds_tokens(knowledge)

    def finish(self) -> None:
        data = key_uses(self.ctx)
        declared = self.option("keys") or {}
        reported: set[int] = set()
        for use in data.uses:
            if use.permission not in FUNDS:
                continue
            reported.add(id(use.call))
            decl = declared_for((use.client.credential, *use.client.aliases), declared)
            self._check(use.call, use.method, use.permission, use.entry, use.scope, decl)
        self._unresolved(reported)

    def _unresolved(self, reported: set[int]) -> None:
        """``exchange.withdraw(...)`` where ``exchange`` comes from elsewhere (a parameter
        of an unknown caller, another module) in a file that uses a known SDK."""
        methods = _funds_methods(self.ctx.knowledge)
        matcher = grant_matcher(self.ctx)
        imported = [m for pack, m in methods.items() if pack in matcher.imported_packs]
        if not imported:
            return
        an = analysis(self.ctx)
        for call, scope in an.calls:
            func = call.func
            if id(call) in reported or not isinstance(func, cst.Attribute) or \
                    _is_self(func.value):
                continue
            name = normalise(func.attr.value)
            entry = next((m[name] for m in imported if name in m), None)
            if entry is None:
                continue
            if self.ctx.callees.callee(call, scope) is not None or \
                    an.client_of(func.value, scope) is not None or \
                    _built_locally(self.ctx, func.value, scope):
                continue  # a known object of another type, or an SDK client mapped above
            self._check(call, func.attr.value, entry["permission"], entry, scope, None)

    def _check(self, call: Any, method: str, permission: str, entry: dict[str, Any],
               scope: Any, decl: tuple[str, frozenset[str]] | None) -> None:
        loose = []
        for spec in entry.get("args", ()):
            arg = find_arg(call, spec.get("name"), spec.get("position"))
            if arg is not None and not _is_constant(self.ctx, arg.value, scope):
                loose.append(spec.get("name") or spec["role"])
        if decl is not None and permission in decl[1] and not loose:
            return  # declared and to a fixed destination: acknowledged
        power = "withdrawal" if permission == "withdraw" else "transfer"
        if loose:
            self.report(call, f"{method}() needs a key with {power} rights and its "
                              f"{', '.join(loose)} is not a constant: whoever controls it or "
                              "the key can move the funds", severity=Severity.HIGH)
        else:
            self.report(call, f"{method}() needs a key with {power} rights; keep funds "
                              "movement out of trading code and off trading keys")


class _DeclaredRule(Rule):
    """Shared: runs only when ``keys`` is configured; SDK files only."""

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        mods = {m.lower() for m in knowledge.modules}
        return frozenset(m.encode() for m in mods if m)

    @classmethod
    def applies(cls, config: Config) -> bool:
        return bool(config.option("keys"))


class KeyScopeExceeded(_DeclaredRule):
    """A call needs a permission its API key is not declared with.

    ## What it does
    When the project declares what each key may do —
    ```toml
    [tool.apisec-lint.keys]
    BINANCE_API_KEY = ["read", "trade:futures"]
    ```
    — reports every SDK call made with that key (found by the key's source: the
    environment variable, config key or literal) that needs a permission outside the
    declaration: a `read` key placing orders, a futures key sending spot orders, any key
    withdrawing without `withdraw`. Reading is implied by every key. Scopes: `read`,
    `read:account`, `trade:spot`, `trade:futures` (also margin and leverage), `trade`
    (both), `transfer`, `withdraw`.

    ## Why is this bad?
    Either the declaration is wrong (and the key in production has more power than the
    team thinks), or the code will fail with a permission error the first time it takes
    this path — typically in the middle of a trade.

    ## Example
    ```python
    ex = ccxt.binance({"apiKey": os.environ["BINANCE_API_KEY"], "secret": SECRET})
    ex.create_order("BTC/USDT", "market", "buy", 0.01)  # key declared ["read"]
    ```

    ## Use instead
    Declare the scope the code really needs (`["read", "trade:spot"]`), and give the
    exchange key exactly that — or remove the call.

    ## How to suppress
    `# apisec: ignore[APS504] -- <why>` on the call.
    """

    code = "APS504"
    name = "key-scope-exceeded"
    severity = Severity.MEDIUM
    cwe = 250
    VALID = (
        Example("import os, ccxt\n"
                "ex = ccxt.binanceusdm({'apiKey': os.environ['BK'], 'secret': 's'})\n"
                "ex.fetch_ticker('BTC/USDT')\nex.create_order('BTC/USDT', 'market', 'buy', 1)\n",
                options=(("keys", {"BK": ["read", "trade:futures"]}),)),
        "import os, ccxt\nex = ccxt.binance({'apiKey': os.environ['BK'], 'secret': 's'})\n"
        "ex.create_order('BTC/USDT', 'market', 'buy', 1)\n",
    )
    INVALID = (
        Example("import os, ccxt\nex = ccxt.binance({'apiKey': os.environ['BK'], 'secret': 's'})\n"
                "ex.fetch_balance()\nex.create_order('BTC/USDT', 'market', 'buy', 1)\n",
                lines=(4,), options=(("keys", {"BK": ["read"]}),)),
        Example("import os\nfrom binance.client import Client\n"
                "c = Client(os.getenv('BK'), os.getenv('BS'))\n"
                "c.futures_change_leverage(symbol='BTCUSDT', leverage=5)\n",
                lines=(4,), options=(("keys", {"BK": ["read", "trade:spot"]}),)),
    )

    def finish(self) -> None:
        declared = self.option("keys") or {}
        if not declared:
            return
        for use in key_uses(self.ctx).uses:
            decl = declared_for((use.client.credential, *use.client.aliases), declared)
            if decl is None or covers(decl[1], use.permission):
                continue
            name, scopes = decl
            shown = ", ".join(sorted(scopes, key=RANK.__getitem__)) or "nothing"
            severity = Severity.HIGH if use.permission in FUNDS else None
            self.report(use.call, f"{use.method}() needs {use.permission} but key {name} is "
                                  f"declared with {shown}", severity=severity)


class KeyScopeUnused(_DeclaredRule):
    """A key is declared with a power the code that uses it never needs.

    ## What it does
    With `[tool.apisec-lint.keys]` declared, reports — at the place the key is passed to
    its client — each declared trading or funds scope (`trade:spot`, `trade:futures`,
    `transfer`, `withdraw`) that no call made with that key in the file needs. The check
    is per file: it runs where the client is built *and used*; a client that is only
    built in a file (and used elsewhere) is not judged. `apisec-lint --permissions`
    shows the project-wide picture.

    ## Why is this bad?
    Every unused power is risk without benefit: a futures bot whose key can also
    withdraw turns a leaked key into an emptied account. Least privilege means the key
    on the exchange has exactly what the code needs.

    ## Example
    ```toml
    [tool.apisec-lint.keys]
    BINANCE_API_KEY = ["read", "trade:futures", "withdraw"]  # the bot never withdraws
    ```

    ## Use instead
    ```toml
    BINANCE_API_KEY = ["read", "trade:futures"]
    ```
    and untick "Enable Withdrawals" on the exchange key.

    ## How to suppress
    `# apisec: ignore[APS505] -- <why>` where the key is passed to the client.
    """

    code = "APS505"
    name = "key-scope-unused"
    severity = Severity.MEDIUM
    cwe = 250
    VALID = (
        Example("import os, ccxt\n"
                "ex = ccxt.binanceusdm({'apiKey': os.environ['BK'], 'secret': 's'})\n"
                "ex.create_order('BTC/USDT', 'market', 'buy', 1)\n",
                options=(("keys", {"BK": ["read", "trade:futures"]}),)),
        Example("import os, ccxt\nex = ccxt.binance({'apiKey': os.environ['BK'], 'secret': 's'})\n",
                options=(("keys", {"BK": ["withdraw"]}),)),
    )
    INVALID = (
        Example("import os, ccxt\nex = ccxt.binanceusdm({'apiKey': os.environ['BK'],\n"
                "                        'secret': 's'})\n"
                "ex.create_order('BTC/USDT', 'market', 'buy', 1)\n",
                lines=(2,), options=(("keys", {"BK": ["read", "trade:futures", "withdraw"]}),)),
    )

    def finish(self) -> None:
        declared = self.option("keys") or {}
        if not declared:
            return
        data = key_uses(self.ctx)
        needs: dict[str, set[str]] = {}
        first: dict[str, Any] = {}
        for use in data.uses:
            decl = declared_for((use.client.credential, *use.client.aliases), declared)
            if decl is None:
                continue
            needs.setdefault(decl[0], set()).add(use.permission)
            first.setdefault(decl[0], (use.client, decl[1]))
        for name, (client, _) in sorted(first.items()):
            unused = unused_scopes(declared[name], needs[name])
            if not unused:
                continue
            severity = Severity.HIGH if declared_scopes(unused) & set(FUNDS) else None
            self.report(client.node, f"key {name} is declared with {', '.join(unused)} but "
                                     "no call made with it here needs that: remove the "
                                     "permission from the key (least privilege)",
                        severity=severity)


RULES = [KeyGrantsFunds, KeyWithoutIpWhitelist, WithdrawalInTradingCode, KeyScopeExceeded,
         KeyScopeUnused, ReadWriteKeyForReadOnlyCode]

"""Where a credential value comes from, followed through one file.

``origin(expr)`` answers "is this expression a credential, and from where?":

* ``env:BINANCE_SECRET`` -- ``os.getenv("BINANCE_SECRET")``, ``os.environ[...]`` and the
  other ``[[secret_sources]]`` of the packs (the variable name must be secret-ish);
* ``config:cfg['secret']`` -- a subscript or ``.get`` with a secret-ish key;
* ``literal:AbCd…(64 chars)`` -- a name assigned a credential-looking literal;
* ``client:exchange.secret`` -- a credential attribute of a known SDK client;
* ``keyring`` / ``prompt`` / ``vault`` sources; and, as a last resort, a strongly
  secret-named variable, attribute or parameter with no visible source (``api_secret``).

Names, attributes, f-strings, ``+`` / ``%`` / ``.format`` formatting, containers,
conditional expressions and pass-through calls (``str()``, ``.strip()``,
``json.dumps``) are followed. Everything else -- slices (``key[:4]``), ``len()``,
``bool()``, comparisons, any other call -- transforms the value and ends the trail, so
masked forms are not credentials.

The credential rules use it for leaks (APS104); the permission report can use
:meth:`Credentials.origin` of a client's key argument to name where the key comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.secrets import assess, classify_name, compile_shapes, mask
from apisec_lint.analysis.values import UNKNOWN, Const, DictVal, _attr_key, literal
from apisec_lint.packs import matches_any

if TYPE_CHECKING:
    from apisec_lint.context import FileContext

_MAX_DEPTH = 12
_PASSTHROUGH_CALLS = ("builtins.str", "builtins.repr", "builtins.format", "builtins.bytes",
                      "json.dumps", "pprint.pformat", "builtins.vars", "dataclasses.asdict",
                      "textwrap.dedent", "urllib.parse.quote", "urllib.parse.urlencode")
_PASSTHROUGH_METHODS = {"strip", "lstrip", "rstrip", "upper", "lower", "casefold", "encode",
                        "decode", "get_secret_value", "to_dict", "dict", "model_dump", "copy",
                        "items", "values"}
CREDENTIAL_ROLES = ("key", "secret", "passphrase", "password", "token", "private_key",
                    "mnemonic", "webhook")


@dataclass(frozen=True)
class Origin:
    """A credential and where it comes from: ``kind`` is env, config, literal, client,
    keyring, prompt, vault or name; ``name`` the variable / key / masked literal."""

    kind: str
    name: str
    role: str = "secret"

    def describe(self) -> str:
        """``env:BINANCE_SECRET``, ``config:cfg['secret']``, ``literal:AbCd…(64 chars)``,
        or the variable name for ``name`` origins."""
        if self.kind == "name":
            return self.name
        return f"{self.kind}:{self.name}"


class Credentials:
    """Credential origins for the expressions of one Python file."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        knowledge = ctx.knowledge
        # Environment readers are shared with the permission report
        # (``[[credential_sources]]``); keyrings, prompts and vaults are
        # ``[[secret_sources]]``.
        self.sources = [e for e in knowledge.section("credential_sources") if e["kind"] == "env"]
        self.sources += knowledge.section("secret_sources")
        self.shapes = compile_shapes(knowledge.section("key_shapes"))
        self.placeholders = tuple(e["pattern"] for e in knowledge.section("placeholders"))
        self._memo: dict[tuple[int, int], tuple[Any, Any, Origin | None]] = {}
        self.client_attrs: dict[str, str] = {}
        for entry in knowledge.section("clients"):
            for attr in entry.get("attributes", ()):
                self.client_attrs[attr["name"]] = attr["role"]

    # -- sources ---------------------------------------------------------------------
    def source_call(self, call: Any) -> tuple[dict[str, Any], str | None] | None:
        """For a call of an env reader or secret source: the pack entry and the
        variable name it reads (a literal), else None."""
        if not isinstance(call, cst.Call):
            return None
        callee = self.ctx.callee(call)
        if not callee:
            return None
        for entry in self.sources:
            if entry.get("calls") and matches_any(callee, entry["calls"]):
                return entry, self._literal_arg(call, entry.get("param"),
                                                 entry.get("position"))
        return None

    def _literal_arg(self, call: Any, name: str | None, position: int | None) -> str | None:
        from apisec_lint.analysis.calls import find_arg

        if name is None and position is None:
            return None
        arg = find_arg(call, name, position)
        if arg is None:
            return None
        value = self.ctx.values.resolve(arg.value, self.ctx.scope)
        if isinstance(value, Const) and isinstance(value.value, str):
            return value.value
        return None

    def source_mapping(self, node: Any) -> dict[str, Any] | None:
        """The source entry whose ``subscripts`` ``node`` is (``os.environ``)."""
        name = self.ctx.imports.qualified_name(node)
        if not name:
            return None
        for entry in self.sources:
            if entry.get("subscripts") and matches_any(name, entry["subscripts"]):
                return entry
        return None

    # -- origins ---------------------------------------------------------------------
    def origin(self, expr: Any, scope: Any = None, depth: int = 0) -> Origin | None:
        """Where the credential ``expr`` evaluates to comes from, or None when ``expr``
        is not (or no longer, after masking) a credential."""
        if depth > _MAX_DEPTH or expr is None:
            return None
        if scope is None:
            scope = self.ctx.scope
        # Memoised like Values.candidates: an expression met again while it is being
        # followed (``x = x + y``) is not a credential source on that path.
        key = (id(expr), id(scope))
        hit = self._memo.get(key)
        if hit is not None and hit[0] is expr and hit[1] is scope:
            return hit[2]
        self._memo[key] = (expr, scope, None)
        found = self._origin(expr, scope, depth)
        self._memo[key] = (expr, scope, found)
        return found

    def _origin(self, expr: Any, scope: Any, depth: int) -> Origin | None:
        nxt = depth + 1
        if isinstance(expr, cst.Name):
            return self._named(expr, expr.value, expr.value, scope, nxt)
        if isinstance(expr, cst.Attribute):
            role = self.client_attrs.get(expr.attr.value)
            if role in CREDENTIAL_ROLES and self.ctx.clients.client_of(expr.value, scope):
                return Origin("client", _attr_key(expr) or expr.attr.value, role)
            key = _attr_key(expr)
            if key is None:
                return None
            return self._named(expr, key, expr.attr.value, scope, nxt)
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, scope, nxt)
        if isinstance(expr, cst.Call):
            return self._call(expr, scope, nxt)
        if isinstance(expr, cst.FormattedString):
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found = self.origin(part.expression, scope, nxt)
                    if found:
                        return found
            return None
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, (cst.Add, cst.Modulo)):
                return self.origin(expr.left, scope, nxt) or self.origin(expr.right, scope, nxt)
            return None
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            for el in expr.elements:
                found = self.origin(el.value, scope, nxt)
                if found:
                    return found
            return None
        if isinstance(expr, cst.Dict):
            for el in expr.elements:
                found = self.origin(el.value, scope, nxt)
                if found:
                    return found
            return None
        if isinstance(expr, cst.IfExp):
            return self.origin(expr.body, scope, nxt) or self.origin(expr.orelse, scope, nxt)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return self.origin(expr.left, scope, nxt) or self.origin(expr.right, scope, nxt)
        if isinstance(expr, cst.Await):
            return self.origin(expr.expression, scope, nxt)
        if isinstance(expr, cst.NamedExpr):
            return self.origin(expr.value, scope, nxt)
        return None

    def _literal_origin(self, value: Any, name: str) -> Origin | None:
        info = classify_name(name)
        verdict = assess(value, strength=info.strength if info else "none",
                         role=info.role if info else "", name=name, shapes=self.shapes,
                         placeholders=self.placeholders)
        if verdict is None:
            return None
        return Origin("literal", mask(str(value)), info.role if info else "secret")

    def _named(self, node: Any, key: str, last: str, scope: Any, depth: int) -> Origin | None:
        values = self.ctx.values
        sources = values.assignments(key, scope)
        if not sources and "." in key:
            sources = values.all_assignments(key)
        info = classify_name(last)
        for src in sources:
            lit = literal(src)
            if lit is not UNKNOWN:
                if isinstance(lit, (str, bytes)):
                    found = self._literal_origin(lit, last)
                    if found:
                        return found
                continue
            found = self.origin(src, scope, depth)
            if found:
                return found
        if sources:
            for cand in values.candidates(node, scope):
                if isinstance(cand, DictVal):
                    found = self._dict_origin(cand, key)
                    if found:
                        return found
            if info and info.role == "token" and all(_minted(s) for s in sources):
                # a session/JWT token the code just issued (``create_token(...)``) is
                # handed to its client by design; it is not a stored credential
                return None
            if info and info.strength == "strong" and any(literal(s) is UNKNOWN for s in sources):
                return Origin("name", key, info.role)
            return None
        if info and info.strength == "strong" and info.role in CREDENTIAL_ROLES and \
                (not isinstance(node, cst.Name) or self._parameter_or_import(key)):
            return Origin("name", key, info.role)
        return None

    def _parameter_or_import(self, name: str) -> bool:
        """A name with no assignment is taken by its name only when it is a parameter of
        an enclosing function or an imported name -- not a loop or ``with`` target."""
        if name in self.ctx.imports.aliases:
            return True
        state = self.ctx.state
        for scope in (state.scopes if state is not None else ()):
            params = getattr(scope, "params", None)
            if isinstance(params, cst.Parameters):
                for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                    if param.name.value == name:
                        return True
                for star in (params.star_arg, params.star_kwarg):
                    if isinstance(star, cst.Param) and star.name.value == name:
                        return True
        return False

    def _dict_origin(self, dv: DictVal, owner: str) -> Origin | None:
        for k, _knode, val in dv.items:
            if not isinstance(k, str):
                continue
            info = classify_name(k)
            if info is None or info.strength != "strong":
                continue
            if val is UNKNOWN:
                return Origin("config", f"{owner}[{k!r}]", info.role)
            if isinstance(val, Const) and isinstance(val.value, (str, bytes)):
                found = self._literal_origin(val.value, k)
                if found:
                    return found
        return None

    def _subscript(self, expr: Any, scope: Any, depth: int) -> Origin | None:
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None  # key[:4], key[-4:]: masked
        index = self.ctx.values.resolve(expr.slice[0].slice.value, scope)
        key = index.value if isinstance(index, Const) and isinstance(index.value, str) else None
        entry = self.source_mapping(expr.value)
        if entry is not None:
            return self._from_source(entry, key)
        if key is None:
            return None
        info = classify_name(key)
        if info is None:
            return None
        if info.strength == "weak" and not self._credentialish_owner(expr.value):
            return None
        owner = dotted_name(expr.value) or _source(expr.value)
        return Origin("config", f"{owner}[{key!r}]", info.role)

    def _credentialish_owner(self, node: Any) -> bool:
        text = (dotted_name(node) or _source(node)).lower()
        return bool(re.search(r"exchange|cred|secret|api|auth|key", text))

    def _from_source(self, entry: dict[str, Any], name: str | None) -> Origin | None:
        kind = entry["kind"]
        if kind == "env":
            if not name:
                return None
            info = classify_name(name)
            if info is None:
                return None
            return Origin("env", name, info.role)
        return Origin(kind, name or kind, "secret")

    def _call(self, call: Any, scope: Any, depth: int) -> Origin | None:
        found = self.source_call(call)
        if found is not None:
            entry, name = found
            return self._from_source(entry, name)
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "get" and call.args and call.args[0].keyword is None:
                key = self.ctx.values.resolve(call.args[0].value, scope)
                if isinstance(key, Const) and isinstance(key.value, str):
                    mapping = self.source_mapping(func.value)
                    if mapping is not None:
                        return self._from_source(mapping, key.value)
                    info = classify_name(key.value)
                    if info is not None and (info.strength == "strong"
                                             or self._credentialish_owner(func.value)):
                        owner = dotted_name(func.value) or _source(func.value)
                        return Origin("config", f"{owner}[{key.value!r}]", info.role)
                return None
            if method == "format" and isinstance(func.value, (cst.SimpleString,
                                                              cst.ConcatenatedString)):
                for arg in call.args:
                    got = self.origin(arg.value, scope, depth)
                    if got:
                        return got
                return None
            if method == "join":
                return None
            if method in _PASSTHROUGH_METHODS:
                return self.origin(func.value, scope, depth)
        callee = self.ctx.callee(call) or ""
        if callee and matches_any(callee, _PASSTHROUGH_CALLS):
            for arg in call.args:
                if arg.keyword is None:
                    return self.origin(arg.value, scope, depth)
        return None


def _source(node: Any) -> str:
    try:
        return str(cst.Module(body=[]).code_for_node(node))
    except Exception:
        return "?"


def credentials(ctx: FileContext) -> Credentials:
    """The shared :class:`Credentials` analysis of the file ``ctx`` describes."""
    found: Credentials = ctx.analysis("credentials", Credentials)
    return found


_MINTING = ("create", "generate", "issue", "mint", "encode", "make", "new")


def _minted(expr: Any) -> bool:
    """``create_token(...)`` / ``jwt.encode(...)`` / ``await issue_token(...)``."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    name = func.attr.value if isinstance(func, cst.Attribute) else (
        func.value if isinstance(func, cst.Name) else "")
    return name.lower().lstrip("_").startswith(_MINTING)


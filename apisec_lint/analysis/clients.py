"""Which expressions hold which SDK client.

A client is born at a call whose qualified name matches a ``[[clients]]`` entry of a
pack (``ccxt.binance({...})``, ``Client(k, s)``, ``await AsyncClient.create(...)``,
``getattr(ccxt, name)(cfg)``). The analysis follows it into the names and attributes
it is stored in (``exchange = ...``, ``self.exchange = ...`` used from another method,
``with HTTP(...) as s``), so a rule can ask ``client_of(expr)`` for the receiver of a
method call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.imports import DYNAMIC, ImportMap
from apisec_lint.analysis.values import Values, _attr_key
from apisec_lint.packs import Knowledge, matches_any


@dataclass(frozen=True)
class ClientInfo:
    """An SDK client: which pack entry describes it and where it was built."""

    sdk: str
    exchange: str  # exchange id ("binance", "binanceusdm"), or "" when unknown
    constructor: str  # the qualified name called
    call: Any  # the constructing Call node
    entry: dict[str, Any]  # the [[clients]] pack entry


class Clients:
    """Client constructions and the names/attributes that hold them, for one file."""

    def __init__(self, module: Any, imports: ImportMap, values: Values,
                 knowledge: Knowledge) -> None:
        self.imports = imports
        self.values = values
        self.entries = knowledge.section("clients")
        self._by_call: dict[int, ClientInfo | None] = {}
        self._memo: dict[tuple[int, int], tuple[Any, Any, ClientInfo | None]] = {}

    def constructed_by(self, call: Any) -> ClientInfo | None:
        """The client a Call node constructs, if it is a known SDK constructor."""
        key = id(call)
        if key in self._by_call:
            return self._by_call[key]
        info = None
        if isinstance(call, cst.Call):
            name = self.imports.callee(call)
            if name is not None:
                info = self._match(name, call)
        self._by_call[key] = info
        return info

    def _match(self, name: str, call: Any) -> ClientInfo | None:
        for entry in self.entries:
            if matches_any(name, entry["match"]) and \
                    not matches_any(name, entry.get("exclude", ())):
                exchange = entry.get("exchange")
                if exchange is None:
                    last = name.rsplit(".", 1)[-1]
                    exchange = "" if last == DYNAMIC else last
                return ClientInfo(entry["sdk"], exchange, name, call, entry)
        return None

    def client_of(self, expr: Any, scope: Any = None, _depth: int = 0) -> ClientInfo | None:
        """The client ``expr`` evaluates to (a constructor call, or a name/attribute
        assigned one), else None. Memoised with a cycle cut (see Values.candidates)."""
        if _depth > 8 or expr is None:
            return None
        key = (id(expr), id(scope))
        memo = self._memo.get(key)
        if memo is not None and memo[0] is expr and memo[1] is scope:
            return memo[2]
        self._memo[key] = (expr, scope, None)
        found = self._client_of(expr, scope, _depth)
        self._memo[key] = (expr, scope, found)
        return found

    def _client_of(self, expr: Any, scope: Any, _depth: int) -> ClientInfo | None:
        if isinstance(expr, cst.Await):
            return self.client_of(expr.expression, scope, _depth + 1)
        if isinstance(expr, cst.Call):
            return self.constructed_by(expr)
        key = None
        if isinstance(expr, cst.Name):
            key = expr.value
        elif isinstance(expr, cst.Attribute):
            key = _attr_key(expr)
        if key is None:
            return None
        sources = self.values.assignments(key, scope)
        if not sources and "." in key:
            sources = self.values.all_assignments(key)
        for src in sources:
            found = self.client_of(src, None if "." in key else scope, _depth + 1)
            if found is not None:
                return found
        return self._from_with(key, expr)

    def _from_with(self, key: str, expr: Any) -> ClientInfo | None:
        # ``with HTTP(...) as session`` / ``async with ccxt.binance() as ex``
        for item in self._with_items():
            asname = item.asname
            if asname is not None and isinstance(asname.name, cst.Name) and \
                    asname.name.value == key:
                return self.client_of(item.item, None, 1)
        return None

    def _with_items(self) -> list[Any]:
        cached = getattr(self, "_with_cache", None)
        if cached is None:
            cached = [item for node in self.values.index.of(cst.With) for item in node.items]
            self._with_cache = cached
        return cached

    def method_call(self, call: Any, scope: Any = None) -> tuple[ClientInfo, str] | None:
        """For ``<client>.<method>(...)``: the client and the method name."""
        func = call.func if isinstance(call, cst.Call) else None
        if isinstance(func, cst.Attribute):
            info = self.client_of(func.value, scope)
            if info is not None:
                return info, func.attr.value
        return None

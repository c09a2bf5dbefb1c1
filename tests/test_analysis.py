"""The shared analyses: import aliases, constant values, SDK clients, callees."""

from __future__ import annotations

import libcst as cst

from apisec_lint.analysis.calls import Callees, find_arg
from apisec_lint.analysis.clients import Clients
from apisec_lint.analysis.imports import ImportMap
from apisec_lint.analysis.values import UNKNOWN, Const, DictVal, Values
from apisec_lint.packs import load_knowledge
from apisec_lint.walk import iter_tree

KNOWLEDGE = load_knowledge()


def _calls(module: cst.Module) -> list[cst.Call]:
    return [n for n in iter_tree(module) if isinstance(n, cst.Call)]


def _module(src: str):
    module = cst.parse_module(src)
    imports = ImportMap(module)
    values = Values(module)
    return module, imports, values, Clients(module, imports, values, KNOWLEDGE)


def _scope_of(module: cst.Module, name: str):
    return next(n for n in iter_tree(module) if isinstance(n, cst.FunctionDef)
                and n.name.value == name)


def test_import_aliases() -> None:
    src = "\n".join([
        "import ccxt as cx", "import ccxt.async_support as accxt", "import ccxt.pro",
        "from binance.client import Client", "from binance import AsyncClient as AC",
        "import requests", "from .local import helper",
        "cx.binance()", "accxt.bybit()", "ccxt.pro.okx()", "Client()", "AC.create()",
        "requests.Session().get()", "helper()", "input()", "getattr(cx, name)()",
        "getattr(cx, 'kraken')()", "unknown.thing()",
    ])
    module, imports, _, _ = _module(src)
    names = [imports.callee(c) for c in _calls(module)]
    assert names[:8] == ["ccxt.binance", "ccxt.async_support.bybit", "ccxt.pro.okx",
                         "binance.client.Client", "binance.AsyncClient.create",
                         None, "requests.Session", ".local.helper"]
    # a method of an object built in place needs the Callees analysis
    callees = Callees(module, imports, Values(module))
    assert callees.callee(_calls(module)[5]) == "requests.Session.get"
    assert "builtins.input" in names and "ccxt.<dynamic>" in names
    assert "ccxt.kraken" in names and None in names


def test_shadowed_builtin_is_not_a_builtin() -> None:
    module, imports, _, _ = _module("def input(p):\n    return p\ninput('x')\n")
    assert imports.callee(_calls(module)[0]) is None


def test_values_follow_names_dicts_and_branches() -> None:
    src = "\n".join([
        "VERIFY = False",
        "BASE = {'apiKey': 'k1'}",
        "cfg = {**BASE, 'secret': 's' + '2'}",
        "cfg['password'] = 'p3'",
        "cfg.update({'uid': 'u4'})",
        "other = dict(apiKey='k5', **BASE)",
        "x = 1 if flag else 2",
        "def f():",
        "    VERIFY = True",
        "    return VERIFY",
        "def g():",
        "    return VERIFY",
    ])
    module, _, values, _ = _module(src)
    name = cst.Name
    assert values.resolve(name("VERIFY")).value is False
    assert values.resolve(name("VERIFY"), _scope_of(module, "f")).value is True
    assert values.resolve(name("VERIFY"), _scope_of(module, "g")).value is False
    cfg = values.resolve(name("cfg"))
    assert isinstance(cfg, DictVal)
    assert {k: v.value for k, _, v in cfg.items if isinstance(v, Const)} == {
        "apiKey": "k1", "secret": "s2", "password": "p3", "uid": "u4"}
    other = values.resolve(name("other"))
    assert other.get("apiKey").value == "k1"  # ** after the keyword wins
    assert values.resolve(name("x")) is UNKNOWN
    assert sorted(c.value for c in values.candidates(name("x"))) == [1, 2]
    # the node of a constant is where the literal is written
    key_node = cfg.get("apiKey").node
    assert isinstance(key_node, cst.SimpleString) and key_node.value == "'k1'"


def test_clients_followed_into_attributes_and_with() -> None:
    src = "\n".join([
        "import ccxt", "from pybit.unified_trading import HTTP",
        "class Bot:",
        "    def __init__(self):",
        "        self.exchange = ccxt.binanceusdm({'enableRateLimit': True})",
        "    def run(self):",
        "        self.exchange.create_order('BTC/USDT', 'market', 'buy', 1)",
        "def other():",
        "    with HTTP(testnet=True) as session:",
        "        session.place_order(category='linear')",
        "ex = getattr(ccxt, exchange_id)({})",
        "ex.fetch_ticker('x')",
        "err = ccxt.NetworkError('x')",
    ])
    module, _, _, clients = _module(src)
    calls = {c.func.attr.value: c for c in _calls(module) if isinstance(c.func, cst.Attribute)}
    info, method = clients.method_call(calls["create_order"])
    assert (info.sdk, info.exchange, method) == ("ccxt", "binanceusdm", "create_order")
    info, method = clients.method_call(calls["place_order"], _scope_of(module, "other"))
    assert (info.sdk, info.exchange) == ("pybit", "bybit")
    info, _ = clients.method_call(calls["fetch_ticker"])
    assert info.sdk == "ccxt" and info.exchange == ""
    assert clients.constructed_by(calls["NetworkError"]) is None


def test_callees_of_objects_built_in_the_file() -> None:
    src = "\n".join([
        "import requests, aiohttp",
        "s = requests.Session()",
        "s.get('u', verify=False)",
        "async def f():",
        "    async with aiohttp.ClientSession() as sess:",
        "        await sess.get('u', ssl=False)",
    ])
    module, imports, values, _ = _module(src)
    callees = Callees(module, imports, values)
    names = [callees.callee(c, _scope_of(module, "f")) for c in _calls(module)]
    assert "requests.Session.get" in names and "aiohttp.ClientSession.get" in names
    get = next(c for c in _calls(module) if callees.callee(c) == "requests.Session.get")
    assert find_arg(get, "verify").value.value == "False"
    assert find_arg(get, position=0).value.value == "'u'"
    assert find_arg(get, "timeout") is None

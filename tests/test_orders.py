"""APS4xx order safety through the real pipeline: every sink form of the packs, the five
rules, their messages, severities, flows, options and the pack extension points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from apisec_lint.checks.orders import UnsafeDeserialization, UntrustedOrderParameter, sink_index
from apisec_lint.errors import PackError
from apisec_lint.packs import load_knowledge
from apisec_lint.testing import check_snippet
from apisec_lint.types import Finding, Severity


def run(code: str, select: tuple[str, ...] = ("APS4",), **kw: object) -> list[Finding]:
    return check_snippet(textwrap.dedent(code), select=select, **kw)


def lines(findings: list[Finding], rule: str) -> list[int]:
    return sorted(f.span.line for f in findings if f.rule == rule)


def line_of(code: str, text: str, nth: int = 0) -> int:
    """The 1-based line of the ``nth`` line of ``code`` containing ``text``."""
    found = [i for i, line in enumerate(textwrap.dedent(code).splitlines(), 1) if text in line]
    return found[nth]


FLASK = """
from flask import Flask, request, abort
app = Flask(__name__)
"""


def handler(setup: str, call: str, imports: str = "") -> str:
    """A Flask route that reads the JSON body ``p`` and runs ``call``."""
    return (f"{imports}\nfrom flask import Flask, request\napp = Flask(__name__)\n{setup}\n"
            "\n\n@app.post('/x')\ndef x():\n    p = request.json\n    " + call + "\n")


# --------------------------------------------------------------------------- SDK sink forms

MODULAR_IMPORTS = ("from binance_sdk_derivatives_trading_usds_futures."
                   "derivatives_trading_usds_futures import DerivativesTradingUsdsFutures")
MODULAR_CLIENT = "client = DerivativesTradingUsdsFutures(config_rest_api=None)"

SDK_SINKS = [
    # (imports, client construction, sink call, parameters expected in the message)
    ("import ccxt", "ex = ccxt.binance()",
     "ex.create_order(p['s'], 'market', p['side'], p['qty'])", ["symbol", "side", "amount"]),
    ("import ccxt", "ex = ccxt.binance()",
     "ex.create_order(symbol=p['s'], type='limit', side='buy', amount=1, price=p['px'])",
     ["symbol", "price"]),
    ("import ccxt", "ex = ccxt.binance()", "ex.createOrder(p['s'], 'market', 'buy', 1)",
     ["symbol"]),
    ("import ccxt", "ex = ccxt.binance()", "ex.create_limit_buy_order('BTC/USDT', p['q'], p['px'])",
     ["amount", "price"]),
    ("import ccxt", "ex = ccxt.binance()", "ex.create_market_sell_order('BTC/USDT', p['q'])",
     ["amount"]),
    ("import ccxt", "ex = ccxt.binance()", "ex.create_market_order('BTC/USDT', p['side'], 1)",
     ["side"]),
    ("import ccxt", "ex = ccxt.binance()",
     "ex.edit_order('1', 'BTC/USDT', 'limit', 'buy', p['q'], 100)", ["amount"]),
    ("import ccxt", "ex = ccxt.binanceusdm()", "ex.set_leverage(p['lev'], 'BTC/USDT:USDT')",
     ["leverage"]),
    ("import ccxt", "ex = ccxt.binanceusdm()", "ex.set_margin_mode(p['mode'], 'BTC/USDT:USDT')",
     ["marginMode"]),
    ("import ccxt", "ex = ccxt.kraken()", "ex.withdraw('BTC', 1, p['address'])", ["address"]),
    ("import ccxt", "ex = ccxt.kraken()", "ex.withdraw('BTC', 1, 'bc1q', tag=p['tag'])", ["tag"]),
    ("import ccxt", "ex = ccxt.okx()", "ex.transfer('USDT', p['amt'], 'spot', 'swap')",
     ["amount"]),
    ("import ccxt", "ex = ccxt.binance()",
     "ex.create_orders([{'symbol': p['s'], 'type': 'market', 'side': 'buy', 'amount': 1}])",
     ["orders"]),
    ("import ccxt", "ex = ccxt.binance()",
     "ex.create_order('BTC/USDT', 'market', 'buy', 1, None, {'stopPrice': p['sp']})",
     ["params['stopPrice']"]),
    ("import ccxt", "ex = ccxt.binanceusdm()",
     "ex.fapiPrivatePostOrder({'symbol': p['s'], 'side': 'BUY', 'quantity': 1})",
     ["params['symbol']"]),
    ("import ccxt", "ex = ccxt.binanceusdm()",
     "ex.fapiprivate_post_leverage({'symbol': 'BTCUSDT', 'leverage': p['lev']})",
     ["params['leverage']"]),
    ("import ccxt", "ex = ccxt.binance()",
     "ex.sapiPostCapitalWithdrawApply({'coin': 'BTC', 'address': p['a'], 'amount': 1})",
     ["params['address']"]),
    ("from binance.client import Client", "c = Client('k', 's')",
     "c.create_order(symbol=p['s'], side='BUY', type='MARKET', quantity=p['q'])",
     ["symbol", "quantity"]),
    ("from binance.client import Client", "c = Client('k', 's')",
     "c.order_market_buy(symbol='BTCUSDT', quoteOrderQty=p['q'])", ["quoteOrderQty"]),
    ("from binance.client import Client", "c = Client('k', 's')",
     "c.futures_create_order(symbol='BTCUSDT', side=p['side'], type='MARKET', quantity=1)",
     ["side"]),
    ("from binance.client import Client", "c = Client('k', 's')",
     "c.futures_change_leverage(symbol='BTCUSDT', leverage=p['lev'])", ["leverage"]),
    ("from binance.client import Client", "c = Client('k', 's')",
     "c.withdraw(coin='USDT', address=p['to'], amount=10)", ["address"]),
    ("from binance.um_futures import UMFutures", "um = UMFutures(key='k', secret='s')",
     "um.new_order(p['s'], 'BUY', 'MARKET', quantity=1)", ["symbol"]),
    ("from binance.um_futures import UMFutures", "um = UMFutures(key='k', secret='s')",
     "um.change_leverage('BTCUSDT', p['lev'])", ["leverage"]),
    ("from binance.spot import Spot", "spot = Spot('k', 's')",
     "spot.withdraw('USDT', 10, p['to'])", ["address"]),
    ("from pybit.unified_trading import HTTP", "s = HTTP(api_key='k', api_secret='s')",
     "s.place_order(category='linear', symbol='BTCUSDT', side='Buy', orderType='Market', "
     "qty=p['qty'])", ["qty"]),
    ("from pybit.unified_trading import HTTP", "s = HTTP(api_key='k', api_secret='s')",
     "s.amend_order(category='linear', symbol='BTCUSDT', orderId='1', price=p['px'])",
     ["price"]),
    ("from pybit.unified_trading import HTTP", "s = HTTP(api_key='k', api_secret='s')",
     "s.set_leverage(category='linear', symbol='X', buyLeverage=p['l'], sellLeverage='2')",
     ["buyLeverage"]),
    ("from pybit import HTTP", "s = HTTP('https://api.bybit.com', api_key='k', api_secret='s')",
     "s.place_active_order(symbol='BTCUSD', side=p['side'], order_type='Market', qty=1)",
     ["side"]),
    ("import okx.Trade as Trade", "t = Trade.TradeAPI('k', 's', 'p', False, '0')",
     "t.place_order('BTC-USDT', 'cross', 'buy', 'market', p['sz'])", ["sz"]),
    ("import okx.Trade as Trade", "t = Trade.TradeAPI('k', 's', 'p', False, '0')",
     "t.place_order(instId='BTC-USDT', tdMode='cross', side='buy', ordType='limit', sz='1', "
     "px=p['px'])", ["px"]),
    ("import okx.Account as Account", "a = Account.AccountAPI('k', 's', 'p', False, '0')",
     "a.set_leverage(p['lever'], 'cross', 'BTC-USDT-SWAP')", ["lever"]),
    ("import okx.Funding as Funding", "f = Funding.FundingAPI('k', 's', 'p', False, '0')",
     "f.withdrawal('USDT', '10', '4', p['addr'])", ["toAddr"]),
    ("from kucoin.client import Trade", "t = Trade(key='k', secret='s', passphrase='p')",
     "t.create_limit_order('BTC-USDT', 'buy', p['size'], '30000')", ["size"]),
    ("from kucoin.client import Trade", "t = Trade(key='k', secret='s', passphrase='p')",
     "t.create_market_order('BTC-USDT', 'buy', size=p['size'])", ["size"]),
    ("from kucoin.client import Trade", "t = Trade(key='k', secret='s', passphrase='p')",
     "t.create_market_margin_order('BTC-USDT', p['side'], size='1')", ["side"]),
    ("from kucoin.client import User", "u = User(key='k', secret='s', passphrase='p')",
     "u.apply_withdrawal('USDT', p['address'], 10)", ["address"]),
    (MODULAR_IMPORTS, MODULAR_CLIENT,
     "client.rest_api.new_order(symbol=p['s'], side='BUY', type='MARKET', quantity=1)",
     ["symbol"]),
    (MODULAR_IMPORTS, MODULAR_CLIENT,
     "client.rest_api.change_initial_leverage(symbol='BTCUSDT', leverage=p['lev'])",
     ["leverage"]),
]


@pytest.mark.parametrize(("imports", "setup", "call", "params"), SDK_SINKS,
                         ids=[c[2][:40] for c in SDK_SINKS])
def test_every_sdk_sink_form(imports: str, setup: str, call: str, params: list[str]) -> None:
    findings = run(handler(setup, call, imports))
    found = [f for f in findings if f.rule == "APS401"]
    assert len(found) == 1, [f.message for f in findings]
    message = found[0].message
    for name in params:
        assert f"`{name}`" in message, message
    assert "request.json" in message and found[0].severity is Severity.HIGH


@pytest.mark.parametrize(("imports", "setup", "call", "params"), SDK_SINKS,
                         ids=[c[2][:40] for c in SDK_SINKS])
def test_every_sdk_sink_form_negative(imports: str, setup: str, call: str,
                                      params: list[str]) -> None:
    # the same call with every value looked up in a trusted table is fine
    safe = call.replace("p[", "SAFE[")
    assert run(handler(setup + "\nSAFE = {'s': 'BTC/USDT'}", safe, imports)) == []


def test_read_only_methods_are_not_sinks() -> None:
    code = handler("s = HTTP(api_key='k', api_secret='s')",
                   "s.get_tickers(category='linear', symbol=p['s'])",
                   "from pybit.unified_trading import HTTP")
    assert run(code) == []
    code = handler("ex = ccxt.binance()", "ex.fetch_ticker(p['s'])", "import ccxt")
    assert run(code) == []


def test_validated_parameter_not_reported_unvalidated_sibling_is() -> None:
    code = """
    import ccxt
    from flask import Flask, request, abort
    app = Flask(__name__)
    ex = ccxt.binance()
    ALLOWED = {"BTC/USDT"}
    @app.post('/x')
    def x():
        p = request.json
        if p.get('symbol') not in ALLOWED:
            abort(400)
        ex.create_order(p['symbol'], 'market', p['side'], 0.01)
    """
    [finding] = run(code)
    assert "`side`" in finding.message and "`symbol`" not in finding.message


def test_unresolved_receiver_with_the_sdk_imported() -> None:
    code = FLASK + """
import ccxt
def execute(exchange, payload):
    return exchange.create_order(payload['symbol'], 'market', 'buy', payload['qty'])
@app.post('/x')
def x():
    execute(make_exchange(), request.json)
"""
    assert lines(run(code), "APS401") == [line_of(code, "exchange.create_order")]


def test_sink_inside_helper_reported_in_the_helper_with_the_callers_source() -> None:
    code = FLASK + """
import ccxt
ex = ccxt.binance()
class Broker:
    def create_order(self, symbol, qty):
        return ex.create_order(symbol, 'market', 'buy', qty)
broker = Broker()
@app.post('/x')
def x():
    broker.create_order('BTC/USDT', request.json['qty'])
"""
    [finding] = run(code)
    # inside the helper, not at the wrapper call
    assert finding.span.line == line_of(code, "return ex.create_order")
    assert "`amount`" in finding.message and "`symbol`" not in finding.message
    assert finding.flow[0].line == line_of(code, "broker.create_order('BTC")
    assert finding.flow[-1].line == finding.span.line


def test_kwargs_dict_into_a_sink() -> None:
    code = handler("s = HTTP(api_key='k', api_secret='s')",
                   "order = {'category': 'linear', 'symbol': 'BTCUSDT', 'qty': p['qty']}\n"
                   "    s.place_order(**order)", "from pybit.unified_trading import HTTP")
    [finding] = run(code)
    assert "qty (from **order)" in finding.message and "symbol" not in finding.message


def test_whole_untrusted_kwargs_into_a_sink() -> None:
    code = handler("s = HTTP(api_key='k', api_secret='s')", "s.place_order(**p)",
                   "from pybit.unified_trading import HTTP")
    [finding] = run(code)
    assert "**p" in finding.message


# --------------------------------------------------------------------------- raw REST sinks

@pytest.mark.parametrize("call", [
    "requests.post('https://fapi.binance.com/fapi/v1/order', params={'symbol': p['s']}, "
    "timeout=5)",
    "s.post(BASE + '/api/v3/order', data={'quantity': p['q']}, timeout=5)",
    "requests.post('https://api.bybit.com/v5/order/create', json=p, timeout=5)",
    "requests.request('POST', 'https://www.okx.com/api/v5/trade/order', json={'sz': p['q']}, "
    "timeout=5)",
    "requests.post('https://fapi.binance.com/fapi/v1/leverage', "
    "params={'symbol': 'BTCUSDT', 'leverage': p['l']}, timeout=5)",
])
def test_raw_rest_order_endpoints_with_untrusted_params(call: str) -> None:
    setup = "BASE = 'https://api.binance.com'\ns = requests.Session()"
    code = handler(setup, call, "import requests")
    findings = run(code)
    assert lines(findings, "APS401") == [line_of(code, call[:12])], [f.message for f in findings]
    assert lines(findings, "APS402") == []


@pytest.mark.parametrize("call", [
    "requests.get('https://api.binance.com/api/v3/order', params={'symbol': p['s']}, timeout=5)",
    "requests.request('GET', 'https://api.binance.com/api/v3/order', params={'symbol': p['s']})",
    "requests.post('https://api.binance.com/api/v3/orderList', params={'symbol': p['s']})",
    "requests.post('https://hooks.example/notify', json={'symbol': p['s']}, timeout=5)",
])
def test_raw_rest_negatives(call: str) -> None:
    assert run(handler("", call, "import requests")) == []


# --------------------------------------------------------------------------- APS402

@pytest.mark.parametrize("body", [
    "q = f\"symbol={p['s']}&side=BUY&quantity={p['q']}\"\n"
    "    requests.post(URL + '?' + q, timeout=5)",
    "body = '{\"instId\": \"%s\", \"sz\": \"%s\"}' % (p['i'], p['q'])\n"
    "    requests.post(OKX, data=body, timeout=5)",
    "body = '{{\"sz\": \"{}\"}}'.format(p['q'])\n    requests.post(OKX, data=body, timeout=5)",
    "q = 'symbol=' + p['s'] + '&quantity=1'\n    requests.post(URL, data=q, timeout=5)",
    "q = '&'.join([f'{k}={v}' for k, v in p.items()])\n    requests.post(URL + '?' + q, timeout=5)",
])
def test_order_string_formatting(body: str) -> None:
    setup = ("URL = 'https://api.binance.com/api/v3/order'\n"
             "OKX = 'https://www.okx.com/api/v5/trade/order'")
    code = handler(setup, body, "import requests")
    findings = run(code)
    assert lines(findings, "APS402") == [line_of(code, body[:8])], [f.message for f in findings]
    assert lines(findings, "APS401") == []
    [f] = [f for f in findings if f.rule == "APS402"]
    assert "smuggles" in f.message and f.flow


def test_encoded_requests_are_not_string_formatting() -> None:
    for body in ("q = urlencode({'symbol': p['s']})\n    requests.post(URL + '?' + q, timeout=5)",
                 "requests.post(URL, data=json.dumps({'s': p['s']}), timeout=5)"):
        code = handler("URL = 'https://api.binance.com/api/v3/order'", body,
                       "import json, requests\nfrom urllib.parse import urlencode")
        findings = run(code)
        assert lines(findings, "APS402") == [], body
        assert lines(findings, "APS401") == [line_of(code, "requests.post")], body


def test_formatted_trusted_values_are_fine() -> None:
    code = handler("URL = 'https://api.binance.com/api/v3/order'\nQTY = 1",
                   "requests.post(f'{URL}?symbol=BTCUSDT&quantity={QTY}', timeout=5)",
                   "import requests")
    assert run(code) == []


# --------------------------------------------------------------------------- APS403

@pytest.mark.parametrize(("setup", "call", "bad"), [
    ("import pickle", "pickle.loads(request.data)", True),
    ("import yaml", "yaml.load(request.data)", True),
    ("import yaml", "yaml.load(request.data, Loader=yaml.Loader)", True),
    ("import yaml", "yaml.load(request.data, Loader=yaml.SafeLoader)", False),
    ("import yaml", "yaml.safe_load(request.data)", False),
    ("", "eval(request.json['expr'])", True),
    ("", "exec(request.get_data(as_text=True))", True),
    ("import sys", "eval(sys.argv[1])", False),  # the operator's own command line
    ("", "eval('1 + 1')", False),
])
def test_unsafe_deserialization(setup: str, call: str, bad: bool) -> None:
    code = f"import ccxt\n{setup}\n" + FLASK + f"ex = ccxt.binance()\n@app.post('/x')\n" \
        f"def x():\n    return {call}\n"
    assert lines(run(code), "APS403") == ([line_of(code, "return")] if bad else [])


def test_unsafe_deserialization_needs_an_exchange_client() -> None:
    code = "import pickle\n" + FLASK + "@app.post('/x')\ndef x():\n    " \
        "return pickle.loads(request.data)\n"
    assert run(code) == []


def test_eval_of_a_chat_message() -> None:
    code = """
    import telebot
    from pybit.unified_trading import HTTP
    bot = telebot.TeleBot("t")
    s = HTTP(api_key="k", api_secret="s")
    @bot.message_handler(commands=["calc"])
    def calc(message):
        return eval(message.text.split(maxsplit=1)[1])
    """
    [f] = run(code)
    assert f.rule == "APS403" and f.span.line == 8 and "chat message" in f.message


# --------------------------------------------------------------------------- APS404

@pytest.mark.parametrize(("setup", "call", "bad"), [
    ("import ccxt\nex = ccxt.binanceusdm()", "ex.set_leverage(75, 'BTC/USDT:USDT')", True),
    ("import ccxt\nex = ccxt.binanceusdm()", "ex.set_leverage(20, 'BTC/USDT:USDT')", False),
    ("import ccxt\nex = ccxt.binanceusdm()", "ex.set_leverage(leverage=21, symbol='X')", True),
    ("import ccxt\nex = ccxt.binanceusdm()\nLEV = 50", "ex.set_leverage(LEV, 'X')", True),
    ("import ccxt\nex = ccxt.binanceusdm()\nLEV = 5", "ex.set_leverage(LEV, 'X')", False),
    ("import ccxt, os\nex = ccxt.binanceusdm()", "ex.set_leverage(int(os.environ['L']), 'X')",
     False),
    ("from pybit.unified_trading import HTTP\ns = HTTP()",
     "s.set_leverage(category='linear', symbol='X', buyLeverage='100', sellLeverage='100')", True),
    ("from pybit.unified_trading import HTTP\ns = HTTP()",
     "s.set_leverage(category='linear', symbol='X', buyLeverage='3', sellLeverage='3')", False),
    ("import okx.Account as Account\na = Account.AccountAPI('k', 's', 'p', False, '0')",
     "a.set_leverage(lever='50', mgnMode='cross', instId='BTC-USDT-SWAP')", True),
    ("from binance.um_futures import UMFutures\num = UMFutures()",
     "um.change_leverage(symbol='BTCUSDT', leverage=120)", True),
    ("from binance.client import Client\nc = Client()",
     "c.futures_change_leverage(symbol='BTCUSDT', leverage=125)", True),
    (MODULAR_IMPORTS + "\n" + MODULAR_CLIENT,
     "client.rest_api.change_initial_leverage(symbol='BTCUSDT', leverage=125)", True),
    ("import ccxt\nclass Risk:\n    def set_leverage(self, lev, sym):\n        pass\n"
     "    def go(self):\n        self.set_leverage(100, 'X')", "pass", False),
])
def test_excessive_leverage(setup: str, call: str, bad: bool) -> None:
    code = f"{setup}\n{call}\n"
    found = lines(run(code), "APS404")
    assert found == ([code.count("\n")] if bad else []), code


def test_max_leverage_option() -> None:
    code = "import ccxt\nex = ccxt.binanceusdm()\nex.set_leverage(50, 'X')\n"
    assert lines(run(code), "APS404") == [3]
    assert run(code, options=(("max-leverage", 50),)) == []
    [f] = run(code, options=(("max-leverage", 10),))
    assert "50x" in f.message and "10x" in f.message


def test_leverage_constant_is_named() -> None:
    code = "import ccxt\nex = ccxt.binanceusdm()\nLEVERAGE = 100\nex.set_leverage(LEVERAGE, 'X')\n"
    [f] = run(code)
    assert f.span.line == 4 and "line 3" in f.message


# --------------------------------------------------------------------------- APS405

def test_unbounded_position_size() -> None:
    code = handler("ex = ccxt.binanceusdm()\nLEVERAGE = 10",
                   "bal = ex.fetch_balance()['USDT']['free']\n"
                   "    qty = float(p['risk']) * bal * LEVERAGE / 30000\n"
                   "    ex.create_order('BTC/USDT:USDT', 'market', p['side'], qty)",
                   "import ccxt")
    findings = run(code)
    assert lines(findings, "APS405") == [line_of(code, "ex.create_order")]
    [f401] = [f for f in findings if f.rule == "APS401"]
    assert "`side`" in f401.message and "`amount`" not in f401.message


def test_capped_position_size_is_fine() -> None:
    code = handler("ex = ccxt.binanceusdm()\nMAX_QTY = 0.5",
                   "balance = ex.fetch_balance()['USDT']['free']\n"
                   "    qty = min(float(p['risk']) * balance, MAX_QTY)\n"
                   "    ex.create_order('BTC/USDT:USDT', 'market', 'buy', qty)",
                   "import ccxt")
    assert run(code) == []


def test_untrusted_amount_without_balance_is_aps401() -> None:
    code = handler("ex = ccxt.binanceusdm()",
                   "ex.create_order('BTC/USDT:USDT', 'market', 'buy', float(p['q']) * 2)",
                   "import ccxt")
    assert [f.rule for f in run(code)] == ["APS401"]


# --------------------------------------------------------------------------- severities, flow

def test_severity_follows_the_source() -> None:
    base = "import ccxt, sys, requests\nex = ccxt.binance()\n"
    cli = run(base + "ex.create_order(sys.argv[1], 'market', 'buy', 1)\n")
    assert [f.severity for f in cli] == [Severity.LOW]
    http = run(base + "sig = requests.get('https://signals.example/x', timeout=5).json()\n"
               "ex.create_order(sig['s'], 'market', 'buy', 1)\n")
    assert [f.severity for f in http] == [Severity.MEDIUM]
    assert "third-party HTTP response" in http[0].message


def test_finding_carries_the_flow() -> None:
    code = handler("ex = ccxt.binance()",
                   "amount = p['amount']\n    qty = float(amount)\n"
                   "    ex.create_order('BTC/USDT', 'market', 'buy', qty)", "import ccxt")
    [f] = run(code)
    start = line_of(code, "p = request.json")
    assert f.span.line == start + 3
    assert [s.line for s in f.flow] == [start, start + 1, start + 2, start + 3]
    assert "request.json" in f.flow[0].message and "create_order" in f.flow[-1].message
    assert f"line {start}" in f.message


def test_assert_is_named_in_the_message() -> None:
    code = handler("ex = ccxt.binance()",
                   "side = p['side']\n    assert side in ('buy', 'sell')\n"
                   "    ex.create_order('BTC/USDT', 'market', side, 1)", "import ccxt")
    [f] = run(code)
    assert f"assert on line {line_of(code, 'assert')}" in f.message
    assert "python -O" in f.message


def test_suppression_on_the_sink() -> None:
    code = handler("ex = ccxt.binance()",
                   "ex.create_order(p['s'], 'market', 'buy', 1)  "
                   "# apisec: ignore[APS401] -- symbol checked upstream", "import ccxt")
    assert run(code) == []


# --------------------------------------------------------------------------- packs and config

def test_user_pack_adds_a_source_a_sink_and_a_validator(tmp_path: Path) -> None:
    pack = tmp_path / "mine.toml"
    pack.write_text(textwrap.dedent("""
        [pack]
        name = "mine"
        modules = ["mybroker"]

        [[clients]]
        sdk = "mybroker"
        match = ["mybroker.Broker"]

        [[taint_sources]]
        kind = "web"
        framework = "internal"
        calls = ["myweb.read_body"]

        [[taint_sanitizers]]
        role = "validator"
        names = ["risk_check"]

        [[order_sinks]]
        sdk = "mybroker"
        kind = "order"
        methods = ["submit"]
        params = [{ name = "ticker", position = 0, role = "symbol" },
                  { name = "size", position = 1, role = "amount" }]
    """))
    code = """
    import mybroker, myweb
    b = mybroker.Broker()
    def go():
        body = myweb.read_body()
        risk_check(body['size'])
        b.submit(body['ticker'], body['size'])
    """
    [f] = run(code, packs=[str(pack)])
    assert "`ticker`" in f.message and "`size`" not in f.message
    assert run(code) == []


def test_pack_schema_rejects_an_unknown_sink_role(tmp_path: Path) -> None:
    pack = tmp_path / "bad.toml"
    pack.write_text('[pack]\nname = "bad"\n[[order_sinks]]\nsdk = "x"\nkind = "order"\n'
                    'methods = ["m"]\nparams = [{ name = "a", role = "quantity" }]\n')
    with pytest.raises(PackError, match="quantity"):
        load_knowledge([pack])


def test_prefilter_tokens_cover_every_sink() -> None:
    knowledge = load_knowledge()
    tokens = UntrustedOrderParameter.trigger_tokens(knowledge)
    assert tokens is not None
    index = sink_index(knowledge)
    for method in index.by_method:
        assert any(t in method.lower().encode() for t in tokens), method
    for path, _ in index.endpoints:
        assert any(t in path.lower().encode() for t in tokens), path
    for _, _, entry in index.patterns:  # pattern sinks need the SDK imported
        assert any(m.lower().encode() in tokens for m in index.pack_modules[entry["_pack"]])
    assert b"order" not in tokens and b"create" not in tokens  # too common to be useful
    deser = UnsafeDeserialization.trigger_tokens(knowledge)
    assert deser is not None and b"ccxt" in deser and b"eval" not in deser
    # a file with no sink token is never parsed for APS4
    assert check_snippet("def f(:\n    request.json\n", select=("APS4",)) == []


def test_files_without_sinks_do_not_run_the_analysis() -> None:
    code = FLASK + "@app.post('/x')\ndef x():\n    return request.json['create_order']\n"
    assert run(code) == []


# --------------------------------------------------------------------------- the real CLI

WEBHOOK = """
import ccxt
from flask import Flask, request
app = Flask(__name__)
ex = ccxt.binanceusdm()

@app.post("/hook")
def hook():
    p = request.json
    check_order(p["side"])
    ex.create_order(p["symbol"], "market", p["side"], 0.01)
    ex.set_leverage(50, "BTC/USDT:USDT")
"""


def test_cli_json_and_config_options(cli, tmp_path: Path) -> None:
    from conftest import write

    write(tmp_path, "bot.py", WEBHOOK)
    out = cli.json("bot.py")
    by_rule = {f["rule"]: f for f in out["findings"]}
    assert set(by_rule) == {"APS401", "APS404"}
    assert by_rule["APS401"]["family"] == "APS4" and by_rule["APS401"]["line"] == 10
    assert "`side`" in by_rule["APS401"]["message"]
    write(tmp_path, "pyproject.toml", """
        [tool.apisec-lint]
        max-leverage = 50
        order-validators = ["check_order"]
    """)
    out = cli.json("bot.py")
    [finding] = out["findings"]
    assert finding["rule"] == "APS401" and "`side`" not in finding["message"]
    assert "`symbol`" in finding["message"]


def test_cli_sarif_carries_the_code_flow(cli, tmp_path: Path) -> None:
    import json

    from conftest import write

    write(tmp_path, "bot.py", WEBHOOK)
    result = cli("--format", "sarif", "--no-cache", "--select", "APS401", "bot.py")
    assert result.exit_code == 1, result.output
    [res] = json.loads(result.stdout)["runs"][0]["results"]
    steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
    lines_ = [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps]
    assert lines_[0] == 8 and lines_[-1] == 10
    assert "request.json" in steps[0]["location"]["message"]["text"]


# --------------------------------------------------------------------------- docs

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def _aps4_docs() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("## APS4xx — order safety")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def test_docs_cover_every_rule_from_its_docstring() -> None:
    from apisec_lint.checks.orders import RULES

    section = _aps4_docs()
    for rule in RULES:
        assert f"### {rule.code} `{rule.name}` — {rule.summary()}" in section
        for line in rule.documentation().splitlines()[1:]:
            expected = ("##" + line) if line.startswith("## ") else line
            assert expected in section, (rule.code, line)
    for part in ("### The model", "### Adding your own validators, sources and sinks",
                 "### Known limits", "order-validators", "max-leverage"):
        assert part in section


def test_the_pack_example_in_the_docs_works(tmp_path: Path) -> None:
    section = _aps4_docs()
    start = section.index("```toml\n[pack]")
    pack_text = section[start + len("```toml\n"):section.index("```", start + 7)]
    pack = tmp_path / "our-stack.toml"
    pack.write_text(pack_text, encoding="utf-8")
    load_knowledge([pack])  # valid against the schema
    code = """
    import gateway, ourbroker, ourrisk
    b = ourbroker.Broker()
    def go():
        s = gateway.read_signal()
        ourrisk.check_size(s['size'])
        b.submit(s['ticker'], s['size'])
    """
    [f] = run(code, packs=[str(pack)])
    assert "`ticker`" in f.message and "`size`" not in f.message
    chat = """
    import chatbus, ourbroker
    b = ourbroker.Broker()
    @bus.on_command("buy")
    def buy(msg):
        b.submit(msg.text, 1)
    """
    assert lines(run(chat, packs=[str(pack)]), "APS401") == [line_of(chat, "b.submit")]


def test_ccxt_precision_helpers_propagate_and_market_validates() -> None:
    code = handler("ex = ccxt.binance()",
                   "qty = ex.amount_to_precision('BTC/USDT', float(p['qty']))\n"
                   "    ex.market(p['symbol'])\n"
                   "    ex.create_order(p['symbol'], 'market', 'buy', qty)", "import ccxt")
    [f] = run(code)
    assert "`amount`" in f.message and "`symbol`" not in f.message


def test_signed_raw_requests() -> None:
    code = """
    import hashlib, hmac, time
    from urllib.parse import urlencode
    import requests
    from flask import Flask, request
    app = Flask(__name__)
    BASE = "https://api.binance.com"
    def encoded(symbol):
        query = urlencode({"symbol": symbol, "side": "BUY", "timestamp": int(time.time())})
        sig = hmac.new(b"k", query.encode(), hashlib.sha256).hexdigest()
        return requests.post(f"{BASE}/api/v3/order?{query}&signature={sig}", timeout=5)
    def formatted(qty):
        query = f"symbol=BTCUSDT&side=BUY&quantity={qty}"
        sig = hmac.new(b"k", query.encode(), hashlib.sha256).hexdigest()
        return requests.post(BASE + "/api/v3/order?" + query + "&signature=" + sig, timeout=5)
    @app.post("/a")
    def a():
        d = request.get_json()
        encoded(d["symbol"])
        formatted(d["qty"])
    """
    findings = run(code)
    assert lines(findings, "APS401") == [line_of(code, "return requests.post(f")]
    assert lines(findings, "APS402") == [line_of(code, 'query = f"symbol')]


def test_method_patterns_need_the_sdk_imported() -> None:
    with_sdk = handler("", "exchange.fapiPrivatePostOrder({'symbol': p['s']})", "import ccxt")
    assert lines(run(with_sdk), "APS401") == [line_of(with_sdk, "fapiPrivatePostOrder")]
    without = handler("", "exchange.fapiPrivatePostOrder({'symbol': p['s']})")
    assert run(without) == []


def test_raw_rest_helper_with_the_path_as_a_parameter() -> None:
    code = """
    import time
    import requests
    from flask import Flask, request
    app = Flask(__name__)
    BASE = "https://fapi.binance.com"
    def _request(method, path, params):
        params["timestamp"] = int(time.time() * 1000)
        return requests.request(method, BASE + path, params=params, timeout=5)
    def _post(path, body):
        return requests.post(f"{BASE}{path}", json=body, timeout=5)
    @app.post("/hook")
    def hook():
        d = request.json
        _request("GET", "/fapi/v1/order", {"symbol": d["symbol"]})        # a read
        _request("POST", "/fapi/v1/listenKey", {"symbol": d["symbol"]})   # not an order
        _post("/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": d["lev"]})
    """
    findings = run(code)
    assert lines(findings, "APS401") == [line_of(code, "return requests.post")]
    [f] = findings
    assert "/fapi/v1/leverage" in f.message
    code_order = code.replace('"/fapi/v1/listenKey"', '"/fapi/v1/order"')
    assert lines(run(code_order), "APS401") == sorted(
        [line_of(code, "return requests.request"), line_of(code, "return requests.post")])

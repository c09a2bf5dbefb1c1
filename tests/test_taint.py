"""The taint analysis (analysis/taint.py): sources, propagation steps, sanitizers and the
query API. Each case has a positive (untrusted) and a negative (trusted or validated)
side. ``sink(...)`` below is an unknown function: the tests ask the analysis about the
taint of its keyword arguments, independently of the SDK sink packs."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from apisec_lint._lazy import cst
from apisec_lint.analysis.taint import Taint, TaintAnalysis, taint_analysis
from apisec_lint.context import FileContext
from apisec_lint.packs import load_knowledge
from apisec_lint.types import Config, FileKind, Severity
from apisec_lint.walk import iter_tree

KNOWLEDGE = load_knowledge()


def analyse(code: str, options: tuple[tuple[str, object], ...] = ()) -> tuple[FileContext,
                                                                            TaintAnalysis]:
    code = textwrap.dedent(code)
    config = replace(Config(), rule_options=options)
    ctx = FileContext("t.py", FileKind.PYTHON, code, KNOWLEDGE, config,
                      module=cst.parse_module(code))
    return ctx, taint_analysis(ctx)


def sink_taints(code: str, options: tuple[tuple[str, object], ...] = ()) -> dict[str, Taint | None]:
    """keyword -> the taint of that argument of the ``sink(...)`` calls in ``code``."""
    ctx, analysis = analyse(code, options)
    out: dict[str, Taint | None] = {}
    for node in iter_tree(ctx.module):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) \
                and node.func.value == "sink":
            for arg in node.args:
                assert arg.keyword is not None, "use keyword arguments in sink()"
                out[arg.keyword.value] = analysis.taint_of(arg.value)
    assert out, "no sink() call in the snippet"
    return out


def tainted(code: str, **kw: object) -> set[str]:
    return {k for k, v in sink_taints(code, **kw).items() if v is not None}


# --------------------------------------------------------------------------- sources

FLASK = "from flask import Flask, request, abort\nimport json\napp = Flask(__name__)\n"


@pytest.mark.parametrize("expr", [
    "request.json['qty']", "request.get_json()['qty']", "request.get_json(force=True)['qty']",
    "json.loads(request.data)['qty']", "json.loads(request.get_data(as_text=True))['qty']",
    "request.args.get('qty')", "request.form['qty']", "request.values['qty']",
    "request.data.decode()",
])
def test_flask_request_sources(expr: str) -> None:
    found = sink_taints(FLASK + f"@app.post('/x')\ndef x():\n    sink(v={expr}, c=1)\n")
    assert found["v"] is not None and found["v"].kind == "web"
    assert found["c"] is None


def test_flask_route_path_parameters_are_untrusted() -> None:
    code = FLASK + "@app.route('/buy/<symbol>')\ndef buy(symbol):\n    sink(s=symbol)\n" \
                   "def helper(symbol):\n    sink(h=symbol)\n"
    assert tainted(code) == {"s"}


def test_quart_await_get_json() -> None:
    code = "from quart import Quart, request\napp = Quart(__name__)\n" \
           "@app.post('/x')\nasync def x():\n    d = await request.get_json()\n" \
           "    sink(q=d['qty'])\n"
    assert tainted(code) == {"q"}


@pytest.mark.parametrize("register", [
    "app.router.add_post('/hook', handle)",
    "app.add_routes([web.post('/hook', handle)])",
])
def test_aiohttp_handler_sources(register: str) -> None:
    code = f"""
    from aiohttp import web
    async def handle(request):
        data = await request.json()
        sink(a=data['qty'], b=request.query['symbol'], c=request.match_info['side'],
             d=request.app['max_qty'])
    app = web.Application()
    {register}
    """
    assert tainted(code) == {"a", "b", "c"}


def test_aiohttp_route_table_decorator() -> None:
    code = """
    from aiohttp import web
    routes = web.RouteTableDef()
    @routes.post('/hook')
    async def handle(request):
        sink(a=(await request.post())['qty'])
    """
    assert tainted(code) == {"a"}


def test_fastapi_route_parameters_body_query_and_request() -> None:
    code = """
    from fastapi import FastAPI, Body, Query, Request, Depends, BackgroundTasks
    app = FastAPI()
    def db(): ...
    @app.post('/o/{symbol}')
    async def o(symbol: str, request: Request, tasks: BackgroundTasks, qty: float = Body(...),
                side: str = Query(None), conn=Depends(db)):
        raw = await request.json()
        sink(s=symbol, q=qty, d=side, r=raw['x'], t=tasks, c=conn)
    """
    assert tainted(code) == {"s", "q", "d", "r"}


def test_fastapi_pydantic_body_model_fields() -> None:
    code = """
    from enum import Enum
    from typing import Literal
    from fastapi import FastAPI, Query
    from pydantic import BaseModel, Field, conint, field_validator
    app = FastAPI()
    class Side(str, Enum):
        buy = "buy"
        sell = "sell"
    class Order(BaseModel):
        symbol: str
        side: Side
        kind: Literal["market", "limit"]
        qty: float = Field(gt=0, le=5)
        lev: conint(ge=1, le=10)
        price: float
        note: float = Field(gt=0)
        tp: float
        @field_validator("tp")
        def check_tp(cls, v):
            return v
    @app.post('/o')
    async def o(order: Order, cap: float = Query(1, le=10), mode: Literal["a", "b"] = "a"):
        sink(symbol=order.symbol, side=order.side, kind=order.kind, qty=order.qty, lev=order.lev,
             price=order.price, note=order.note, tp=order.tp, cap=cap, mode=mode)
    """
    assert tainted(code) == {"symbol", "price", "note"}


def test_pydantic_model_built_from_untrusted_dict() -> None:
    code = FLASK + """
from typing import Literal
from pydantic import BaseModel
class Signal(BaseModel):
    side: Literal["buy", "sell"]
    qty: float
@app.post('/x')
def x():
    sig = Signal(**request.json)
    other = Signal.model_validate(request.json)
    sink(side=sig.side, qty=sig.qty, oside=other.side, oqty=other.qty)
"""
    assert tainted(code) == {"qty", "oqty"}


def test_django_request_sources() -> None:
    code = """
    import json
    from django.http import JsonResponse
    def view(request):
        body = json.loads(request.body)
        sink(a=request.POST['qty'], b=request.GET.get('symbol'), c=body['side'], d=request.user)
    """
    assert tainted(code) == {"a", "b", "c"}


def test_django_sources_need_django() -> None:
    code = "def view(request):\n    sink(a=request.POST['qty'])\n"
    assert tainted(code) == set()


def test_python_telegram_bot_handlers() -> None:
    code = """
    from telegram.ext import Application, CommandHandler, CallbackQueryHandler
    async def buy(update, context):
        sink(a=context.args[0], b=update.message.text, c=update.effective_message.text)
    async def button(update, context):
        sink(d=update.callback_query.data)
    async def unused(update, context):
        sink(e=context.args[0])
    app = Application.builder().token("x").build()
    app.add_handler(CommandHandler("buy", buy))
    app.add_handler(CallbackQueryHandler(button))
    """
    assert tainted(code) == {"a", "b", "c", "d"}


def test_telebot_handlers_and_next_step() -> None:
    code = """
    import telebot
    bot = telebot.TeleBot("t")
    @bot.message_handler(commands=["buy"])
    def buy(message):
        msg = bot.reply_to(message, "qty?")
        bot.register_next_step_handler(msg, got_qty)
        sink(a=message.text.split()[1])
    def got_qty(message):
        sink(b=float(message.text))
    def not_registered(message):
        sink(c=message.text)
    """
    found = sink_taints(code)
    assert {k for k, v in found.items() if v} == {"a", "b"}
    assert found["a"].kind == "chat" and "telebot" in found["a"].framework


def test_telethon_and_pyrogram_handlers() -> None:
    telethon = """
    from telethon import TelegramClient, events
    client = TelegramClient("s", 1, "h")
    @client.on(events.NewMessage(pattern="/buy"))
    async def handler(event):
        sink(a=event.raw_text, b=event.message.message)
    """
    assert tainted(telethon) == {"a", "b"}
    pyrogram = """
    from pyrogram import Client
    app = Client("bot")
    @app.on_message()
    async def handler(client, message):
        sink(a=message.text, b=client.me)
    """
    assert tainted(pyrogram) == {"a"}


def test_discord_sources() -> None:
    code = """
    import discord
    from discord.ext import commands
    bot = commands.Bot(command_prefix="!")
    @bot.event
    async def on_message(message):
        sink(a=message.content)
    @bot.event
    async def on_ready():
        sink(b=bot.user)
    @bot.command()
    async def buy(ctx, symbol, qty: float):
        sink(c=symbol, d=qty)
    class Client(discord.Client):
        async def on_message(self, message):
            sink(e=message.content.split()[1])
        async def on_ready(self):
            sink(f=self.user)
    """
    assert tainted(code) == {"a", "c", "d", "e"}


def test_websocket_sources() -> None:
    code = """
    import json
    import aiohttp
    import websockets
    async def a():
        async with websockets.connect("wss://signals.example") as ws:
            msg = json.loads(await ws.recv())
            sink(a=msg['qty'])
            async for raw in ws:
                sink(b=json.loads(raw)['side'])
    async def b():
        ws = await websockets.connect("wss://signals.example")
        sink(c=await ws.recv())
    async def c():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect("wss://x") as ws:
                async for msg in ws:
                    sink(d=json.loads(msg.data)['px'])
    """
    found = sink_taints(code)
    assert {k for k, v in found.items() if v} == {"a", "b", "c", "d"}
    assert {v.kind for v in found.values() if v} == {"websocket"}


def test_websocket_client_callbacks() -> None:
    code = """
    import json
    import websocket
    def on_message(ws, message):
        sink(a=json.loads(message)['qty'], w=ws)
    class Feed:
        def start(self):
            self.app = websocket.WebSocketApp("wss://x", on_message=self.on_msg)
        def on_msg(self, ws, message):
            sink(b=message)
    websocket.WebSocketApp("wss://x", on_message=on_message).run_forever()
    """
    assert tainted(code) == {"a", "b"}


def test_websockets_server_handler() -> None:
    code = """
    import websockets
    async def handler(websocket):
        async for message in websocket:
            sink(a=message)
    async def main():
        async with websockets.serve(handler, "localhost", 8765):
            pass
    """
    assert tainted(code) == {"a"}


def test_cli_sources_are_low_severity() -> None:
    code = """
    import sys, argparse
    def f():
        parser = argparse.ArgumentParser()
        parser.add_argument("--qty")
        args = parser.parse_args()
        sink(a=input("qty: "), b=sys.argv[1], c=args.qty, d=sys.stdin.readline())
    """
    found = sink_taints(code)
    assert {k for k, v in found.items() if v} == {"a", "b", "c", "d"}
    assert all(v.kind == "cli" and v.severity is Severity.LOW for v in found.values() if v)


def test_click_and_typer_parameters() -> None:
    code = """
    import click
    @click.command()
    @click.option("--qty", type=float)
    def main(qty):
        sink(a=qty)
    """
    assert tainted(code) == {"a"}
    code = """
    import typer
    app = typer.Typer()
    @app.command()
    def buy(symbol: str):
        sink(a=symbol)
    """
    assert tainted(code) == {"a"}


def test_third_party_http_response_is_medium_exchange_api_is_trusted() -> None:
    code = """
    import requests
    def f():
        signal = requests.get("https://signals.example.com/latest", timeout=5).json()
        ticker = requests.get("https://api.binance.com/api/v3/ticker/price", timeout=5).json()
        sink(a=signal['qty'], b=ticker['price'])
    """
    found = sink_taints(code)
    assert found["a"] is not None and found["a"].kind == "http"
    assert found["a"].severity is Severity.MEDIUM
    assert found["b"] is None


def test_environment_and_plain_parameters_are_not_sources() -> None:
    code = """
    import os
    def place(symbol, qty):
        sink(a=symbol, b=qty, c=os.environ["QTY"], d=os.getenv("SYMBOL"))
    """
    assert tainted(code) == set()


# --------------------------------------------------------------------------- propagation

def web(body: str) -> str:
    return FLASK + "@app.post('/x')\ndef x():\n    p = request.json\n" + textwrap.indent(
        textwrap.dedent(body), "    ")


@pytest.mark.parametrize("body", [
    "a = p['qty']\nb = a\nsink(v=b)",                          # assignment
    "s, q = p['symbol'], p['qty']\nsink(v=q)",                # tuple unpacking
    "_, s, q = p['text'].split()\nsink(v=q)",                  # unpacking a split
    "q = 1\nq += p['qty']\nsink(v=q)",                         # augmented assignment
    "sink(v=p['order']['qty'])",                                # nested subscripts
    "sink(v=p.get('qty', 0))",                                  # .get()
    "o = p['o']\nsink(v=o.qty)",                               # attributes
    "sink(v=f\"{p['qty']}\")",                                  # f-string
    "sink(v='%s' % p['qty'])",                                  # % formatting
    "sink(v='{}'.format(p['qty']))",                            # str.format
    "sink(v='qty=' + p['qty'])",                                # concatenation
    "sink(v=p['symbol'].upper().strip())",                      # str methods
    "sink(v=float(p['qty']))",                                  # float()
    "sink(v=int(p['qty']))",                                    # int()
    "from decimal import Decimal\nsink(v=Decimal(str(p['qty'])))",  # Decimal()
    "sink(v=round(float(p['qty']), 3))",                        # round()
    "sink(v=[p['qty'], 1][0])",                                 # list
    "d = {'qty': p['qty']}\nsink(v=d['qty'])",                  # dict literal
    "d = {}\nd['qty'] = p['qty']\nsink(v=d)",                   # dict built key by key
    "d = {}\nd.update({'qty': p['qty']})\nsink(v=d)",           # dict.update
    "xs = []\nxs.append(p['qty'])\nsink(v=xs[0])",              # list.append
    "sink(v=[float(x) for x in p['qtys']])",                    # comprehension
    "sink(v={k: v for k, v in p.items()})",                     # dict comprehension
    "if (q := p['qty']):\n    sink(v=q)",                       # walrus
    "for item in p['orders']:\n    sink(v=item['qty'])",        # for loop
    "try:\n    q = float(p['qty'])\nexcept ValueError:\n    q = 0\nsink(v=q)",  # try/except
    "q = p['qty'] or 1\nsink(v=q)",                             # boolean operators
    "q = -p['qty']\nsink(v=q)",                                 # unary operators
    "q = p['qty'] * 2\nsink(v=q)",                              # arithmetic
])
def test_propagation_steps(body: str) -> None:
    assert tainted(web(body)) == {"v"}, body


@pytest.mark.parametrize("body", [
    "q = p['qty']\nq = 1\nsink(v=q)",                           # reassignment kills taint
    "sink(v=len(p['qty']))",                                    # len() is not data
    "sink(v=isinstance(p['qty'], str))",                        # type checks
    "sink(v=p['qty'] == 'x')",                                  # comparisons are booleans
    "TABLE = {'a': 1}\nsink(v=TABLE[p['key']])",                # trusted table lookup
    "d = {'qty': p['qty'], 'kind': 'market'}\nsink(v=d['kind'])",  # sibling key
    "sink(v=lambda: p['qty'])",                                 # lambda bodies not analysed
])
def test_propagation_negatives(body: str) -> None:
    assert tainted(web(body)) == set(), body


def test_helper_function_summaries_parameter_to_return() -> None:
    code = FLASK + """
def parse(payload):
    return payload['symbol'].upper(), float(payload['qty'])
def constant(payload):
    return "BTC/USDT"
@app.post('/x')
def x():
    symbol, qty = parse(request.json)
    sink(s=symbol, q=qty, c=constant(request.json))
"""
    assert tainted(code) == {"s", "q"}


def test_sink_inside_helper_follows_every_call_site() -> None:
    code = FLASK + """
def place(symbol, qty):
    sink(s=symbol, q=qty)
@app.post('/x')
def x():
    place("BTC/USDT", request.json['qty'])
"""
    found = sink_taints(code)
    assert found["s"] is None and found["q"] is not None
    messages = [s.message for s in found["q"].flow]
    assert any("passed to place()" in m for m in messages)


def test_methods_on_self_and_instance_attributes() -> None:
    code = FLASK + """
class Bot:
    def __init__(self, symbol):
        self.symbol = symbol
    def normalise(self, raw):
        return raw.strip()
    def handle(self, payload):
        self.qty = self.normalise(payload['qty'])
    def trade(self):
        sink(s=self.symbol, q=self.qty)
bot = Bot("BTC/USDT")
@app.post('/x')
def x():
    bot.handle(request.json)
"""
    assert tainted(code) == {"q"}


def test_constructor_arguments_reach_attributes() -> None:
    code = FLASK + """
class Order:
    def __init__(self, symbol, qty):
        self.symbol = symbol
        self.qty = qty
    def send(self):
        sink(s=self.symbol, q=self.qty)
@app.post('/x')
def x():
    Order("BTC/USDT", request.json['qty']).send()
"""
    assert tainted(code) == {"q"}


def test_kwargs_dicts() -> None:
    code = FLASK + """
def place(**order):
    sink(o=order)
def place2(symbol, qty):
    sink(s2=symbol, q2=qty)
@app.post('/x')
def x():
    p = request.json
    place(symbol="BTC", qty=p['qty'])
    place2(**{"symbol": "BTC", "qty": p['qty']})
"""
    assert tainted(code) == {"o", "q2"}


def test_async_await_helpers() -> None:
    code = FLASK + """
async def fetch_qty(req):
    data = await req.get_json()
    return data['qty']
@app.post('/x')
async def x():
    q = await fetch_qty(request)
    sink(q=q)
"""
    assert tainted(code) == {"q"}


def test_module_level_globals_reach_functions() -> None:
    code = """
    import argparse
    parser = argparse.ArgumentParser()
    ARGS = parser.parse_args()
    LIMIT = 5
    def go():
        sink(q=ARGS.qty, l=LIMIT)
    """
    assert tainted(code) == {"q"}


# --------------------------------------------------------------------------- sanitizers

@pytest.mark.parametrize("check", [
    "if side not in ('buy', 'sell'):\n    return 'bad'",
    "if side not in SIDES:\n    raise ValueError(side)",
    "if side not in SIDES:\n    abort(400)",
    "if side != 'buy' and side != 'sell':\n    return",
    "if not (side == 'buy' or side == 'sell'):\n    return",
    "if side in SIDES:\n    pass\nelse:\n    return",
    "import sys\nif side not in SIDES:\n    sys.exit(1)",
])
def test_rejecting_membership_checks_validate(check: str) -> None:
    code = web(f"SIDES = ('buy', 'sell')\nside = p['side']\nqty = p['qty']\n{check}\n"
               "sink(side=side, qty=qty)")
    assert tainted(code) == {"qty"}, check


@pytest.mark.parametrize(("check", "validated"), [
    ("if qty <= 0 or qty > MAX_QTY:\n    raise ValueError", True),
    ("if not 0 < qty <= MAX_QTY:\n    raise ValueError", True),
    ("if qty > MAX_QTY:\n    return", True),
    ("if MAX_QTY < qty:\n    return", True),
    ("if float(qty) > MAX_QTY:\n    return", True),
    ("while qty > MAX_QTY:\n    qty = qty / 2", True),
    ("if qty <= 0:\n    raise ValueError", False),            # a lower bound only
    ("if qty > p['max']:\n    return", False),                 # bound by untrusted data
    ("if qty > MAX_QTY:\n    print('big')", False),            # does not reject
])
def test_bound_checks(check: str, validated: bool) -> None:
    code = web(f"MAX_QTY = 5\nqty = float(p['qty'])\nsymbol = p['symbol']\n{check}\n"
               "sink(qty=qty, symbol=symbol)")
    assert tainted(code) == ({"symbol"} if validated else {"qty", "symbol"}), check


@pytest.mark.parametrize(("expr", "validated"), [
    ("min(qty, MAX_QTY)", True),
    ("min(max(qty, 0.001), MAX_QTY)", True),
    ("max(min(qty, MAX_QTY), 0.001)", True),
    ("max(qty, 0.001)", False),
    ("min(qty, p['cap'])", False),
    ("min(p['qtys'])", False),
])
def test_clamps(expr: str, validated: bool) -> None:
    code = web(f"MAX_QTY = 5\nqty = float(p['qty'])\nsink(v={expr})")
    assert tainted(code) == (set() if validated else {"v"}), expr


@pytest.mark.parametrize(("expr", "validated"), [
    ("ALLOWED[p['symbol']]", True),
    ("ALLOWED.get(p['symbol'])", True),
    ("ALLOWED.get(p['symbol'], 'BTC/USDT')", True),
    ("ALLOWED.get(p['symbol'], p['symbol'])", False),
    ("'buy' if p['side'] == 'buy' else 'sell'", True),
    ("p['symbol'] if p['symbol'] in ALLOWED else 'BTC/USDT'", True),
    ("p['symbol'] if p['ok'] else 'BTC/USDT'", False),
])
def test_lookups_and_ternaries(expr: str, validated: bool) -> None:
    code = web(f"ALLOWED = {{'btc': 'BTC/USDT'}}\nsink(v={expr})")
    assert tainted(code) == (set() if validated else {"v"}), expr


def test_market_membership_validates() -> None:
    code = """
    import ccxt
    from flask import Flask, request, abort
    app = Flask(__name__)
    ex = ccxt.binance()
    @app.post('/x')
    def x():
        symbol = request.json['symbol']
        if symbol not in ex.markets:
            abort(400)
        sink(s=symbol, q=request.json['qty'])
    """
    assert tainted(code) == {"q"}


def test_validation_is_per_path() -> None:
    code = web("""
        side = p['side']
        if p.get('strict'):
            if side not in ('buy', 'sell'):
                return
        sink(a=side)
        if side not in ('buy', 'sell'):
            return
        sink(b=side)
    """)
    assert tainted(code) == {"a"}


def test_continue_in_a_loop_rejects() -> None:
    code = web("""
        for o in p['orders']:
            if o['symbol'] not in ('BTC/USDT',):
                continue
            sink(s=o['symbol'], q=o['qty'])
    """)
    assert tainted(code) == {"q"}


def test_match_on_literals_validates() -> None:
    code = web("""
        side = p['side']
        match side:
            case "buy" | "sell":
                sink(a=side)
            case _:
                sink(b=side)
    """)
    assert tainted(code) == {"b"}


def test_regex_fullmatch_validates() -> None:
    code = web("""
        import re
        symbol = p['symbol']
        if not re.fullmatch(r"[A-Z]{2,10}/USDT", symbol):
            abort(400)
        sink(s=symbol, q=p['qty'])
    """)
    assert tainted(code) == {"q"}


def test_jsonschema_validates_constrained_properties_only() -> None:
    code = web("""
        import jsonschema
        SCHEMA = {"type": "object", "properties": {
            "side": {"enum": ["buy", "sell"]},
            "qty": {"type": "number", "maximum": 1},
            "symbol": {"type": "string"},
        }}
        jsonschema.validate(p, SCHEMA)
        sink(side=p['side'], qty=p['qty'], symbol=p['symbol'])
    """)
    assert tainted(code) == {"symbol"}


def test_configured_validator_names() -> None:
    body = web("""
        check_order(p['symbol'])
        q = validate_qty(p['qty'])
        if not allowed_side(p['side']):
            return
        sink(s=p['symbol'], q=q, d=p['side'], o=p['other'])
    """)
    options = (("order-validators", ["check_order", "validate_*", "allowed_side"]),)
    assert tainted(body, options=options) == {"o"}
    assert tainted(body) == {"s", "q", "d", "o"}


def test_functions_of_the_file_that_validate() -> None:
    code = web("""
        ensure_symbol(p['symbol'])
        if not is_side(p['side']):
            return
        sink(s=p['symbol'], d=p['side'], q=p['qty'])
    """) + """
ALLOWED = {"BTC/USDT"}
def ensure_symbol(symbol):
    if symbol not in ALLOWED:
        raise ValueError(symbol)
def is_side(side):
    return side in ("buy", "sell")
"""
    assert tainted(code) == {"q"}


def test_a_helper_that_only_reassigns_does_not_validate() -> None:
    code = web("""
        shrink(p['qty'])
        sink(q=p['qty'])
    """) + "def shrink(qty):\n    qty = min(qty, 1)\n    return qty\n"
    assert tainted(code) == {"q"}


@pytest.mark.parametrize("body", [
    "q = float(p['qty'])\nsink(v=q)",                                    # casts convert only
    "s = p['symbol'].upper()\nsink(v=s)",                                # so does .upper()
    "if p['passphrase'] != SECRET:\n    abort(403)\nsink(v=p['qty'])",   # auth is not validation
    "if request.headers.get('X-Owner') != OWNER:\n    return\nsink(v=p['qty'])",
])
def test_not_sanitizers(body: str) -> None:
    code = web(f"SECRET = 'x'\nOWNER = 'me'\n{body}")
    assert tainted(code) == {"v"}, body


def test_assert_is_not_validation_but_is_remembered() -> None:
    ctx, analysis = analyse(web("""
        side = p['side']
        assert side in ('buy', 'sell')
        sink(v=side)
    """))
    call = next(n for n in iter_tree(ctx.module) if isinstance(n, cst.Call)
                and isinstance(n.func, cst.Name) and n.func.value == "sink")
    arg = call.args[0].value
    assert analysis.taint_of(arg) is not None
    assert isinstance(analysis.assert_of(arg), cst.Assert)


def test_validating_one_parameter_leaves_the_others() -> None:
    code = web("""
        symbol, side, qty = p['symbol'], p['side'], p['qty']
        if symbol not in ('BTC/USDT',):
            return
        sink(symbol=symbol, side=side, qty=qty)
    """)
    assert tainted(code) == {"side", "qty"}


# --------------------------------------------------------------------------- the API

def test_taint_of_reports_kind_line_and_flow() -> None:
    code = web("""
        amount = p['amount']
        qty = float(amount)
        sink(v=qty)
    """)
    found = sink_taints(code)["v"]
    assert found is not None
    assert found.kind == "web" and found.severity is Severity.HIGH
    assert found.source == "request.json" and found.line == 6
    lines = [s.line for s in found.flow]
    assert lines[0] == 6 and lines == sorted(lines) and 8 in lines
    assert found.description == "web request"


def test_taints_of_lists_every_source_most_severe_first() -> None:
    ctx, analysis = analyse(FLASK + """
import sys
@app.post('/x')
def x():
    v = sys.argv[1] + request.json['q']
    sink(v=v)
""")
    call = next(n for n in iter_tree(ctx.module) if isinstance(n, cst.Call)
                and isinstance(n.func, cst.Name) and n.func.value == "sink")
    kinds = [t.kind for t in analysis.taints_of(call.args[0].value)]
    assert kinds == ["web", "cli"]


def test_unevaluated_expressions_and_local_targets() -> None:
    ctx, analysis = analyse("def f(x):\n    return x\nclass C:\n    def m(self):\n"
                            "        return f(1)\n")
    calls = [n for n in iter_tree(ctx.module) if isinstance(n, cst.Call)]
    assert analysis.taint_of(ctx.module) is None
    fi = analysis.function_of(next(n for n in iter_tree(ctx.module)
                                   if isinstance(n, cst.FunctionDef) and n.name.value == "m"))
    assert fi is not None and fi.cls is not None
    target = analysis.local_target(calls[0], fi)
    assert target is not None and target.name == "f"


def test_analysis_is_shared_and_lazy() -> None:
    ctx, analysis = analyse("x = 1\n")
    assert taint_analysis(ctx) is analysis
    assert not analysis.memo


def test_deeply_nested_code_does_not_crash() -> None:
    body = "q = p['qty']\n" + "".join("    " * i + "if q:\n" for i in range(40)) + \
        "    " * 40 + "sink(v=q)\n"
    assert tainted(web(body)) == {"v"}


def test_recursion_terminates() -> None:
    code = web("sink(v=walk(p['qty'], 3))\n") + \
        "def walk(x, n):\n    if n:\n        return walk(x, n - 1)\n    return x\n"
    assert tainted(code) == {"v"}


def test_tuple_returns_are_summarised_per_element() -> None:
    code = web("""
        symbol, qty, extra = parse(p)
        sink(s=symbol, q=qty, e=extra)
    """) + """
ALLOWED = {"BTC/USDT"}
def parse(payload):
    symbol = payload.get("symbol")
    if symbol not in ALLOWED:
        raise ValueError(symbol)
    return symbol, min(float(payload["qty"]), 1.0), payload["note"]
"""
    assert tainted(code) == {"e"}


def test_method_of_a_freshly_built_instance() -> None:
    code = FLASK + """
class Runner:
    def __init__(self, cfg):
        self.cfg = cfg
    def run(self, payload):
        sink(q=payload['qty'], c=self.cfg)
@app.post('/x')
def x():
    return Runner({}).run(request.get_json())
"""
    found = sink_taints(code)
    assert found["q"] is not None and found["q"].source == "request.get_json()"
    assert found["c"] is None


def test_aiogram_slack_and_socketio_handlers() -> None:
    aiogram = """
    from aiogram import Dispatcher, types
    dp = Dispatcher()
    @dp.message()
    async def buy(message: types.Message):
        sink(a=message.text)
    """
    assert tainted(aiogram) == {"a"}
    slack = """
    from slack_bolt import App
    app = App()
    @app.command("/buy")
    def buy(ack, command):
        sink(a=command["text"])
    """
    assert tainted(slack) == {"a"}
    socketio = """
    from flask_socketio import SocketIO
    socketio = SocketIO()
    @socketio.on("order")
    def order(data):
        sink(a=data["qty"])
    """
    found = sink_taints(socketio)
    assert found["a"] is not None and found["a"].kind == "websocket"


def test_numpy_clip_and_an_unreadable_schema() -> None:
    code = web("""
        import numpy as np
        import jsonschema
        from schemas import ORDER
        jsonschema.validate(p, ORDER)
        sink(a=np.clip(float(request.args['q']), 0, 1), b=p['side'],
             c=np.clip(float(request.args['q']), 0, request.args['max']))
    """)
    assert tainted(code) == {"c"}


def test_server_state_on_handler_parameters_is_trusted() -> None:
    code = """
    from fastapi import FastAPI, Request
    from telegram.ext import CommandHandler
    app = FastAPI()
    @app.post("/o")
    async def o(request: Request):
        sink(a=request.app.state.max_qty, b=request.state.user, c=request.query_params["q"])
    async def buy(update, context):
        sink(d=context.bot_data["limit"], e=context.args[0])
    h = CommandHandler("buy", buy)
    """
    assert tainted(code) == {"c", "e"}

"""A deterministic generator of trading-bot source trees for the benchmark.

The tree imitates a large monorepo of small bots: most modules are plain code (indicators,
sizing maths, data classes, local config loading) with nothing for a security linter to
find, and about a third talk to an exchange through ccxt, python-binance, pybit or raw
``requests``. Some of those carry the mistakes apisec-lint looks for: keys written into
the source, TLS verification turned off, polling loops with no sleep, a webhook body
passed straight to ``create_order``, plaintext ``http://`` endpoints.

Everything is derived from a seed, per file (``random.Random(f"{seed}:{index}")``), so
the first N files of a bigger tree are the files of a smaller one, and a tree is the same
byte for byte on every machine and Python version.

Secret-looking values are made up from random characters at generation time: no key or
token is written in this file, so the project passes its own hook.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from pathlib import Path

# Bump when the output changes, so cached trees are regenerated.
GENERATOR_VERSION = 2

_ALNUM = string.ascii_letters + string.digits
_B64 = _ALNUM + "+/"

_ADJECTIVES = ("quick", "lazy", "grid", "dca", "swing", "scalp", "mean", "trend", "arb",
               "pairs", "range", "break", "momo", "carry", "basis", "delta", "hedge", "vol")
_NOUNS = ("bot", "trader", "runner", "worker", "engine", "agent", "keeper", "watcher",
          "signals", "sizing", "utils", "helpers", "models", "store", "metrics", "report")
_CCXT_EXCHANGES = ("binance", "kraken", "bybit", "okx", "kucoin", "bitget", "gate", "mexc",
                   "coinbase", "bitfinex", "htx", "bitstamp")
_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "ADA/USDT", "DOGE/USDT",
            "BTC/EUR", "ETH/BTC", "LTC/USDT", "DOT/USDT")
_BINANCE_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT")


def _token(rng: random.Random, length: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _ident(rng: random.Random) -> str:
    return f"{rng.choice(_ADJECTIVES)}_{rng.choice(_NOUNS)}"


# ---------------------------------------------------------------------------------------
# Filler: plain numeric code with no imports, strings or network words, used to bring a
# module to its target size and as the whole body of "nothing to find" modules.


def _filler_function(rng: random.Random, index: int) -> list[str]:
    name = f"{rng.choice(('calc', 'step', 'smooth', 'score', 'blend', 'scale'))}_{index}"
    kind = rng.randrange(5)
    if kind == 0:
        n = rng.randint(3, 30)
        return [
            f"def {name}(values, window={n}):",
            "    # Simple moving average over the trailing window.",
            "    out = []",
            "    total = 0.0",
            "    for i, v in enumerate(values):",
            "        total += v",
            "        if i >= window:",
            "            total -= values[i - window]",
            "        out.append(total / min(i + 1, window))",
            "    return out",
            "",
        ]
    if kind == 1:
        alpha = round(rng.uniform(0.05, 0.5), 3)
        return [
            f"def {name}(values, alpha={alpha}):",
            "    # Exponential smoothing.",
            "    level = None",
            "    result = []",
            "    for v in values:",
            "        level = v if level is None else alpha * v + (1 - alpha) * level",
            "        result.append(level)",
            "    return result",
            "",
        ]
    if kind == 2:
        return [
            f"def {name}(a, b, c={rng.randint(1, 9)}):",
            "    if a > b:",
            f"        return (a - b) * c + {rng.randint(0, 99)}",
            "    elif a == b:",
            "        return c",
            f"    return (b - a) / max(c, 1) - {rng.randint(0, 9)}",
            "",
        ]
    if kind == 3:
        lo, hi = sorted((rng.randint(-50, 50), rng.randint(51, 500)))
        return [
            f"def {name}(x, lo={lo}, hi={hi}):",
            "    # Clamp into the band, then rescale to [0, 1].",
            "    x = max(lo, min(hi, x))",
            "    return (x - lo) / (hi - lo)",
            "",
        ]
    fields = [f"f{j}" for j in range(rng.randint(2, 6))]
    lines = [f"class Row{index}:", f"    def __init__(self, {', '.join(fields)}):"]
    lines.extend(f"        self.{f} = {f}" for f in fields)
    lines.append("")
    lines.append("    def total(self):")
    lines.append(f"        return {' + '.join('self.' + f for f in fields)}")
    lines.append("")
    return lines


def _pad(rng: random.Random, lines: list[str], target: int, exact: bool = False) -> list[str]:
    """Append filler functions until ``lines`` reaches ``target`` lines (exactly, with
    trailing comment lines, when ``exact``)."""
    i = 0
    while len(lines) < target:
        block = ["", *_filler_function(rng, i)]
        if exact and len(lines) + len(block) > target:
            lines.extend(f"# {n}" for n in range(target - len(lines)))
            break
        lines.extend(block)
        i += 1
    return lines


# ---------------------------------------------------------------------------------------
# Module kinds. Each returns the module's lines (without filler).


def _plain_math(rng: random.Random) -> list[str]:
    return ["from math import sqrt, log, exp", "", ""]


def _plain_dataclass(rng: random.Random) -> list[str]:
    name = rng.choice(("Fill", "Candle", "Position", "Signal", "Bucket"))
    return [
        '"""Data holders used by the strategy code."""',
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass, field",
        "",
        "",
        "@dataclass(frozen=True)",
        f"class {name}:",
        "    price: float",
        "    size: float",
        "    tags: tuple[str, ...] = field(default_factory=tuple)",
        "",
        "    def notional(self) -> float:",
        "        return self.price * self.size",
        "",
    ]


def _plain_config(rng: random.Random) -> list[str]:
    return [
        '"""Loads the strategy settings from a local JSON file."""',
        "import json",
        "import logging",
        "from pathlib import Path",
        "",
        "log = logging.getLogger(__name__)",
        f'DEFAULTS = {{"window": {rng.randint(5, 60)}, "threshold": {rng.random():.3f}}}',
        "",
        "",
        "def load_settings(path):",
        "    data = dict(DEFAULTS)",
        "    p = Path(path)",
        "    if p.exists():",
        '        data.update(json.loads(p.read_text(encoding="utf-8")))',
        '    log.info("settings loaded from %s", p)',
        "    return data",
        "",
    ]


def _plain_cli(rng: random.Random) -> list[str]:
    return [
        "import argparse",
        "",
        "",
        "def parse_args(argv=None):",
        '    parser = argparse.ArgumentParser(description="backtest runner")',
        f'    parser.add_argument("--days", type=int, default={rng.randint(7, 365)})',
        '    parser.add_argument("--pair", default="BTC/USDT")',
        '    parser.add_argument("--plot", action="store_true")',
        "    return parser.parse_args(argv)",
        "",
    ]


def _credentials(rng: random.Random, hardcoded: bool, env_prefix: str) -> tuple[str, str]:
    """(key expression, secret expression) for a bot's credentials."""
    if hardcoded:
        key = _token(rng, rng.choice((32, 64)))
        secret = _token(rng, rng.choice((43, 64)), _B64 if rng.random() < 0.5 else _ALNUM)
        return repr(key), repr(secret)
    return f'os.environ["{env_prefix}_API_KEY"]', f'os.environ["{env_prefix}_API_SECRET"]'


def _poll_loop(rng: random.Random, call: str, throttled: bool) -> list[str]:
    lines = ["", "", "def run_forever():", "    while True:", f"        data = {call}"]
    lines.append("        handle(data)")
    if throttled:
        lines.append(f"        time.sleep({rng.choice((1, 2, 5, 10, 30, 60))})")
    lines += ["", "", "def handle(data):", "    return data", ""]
    return lines


def _ccxt_bot(rng: random.Random, flaws: set[str]) -> list[str]:
    ex = rng.choice(_CCXT_EXCHANGES)
    sym = rng.choice(_SYMBOLS)
    key, secret = _credentials(rng, "key" in flaws, ex.upper())
    rate = "False" if "ratelimit" in flaws else "True"
    lines = [
        f'"""{ex} bot for {sym}."""',
        "import os",
        "import time",
        "",
        "import ccxt",
        "",
        f"exchange = ccxt.{ex}({{",
        f'    "apiKey": {key},',
        f'    "secret": {secret},',
        f'    "enableRateLimit": {rate},',
        "})",
        f'SYMBOL = "{sym}"',
        "",
        "",
        "def buy(amount):",
        '    return exchange.create_order(SYMBOL, "market", "buy", amount)',
    ]
    lines += _poll_loop(rng, "exchange.fetch_ticker(SYMBOL)", "loop" not in flaws)
    return lines


def _binance_bot(rng: random.Random, flaws: set[str]) -> list[str]:
    sym = rng.choice(_BINANCE_SYMBOLS)
    key, secret = _credentials(rng, "key" in flaws, "BINANCE")
    params = ', requests_params={"verify": False}' if "tls" in flaws else ""
    lines = [
        "import os",
        "import time",
        "",
        "from binance.client import Client",
        "",
        f"client = Client({key}, {secret}{params})",
        "",
        "",
        "def buy(qty):",
        f'    return client.order_market_buy(symbol="{sym}", quantity=qty)',
    ]
    lines += _poll_loop(rng, f'client.get_symbol_ticker(symbol="{sym}")', "loop" not in flaws)
    return lines


def _pybit_bot(rng: random.Random, flaws: set[str]) -> list[str]:
    sym = rng.choice(_BINANCE_SYMBOLS)
    key, secret = _credentials(rng, "key" in flaws, "BYBIT")
    lines = [
        "import os",
        "import time",
        "",
        "from pybit.unified_trading import HTTP",
        "",
        f"session = HTTP(testnet=False, api_key={key}, api_secret={secret})",
        "",
        "",
        "def sell(qty):",
        "    return session.place_order(",
        f'        category="linear", symbol="{sym}", side="Sell", orderType="Market", qty=qty',
        "    )",
    ]
    lines += _poll_loop(
        rng, f'session.get_tickers(category="linear", symbol="{sym}")', "loop" not in flaws
    )
    return lines


def _requests_bot(rng: random.Random, flaws: set[str]) -> list[str]:
    scheme = "http" if "http" in flaws else "https"
    host = rng.choice(("api.binance.com", "api.kraken.com", "api.bybit.com", "www.okx.com"))
    tls = ", verify=False" if "tls" in flaws else ""
    key, secret = _credentials(rng, "key" in flaws, "EXCHANGE")
    lines = [
        "import hashlib",
        "import hmac",
        "import os",
        "import time",
        "",
        "import requests",
        "",
        f'BASE = "{scheme}://{host}"',
        f"API_KEY = {key}",
        f"API_SECRET = {secret}",
        "",
        "",
        "def signed_get(path, params):",
        '    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))',
        "    sig = hmac.new(API_SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()",
        '    headers = {"X-API-KEY": API_KEY}',
        '    url = BASE + path + "?" + query + "&signature=" + sig',
        f"    return requests.get(url, headers=headers, timeout=10{tls}).json()",
    ]
    lines += _poll_loop(rng, 'signed_get("/ticker", {"pair": "BTCUSDT"})', "loop" not in flaws)
    return lines


def _webhook_bot(rng: random.Random, flaws: set[str]) -> list[str]:
    ex = rng.choice(_CCXT_EXCHANGES)
    key, secret = _credentials(rng, "key" in flaws, ex.upper())
    lines = [
        "import os",
        "",
        "import ccxt",
        "from flask import Flask, request",
        "",
        "app = Flask(__name__)",
        f'exchange = ccxt.{ex}({{"apiKey": {key}, "secret": {secret}}})',
        'ALLOWED = {"BTC/USDT", "ETH/USDT"}',
        "",
        "",
        '@app.route("/webhook", methods=["POST"])',
        "def webhook():",
        "    data = request.get_json()",
    ]
    if "taint" in flaws:
        lines += [
            '    order = exchange.create_order(data["symbol"], "market", data["side"],'
            ' data["amount"])',
        ]
    else:
        lines += [
            '    if data.get("symbol") not in ALLOWED:',
            '        return {"ok": False}, 400',
            '    side = "buy" if data.get("side") == "buy" else "sell"',
            '    amount = min(float(data.get("amount", 0)), 0.01)',
            '    order = exchange.create_order(data["symbol"], "market", side, amount)',
        ]
    lines += ['    return {"id": order["id"]}', ""]
    return lines


_PLAIN: tuple[Callable[[random.Random], list[str]], ...] = (
    _plain_math, _plain_dataclass, _plain_config, _plain_cli,
)
_BOTS: dict[str, tuple[Callable[[random.Random, set[str]], list[str]], tuple[str, ...]]] = {
    # kind: (builder, the flaws it can carry)
    "ccxt": (_ccxt_bot, ("key", "ratelimit", "loop")),
    "binance": (_binance_bot, ("key", "tls", "loop")),
    "pybit": (_pybit_bot, ("key", "loop")),
    "requests": (_requests_bot, ("key", "tls", "http", "loop")),
    "webhook": (_webhook_bot, ("key", "taint")),
}


def _target_lines(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return rng.randint(15, 50)
    if roll < 0.9:
        return rng.randint(50, 120)
    return rng.randint(120, 300)


def module_source(seed: int | str, index: int) -> tuple[str, str]:
    """The relative path and text of module ``index`` of the tree for ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    target = _target_lines(rng)
    if rng.random() < 0.35:
        kind = rng.choice(sorted(_BOTS))
        build, possible = _BOTS[kind]
        # About a third of the bots carry one or two mistakes.
        flaws = set(rng.sample(possible, rng.randint(1, 2))) if rng.random() < 0.35 else set()
        lines = build(rng, flaws)
        name = f"{kind}_{_ident(rng)}_{index}.py"
    else:
        lines = rng.choice(_PLAIN)(rng)
        name = f"{_ident(rng)}_{index}.py"
    text = "\n".join(_pad(rng, lines, target)).rstrip("\n") + "\n"
    return f"pkg{index // 100:03d}/{name}", text


def generate_tree(root: Path, files: int, seed: int | str = 7) -> None:
    """Write ``files`` modules under ``root`` (which must not exist yet)."""
    root.mkdir(parents=True)
    for i in range(files):
        rel, text = module_source(seed, i)
        path = root / rel
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")


def precommit_bot(seed: int | str = "precommit") -> str:
    """A 300-line ccxt bot as a pre-commit hook sees it: a hardcoded key, a polling loop
    without sleep, a ``verify=False`` call and a webhook body sent to ``create_order``."""
    rng = random.Random(f"{seed}:bot")
    key, secret = _credentials(rng, True, "")
    lines = [
        '"""Kraken dip buyer with a TradingView webhook."""',
        "import hashlib",
        "import hmac",
        "import time",
        "",
        "import ccxt",
        "import requests",
        "from flask import Flask, request",
        "",
        "app = Flask(__name__)",
        "exchange = ccxt.kraken({",
        f'    "apiKey": {key},',
        f'    "secret": {secret},',
        '    "enableRateLimit": True,',
        "})",
        'SYMBOL = "BTC/EUR"',
        "",
        "",
        "def signed_get(path, params):",
        '    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))',
        "    sig = hmac.new(exchange.secret.encode(), query.encode(), hashlib.sha256).hexdigest()",
        '    url = "https://api.kraken.com" + path + "?" + query + "&signature=" + sig',
        "    return requests.get(url, timeout=10, verify=False).json()",
        "",
        "",
        '@app.route("/webhook", methods=["POST"])',
        "def webhook():",
        "    data = request.get_json()",
        '    order = exchange.create_order(data["symbol"], "market", data["side"], data["amount"])',
        '    return {"id": order["id"]}',
    ]
    lines += _poll_loop(rng, "exchange.fetch_ticker(SYMBOL)", throttled=False)
    return "\n".join(_pad(rng, lines, 300, exact=True)) + "\n"


def precommit_clean(seed: int | str = "precommit") -> str:
    """A 300-line module of pure maths: no imports, no string literals, no API names."""
    rng = random.Random(f"{seed}:clean")
    lines = ["# Numeric helpers for the strategy code.", ""]
    return "\n".join(_pad(rng, lines, 300, exact=True)) + "\n"

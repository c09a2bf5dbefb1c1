"""APS3xx rate-limit and resilience rules: behaviour beyond the per-rule examples."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from apisec_lint.cli import main
from apisec_lint.testing import check_snippet, example_cases, registry
from apisec_lint.types import Severity

RATELIMIT = ("APS301", "APS302", "APS303", "APS304")


def run(code: str, filename: str = "bot.py", only: str = "APS3",
        **kw: object) -> list[tuple[str, int]]:
    """(rule, line) of the findings of ``code`` whose code starts with ``only``."""
    findings = check_snippet(textwrap.dedent(code), filename, **kw)  # type: ignore[arg-type]
    return sorted((f.rule, f.span.line) for f in findings if f.rule.startswith(only))


# --------------------------------------------------------------------------- APS301

def test_missing_enable_rate_limit_is_not_a_finding() -> None:
    assert run("import ccxt\nex = ccxt.kraken({'apiKey': 'k', 'secret': 's'})\n") == []


def test_rate_limit_floor_is_the_exchange_default() -> None:
    # kraken's ccxt default is 1000 ms, binance's 50 ms
    assert run("import ccxt\nex = ccxt.kraken({'rateLimit': 900})\n") == [("APS301", 2)]
    assert run("import ccxt\nex = ccxt.binance({'rateLimit': 900})\n") == []


def test_rate_limit_floor_option_overrides_the_default() -> None:
    code = "import ccxt\nex = ccxt.kraken({'rateLimit': 900})\n"
    assert run(code, options=(("rate-limit-floor", 500),)) == []
    assert run(code, options=(("rate-limit-floor", 1500),)) == [("APS301", 2)]


def test_unknown_exchange_uses_the_pack_floor() -> None:
    code = "import ccxt\nex = getattr(ccxt, name)({'rateLimit': 10})\n"
    assert run(code) == [("APS301", 2)]


def test_reported_at_the_key_inside_a_multiline_config() -> None:
    code = """\
        import os
        import ccxt.async_support as ccxt

        exchange = ccxt.kucoin({
            "apiKey": os.environ["KC_KEY"],
            "secret": os.environ["KC_SECRET"],
            "rateLimit": 0,
        })
    """
    assert run(code) == [("APS301", 7)]


def test_yaml_config_file() -> None:
    text = "exchange:\n  id: binance\n  apiKey: ${KEY}\n  enableRateLimit: false\n"
    assert run(text, "settings.yaml") == [("APS301", 4)]


# --------------------------------------------------------------------------- APS302

def test_polite_loop_sleeping_each_round_is_fine() -> None:
    code = """\
        import time, requests
        URL = "https://api.coinbase.com/v2/prices/{}/spot"

        def poll(pairs, every=10.0):
            while True:
                for pair in pairs:
                    requests.get(URL.format(pair), timeout=5)
                time.sleep(every)
    """
    assert run(code) == []


def test_a_continue_that_skips_the_sleep_leaves_a_path_unthrottled() -> None:
    code = """\
        import time
        from binance.client import Client
        client = Client("k", "s")
        while True:
            price = float(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
            if price < 1:
                continue
            time.sleep(5)
    """
    assert run(code) == [("APS302", 5)]


@pytest.mark.parametrize("pause", [
    "time.sleep(1)", "await asyncio.sleep(0.5)", "ex.sleep(1000)", "stop.wait(5)",
    "limiter.acquire()", "self._throttle()", "input('next?')",
])
def test_recognised_throttles(pause: str) -> None:
    code = f"""\
        import asyncio, time, ccxt
        ex = ccxt.binance({{"enableRateLimit": False}})

        async def loop(stop, limiter, self):
            while True:
                ex.fetch_ticker("BTC/USDT")
                {pause}
    """
    assert run(code, only="APS302") == []


def test_sleep_zero_is_not_a_throttle() -> None:
    code = """\
        import asyncio, ccxt
        ex = ccxt.binance({"enableRateLimit": False})

        async def loop():
            while True:
                ex.fetch_ticker("BTC/USDT")
                await asyncio.sleep(0)
    """
    assert run(code, only="APS302") == [("APS302", 6)]


def test_limiter_context_manager_and_throttled_helper() -> None:
    code = """\
        from ratelimit import limits, sleep_and_retry
        from binance.client import Client
        client = Client("k", "s")

        @sleep_and_retry
        @limits(calls=10, period=1)
        def ticker(sym):
            return client.get_symbol_ticker(symbol=sym)

        def scan(symbols, bucket):
            for sym in symbols:
                ticker(sym)
            for symbol in symbols:
                with bucket:
                    client.get_order_book(symbol=symbol)
    """
    assert run(code) == []


def test_custom_throttle_names_option() -> None:
    code = """\
        from binance.client import Client
        client = Client("k", "s")
        while True:
            client.get_account()
            pace_me()
    """
    assert run(code) == [("APS302", 4)]
    assert run(code, options=(("throttle-names", ["pace_*"]),)) == []


def test_ccxt_with_its_limiter_on_is_not_reported() -> None:
    code = """\
        import ccxt
        ex = ccxt.binance({"apiKey": "k"})
        for symbol in ex.load_markets():
            ex.fetch_ohlcv(symbol, "1h")
    """
    assert run(code) == []


def test_attribute_switching_the_limiter_off_counts() -> None:
    code = """\
        import ccxt
        ex = ccxt.binance()
        ex.enableRateLimit = False
        for symbol in ex.symbols:
            ex.fetch_order_book(symbol)
    """
    assert run(code) == [("APS301", 3), ("APS302", 5)]


def test_loops_over_other_things_are_not_api_loops() -> None:
    code = """\
        from binance.client import Client
        client = Client("k", "s")
        for order_id in ids:
            client.cancel_order(symbol="BTCUSDT", orderId=order_id)
    """
    assert run(code) == []
    assert run(code, options=(("market-loop-names", ["*order*"]),)) == [("APS302", 4)]


def test_raw_http_to_a_host_that_is_not_an_exchange_is_not_an_api_loop() -> None:
    code = ("import requests\nwhile True:\n"
            "    requests.get('https://status.example.org', timeout=3)\n")
    assert run(code) == []


def test_implicit_ccxt_endpoint_methods_are_network_calls() -> None:
    code = """\
        import ccxt
        ex = ccxt.binance({"enableRateLimit": False})
        for symbol in SYMBOLS:
            ex.sapiPostCapitalWithdrawApply({"coin": symbol})
            ex.fapiPrivate_post_leverage({"symbol": symbol})
            ex.market(symbol)
    """
    assert run(code, only="APS302") == [("APS302", 4), ("APS302", 5)]


# --------------------------------------------------------------------------- APS303

def test_timeouts() -> None:
    code = """\
        import requests
        s = requests.Session()

        def a():
            return requests.get("https://x").json()

        def b():
            return s.post("https://x", json={}, timeout=None)

        def c(**kw):
            return s.get("https://x", **kw)

        def d():
            return s.get("https://x", timeout=(3, 10))
    """
    assert run(code) == [("APS303", 5), ("APS303", 8)]


def test_session_with_a_timeout_adapter_is_trusted() -> None:
    code = """\
        import requests
        from requests.adapters import HTTPAdapter

        class TimeoutAdapter(HTTPAdapter):
            def send(self, request, **kw):
                kw.setdefault("timeout", 10)
                return super().send(request, **kw)

        s = requests.Session()
        s.mount("https://", TimeoutAdapter())
        s.get("https://x")
    """
    assert run(code) == []


def test_timeout_null_in_json_config() -> None:
    text = '{"exchange": {"ccxt_config": {"timeout": null}}}\n'
    assert run(text, "config.json") == [("APS303", 1)]


# --------------------------------------------------------------------------- APS304

def test_backoff_with_jitter_is_fine() -> None:
    code = """\
        import random, time, ccxt

        def retry_backoff(fn, *args, attempts=6, base=0.5):
            for i in range(attempts):
                try:
                    return fn(*args)
                except ccxt.NetworkError:
                    time.sleep(base * 2 ** i + random.random() * 0.1)
            raise RuntimeError("gave up")
    """
    assert run(code) == []


def test_constant_sub_second_sleep_is_fine_only_with_a_cap() -> None:
    uncapped = """\
        import time, requests
        while True:
            try:
                r = requests.get("https://api.binance.com/api/v3/time", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
    """
    capped = uncapped.replace("while True:", "for attempt in range(5):")
    assert run(uncapped) == [("APS304", 4)]
    assert run(capped) == []


def test_counter_check_caps_a_while_loop() -> None:
    code = """\
        import time, requests
        tries = 0
        while True:
            try:
                requests.get("https://x", timeout=5)
                break
            except requests.RequestException:
                tries += 1
                if tries > 5:
                    raise
                time.sleep(0.2)
    """
    assert run(code) == []


def test_skipping_a_failing_symbol_is_not_a_retry() -> None:
    code = """\
        import time, ccxt
        ex = ccxt.binance()
        for symbol in ex.symbols:
            try:
                ex.fetch_ticker(symbol)
            except ccxt.NetworkError:
                continue
    """
    assert run(code) == []


def test_message_loop_is_not_a_retry() -> None:
    code = """\
        import ccxt
        ex = ccxt.binance()

        async def consume(ws):
            while True:
                msg = await ws.recv()
                try:
                    ex.create_order("BTC/USDT", "market", "buy", 0.01)
                except ccxt.InsufficientFunds:
                    continue
    """
    assert run(code) == []


def test_retried_orders_are_high_severity() -> None:
    code = """\
        import ccxt
        ex = ccxt.binance()

        def buy():
            while True:
                try:
                    return ex.create_market_buy_order("BTC/USDT", 0.01)
                except (ccxt.NetworkError, ccxt.RequestTimeout):
                    pass
    """
    findings = [f for f in check_snippet(textwrap.dedent(code)) if f.rule == "APS304"]
    assert [(f.span.line, f.severity) for f in findings] == [(7, Severity.HIGH)]
    assert "repeat" in findings[0].message


def test_error_path_of_a_polling_loop_that_skips_the_sleep() -> None:
    code = """\
        import time, requests
        while True:
            try:
                requests.get("https://api.kraken.com/0/public/Time", timeout=5)
            except requests.Timeout:
                continue
            time.sleep(30)
    """
    assert run(code) == [("APS304", 4)]


# --------------------------------------------------------------------------- plumbing

@pytest.mark.parametrize("rule", [r for r in registry().rules if r.code in RATELIMIT],
                         ids=lambda r: r.code)
def test_prefilter_is_sound(rule: type) -> None:
    for _, example in example_cases(rule):
        with_pf = check_snippet(example.code, example.filename, options=example.options)
        without = check_snippet(example.code, example.filename, options=example.options,
                                prefilter=False)
        assert [f.rule for f in with_pf] == [f.rule for f in without], example.code


def test_cli_on_a_small_project(tmp_path: Path) -> None:
    (tmp_path / "poller.py").write_text(textwrap.dedent("""\
        import requests

        def poll_fast(pairs):
            while True:
                for pair in pairs:
                    requests.get(f"https://api.bybit.com/v5/market/tickers?symbol={pair}",
                                 timeout=5)

        def once():
            return requests.get("https://api.bybit.com/v5/market/time")
    """))
    (tmp_path / "config.json").write_text(
        '{"exchange": {"name": "kraken", "ccxt_config": {"enableRateLimit": false}}}\n')
    result = CliRunner().invoke(main, ["--format", "json", "--no-cache", "--select", "APS3",
                                       str(tmp_path)])
    assert result.exit_code == 1, result.output
    got = sorted((Path(f["path"]).name, f["line"], f["rule"])
                 for f in json.loads(result.output)["findings"])
    assert got == [("config.json", 1, "APS301"), ("poller.py", 6, "APS302"),
                   ("poller.py", 10, "APS303")]


DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


@pytest.mark.parametrize("rule", [r for r in registry().rules if r.code in RATELIMIT],
                         ids=lambda r: r.code)
def test_docs_follow_the_rule_docstrings(rule: type) -> None:
    """docs/rules.md is generated from the docstrings: every paragraph is there."""
    docs = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert f"### {rule.code} `{rule.name}` — {rule.summary()}" in docs
    body = rule.documentation().split("\n", 1)[1]
    for para in body.replace("## ", "#### ").split("\n\n"):
        assert " ".join(para.split()) in docs, para
    for option in rule.options:
        assert f"`{option}`" in docs


def test_sdk_helpers_that_pace_themselves_count_as_throttles() -> None:
    code = """\
        from binance.client import Client
        client = Client("k", "s")
        for symbol in ["BTCUSDT", "ETHUSDT"]:
            client.get_historical_klines(symbol, "1h", "1 Jan, 2024")
            client.get_symbol_info(symbol)
    """
    assert run(code) == []


def test_retry_with_growing_delay_at_the_top_of_the_loop_is_backoff() -> None:
    src = (
        "import asyncio, aiohttp\n"
        "async def download(session, url, retry_delay=2):\n"
        "    retry = 0\n"
        "    while True:\n"
        "        if retry > 0:\n"
        "            await asyncio.sleep(retry * retry_delay)\n"
        "        try:\n"
        "            async with session.get(url, timeout=10) as resp:\n"
        "                return await resp.read()\n"
        "        except aiohttp.ClientError:\n"
        "            retry += 1\n"
    )
    assert not [f for f in check_snippet(src) if f.rule == "APS304"]
    # the same loop with no delay at all is still reported
    delay = "        if retry > 0:\n            await asyncio.sleep(retry * retry_delay)\n"
    hammer = src.replace(delay, "")
    assert [f.span.line for f in check_snippet(hammer) if f.rule == "APS304"] == [6]


def test_cap_inside_an_and_condition_counts() -> None:
    src = (
        "import time\nfrom requests import post\n"
        "from requests.exceptions import RequestException\n"
        "def send(url, payload, retries=3):\n"
        "    ok = False\n"
        "    attempts = 0\n"
        "    while not ok and attempts <= retries:\n"
        "        if attempts:\n"
        "            time.sleep(0.2)\n"
        "        attempts += 1\n"
        "        try:\n"
        "            post(url, json=payload, timeout=5)\n"
        "            ok = True\n"
        "        except RequestException:\n"
        "            pass\n"
    )
    assert not [f for f in check_snippet(src) if f.rule == "APS304"]


def test_values_resolution_is_linear_on_many_reassignments() -> None:
    import time

    lines = ["import requests", "x = 1"]
    for i in range(400):
        lines.append(f"x = x + {i} if flag{i} else x")
    lines.append("requests.get('https://api.example.com', timeout=x)")
    start = time.perf_counter()
    check_snippet("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 10


def test_ccxt_pro_watch_loops_are_message_driven() -> None:
    src = (
        "async def watch(exchange, ends):\n"
        "    now = exchange.milliseconds()\n"
        "    while now < ends:\n"
        "        try:\n"
        "            response = await exchange.watch_balance()\n"
        "        except Exception:\n"
        "            now = exchange.milliseconds()\n"
        "            continue\n"
        "        now = exchange.milliseconds()\n"
    )
    assert not [f for f in check_snippet(src) if f.rule == "APS304"]


def test_httpx_module_calls_need_a_timeout_clients_carry_their_own() -> None:
    def aps303(src: str) -> list[int]:
        return [f.span.line for f in check_snippet(src) if f.rule == "APS303"]

    assert aps303("import httpx\nhttpx.get('https://x')\n") == [2]
    assert aps303("import httpx\nhttpx.get('https://x', timeout=5)\n") == []
    assert aps303("import httpx\nc = httpx.Client()\nc.get('https://x')\n") == []
    assert aps303("import httpx\nhttpx.post('https://x', timeout=None)\n") == [2]

"""APS3xx: rate limits and resilience — the ccxt limiter switched off or set too fast,
API calls in loops with nothing pacing them, HTTP calls that can hang, retries that
hammer the exchange.

Knobs come from the packs (topics ``rate-limiter``, ``rate-limit``, ``timeout``); which
calls reach the network, what throttles a loop and which exceptions are transient come
from ``[[network]]``, ``[[throttles]]`` and ``[[transient_errors]]`` through
:mod:`apisec_lint.analysis.network`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.knobs import Setting
from apisec_lint.analysis.loops import LoopNests, Paths, names_in, suite
from apisec_lint.analysis.network import NetCall, Network
from apisec_lint.checks._knobrule import KnobRule
from apisec_lint.fix import SAFE, AddArg, FixSpec
from apisec_lint.packs import Knowledge, matches_any
from apisec_lint.rule import Example, Rule
from apisec_lint.types import Severity
from apisec_lint.walk import iter_children

_MARKET_NAMES = ["*symbol*", "sym", "syms", "*pair*", "*market*", "*ticker*", "*coin*",
                 "*asset*", "*instrument*", "inst", "insts", "inst_id*", "*currenc*", "ccy",
                 "ccys", "*product*"]
_RECEIVE_NAMES = frozenset({"recv", "receive", "receive_json", "receive_text", "receive_str",
                            "receive_bytes", "recv_json", "recv_string", "recv_multipart",
                            "get_message", "next_message", "readline", "input", "get_updates",
                            "listen", "wait_for_message", "blpop", "brpop", "xread"})
_ORDERISH = ("*order*", "*Order*", "withdraw*", "*Withdraw*", "*transfer*", "*Transfer*")


# --------------------------------------------------------------------------- rules

class RateLimiterDisabled(KnobRule):
    """The ccxt rate limiter is switched off or set faster than the exchange allows.

    ## What it does
    Reports `enableRateLimit: False` (config dict, keyword, `exchange.enableRateLimit = False`,
    freqtrade `ccxt_config` / `ccxt_async_config` in Python or JSON config) and a `rateLimit`
    below a floor: the `rate-limit-floor` option when set, else the exchange's own ccxt
    default from the packs (`[[exchanges]] rate_limit`), else the knob's `below` (50 ms).
    ccxt enables its limiter by default, so a missing key is not a finding.

    ## Why is this bad?
    Without the limiter every call goes out as fast as the code can issue it. Exchanges
    answer bursts with HTTP 429/418 and temporary IP or key bans (Binance escalates
    from minutes to days), which leaves open positions unmanaged.

    ## Example
    ```python
    exchange = ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False})
    exchange = ccxt.kucoin({"rateLimit": 0})
    ```

    ## Use instead
    ```python
    exchange = ccxt.kraken({"apiKey": key, "secret": secret})  # limiter on by default
    ```

    ## Fix
    Safe: `enableRateLimit: False` (key, keyword or attribute) becomes `True`; a `rateLimit`
    below the floor is removed (the dict entry, the keyword or the `exchange.rateLimit = ...`
    line), so ccxt's own per-exchange default applies. Config files are not fixed.

    ## How to suppress
    `# apisec: ignore[APS301] -- <why>` on the config entry, or lower `rate-limit-floor`.
    """

    code = "APS301"
    name = "rate-limiter-disabled"
    severity = Severity.MEDIUM
    cwe = 770
    fixable = True
    fix_description = ("safe: `enableRateLimit: False` becomes `True`; a `rateLimit` below "
                       "the floor is removed (the exchange's own default applies)")
    topics = ("rate-limiter", "rate-limit")
    options = {"rate-limit-floor": 0}
    VALID = (
        "import ccxt\nex = ccxt.binance({'enableRateLimit': True})\n",
        "import ccxt\nex = ccxt.binance()\n",
        "import ccxt\nex = ccxt.kraken({'rateLimit': 3000})\n",
        "import ccxt\nex = ccxt.binance({'rateLimit': 50})\n",
        "settings = {'enableRateLimit': True, 'rateLimit': 100}\n",
        Example('{"exchange": {"name": "binance", "ccxt_config": {"enableRateLimit": true}}}\n',
                filename="config.json"),
        Example("import ccxt\nex = ccxt.binance({'rateLimit': 20})\n",
                options=(("rate-limit-floor", 10),)),
    )
    INVALID = (
        Example("from ccxt import kraken\nex = kraken({\n    'apiKey': 'k',\n"
                "    'enableRateLimit': False,\n})\n", lines=(4,)),
        Example("import ccxt.async_support as ccxt\nex = ccxt.kucoin({'rateLimit': 0})\n",
                lines=(2,)),
        Example("import ccxt\nex = ccxt.kraken({'rateLimit': 500})\n", lines=(2,)),
        Example("import ccxt\nex = ccxt.binance()\nex.enableRateLimit = False\n", lines=(3,)),
        Example("import ccxt\nclass Bot:\n    def __init__(self):\n        self.ex = ccxt.bybit()\n"
                "        self.ex.rateLimit = 5\n", lines=(5,)),
        Example("import ccxt\nOFF = False\nex = ccxt.okx(dict(enableRateLimit=OFF))\n", lines=(3,)),
        Example("import ccxt\nbase = {'enableRateLimit': False}\n"
                "ex = ccxt.gate({**base, 'apiKey': 'k'})\n",
                lines=(2,)),
        Example("cfg = {'exchange': {'ccxt_async_config': {'enableRateLimit': False}}}\n"
                "", lines=(1,)),
        Example("import ccxt\nex = ccxt.binance({'rateLimit': 40})\n", lines=(2,)),
        Example("import ccxt\nex = ccxt.kraken(enableRateLimit=False)\n", lines=(2,)),
        Example("import ccxt\nCONFIG = {'apiKey': 'k', 'enableRateLimit': False}\n"
                "exchange_class = getattr(ccxt, 'binance')\nex = exchange_class(CONFIG)\n",
                lines=(2,)),
        Example('{\n  "exchange": {\n    "name": "binance",\n'
                '    "ccxt_async_config": {"enableRateLimit": false}\n  }\n}\n',
                filename="config.json", lines=(4,)),
        Example("exchange:\n  id: kraken\n  apiKey: ${KEY}\n  rateLimit: 300\n",
                filename="exchange.yaml", lines=(4,)),
    )

    def floor(self, setting: Setting) -> float | None:
        if setting.knob["topic"] != "rate-limit":
            return None
        option = self.option("rate-limit-floor")
        if isinstance(option, (int, float)) and option > 0:
            return float(option)
        exchange = setting.exchange_id
        if exchange:
            return self._rate_limits().get(exchange)
        return None

    def _rate_limits(self) -> dict[str, float]:
        return {e["id"]: e["rate_limit"] for e in self.ctx.knowledge.section("exchanges")
                if "rate_limit" in e}

    def message(self, setting: Setting, bad: Any) -> str:
        value = getattr(bad, "value", bad)
        owner = setting.owner.rsplit(".", 1)[-1]
        if setting.knob["topic"] == "rate-limiter":
            return (f"ccxt rate limiter disabled (enableRateLimit={value!r}) for {owner}: "
                    "requests go out unthrottled")
        floor = self.floor(setting) or setting.knob.get("below")
        return (f"ccxt rateLimit={value!r} ms for {owner} is below {floor:g} ms: the limiter "
                "no longer keeps requests under the exchange's limits")


class UnthrottledApiLoop(Rule):
    """An exchange API call in a loop with nothing pacing it.

    ## What it does
    Reports a network call — a method of an exchange SDK client (ccxt unified and implicit
    endpoint methods such as `fapiPrivatePostOrder`, python-binance, binance-connector,
    pybit, okx, kucoin: `[[network]]` in the packs), a raw requests/httpx/aiohttp/websocket
    call to an exchange host, or a function of the same file that makes one — inside a
    `while` loop, a retry loop or a loop over markets/symbols/pairs, when no path through
    the loop body pauses: no `time.sleep`/`asyncio.sleep`/`exchange.sleep`, no limiter
    context manager or decorator (`[[throttles]]`, the `throttle-names` option). It is only
    reported when the client does not throttle itself: its SDK has no limiter, or the
    file switches ccxt's off (`enableRateLimit: False`, `rateLimit: 0`).

    ## Why is this bad?
    A tight loop issues requests as fast as the network allows. Exchanges ban the IP or
    key for it (HTTP 429, then 418), usually while the bot holds positions it then cannot
    manage; a loop over hundreds of symbols exhausts the request weight in seconds.

    ## Example
    ```python
    while True:
        for pair in PAIRS:
            price = requests.get(f"https://api.binance.com/api/v3/ticker/price?symbol={pair}",
                                 timeout=5).json()
    ```

    ## Use instead
    ```python
    while True:
        for pair in PAIRS:
            price = requests.get(..., timeout=5).json()
        time.sleep(10)
    ```

    ## How to suppress
    `# apisec: ignore[APS302] -- <why>` on the call, or name your limiter in the
    `throttle-names` option.
    """

    code = "APS302"
    name = "unthrottled-api-loop"
    severity = Severity.MEDIUM
    cwe = 770
    options = {"throttle-names": [], "market-loop-names": []}
    VALID = (
        "import time, requests\nwhile True:\n"
        "    requests.get('https://api.binance.com/x', timeout=5)\n"
        "    time.sleep(1)\n",
        "import ccxt\nex = ccxt.binance()\nwhile True:\n    ex.fetch_ticker('BTC/USDT')\n",
        "import requests\nwhile True:\n    requests.get('https://status.example.org', timeout=5)\n",
        "import requests\nfor url in URLS:\n    requests.get(url, timeout=5)\n",
        "import time, requests\nwhile True:\n    for pair in PAIRS:\n"
        "        requests.get('https://api.coinbase.com/v2/prices/' + pair, timeout=5)\n"
        "    time.sleep(10)\n",
        "from binance.client import Client\nc = Client('k', 's')\n"
        "for order in c.get_open_orders():\n"
        "    print(order)\n",
        "from binance.client import Client\nimport asyncio\nc = Client('k', 's')\n"
        "async def run(limiter):\n    while True:\n        async with limiter:\n"
        "            c.get_account()\n",
        "import ccxt, time\nex = ccxt.binance({'enableRateLimit': False})\nwhile True:\n"
        "    try:\n        ex.fetch_balance()\n    except ccxt.NetworkError:\n        pass\n"
        "    time.sleep(5)\n",
    )
    INVALID = (
        Example("import requests\nwhile True:\n    for pair in PAIRS:\n"
                "        requests.get('https://api.coinbase.com/v2/prices/' + pair, timeout=5)\n",
                lines=(4,)),
        Example("import requests\nAPI = 'https://api.bybit.com/v5/market'\n\ndef sync():\n"
                "    for sym in symbols():\n"
                "        requests.get(f'{API}/kline', params={'symbol': sym}, timeout=10)\n",
                lines=(6,)),
        Example("import ccxt\nex = ccxt.kraken({'enableRateLimit': False})\nwhile True:\n"
                "    t = ex.fetch_ticker('BTC/EUR')\n", lines=(4,)),
        Example("from binance.client import Client\nc = Client('k', 's')\n"
                "for symbol in ['BTCUSDT', 'ETHUSDT']:\n"
                "    c.futures_change_leverage(symbol=symbol, leverage=2)\n",
                lines=(4,)),
        Example("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
                "def poll():\n    while True:\n        s.get_tickers(category='linear')\n"
                "", lines=(5,)),
        Example("import ccxt, time\nex = ccxt.binance({'enableRateLimit': False})\nwhile True:\n"
                "    if ex.fetch_ticker('BTC/USDT')['last'] > 1:\n        continue\n"
                "    time.sleep(1)\n",
                lines=(4,)),
        Example("import ccxt\nex = ccxt.binanceusdm({'enableRateLimit': False})\n"
                "for m in ex.load_markets():\n"
                "    ex.fapiPrivatePostLeverage({'symbol': m, 'leverage': 1})\n", lines=(4,)),
        Example("from binance.client import Client\nc = Client('k', 's')\n\ndef tick():\n"
                "    return c.get_symbol_ticker(symbol='BTCUSDT')\n\nwhile True:\n    tick()\n",
                lines=(8,)),
        Example("from binance.client import Client\n\ndef run(client: Client):\n    while True:\n"
                "        client.get_account()\n", lines=(5,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        mods = set(knowledge.modules)
        return frozenset(m.lower().encode() for m in mods if m)

    def begin(self) -> None:
        self.network = Network.of(self.ctx)
        self.nests = LoopNests()
        names = self.option("market-loop-names") or []
        self.market_names = [*_MARKET_NAMES, *names]
        self.reported: set[int] = set()
        self._loop_info: dict[int, tuple[bool, bool]] = {}

    def visit_FunctionDef(self, node: Any) -> None:
        self.nests.enter_function()

    def leave_FunctionDef(self, node: Any) -> None:
        self.nests.leave_function()

    def visit_For(self, node: Any) -> None:
        if self.nests.enter_loop(node):
            self._analyse(node)

    def leave_For(self, node: Any) -> None:
        self.nests.leave_loop()

    def visit_While(self, node: Any) -> None:
        if self.nests.enter_loop(node):
            self._analyse(node)

    def leave_While(self, node: Any) -> None:
        self.nests.leave_loop()

    # -- analysis ----------------------------------------------------------------------
    def _analyse(self, loop: Any) -> None:
        scope = self.ctx.scope
        net = self.network
        # paths through an except handler are tagged 1: they are APS304's business
        paths = Paths(net.calls_in, lambda c: net.is_throttle(c, scope),
                      lambda e: net.is_throttle_context(e, scope), lambda t, h: 1)
        for call, loops in self.nests.calls(loop):
            if id(call) in self.reported:
                continue
            found = net.classify(call, scope)
            if found is None or not self._unprotected(found):
                continue
            qualifying = None
            throttled = False
            for lp in loops:
                repeats, unthrottled = self._loop_facts(lp, paths)
                if repeats and not unthrottled:
                    throttled = True
                    break
                if repeats and unthrottled and qualifying is None and self._qualifies(lp):
                    qualifying = lp
            if throttled or qualifying is None:
                continue
            self.reported.add(id(call))
            self.report(call, self._message(found, qualifying))

    def _loop_facts(self, loop: Any, paths: Paths) -> tuple[bool, bool]:
        """(the loop gets back to its top on a normal path, one such path has no pause)"""
        key = id(loop)
        if key not in self._loop_info:
            backs = {s for s in paths.loop_backs(loop) if s[1] == 0}
            self._loop_info[key] = (bool(backs), any(not t for t, _ in backs))
        return self._loop_info[key]

    def _unprotected(self, found: NetCall) -> bool:
        if found.kind == "helper" and found.inner is not None:
            return self._unprotected(found.inner)
        if found.kind == "sdk":
            return found.limiter in ("off", "none")
        if found.kind in ("http", "ws"):
            return found.exchange is not None
        return False

    def _qualifies(self, loop: Any) -> bool:
        if isinstance(loop, cst.While):
            return True
        names = [*names_in(loop.target), *names_in(loop.iter)]
        if any(matches_any(n.lower(), self.market_names) for n in names):
            return True
        callee = self.ctx.imports.qualified_name(loop.iter.func) if isinstance(
            loop.iter, cst.Call) else None
        if callee in ("itertools.count", "itertools.cycle", "itertools.repeat"):
            return True
        return any(isinstance(s, (cst.Try, cst.TryStar)) for s in suite(loop.body))

    def _message(self, found: NetCall, loop: Any) -> str:
        kind = "while" if isinstance(loop, cst.While) else "for"
        inner = found.inner if found.kind == "helper" and found.inner is not None else found
        if inner.kind == "sdk":
            sdk = inner.client.sdk if inner.client else "the SDK"
            why = ("with the ccxt rate limiter switched off" if inner.limiter == "off"
                   else f"and {sdk} has no client-side rate limiter")
        else:
            why = f"(raw {inner.kind.upper()} to the {inner.exchange} API, no client limiter)"
        via = f" (it calls {inner.what}())" if found.kind == "helper" else ""
        return (f"{found.what}(){via} runs in a `{kind}` loop with no sleep or limiter on "
                f"every path {why}: the exchange will throttle or ban the key")


class MissingTimeout(KnobRule):
    """An HTTP call that can wait forever: no timeout, or the timeout switched off.

    ## What it does
    Reports requests calls (module functions and `Session` methods) and `urlopen` without
    a `timeout=`, aiohttp requests without a timeout when their session has none either
    (reported at the `ClientSession(...)` when the file builds it), and a timeout
    switched off explicitly: `timeout=None` on requests/httpx/aiohttp, ccxt
    `{"timeout": 0}` / `exchange.timeout = None`, python-binance
    `requests_params={"timeout": None}`, pybit `HTTP(timeout=None)`. httpx module calls
    (`httpx.get(...)`) without a `timeout=` are reported as bandit's B113 does; an
    `httpx.Client` carries its own timeout (5 s by default), so for its methods only an
    explicit `None` is reported. A call passing `**kwargs` is assumed to carry a timeout.

    ## Why is this bad?
    requests waits forever by default. One stalled TCP connection freezes the bot — with
    open positions, stop-losses never placed and no error raised.

    ## Example
    ```python
    requests.post(NOTIFY_URL, data=msg)
    s.get(BASE + "/spot/accounts", timeout=None)
    ```

    ## Use instead
    ```python
    requests.post(NOTIFY_URL, data=msg, timeout=5)
    ```

    ## Fix
    Safe: a requests / httpx / `urlopen` call without a timeout gets `timeout=<fix-timeout>`
    as its last argument (on a line of its own in a one-argument-per-line call), and
    `timeout=None` on them becomes that value. aiohttp (which needs a `ClientTimeout`), ccxt,
    python-binance and pybit timeouts are not fixed.

    ## Options
    `fix-timeout`: the timeout in seconds that the fix writes (default 10).

    ## How to suppress
    `# apisec: ignore[APS303] -- <why>` on the call.
    """

    code = "APS303"
    name = "missing-timeout"
    severity = Severity.MEDIUM
    cwe = 400
    topics = ("timeout",)
    fixable = True
    fix_description = ("safe: a requests/httpx/urlopen call without a timeout gets "
                       "`timeout=<fix-timeout>` (default 10 s); `timeout=None` becomes it too")
    options = {"fix-timeout": 10}
    VALID = (
        "import requests\nrequests.get('https://x', timeout=5)\n",
        "import requests\ndef f(**kw):\n    return requests.get('https://x', **kw)\n",
        "import httpx\nc = httpx.Client()\nc.get('https://x')\n",
        "import aiohttp\nasync def f():\n"
        "    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:\n"
        "        await s.get('https://x')\n",
        "import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
        "        await s.get('https://x', timeout=aiohttp.ClientTimeout(total=10))\n",
        "import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
        "        async with s.ws_connect('wss://x', heartbeat=15) as ws:\n            pass\n",
        "import ccxt\nex = ccxt.binance({'timeout': 10000})\n",
        "def get(url, timeout=None):\n    return url\nget('x')\n",
        "import functools, requests\ns = requests.Session()\n"
        "s.request = functools.partial(s.request, timeout=10)\ns.get('https://x')\n",
    )
    INVALID = (
        Example("import requests\nrequests.post('https://ntfy.sh/x', data='filled')\n", lines=(2,)),
        Example("import requests\ns = requests.Session()\ns.get('https://x', timeout=None)\n"
                "", lines=(3,)),
        Example("import requests\ns = requests.Session()\ns.get('https://x')\n", lines=(3,)),
        Example("import requests\nr = requests.get(\n"
                "    'https://api.bybit.com/v5/market/instruments-info',\n"
                "    params={'category': 'spot'},\n)\n", lines=(2,)),
        Example("import httpx\nc = httpx.Client(timeout=None)\n", lines=(2,)),
        Example("import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
                "        await s.get('https://x')\n", lines=(3,)),
        Example("import aiohttp\nasync def f(s: aiohttp.ClientSession):\n"
                "    await s.post('https://x', json={})\n", lines=(3,)),
        Example("import ccxt\nex = ccxt.binance({'timeout': 0})\n", lines=(2,)),
        Example("import ccxt\nex = ccxt.binance()\nex.timeout = None\n", lines=(3,)),
        Example("from urllib.request import urlopen\nurlopen('https://x')\n", lines=(2,)),
        Example("from binance.client import Client\nc = Client('k', 's', {'timeout': None})\n"
                "", lines=(2,)),
        Example("from pybit.unified_trading import HTTP\n"
                "s = HTTP(api_key='k', api_secret='s', timeout=None)\n",
                lines=(2,)),
        Example("import httpx\nhttpx.get('https://x')\n", lines=(2,)),
    )

    def begin(self) -> None:
        super().begin()
        self.required = [k for k in self.knob_list if k.get("required")]
        self._adapter: bool | None = None

    def visit_Call(self, node: Any) -> None:
        super().visit_Call(node)
        if not self.required:
            return
        for _knob, owner, where in self.knobs.missing_at_call(node, self.required,
                                                               self.ctx.scope):
            if (owner.startswith("requests.") and ".Session." in owner) or \
                    owner.startswith(("requests.session.", "requests.sessions.")):
                if self._timeout_adapter() or self._request_replaced(node):
                    return
            if id(where) in self.reported:
                return
            self.reported.add(id(where))
            short = ".".join(owner.split(".")[-2:]) if owner.count(".") > 1 else owner
            if where is node:
                fix = None
                value = self.fix_value(_knob) if _knob.get("fix") == "set" else None
                if value is not None and _knob.get("param"):
                    fix = FixSpec((AddArg(node, f"{_knob['param']}={value}"),), SAFE,
                                  f"add {_knob['param']}={value}")
                self.report(node, f"{short}() without a timeout can hang the bot forever: "
                                  "pass timeout=", fix=fix)
            else:
                built = self.knobs.callee(where) or "the client"
                self.report(where, f"{built.rsplit('.', 1)[-1]}() without a timeout, and "
                                   f"{short}() does not pass one either: pass timeout= "
                                   "(e.g. aiohttp.ClientTimeout(total=10))")
            return

    def fix_value(self, knob: Any) -> str | None:
        value = knob.get("fix_value")
        if isinstance(value, str):
            return value
        seconds = self.option("fix-timeout")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            seconds = self.options["fix-timeout"]
        return f"{seconds:g}" if isinstance(seconds, float) else str(seconds)

    def _request_replaced(self, call: Any) -> bool:
        """``s.request = functools.partial(s.request, timeout=10)``: the session's
        methods all go through a request that carries a default timeout."""
        func = call.func
        key = dotted_name(func.value) if isinstance(func, cst.Attribute) else None
        return bool(key) and bool(self.ctx.values.all_assignments(f"{key}.request"))

    def _timeout_adapter(self) -> bool:
        """The file mounts its own HTTPAdapter subclass (the usual way to give a
        Session a default timeout)."""
        if self._adapter is None:
            self._adapter = False
            for node in self.ctx.module.body:
                if isinstance(node, cst.ClassDef) and any(
                        (dotted_name(b.value) or "").endswith("HTTPAdapter") for b in node.bases):
                    self._adapter = True
        return self._adapter

    def message(self, setting: Setting, bad: Any) -> str:
        value = "None" if bad == "builtins.None" else repr(getattr(bad, "value", bad))
        key = setting.knob.get("config_key") or setting.knob.get("attribute") or "timeout"
        owner = setting.owner.rsplit(".", 1)[-1]
        return (f"{setting.knob.get('message') or 'timeout switched off'}: {key}={value} in "
                f"{owner}: a stalled connection hangs the bot forever")


class RetryWithoutBackoff(Rule):
    """A retry loop that calls the exchange again immediately after an error.

    ## What it does
    Reports an `except` inside a loop — bare, `Exception`, or a transient error
    (`[[transient_errors]]`: ccxt `NetworkError`/`RateLimitExceeded`/`DDoSProtection`,
    requests/httpx/aiohttp errors, `ConnectionError`, ...) — around a network call, when
    the error path goes back to the top of the loop without waiting, or waits a constant
    sub-second time with no cap on the attempts. A delay that grows (`base * 2 ** attempt`,
    jitter), a constant wait of a second or more, or a capped loop with a short wait is
    fine. Reported at the retried call.

    ## Why is this bad?
    An error is when the exchange is overloaded, rate limiting or down; retrying at once
    multiplies the load, turns a 429 into an IP ban, and around order or withdrawal calls
    can submit the same order many times when the first attempt actually went through.

    ## Example
    ```python
    while True:
        try:
            return exchange.fetch_ticker(symbol)
        except ccxt.NetworkError:
            continue
    ```

    ## Use instead
    ```python
    for attempt in range(6):
        try:
            return exchange.fetch_ticker(symbol)
        except ccxt.NetworkError:
            time.sleep(0.5 * 2 ** attempt + random.random())
    ```

    ## How to suppress
    `# apisec: ignore[APS304] -- <why>` on the call.
    """

    code = "APS304"
    name = "retry-without-backoff"
    severity = Severity.MEDIUM
    cwe = 400
    triggers = ("except",)
    VALID = (
        "import time, random, ccxt\ndef f(fn):\n    for i in range(6):\n        try:\n"
        "            return fn()\n        except ccxt.NetworkError:\n"
        "            time.sleep(0.5 * 2 ** i + random.random())\n",
        "import ccxt\ndef f(ex: ccxt.Exchange):\n    while True:\n        try:\n"
        "            return ex.fetch_ticker('BTC/USDT')\n        except ccxt.NetworkError:\n"
        "            raise\n",
        "def ask():\n    while True:\n        try:\n            return int(input())\n"
        "        except Exception:\n            continue\n",
        "import time, requests\nwhile True:\n    try:\n"
        "        requests.get('https://x', timeout=5)\n"
        "    except requests.RequestException:\n        time.sleep(5)\n",
        "import time, requests\nfor _ in range(3):\n    try:\n"
        "        requests.get('https://x', timeout=5)\n"
        "        break\n    except requests.RequestException:\n        time.sleep(0.5)\n",
        "import time, requests\ndelay = 0.1\nwhile True:\n    try:\n"
        "        requests.get('https://x', timeout=5)\n"
        "        break\n    except requests.RequestException:\n        time.sleep(delay)\n"
        "        delay *= 2\n",
    )
    INVALID = (
        Example("import ccxt\ndef retry(fn, *args, attempts=10):\n    for _ in range(attempts):\n"
                "        try:\n            return fn(*args)\n        except ccxt.NetworkError:\n"
                "            pass\n", lines=(5,)),
        Example("import ccxt\ndef f(exchange: ccxt.Exchange, symbol):\n    while True:\n"
                "        try:\n"
                "            return exchange.fetch_ticker(symbol)\n"
                "        except (ccxt.NetworkError, ccxt.ExchangeNotAvailable):\n"
                "            continue\n",
                lines=(5,)),
        Example("import time, requests\nwhile True:\n    try:\n"
                "        requests.get('https://x', timeout=5)\n"
                "        break\n    except requests.RequestException:\n        time.sleep(0.1)\n",
                lines=(4,)),
        Example("import time, ccxt\nex = ccxt.binance()\nwhile True:\n    try:\n"
                "        ex.fetch_balance()\n        time.sleep(5)\n    except Exception:\n"
                "        continue\n", lines=(5,)),
        Example("import ccxt\nex = ccxt.binance()\ndef buy():\n    while True:\n        try:\n"
                "            return ex.create_market_buy_order('BTC/USDT', 0.01)\n        except:\n"
                "            pass\n", lines=(6,)),
        Example("def fetch(exchange, symbol):\n    while True:\n        try:\n"
                "            return exchange.fetch_ohlcv(symbol)\n        except Exception as e:\n"
                "            print(e)\n", lines=(4,)),
    )

    def begin(self) -> None:
        self.network = Network.of(self.ctx)
        self.nests = LoopNests()
        self.reported: set[int] = set()

    def visit_FunctionDef(self, node: Any) -> None:
        self.nests.enter_function()

    def leave_FunctionDef(self, node: Any) -> None:
        self.nests.leave_function()

    def visit_For(self, node: Any) -> None:
        self.nests.enter_loop(node)
        self._analyse(node)

    def leave_For(self, node: Any) -> None:
        self.nests.leave_loop()

    def visit_While(self, node: Any) -> None:
        self.nests.enter_loop(node)
        self._analyse(node)

    def leave_While(self, node: Any) -> None:
        self.nests.leave_loop()

    # -- analysis ----------------------------------------------------------------------
    def _analyse(self, loop: Any) -> None:
        tries = list(self._tries(loop))
        if not tries:
            return
        scope = self.ctx.scope
        net = self.network
        capped = self._capped(loop)
        relevant: dict[int, tuple[Any, Any]] = {}  # id(try) -> (try, retried call)
        for node in tries:
            handlers = [h for h in node.handlers if net.catches_transient(h)]
            if not handlers:
                continue
            target = self._retried_call(node, handlers, scope)
            if target is not None:
                relevant[id(node)] = (node, target)
        if not relevant:
            return

        def backoff(call: Any) -> bool:
            entry = net.throttle_entry(call, scope)
            if entry is None:
                return net.is_throttle(call, scope)
            seconds = net.sleep_seconds(call, scope, entry)
            if seconds is None:
                return True  # a computed delay: backoff
            if self._grows(call, loop):
                return True
            if seconds <= 0:
                return False
            return seconds >= 1.0 or capped

        def tag(try_node: Any, handler: Any) -> int:
            if id(try_node) in relevant and net.catches_transient(handler):
                return id(try_node)
            return 0

        if self._delay_before_attempt(loop, relevant, backoff):
            return
        paths = Paths(net.calls_in, backoff, lambda e: net.is_throttle_context(e, scope), tag)
        backs = paths.loop_backs(loop)
        if isinstance(loop, cst.While) and self._message_driven(loop):
            return  # each iteration handles a new message: an error is not retried
        loops_on_success = any(h == 0 for _, h in backs)
        for key, (node, call) in relevant.items():
            if isinstance(loop, cst.For) and not self._for_retries(loop, call, loops_on_success):
                continue
            if (False, key) in backs and id(call) not in self.reported:
                self.reported.add(id(call))
                self.report(call, self._message(call, node, capped), severity=self._severity(call))

    def _delay_before_attempt(self, loop: Any, relevant: dict[int, tuple[Any, Any]],
                              backoff: Any) -> bool:
        """The retry-with-delay-first idiom: a pause at the top of the loop, before the
        statement that makes the attempt (often guarded, ``if retry: sleep(retry * d)``),
        runs between a failed attempt and the next one."""
        body = list(suite(loop.body))
        tries = {id(node) for node, _ in relevant.values()}
        for index, stmt in enumerate(body):
            holds_try = id(stmt) in tries or any(
                id(n) in tries for n, _ in self.network.walk_with_scopes(stmt,
                                                                         into_functions=False))
            if holds_try:
                before = body[:index]
                return any(backoff(call) for s in before for call in self.network.calls_in([s])
                           if self.network.is_throttle(call, self.ctx.scope))
        return False

    def _for_retries(self, loop: Any, call: Any, loops_on_success: bool) -> bool:
        """A ``for`` loop retries ``call`` when the call does not depend on the loop
        variable (``for _ in range(n)``), and the loop stops on success or only counts.
        ``for sym in symbols: try: ... except: continue`` skips a failing item instead,
        and ``for url in MIRRORS`` fails over: neither repeats the same request."""
        target = set(names_in(loop.target))
        if target & set(names_in(call)):
            return False
        if not loops_on_success:
            return True
        it = loop.iter
        callee = self.ctx.imports.qualified_name(it.func) if isinstance(it, cst.Call) else None
        return callee in ("builtins.range", "itertools.count", "itertools.repeat")

    def _message_driven(self, loop: Any) -> bool:
        """The loop takes a new message, update, line or work item on each iteration
        (``await ws.recv()``, ``q.get()``, ``stack.pop()``, ``next(it)``): an error on
        one item is not a retry of it."""
        for call in self.network.calls_in(suite(loop.body)):
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else "")
            if name in _RECEIVE_NAMES or (name.startswith(("watch_", "watch")) and \
                    isinstance(func, cst.Attribute)):
                return True  # ccxt.pro watch_*(): each call awaits the next update
            if isinstance(func, cst.Attribute) and name in ("pop", "popleft", "popitem") \
                    and len(call.args) <= 1:
                return True
            if isinstance(func, cst.Name) and name == "next":
                return True
            if name in ("get", "get_nowait") and isinstance(func, cst.Attribute):
                recv = (dotted_name(func.value) or "").rsplit(".", 1)[-1].lower()
                if recv in ("q", "queue") or recv.endswith(("queue", "_q", "inbox")):
                    return True
        return False

    def _tries(self, loop: Any) -> Iterator[Any]:
        """Try statements in the loop body, not inside nested loops or functions."""
        stack = list(suite(loop.body))
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)):
                continue
            if isinstance(node, (cst.Try, cst.TryStar)):
                yield node
            stack.extend(iter_children(node))

    def _retried_call(self, node: Any, handlers: list[Any], scope: Any) -> Any:
        net = self.network
        first_call = None
        for call in net.calls_in(suite(node.body)):
            if net.classify(call, scope, guess=True) is not None:
                return call
            if first_call is None and not net.is_throttle(call, scope):
                first_call = call
        if any(net.caught(h)[0] == "transient" for h in handlers):
            return first_call
        return None

    def _capped(self, loop: Any) -> bool:
        if isinstance(loop, cst.For):
            it = loop.iter
            if isinstance(it, cst.Call):
                callee = self.ctx.imports.qualified_name(it.func)
                if callee in ("itertools.count", "itertools.cycle"):
                    return False
                if callee == "itertools.repeat" and len(it.args) < 2:
                    return False
            return True
        if _has_comparison(loop.test):
            return True  # ``while attempts < n`` / ``while not ok and tries <= n``
        for node in self.network.walk_with_scopes(loop.body, into_functions=False):
            stmt = node[0]
            if isinstance(stmt, cst.If) and isinstance(stmt.test,
                                                       (cst.Comparison, cst.UnaryOperation)):
                for inner, _ in self.network.walk_with_scopes(stmt.body, into_functions=False):
                    if isinstance(inner, (cst.Raise, cst.Break, cst.Return)):
                        return True
        return False

    def _grows(self, call: Any, loop: Any) -> bool:
        """The sleep's argument uses a name the loop changes (its counter, a delay that
        is doubled)."""
        if not call.args:
            return False
        used = set(names_in(call.args[0].value))
        if not used:
            return False
        changed: set[str] = set()
        if isinstance(loop, cst.For):
            changed.update(names_in(loop.target))
        for node, _ in self.network.walk_with_scopes(loop.body, into_functions=False):
            if isinstance(node, cst.AugAssign):
                changed.update(names_in(node.target))
            elif isinstance(node, cst.Assign):
                for t in node.targets:
                    changed.update(names_in(t.target))
        return bool(used & changed)

    def _severity(self, call: Any) -> Severity:
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else "")
        return Severity.HIGH if matches_any(name, _ORDERISH) else self.severity

    def _message(self, call: Any, node: Any, capped: bool) -> str:
        what = dotted_name(call.func) or "the call"
        tail = ""
        if self._severity(call) is Severity.HIGH:
            tail = "; around an order or withdrawal it can also repeat it"
        return (f"{what}() is retried after an error with no backoff (no growing delay "
                f"before the next attempt{'' if capped else ', no cap on attempts'}): "
                f"it hammers the exchange{tail}")


RULES = [RateLimiterDisabled, UnthrottledApiLoop, MissingTimeout, RetryWithoutBackoff]


def _has_comparison(test: Any) -> bool:
    """A loop test that compares (a counter against a cap), alone or in an ``and``."""
    if isinstance(test, cst.Comparison):
        return True
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _has_comparison(test.left) or _has_comparison(test.right)
    return False

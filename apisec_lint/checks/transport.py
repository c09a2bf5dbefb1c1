"""APS2xx: transport security — TLS verification, insecure SSL contexts, plaintext
endpoints, silenced TLS warnings.

What is insecure comes from the packs: ``[[knobs]]`` with the topics ``tls-verify``,
``tls-context``, ``tls-warnings`` and the endpoint topics, ``[[unsafe_calls]]``,
``[[environment]]`` and the ``[[exchanges]]`` domains.
"""

from __future__ import annotations

import re
from typing import Any

from apisec_lint._lazy import cst
from apisec_lint.analysis.imports import dotted_name
from apisec_lint.analysis.knobs import Knobs, bad_value, is_bad_const, knobs_for
from apisec_lint.analysis.network import (
    Network,
    host_of,
    is_local_host,
    scheme_of,
)
from apisec_lint.analysis.values import Const, string_value
from apisec_lint.checks._knobrule import KnobRule, knob_tokens
from apisec_lint.fix import SAFE, UNSAFE, FixSpec, Replace, ReplaceScheme
from apisec_lint.packs import Knowledge, matches_any
from apisec_lint.rule import Example, Rule
from apisec_lint.types import FileKind, Severity
from apisec_lint.walk import iter_tree

_PLAINTEXT_SCHEMES = ("http", "ws")
_LOG_CALLS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception",
                        "critical", "log", "echo", "secho", "write", "add_argument"})


def _unsafe(knowledge: Knowledge, topic: str) -> list[dict[str, Any]]:
    return [e for e in knowledge.section("unsafe_calls") if e["topic"] == topic]


def _unsafe_tokens(knowledge: Knowledge, topic: str) -> set[str]:
    return {p.rsplit(".", 1)[-1].lower() for e in _unsafe(knowledge, topic) for p in e["calls"]}


_API_HINT = re.compile(r"(^|[./_-])(api|apis|ws|wss|stream|streams|socket|rest|fapi|dapi|papi|"
                       r"sapi|eapi|futures|fstream|dstream|public|private|v[0-9]|[0-9])([./_?-]|$)")


def _api_like(url: str) -> bool:
    """A URL literal that names an API or stream (not a link to a web page): a websocket
    URL, or ``api``/``stream``/``ws``/a version in its host or path."""
    if scheme_of(url) == "ws":
        return True
    rest = url.split("://", 1)[-1].lower()
    return bool(_API_HINT.search(rest))


class TlsVerifyDisabled(KnobRule):
    """TLS certificate verification is switched off for an exchange or HTTP client.

    ## What it does
    Finds certificate verification switched off in every form the SDK packs declare:
    `verify=False` on requests/httpx calls, sessions and clients (`session.verify = False`);
    aiohttp `ssl=False` / `verify_ssl=False` (also on `TCPConnector`); urllib3
    `cert_reqs="CERT_NONE"`; ccxt `{"verify": False}`, `{"validateServerSsl": False}`,
    `exchange.verify = False`, `exchange.session.verify = False` (also under freqtrade's
    `ccxt_config` keys); python-binance `requests_params={"verify": False}` (also as the
    third positional argument of `Client` and on any endpoint call); pybit
    `session.client.verify = False`; KuCoin / binance-connector `client.session.verify = False`;
    and `PYTHONHTTPSVERIFY=0`, `REQUESTS_CA_BUNDLE=""`, `CURL_CA_BUNDLE=""` set from code.
    Values are followed through constants and conditional expressions
    (`verify=False if TESTNET else True` is reported). A parameter named `verify` of your own
    function, or a call to a function that is not a known HTTP/SDK API, is never matched:
    many bots define `request(..., verify=False)` meaning "sign the request".

    ## Why is this bad?
    Without certificate verification anyone on the network path (hotel Wi-Fi, a
    compromised VPS neighbour, a malicious proxy) can impersonate the exchange, read
    your API key and signatures, and alter orders and balances in flight.

    ## Example
    ```python
    requests.get("https://api.binance.com/api/v3/account", verify=False, timeout=5)
    exchange = ccxt.binance({"verify": False})
    ```

    ## Use instead
    ```python
    requests.get("https://api.binance.com/api/v3/account", timeout=5)
    # or pin a CA bundle: verify=certifi.where()
    exchange = ccxt.binance()
    ```

    ## Fix
    Unsafe (`--unsafe-fixes`: calls that worked against a bad certificate now fail):
    `verify=False`, aiohttp `ssl=False` / `verify_ssl=False` and urllib3 `cert_reqs=CERT_NONE`
    arguments and the ccxt / python-binance `{"verify": False}` entries are removed (the
    default verifies); `session.verify = False` and the other attribute forms become `True`.
    Values computed by a call and the environment-variable forms are not fixed.

    ## How to suppress
    `# apisec: ignore[APS201] -- <why>` on the statement (e.g. a test against a local
    mock server with a self-signed certificate).
    """

    code = "APS201"
    name = "tls-verify-disabled"
    severity = Severity.HIGH
    cwe = 295
    topics = ("tls-verify",)
    fixable = True
    fix_applicability = UNSAFE
    fix_description = ("unsafe (requests that worked against a bad certificate will fail): "
                       "`verify=False`, aiohttp `ssl=False`, urllib3 `cert_reqs=CERT_NONE` "
                       "and ccxt/python-binance `{'verify': False}` are removed, "
                       "`session.verify = False` becomes `True`")
    VALID = (
        "import requests\nrequests.get('https://x', timeout=5)\n",
        "import requests\nrequests.get('https://x', verify=True, timeout=5)\n",
        "import certifi, requests\nrequests.get('https://x', verify=certifi.where(), timeout=5)\n",
        "def request(path, verify=False):\n    return path\nrequest('/x', verify=False)\n",
        "class Api:\n    def __init__(self):\n        self.verify = False\n",
        "import ccxt\nex = ccxt.binance({'verify': True})\n",
        "import aiohttp\nconn = aiohttp.TCPConnector(ssl=None, limit=10)\n",
        "import os\nos.environ['PYTHONHTTPSVERIFY'] = '1'\n",
        "from binance.client import Client\nc = Client('k', 's', {'timeout': 20})\n",
        Example('{"tls": {"verify": false}, "exchange": {"ccxt_config": {"verify": true}}}\n',
                filename="config.json"),
    )
    INVALID = (
        Example("import requests\nrequests.get('https://x', verify=False, timeout=5)\n",
                lines=(2,)),
        Example("import requests as r\nVERIFY = False\n"
                "r.post('https://x', verify=VERIFY, timeout=5)\n",
                lines=(3,)),
        Example("import httpx\nc = httpx.Client(verify=False if 1 else True)\n", lines=(2,)),
        Example("import requests\ns = requests.Session()\ns.verify = False\n", lines=(3,)),
        Example("import requests\ns = requests.Session()\n"
                "s.get('https://x', verify=False, timeout=3)\n",
                lines=(3,)),
        Example("def setup(http_session):\n    http_session.verify = False\n", lines=(2,)),
        Example("import ccxt\nex = ccxt.binance({\n    'apiKey': 'k',\n    'verify': False,\n})\n",
                lines=(4,)),
        Example("import ccxt\nex = ccxt.kraken()\nex.verify = False\n", lines=(3,)),
        Example("import ccxt\nex = ccxt.okx({'validateServerSsl': False})\n", lines=(2,)),
        Example("import ccxt\nex = ccxt.okx()\nex.session.verify = False\n", lines=(3,)),
        Example("import ccxt\ncfg = {'enableRateLimit': True}\ncfg['verify'] = False\n"
                "ex = ccxt.bybit(cfg)\n", lines=(3,)),
        Example("CONFIG = {'exchange': {'name': 'binance', 'ccxt_config': {'verify': False}}}\n",
                lines=(1,)),
        Example("import aiohttp\nconn = aiohttp.TCPConnector(ssl=False)\n", lines=(2,)),
        Example("import aiohttp\nconn = aiohttp.TCPConnector(verify_ssl=False)\n", lines=(2,)),
        Example("import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
                "        await s.get('https://x', ssl=False)\n", lines=(4,)),
        Example("import urllib3\npool = urllib3.PoolManager(cert_reqs='CERT_NONE')\n", lines=(2,)),
        Example("import ssl, urllib3\npool = urllib3.PoolManager(cert_reqs=ssl.CERT_NONE)\n",
                lines=(2,)),
        Example("from binance.client import Client\n"
                "c = Client('k', 's', {'verify': False, 'timeout': 20})\n",
                lines=(2,)),
        Example("from binance.client import Client\n"
                "c = Client('k', 's', requests_params={'verify': False})\n",
                lines=(2,)),
        Example("from binance.client import Client\nc = Client('k', 's')\n"
                "c.get_all_orders(symbol='BTCUSDT', requests_params={'verify': False})\n"
                "", lines=(3,)),
        Example("from binance import AsyncClient\nimport aiohttp\n"
                "c = AsyncClient('k', 's', "
                "session_params={'connector': aiohttp.TCPConnector(ssl=False)})\n",
                lines=(3,)),
        Example("from binance.client import Client\nc = Client('k', 's')\n"
                "c.session.verify = False\n",
                lines=(3,)),
        Example("from pybit.unified_trading import HTTP\n"
                "session = HTTP(api_key='k', api_secret='s')\n"
                "session.client.verify = False\n", lines=(3,)),
        Example("from kucoin.client import Trade\nclient = Trade('k', 's', 'p')\n"
                "client.session.verify = False\n",
                lines=(3,)),
        Example("import os\nos.environ['PYTHONHTTPSVERIFY'] = '0'\n", lines=(2,)),
        Example("import os\nos.environ['CURL_CA_BUNDLE'] = ''\n", lines=(2,)),
        Example("import os\nos.environ.setdefault('REQUESTS_CA_BUNDLE', '')\n", lines=(2,)),
        Example('{\n  "exchange": {\n    "name": "binance",\n'
                '    "ccxt_config": {"verify": false}\n  }\n}\n',
                filename="config.json", lines=(4,)),
    )

    @classmethod
    def extra_tokens(cls, knowledge: Knowledge) -> set[str]:
        return {e["name"].lower() for e in knowledge.section("environment")
                if e["topic"] in cls.topics}

    def begin(self) -> None:
        super().begin()
        self.env = {e["name"]: e for e in self.ctx.knowledge.section("environment")
                    if e["topic"] in self.topics}

    def visit_Call(self, node: Any) -> None:
        super().visit_Call(node)
        if self.env and node.args:
            self._env_call(node)

    def visit_Assign(self, node: Any) -> None:
        super().visit_Assign(node)
        if self.env:
            for target in node.targets:
                t = target.target
                if isinstance(t, cst.Subscript) and len(t.slice) == 1 and \
                        isinstance(t.slice[0].slice, cst.Index) and \
                        self.ctx.imports.qualified_name(t.value) == "os.environ":
                    self._env_set(t, t.slice[0].slice.value, node.value)

    def _env_call(self, node: Any) -> None:
        callee = self.knobs.callee(node) or ""
        if callee in ("os.environ.setdefault", "os.putenv") and len(node.args) >= 2:
            self._env_set(node, node.args[0].value, node.args[1].value)
        elif callee == "os.environ.update":
            for arg in node.args:
                if arg.keyword is not None:
                    self._env_name(node, arg.keyword.value, arg.value)
                elif isinstance(arg.value, cst.Dict):
                    for el in arg.value.elements:
                        if isinstance(el, cst.DictElement):
                            self._env_set(el.key, el.key, el.value)

    def _env_set(self, report_node: Any, key_expr: Any, value: Any) -> None:
        key = self.ctx.values.resolve(key_expr, self.ctx.scope)
        if isinstance(key, Const) and isinstance(key.value, str):
            self._env_name(report_node, key.value, value)

    def _env_name(self, report_node: Any, name: str, value: Any) -> None:
        entry = self.env.get(name)
        if entry is None:
            return
        for cand in self.ctx.values.candidates(value, self.ctx.scope):
            if isinstance(cand, Const) and is_bad_const(cand.value, entry["bad"]):
                if id(report_node) not in self.reported:
                    self.reported.add(id(report_node))
                    msg = entry.get("message") or \
                        "TLS verification disabled through the environment"
                    self.report(report_node, f"{msg}: {name}={cand.value!r}")
                return


class InsecureSslContext(KnobRule):
    """An SSL context that does not verify certificates or host names.

    ## What it does
    Finds SSL contexts built without verification: `ssl._create_unverified_context()`
    (and `ssl._create_stdlib_context()`), the global monkeypatch
    `ssl._create_default_https_context = ssl._create_unverified_context`,
    `ctx.check_hostname = False`, `ctx.verify_mode = ssl.CERT_NONE`, and websocket-client
    `sslopt={"cert_reqs": ssl.CERT_NONE}` / `{"check_hostname": False}`. It is reported where
    the context is weakened, once, however many clients it is then passed to (aiohttp
    `ssl=ctx`, the Binance SDK's `https_agent=ctx`, `websockets.connect(ssl=ctx)`,
    ccxt `exchange.ssl_context = ctx`).

    ## Why is this bad?
    A context that skips certificate or host-name checks accepts any certificate, so a
    man in the middle can read the API key and signatures and rewrite orders, balances
    and market data on their way.

    ## Example
    ```python
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ```

    ## Use instead
    ```python
    ctx = ssl.create_default_context(cafile=certifi.where())
    ```

    ## Fix
    Safe: `ssl._create_unverified_context()` becomes `ssl.create_default_context()` (also in
    the `_create_default_https_context` monkeypatch). Unsafe: `check_hostname = False` becomes
    `True`, `verify_mode = ssl.CERT_NONE` becomes `ssl.CERT_REQUIRED` (`import ssl` is added
    when needed), and the websocket `sslopt` entries `cert_reqs` / `check_hostname` are removed.

    ## How to suppress
    `# apisec: ignore[APS202] -- <why>` on the statement.
    """

    code = "APS202"
    name = "insecure-ssl-context"
    severity = Severity.HIGH
    cwe = 295
    topics = ("tls-context",)
    fixable = True
    fix_description = ("safe: `ssl._create_unverified_context()` becomes "
                       "`ssl.create_default_context()` (also when assigned as the default "
                       "context); unsafe: `check_hostname = False` becomes `True`, "
                       "`verify_mode = ssl.CERT_NONE` becomes `ssl.CERT_REQUIRED`, and "
                       "websocket `sslopt` `cert_reqs` / `check_hostname` entries are removed")
    VALID = (
        "import ssl\nctx = ssl.create_default_context()\n",
        "import ssl, certifi\nctx = ssl.create_default_context(cafile=certifi.where())\n"
        "ctx.check_hostname = True\nctx.verify_mode = ssl.CERT_REQUIRED\n",
        "import ssl, websocket\nws = websocket.WebSocketApp('wss://x')\n"
        "ws.run_forever(sslopt={'cert_reqs': ssl.CERT_REQUIRED})\n",
    )
    INVALID = (
        Example("import ssl\nctx = ssl._create_unverified_context()\n", lines=(2,)),
        Example("import ssl\nssl._create_default_https_context = ssl._create_unverified_context\n",
                lines=(2,)),
        Example("import ssl\n\ndef insecure():\n    ctx = ssl.create_default_context()\n"
                "    ctx.check_hostname = False\n    ctx.verify_mode = ssl.CERT_NONE\n"
                "    return ctx\n",
                lines=(5, 6)),
        Example("import ssl, aiohttp\nctx = ssl.create_default_context()\n"
                "ctx.verify_mode = ssl.CERT_NONE\n"
                "conn = aiohttp.TCPConnector(ssl=ctx)\n", lines=(3,)),
        Example("import ssl, websocket\nws = websocket.WebSocketApp('wss://x')\n"
                "ws.run_forever(sslopt={'cert_reqs': ssl.CERT_NONE})\n", lines=(3,)),
        Example("import websocket\nws = websocket.create_connection('wss://x', "
                "sslopt={'check_hostname': False})\n", lines=(2,)),
        Example("import ssl\nfrom binance_common.configuration import ConfigurationRestAPI\n"
                "cfg = ConfigurationRestAPI(api_key='k', "
                "https_agent=ssl._create_unverified_context())\n",
                lines=(3,)),
    )

    @classmethod
    def extra_tokens(cls, knowledge: Knowledge) -> set[str]:
        return _unsafe_tokens(knowledge, "tls-context")

    @classmethod
    def fix_label(cls) -> str:
        return "safe/unsafe"  # the unverified-context call is safe, the flags are not

    def begin(self) -> None:
        super().begin()
        self.unsafe = _unsafe(self.ctx.knowledge, "tls-context")

    def visit_Call(self, node: Any) -> None:
        super().visit_Call(node)
        if self.unsafe:
            callee = self.knobs.callee(node)
            entry = self._unsafe_entry(callee)
            if entry is not None and id(node) not in self.reported:
                self.reported.add(id(node))
                self.report(node, f"{entry.get('message') or 'unverified SSL context'}: "
                                  f"{callee}()", fix=self._replacement(node.func, entry))

    def visit_Assign(self, node: Any) -> None:
        super().visit_Assign(node)
        if self.unsafe and isinstance(node.value, (cst.Name, cst.Attribute)):
            qual = self.ctx.imports.qualified_name(node.value)
            entry = self._unsafe_entry(qual)
            if entry is not None:
                target = node.targets[0].target
                self.report(target, f"{entry.get('message') or 'unverified SSL context'}: "
                                    f"{dotted_name(target) or 'target'} = {qual} makes it the "
                                    "default for every connection",
                            fix=self._replacement(node.value, entry))

    @staticmethod
    def _replacement(func: Any, entry: dict[str, Any]) -> FixSpec | None:
        """``ssl._create_unverified_context`` -> ``ssl.create_default_context``: the
        entry's ``replacement`` for the last name of a dotted callee (a bare imported
        name would need an import, and is left alone)."""
        new = entry.get("replacement")
        if not new or not isinstance(func, cst.Attribute):
            return None
        return FixSpec((Replace(func.attr, new),), SAFE,
                       f"use {dotted_name(func.value) or 'ssl'}.{new}()")

    def _unsafe_entry(self, name: str | None) -> dict[str, Any] | None:
        if not name:
            return None
        for entry in self.unsafe:
            if matches_any(name, entry["calls"]):
                return entry
        return None


class PlaintextEndpoint(Rule):
    """An exchange API or websocket endpoint reached over plaintext `http://` / `ws://`.

    ## What it does
    Reports an `http://` or `ws://` URL to a host that is not loopback or private when it
    is an exchange API base URL (its host is an exchange domain of the packs), a URL a
    websocket client connects to, an SDK base URL (`base_url=`, `API_URL`, the OKX
    `domain`), or a ccxt `urls` override. The URL is followed from where it is used
    (`BASE + "/path"`, `f"{BASE}/path"`, `URL.format(...)`) back to the literal, and reported
    there. An exchange API URL in a config file (`.env`, JSON, YAML, TOML) is reported
    too. `localhost`, `127.0.0.1`, private addresses, single-label service names and the
    hosts of the `plaintext-allowed-hosts` option are never reported.

    ## Why is this bad?
    Plaintext traffic can be read and rewritten by anyone on the path: API keys and
    signatures leak, and prices, fills and order acknowledgements can be forged. Most
    exchanges redirect or refuse plaintext, so the code either leaks or breaks.

    ## Example
    ```python
    BASE = "http://api.gateio.ws/api/v4"
    ws = websocket.WebSocketApp("ws://ws.okx.com:8443/ws/v5/public")
    ```

    ## Use instead
    ```python
    BASE = "https://api.gateio.ws/api/v4"
    ws = websocket.WebSocketApp("wss://ws.okx.com:8443/ws/v5/public")
    ```

    ## Fix
    Safe: `http://` becomes `https://` and `ws://` becomes `wss://` at the start of the
    literal, when the host is an exchange domain of the packs (other hosts may not serve TLS).
    URLs in config files are not fixed.

    ## How to suppress
    `# apisec: ignore[APS203] -- <why>` on the line of the URL, or add the host to the
    `plaintext-allowed-hosts` option.
    """

    code = "APS203"
    name = "plaintext-endpoint"
    severity = Severity.HIGH
    cwe = 319
    fixable = True
    fix_description = ("safe: `http://` / `ws://` becomes `https://` / `wss://` in a Python "
                       "string literal whose host is an exchange domain of the packs")
    kinds = frozenset({FileKind.PYTHON, FileKind.JSON, FileKind.YAML, FileKind.TOML,
                       FileKind.ENV})
    options = {"plaintext-allowed-hosts": []}
    VALID = (
        "import requests\nrequests.get('https://api.binance.com/api/v3/time', timeout=5)\n",
        "import websocket\nws = websocket.WebSocketApp('ws://localhost:8765/replay')\n",
        "import requests\nrequests.get('http://127.0.0.1:8080/status', timeout=2)\n",
        "import requests\nrequests.get('http://redis:8080/health', timeout=2)\n",
        "import requests\nrequests.get('http://example.org/page', timeout=2)\n",
        "def f():\n    '''See http://api.binance.com for details.'''\n",
        "print('docs at http://www.kraken.com/help')\n",
        "url = 'ws://' + HOST\n",
        Example("import websocket\nws = websocket.WebSocketApp('ws://10.0.0.5/feed')\n"),
        Example("import websockets\nws = websockets.connect('ws://feed.corp.example')\n",
                options=(("plaintext-allowed-hosts", ["corp.example"]),)),
        Example("REDIS_URL=http://redis:6379\nDOCS=http://www.binance.com/en/support\n",
                filename=".env"),
    )
    INVALID = (
        Example("import requests\nBASE = 'http://api.gateio.ws/api/v4'\n\ndef accounts():\n"
                "    return requests.get(BASE + '/spot/accounts', timeout=5)\n", lines=(2,)),
        Example("import websocket\nPLAIN = 'ws://ws.okx.com:8443/ws/v5/public'\n"
                "websocket.WebSocketApp(PLAIN).run_forever()\n", lines=(2,)),
        Example("import websockets\nasync def f():\n"
                "    async with websockets.connect('ws://quotes.partner-desk.example/v1') as ws:\n"
                "        pass\n", lines=(3,)),
        Example("import requests\nHOST = 'http://api.binance.com'\n"
                "r = requests.get(f'{HOST}/api/v3/time', timeout=5)\n", lines=(2,)),
        Example("REST = {'binance': 'http://api.binance.com/api/v3'}\n", lines=(1,)),
        Example("import ccxt\n"
                "ex = ccxt.binance({'urls': {'api': {'public': 'http://proxy.example.net/api'}}})\n",
                lines=(2,)),
        Example("import ccxt\nex = ccxt.binance()\nex.urls['api'] = 'http://mirror.example.net'\n",
                lines=(3,)),
        Example("from binance.spot import Spot\nc = Spot(base_url='http://api.example.net')\n",
                lines=(2,)),
        Example("from binance.client import Client\n"
                "Client.API_URL = 'http://api.example.net/api'\n",
                lines=(2,)),
        Example("import okx.Trade as Trade\nt = Trade.TradeAPI('k', 's', 'p', False, '0', "
                "'http://www.okx.com')\n", lines=(2,)),
        Example("import httpx\nc = httpx.Client(base_url='http://api.bybit.com', timeout=5)\n",
                lines=(2,)),
        Example("import os, requests\nURL = os.getenv('API', 'http://api.kucoin.com')\n"
                "requests.get(URL, timeout=5)\n", lines=(2,)),
        Example("BYBIT_KEY=\nBYBIT_REST=http://api.bybit.com/v5\n", filename=".env", lines=(2,)),
        Example('{"exchange": {"name": "okx", "rest": "http://www.okx.com/api/v5"}}\n',
                filename="config.json", lines=(1,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        # JSON may escape the slashes: "http:\/\/api..."
        return frozenset({b"http://", b"ws://", b"http:\\/\\/", b"ws:\\/\\/"})

    def begin(self) -> None:
        self.network = Network.of(self.ctx)
        self.knobs = Knobs.of(self.ctx)
        self.allowed = tuple(self.option("plaintext-allowed-hosts") or ())
        self.endpoint_attrs = [k for k in knobs_for(self.ctx, ("exchange-endpoint",
                                                               "http-base-url"))
                               if k.get("attribute")]
        self.skip: set[int] = set()
        self.reported: set[int] = set()

    def check_file(self) -> None:
        """An exchange API URL in a config file (``BINANCE_URL=http://api.binance.com``)."""
        from apisec_lint.checks._configknobs import config_entries

        network = Network.of(self.ctx)
        allowed = tuple(self.option("plaintext-allowed-hosts") or ())
        for entry in config_entries(self.ctx):
            text = entry.value
            if not isinstance(text, str) or scheme_of(text) not in _PLAINTEXT_SCHEMES:
                continue
            host = host_of(text)
            exchange = network.exchange_for_host(host)
            if host and exchange and _api_like(text) and not is_local_host(host, allowed):
                secure = "https" if scheme_of(text) == "http" else "wss"
                self.ctx.report_span(self, entry.span,
                                     f"plaintext {scheme_of(text)}:// endpoint for the "
                                     f"{exchange} API ({host}): use {secure}://")

    def visit_Expr(self, node: Any) -> None:
        # docstrings and bare string statements are documentation, not endpoints
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)):
            self.skip.add(id(node.value))

    def visit_Call(self, node: Any) -> None:
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else "")
        if last in _LOG_CALLS:
            for arg in node.args:
                for sub in iter_tree(arg.value):
                    if isinstance(sub, (cst.SimpleString, cst.ConcatenatedString)):
                        self.skip.add(id(sub))
            return
        if not node.args:
            return
        for knob, expr in self.network.endpoint_urls(node, self.ctx.scope):
            self._check_url(expr, knob["topic"])

    def visit_Assign(self, node: Any) -> None:
        if not self.endpoint_attrs:
            return
        for target in node.targets:
            for setting in self.knobs.at_assign(target.target, node.value, self.endpoint_attrs,
                                                self.ctx.scope):
                self._check_url(setting.expr, setting.knob["topic"])

    def visit_SimpleString(self, node: Any) -> None:
        if id(node) in self.skip or id(node) in self.reported:
            return
        raw = node.value
        body = raw.lstrip("rRbBuUfF")[:12].lstrip("'\"").lower()
        if not body.startswith(("http://", "ws://")):
            return
        try:
            text = string_value(node)
        except Exception:
            return
        if not isinstance(text, str):
            return
        host = host_of(text)
        exchange = self.network.exchange_for_host(host)
        if host and exchange and _api_like(text) and not is_local_host(host, self.allowed):
            self._report(node, text, host, f"the {exchange} API", known=True)

    def visit_ConcatenatedString(self, node: Any) -> None:
        if id(node) in self.skip:
            self.skip.add(id(node.left))
            self.skip.add(id(node.right))

    def _check_url(self, expr: Any, topic: str) -> None:
        for text, lit in self.network.url_roots(expr, self.ctx.scope):
            if id(lit) in self.reported or scheme_of(text) not in _PLAINTEXT_SCHEMES:
                continue
            host = host_of(text)
            if not host or is_local_host(host, self.allowed):
                continue
            exchange = self.network.exchange_for_host(host)
            if topic.startswith("http-") and exchange is None:
                continue  # a plaintext request to a host that is not an exchange
            what = f"the {exchange} API" if exchange else (
                "a websocket feed" if scheme_of(text) == "ws" else "an exchange API endpoint")
            self._report(lit, text, host, what, known=exchange is not None)

    def _report(self, node: Any, text: str, host: str, what: str, known: bool = False) -> None:
        if id(node) in self.reported:
            return
        self.reported.add(id(node))
        scheme = scheme_of(text)
        secure = "https" if scheme == "http" else "wss"
        # the secure scheme is only known to work for the exchanges' own hosts
        fix = FixSpec((ReplaceScheme(node, f"{scheme}://", f"{secure}://"),), SAFE,
                      f"use {secure}://") if known else None
        self.report(node, f"plaintext {scheme}:// endpoint for {what} ({host}): use {secure}://",
                    fix=fix)


class TlsWarningsSilenced(Rule):
    """urllib3's `InsecureRequestWarning` is silenced in a file that disables TLS checks.

    ## What it does
    Reports `urllib3.disable_warnings()` (also through `requests.packages.urllib3`) and
    `warnings.filterwarnings("ignore", category=InsecureRequestWarning)` /
    `warnings.simplefilter("ignore", InsecureRequestWarning)` — but only as corroboration:
    when the same file also disables TLS verification (APS201) or builds an unverified SSL
    context (APS202). Silencing the warning alone is not reported.

    ## Why is this bad?
    The warning is the last visible sign that requests go out unverified. Hiding it next
    to `verify=False` makes a man-in-the-middle exposure permanent and invisible in logs.

    ## Example
    ```python
    urllib3.disable_warnings()
    session.verify = False
    ```

    ## Use instead
    ```python
    # keep verification on; there is then nothing to silence
    session.verify = certifi.where()
    ```

    ## How to suppress
    `# apisec: ignore[APS204] -- <why>` on the call.
    """

    code = "APS204"
    name = "tls-warnings-silenced"
    severity = Severity.LOW
    cwe = 295
    VALID = (
        "import urllib3\nurllib3.disable_warnings()\n",
        "import warnings\nfrom urllib3.exceptions import InsecureRequestWarning\n"
        "warnings.filterwarnings('error', category=InsecureRequestWarning)\n",
        "import requests, urllib3\nurllib3.disable_warnings()\n"
        "requests.get('https://x', timeout=3)\n",
    )
    INVALID = (
        Example("import requests, urllib3\nurllib3.disable_warnings()\ns = requests.Session()\n"
                "s.verify = False\n", lines=(2,)),
        Example("import warnings, requests\nfrom urllib3.exceptions import InsecureRequestWarning\n"
                "warnings.filterwarnings('ignore', category=InsecureRequestWarning)\n"
                "requests.get('https://x', verify=False, timeout=3)\n", lines=(3,)),
        Example("import warnings, ssl\nfrom requests.packages.urllib3.exceptions import "
                "InsecureRequestWarning\nwarnings.simplefilter('ignore', InsecureRequestWarning)\n"
                "ctx = ssl._create_unverified_context()\n", lines=(3,)),
    )

    @classmethod
    def trigger_tokens(cls, knowledge: Knowledge) -> frozenset[bytes] | None:
        tokens = _unsafe_tokens(knowledge, "tls-warnings") | knob_tokens(knowledge,
                                                                          ("tls-warnings",))
        return frozenset(t.encode() for t in tokens)

    def begin(self) -> None:
        self.unsafe = _unsafe(self.ctx.knowledge, "tls-warnings")
        self.knob_list = knobs_for(self.ctx, ("tls-warnings",))
        self.knobs = Knobs.of(self.ctx)
        self.found: list[tuple[Any, str]] = []

    def visit_Call(self, node: Any) -> None:
        callee = self.knobs.callee(node)
        if not callee:
            return
        for entry in self.unsafe:
            if matches_any(callee, entry["calls"]):
                self.found.append(
                    (node, entry.get("message") or f"{callee}() silences TLS warnings"))
                return
        if not node.args:
            return
        first = node.args[0].value
        if isinstance(first, cst.SimpleString) and string_value(first) != "ignore":
            return
        for setting in self.knobs.at_call(node, self.knob_list, self.ctx.scope):
            if bad_value(self.knobs, setting) is not None:
                self.found.append((node, setting.knob.get("message")
                                   or f"{callee}() silences InsecureRequestWarning"))
                return

    def finish(self) -> None:
        if not self.found or not self._tls_disabled():
            return
        for node, message in self.found:
            self.report(node, f"{message} while TLS verification is disabled in this file")

    def _tls_disabled(self) -> bool:
        """Whether APS201 or APS202 find something in this file (they are re-run here
        quietly when they are not selected)."""
        if any(r.rule in (TlsVerifyDisabled, InsecureSslContext) for r in self.ctx.reports):
            return True
        from apisec_lint.walk import WalkState, walk

        ctx = self.ctx
        mark, saved = len(ctx.reports), ctx.state
        ctx.state = WalkState()
        try:
            rules: list[Rule] = [TlsVerifyDisabled(ctx), InsecureSslContext(ctx)]
            for rule in rules:
                rule.begin()
            walk(ctx.module, rules, ctx.state, ctx.index)
            for rule in rules:
                rule.finish()
            return len(ctx.reports) > mark
        finally:
            del ctx.reports[mark:]
            ctx.state = saved


RULES = [TlsVerifyDisabled, InsecureSslContext, PlaintextEndpoint, TlsWarningsSilenced]

"""APS2xx transport rules: behaviour beyond the per-rule examples — where findings are
reported, what is never matched, user packs, config files and the real CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from apisec_lint.cli import main
from apisec_lint.errors import PackError
from apisec_lint.packs import load_knowledge
from apisec_lint.testing import check_snippet, example_cases, registry

TRANSPORT = ("APS201", "APS202", "APS203", "APS204")


def run(code: str, filename: str = "bot.py", **kw: object) -> list[tuple[str, int]]:
    """(rule, line) of the APS2xx findings of ``code``."""
    findings = check_snippet(textwrap.dedent(code), filename, **kw)  # type: ignore[arg-type]
    return sorted((f.rule, f.span.line) for f in findings if f.rule.startswith("APS2"))


# --------------------------------------------------------------------------- APS201

def test_verify_false_is_reported_at_the_argument_not_the_constant() -> None:
    code = """\
        import requests
        VERIFY_SSL = False

        def balances():
            return requests.get("https://api.kraken.com/0/private/Balance",
                                timeout=5,
                                verify=VERIFY_SSL)
    """
    assert run(code) == [("APS201", 7)]


def test_a_conditional_that_can_be_false_is_reported() -> None:
    code = """\
        import os, httpx
        TESTNET = os.getenv("TESTNET") == "1"
        client = httpx.AsyncClient(verify=False if TESTNET else True)
    """
    assert run(code) == [("APS201", 3)]


@pytest.mark.parametrize("code", [
    # the false friend: a bot's own request(..., verify=False) means "sign it"
    """\
    class Api:
        def request(self, method, path, params=None, verify=False):
            if verify:
                params = self._sign(params)
            return self.session.request(method, path, params=params, timeout=10)

        def balance(self):
            return self.request("GET", "/api/v3/account", verify=True)

        def ticker(self):
            return self.request("GET", "/api/v3/ticker", verify=False)
    """,
    # a callee that is not a known HTTP/SDK API
    "import mylib\nmylib.get('https://x', verify=False)\n",
    # a value that is not known to be False
    "import os, requests\nrequests.get('https://x', verify=os.getenv('CA', True), timeout=5)\n",
    # an attribute named verify on an object that is not a session
    "class Order:\n    def __init__(self):\n        self.verify = False\n",
    # verify=False on something that merely looks like a config
    "settings = {'verify': False, 'name': 'db'}\n",
])
def test_never_matched(code: str) -> None:
    assert run(code) == []


def test_ccxt_config_built_key_by_key_and_merged() -> None:
    code = """\
        import ccxt
        base = {"enableRateLimit": True}
        base.update({"verify": False})
        ex = ccxt.binance({**base, "apiKey": "k"})
    """
    assert run(code) == [("APS201", 3)]


def test_ccxt_client_stored_on_self_then_session_disabled_in_another_method() -> None:
    code = """\
        import ccxt

        class Trader:
            def __init__(self):
                self.exchange = ccxt.bybit()

            def insecure(self):
                self.exchange.session.verify = False
    """
    assert run(code) == [("APS201", 8)]


def test_each_setting_is_reported_once() -> None:
    code = """\
        import ccxt
        CFG = {"verify": False}
        a = ccxt.binance(CFG)
        b = ccxt.kraken(CFG)
    """
    assert run(code) == [("APS201", 2)]


def test_environment_variables_set_from_code() -> None:
    code = """\
        import os
        os.environ.update({"PYTHONHTTPSVERIFY": "0"})
        os.putenv("CURL_CA_BUNDLE", "")
        os.environ["REQUESTS_CA_BUNDLE"] = "/etc/ssl/certs/ca.pem"
    """
    assert run(code) == [("APS201", 2), ("APS201", 3)]


def test_freqtrade_json_config(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        {
            // freqtrade allows comments
            "exchange": {
                "name": "binance",
                "ccxt_config": {"verify": false},
                "ccxt_async_config": {"verify": true,},
            },
        }
    """)
    assert run(text, "config.json") == [("APS201", 5)]


# --------------------------------------------------------------------------- APS202

def test_insecure_context_built_in_a_function_is_reported_where_weakened() -> None:
    code = """\
        import ssl, aiohttp

        def insecure_context():
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx

        async def main():
            conn = aiohttp.TCPConnector(ssl=insecure_context())
    """
    assert run(code) == [("APS202", 5), ("APS202", 6)]


def test_cert_none_through_a_constant() -> None:
    code = "import ssl\nMODE = ssl.CERT_NONE\nctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n" \
           "ctx.verify_mode = MODE\n"
    assert run(code) == [("APS202", 4)]


# --------------------------------------------------------------------------- APS203

def test_plaintext_literal_reported_once_at_the_literal() -> None:
    code = """\
        import requests
        BASE = "http://api.gateio.ws/api/v4"

        def a():
            return requests.get(BASE + "/spot/accounts", timeout=5)

        def b():
            return requests.get(f"{BASE}/spot/currencies", timeout=5)
    """
    assert run(code) == [("APS203", 2)]


@pytest.mark.parametrize("url", [
    "ws://localhost:8765/replay", "ws://127.0.0.1:9000", "http://[::1]:8080/x",
    "ws://192.168.1.20/feed", "ws://10.1.2.3/feed", "http://172.16.0.4/api",
    "ws://freqtrade:8080/api/v1/message/ws", "ws://gateway.local/ws", "ws://0.0.0.0:80/",
])
def test_local_hosts_are_never_reported(url: str) -> None:
    code = f"import websocket\nws = websocket.WebSocketApp({url!r})\n"
    assert run(code) == []


def test_allowed_hosts_option() -> None:
    code = "import websockets\nc = websockets.connect('ws://feed.desk.example/v1')\n"
    assert run(code) == [("APS203", 2)]
    assert run(code, options=(("plaintext-allowed-hosts", ["desk.example"]),)) == []


def test_plaintext_to_a_host_that_is_not_an_exchange_is_not_an_exchange_endpoint() -> None:
    code = "import requests\nrequests.post('http://hooks.example.org/notify', timeout=5)\n"
    assert run(code) == []


def test_links_in_docs_and_messages_are_not_endpoints() -> None:
    code = '''\
        """Trades on Binance: see http://api.binance.com/docs."""
        import logging
        log = logging.getLogger()
        SUPPORT = "http://www.binance.com/en/support/faq"
        log.warning("falling back to " + "http://api.binance.com")
        print("see http://api.bybit.com/v5")
    '''
    assert run(code) == []


# --------------------------------------------------------------------------- APS204

def test_silenced_warnings_alone_are_not_a_finding() -> None:
    code = "import urllib3, requests\nurllib3.disable_warnings()\n" \
           "requests.get('https://x', timeout=3)\n"
    assert run(code) == []


def test_silenced_warnings_corroborate_disabled_tls_even_when_apsx201_is_not_selected() -> None:
    code = """\
        import requests, urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        s = requests.Session()
        s.verify = False
    """
    findings = check_snippet(textwrap.dedent(code), select=("APS204",))
    assert [(f.rule, f.span.line) for f in findings] == [("APS204", 2)]


# --------------------------------------------------------------------------- user packs

USER_PACK = """\
[pack]
name = "acme"
description = "an invented exchange SDK"
modules = ["acmex"]

[[clients]]
sdk = "acmex"
exchange = "acme"
match = ["acmex.Client"]
params = [{ name = "key", position = 0, role = "key" },
          { name = "secret", position = 1, role = "secret" }]
rate_limited = false

# ---- transport (APS2xx)
[[knobs]]
topic = "tls-verify"
sdk = "acmex"
param = "check_certs"
bad = [false]
message = "Acme client certificate checks disabled"

[[knobs]]
topic = "tls-verify"
sdk = "acmex"
attribute = "transport.verify"
bad = [false]

[[knobs]]
topic = "exchange-endpoint"
sdk = "acmex"
param = "endpoint"

[[exchanges]]
id = "acme"
domains = ["acme-exchange.test"]

# ---- rate limits (APS3xx)
[[network]]
sdk = "acmex"
methods = ["get_*", "place_*"]

# ---- order safety (APS4xx)
[[order_sinks]]
sdk = "acmex"
kind = "order"
methods = ["place_trade"]
params = [{ name = "market", position = 0, role = "symbol" },
          { name = "size", position = 1, role = "amount" }]
"""


@pytest.fixture
def acme_pack(tmp_path: Path) -> str:
    path = tmp_path / "acme.toml"
    path.write_text(USER_PACK)
    return str(path)


def test_user_pack_tls_knob_needs_no_code_change(acme_pack: str) -> None:
    code = """\
        import os
        import acmex
        c = acmex.Client(os.environ["K"], os.environ["S"], check_certs=False)
        c.transport.verify = False
        d = acmex.Client(os.environ["K"], os.environ["S"], check_certs=True)
        other.check_certs(check_certs=False)
    """
    assert run(code) == []  # the built-in packs know nothing of acmex
    assert run(code, packs=(acme_pack,)) == [("APS201", 3), ("APS201", 4)]


def test_user_pack_endpoint_and_hosts(acme_pack: str) -> None:
    code = """\
        import acmex
        c = acmex.Client("k", "s", endpoint="http://eu.acme-exchange.test/api")
        FEED = "ws://stream.acme-exchange.test/ws"
    """
    assert run(code, packs=(acme_pack,)) == [("APS203", 2), ("APS203", 3)]


def test_user_pack_network_methods_drive_loop_rules(acme_pack: str) -> None:
    code = """\
        import acmex
        c = acmex.Client("k", "s")
        while True:
            c.get_ticker("BTC-USD")
            c.helper_local()
    """
    findings = check_snippet(textwrap.dedent(code), packs=(acme_pack,))
    assert [(f.rule, f.span.line) for f in findings] == [("APS302", 4)]


def test_user_pack_order_sink_needs_no_code_change(acme_pack: str) -> None:
    code = """\
        import sys
        import acmex
        c = acmex.Client("k", "s")
        c.place_trade(sys.argv[1], float(sys.argv[2]))
        c.place_trade("BTC-USD", 0.01)
    """
    def aps4(packs: tuple[str, ...]) -> list[int]:
        found = check_snippet(textwrap.dedent(code), packs=packs, select=("APS4",))
        return sorted({f.span.line for f in found})

    assert aps4(()) == []
    assert aps4((acme_pack,)) == [4]


@pytest.mark.parametrize(("section", "bad"), [
    ("throttles", 'calls = ["x.sleep"]\nunit = "minutes"'),
    ("exchanges", 'domains = ["x.test"]'),  # id missing
    ("network", 'sdk = "x"\nmethod = ["get_*"]'),  # typo
    ("environment", 'topic = "tls-verify"\nname = "X"\nbad = "0"'),  # bad must be a list
])
def test_new_pack_sections_are_validated(tmp_path: Path, section: str, bad: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(f'[pack]\nname = "broken"\n\n[[{section}]]\n{bad}\n')
    with pytest.raises(PackError, match=r"broken\.toml"):
        load_knowledge([path])


# --------------------------------------------------------------------------- plumbing

@pytest.mark.parametrize("rule", [r for r in registry().rules if r.code in TRANSPORT],
                         ids=lambda r: r.code)
def test_prefilter_is_sound(rule: type) -> None:
    """The fast path never loses a finding: every example gives the same findings
    with and without the prefilter."""
    for _, example in example_cases(rule):
        with_pf = check_snippet(example.code, example.filename, options=example.options)
        without = check_snippet(example.code, example.filename, options=example.options,
                                prefilter=False)
        assert [f.rule for f in with_pf] == [f.rule for f in without], example.code


def test_suppression_by_name_with_reason() -> None:
    code = ("import requests\n"
            "requests.get('https://localhost.test', verify=False, timeout=2)  "
            "# apisec: ignore[tls-verify-disabled] -- self-signed test server\n")
    assert run(code) == []


def test_cli_reports_python_and_json_config(tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(textwrap.dedent("""\
        import requests, urllib3
        urllib3.disable_warnings()
        API = "http://api.binance.com/api/v3"
        s = requests.Session()
        s.verify = False
        r = s.get(API + "/time", timeout=5)
    """))
    (tmp_path / "config.json").write_text(
        '{"exchange": {"name": "kraken", "ccxt_config": {"verify": false}}}\n')
    result = CliRunner().invoke(main, ["--format", "json", "--no-cache", "--select", "APS2",
                                       str(tmp_path)])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    got = sorted((Path(f["path"]).name, f["line"], f["rule"]) for f in report["findings"])
    assert got == [("bot.py", 2, "APS204"), ("bot.py", 3, "APS203"), ("bot.py", 5, "APS201"),
                   ("config.json", 1, "APS201")]
    assert all(f["family"] == "APS2" for f in report["findings"])


DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


@pytest.mark.parametrize("rule", [r for r in registry().rules if r.code in TRANSPORT],
                         ids=lambda r: r.code)
def test_docs_follow_the_rule_docstrings(rule: type) -> None:
    """docs/rules.md is generated from the docstrings: every paragraph is there."""
    docs = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert f"### {rule.code} `{rule.name}` — {rule.summary()}" in docs
    body = rule.documentation().split("\n", 1)[1]
    for para in body.replace("## ", "#### ").split("\n\n"):
        assert " ".join(para.split()) in docs, para

"""APS5xx key permissions and the least-privilege report (``--permissions``)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from apisec_lint.cli import main
from apisec_lint.errors import PackError
from apisec_lint.packs import PERMISSIONS, load_knowledge, validate_pack
from apisec_lint.permissions import (
    FileKeyUses,
    build_report,
    render_json,
    render_text,
    scan_file,
)
from apisec_lint.testing import check_snippet
from apisec_lint.types import Config, FileKind, Severity

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = load_knowledge()


def aps5(code: str, **kwargs) -> list[tuple[str, int, str]]:
    """(rule, line, severity) of the APS5xx findings of ``code``."""
    found = check_snippet(code, select=("APS5",), **kwargs)
    return [(f.rule, f.span.line, str(f.severity)) for f in found]


def rules_of(code: str, **kwargs) -> set[str]:
    return {r for r, _, _ in aps5(code, **kwargs)}


def report_of(code: str, name: str = "bot.py", declared: dict | None = None) -> dict:
    config = Config(rule_options=(("keys", declared),) if declared else ())
    res = scan_file(KNOWLEDGE, config, name, name, FileKind.PYTHON, data=code.encode())
    return json.loads(render_json(build_report([res], declared), "0"))


def only_key(code: str, **kwargs) -> dict:
    keys = report_of(code, **kwargs)["keys"]
    assert len(keys) == 1, keys
    return keys[0]


# --------------------------------------------------------------------------- APS501

BYBIT = "from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
OKX_SUB = "import okx.SubAccount as Sub\napi = Sub.SubAccountAPI('k', 's', 'p', False, '0')\n"
OKX_BROKER = "import okx.Broker as B\nb = B.BrokerAPI('k', 's', 'p', False, '0')\n"
KUCOIN = "from kucoin.client import User\nu = User('k', 's', 'p')\n"


@pytest.mark.parametrize("code", [
    BYBIT + "s.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1',\n"
            "    permissions={'Wallet': ['AccountTransfer']})\n",
    BYBIT + "s.modify_master_api_key(permissions={'Wallet': ['SubMemberTransfer']},"
            " ips='1.2.3.4')\n",
    BYBIT + "PERMS = {'Spot': ['SpotTrade']}\nPERMS['Wallet'] = ['AccountTransfer']\n"
            "s.create_sub_api_key(subuid=1, readOnly=0, permissions=PERMS, ips='1.2.3.4')\n",
    OKX_SUB + "api.reset_subaccount_apikey('sub', 'key', perm='read_only,withdraw',"
              " ip='1.2.3.4')\n",
    OKX_BROKER + "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',\n"
                 "    ip='1.2.3.4', perm='read_only,trade,withdraw')\n",
    OKX_SUB + "api.set_permission_transfer_out(subAcct='sub', canTransOut=True)\n",
    KUCOIN + "u.create_apis_for_sub_account('s', 'p', 'r', permission='General,InnerTransfer',"
             " ipWhitelist='1.2.3.4')\n",
    KUCOIN + "u.modify_sub_account_apis('s', 'key', 'p', permission='General,Transfer')\n",
    "from binance.client import Client\nc = Client('k', 's')\n"
    "c.margin_v1_post_broker_sub_account_api_permission_universal_transfer(\n"
    "    subAccountId='1', subAccountApiKey='x', canUniversalTransfer=True)\n",
    "from binance.client import Client\nc = Client('k', 's')\n"
    "c.margin_v1_post_account_enable_fast_withdraw_switch()\n",
    "import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
    "ex.sapiPostBrokerSubAccountApiPermissionUniversalTransfer({'canUniversalTransfer': True})\n",
    "import requests\nBASE = 'https://api.binance.com'\n"
    "requests.post(f'{BASE}/sapi/v1/broker/subAccountApi', timeout=5,\n"
    "              params={'subAccountId': 1, 'canUniversalTransfer': 'true', 'status': 2})\n",
    "import httpx\nhttpx.post('https://api.bybit.com/v5/user/create-sub-api', json={\n"
    "    'subuid': 1, 'readOnly': 0, 'ips': '1.2.3.4', 'permissions': {'Wallet': ['Withdraw']}})\n",
])
def test_grant_of_withdraw_or_transfer(code: str) -> None:
    assert "APS501" in rules_of(code)
    assert all(sev == "high" for r, _, sev in aps5(code) if r == "APS501")


@pytest.mark.parametrize("code", [
    BYBIT + "s.create_sub_api_key(subuid=1, readOnly=1, permissions={'Spot': ['SpotTrade']},"
            " ips='1.2.3.4')\n",
    OKX_BROKER + "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',"
                 " ip='1.2.3.4', perm='read_only,trade')\n",
    OKX_SUB + "api.set_permission_transfer_out(subAcct='sub', canTransOut=False)\n",
    KUCOIN + "u.create_apis_for_sub_account('s', 'p', 'r', permission='General',"
             " ipWhitelist='1.2.3.4')\n",
    # the same method names on an object that is no exchange SDK
    "class Keys:\n    def create_sub_api_key(self, **kw):\n        return kw\n"
    "Keys().create_sub_api_key(subuid=1, permissions={'Wallet': ['AccountTransfer']})\n",
    # a permission list the linter cannot read is not guessed at
    BYBIT + "def make(perms):\n"
            "    return s.create_sub_api_key(subuid=1, readOnly=1, permissions=perms,"
            " ips='1.2.3.4')\n",
])
def test_no_grant_finding(code: str) -> None:
    assert "APS501" not in rules_of(code)


def test_grant_reported_at_the_granting_argument() -> None:
    code = BYBIT + ("s.create_sub_api_key(\n    subuid=1,\n    readOnly=0,\n"
                    "    permissions={'Wallet': ['AccountTransfer']},\n    ips='1.2.3.4',\n)\n")
    assert [(r, line) for r, line, _ in aps5(code)] == [("APS501", 6)]


def test_grant_through_a_client_passed_to_a_helper() -> None:
    code = ("from pybit.unified_trading import HTTP\n\n"
            "def provision(session, uid):\n"
            "    return session.create_sub_api_key(subuid=uid, readOnly=0, ips='1.2.3.4',\n"
            "        permissions={'Wallet': ['AccountTransfer']})\n\n"
            "provision(HTTP(api_key='k', api_secret='s'), 7)\n")
    assert rules_of(code) == {"APS501"}


def test_grant_through_kwargs_dict() -> None:
    code = BYBIT + ("ARGS = {'subuid': 1, 'readOnly': 0, 'ips': '1.2.3.4',\n"
                    "        'permissions': {'Wallet': ['AccountTransfer']}}\n"
                    "s.create_sub_api_key(**ARGS)\n")
    assert rules_of(code) == {"APS501"}


# --------------------------------------------------------------------------- APS502

@pytest.mark.parametrize("code", [
    BYBIT + "s.create_sub_api_key(subuid=1, readOnly=0, permissions={'Spot': ['SpotTrade']})\n",
    BYBIT + "s.create_sub_api_key(subuid=1, readOnly=0, permissions={'Spot': ['SpotTrade']},"
            " ips=['*'])\n",
    BYBIT + "s.modify_sub_api_key(apikey='x', ips='*')\n",
    OKX_BROKER + "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',"
                 " perm='read_only,trade', ip='')\n",
    OKX_BROKER + "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',"
                 " perm='read_only,trade')\n",
    KUCOIN + "u.create_apis_for_sub_account('s', 'p', 'r', permission='General,Spot')\n",
    KUCOIN + "u.create_apis_for_sub_account('s', 'p', 'r', permission='General,Spot',"
             " ipWhitelist='')\n",
    "from binance.spot import Spot\nc = Spot('k', 's')\n"
    "c.sub_account_update_ip_restriction('a@b.c', 'key', status='1')\n",
    "import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
    "ex.sapi_v2_post_sub_account_subaccountapi_iprestriction({'email': 'a', 'status': '1'})\n",
    "import requests\nrequests.post('https://api.binance.com/sapi/v2/sub-account/subAccountApi/"
    "ipRestriction', params={'status': 1}, timeout=5)\n",
])
def test_key_without_ip_whitelist(code: str) -> None:
    assert "APS502" in rules_of(code)


@pytest.mark.parametrize("code", [
    # read-only keys need no allow-list for this rule
    BYBIT + "s.create_sub_api_key(subuid=1, readOnly=1, permissions={'Spot': ['SpotTrade']})\n",
    BYBIT + "s.create_sub_api_key(subuid=1, readOnly=1, permissions={}, ips='*')\n",
    OKX_BROKER + "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',"
                 " perm='read_only')\n",
    KUCOIN + "u.create_apis_for_sub_account('s', 'p', 'r', permission='General')\n",
    # a modification that does not touch the IPs leaves them as they are
    BYBIT + "s.modify_sub_api_key(apikey='x', readOnly=0)\n",
    # bound IPs, also through names
    BYBIT + "IPS = '192.0.2.1,192.0.2.2'\n"
            "s.create_sub_api_key(subuid=1, readOnly=0, permissions={'Spot': ['SpotTrade']},"
            " ips=IPS)\n",
    "from binance.spot import Spot\nc = Spot('k', 's')\n"
    "c.sub_account_update_ip_restriction('a@b.c', 'key', '2', ipAddress='192.0.2.1')\n",
    # an IP value from the environment is not judged
    "import os\n" + BYBIT + "s.create_sub_api_key(subuid=1, readOnly=0, permissions={},"
    " ips=os.environ['IPS'])\n",
])
def test_ip_whitelist_ok(code: str) -> None:
    assert "APS502" not in rules_of(code)


def test_unbound_key_with_funds_rights_is_high() -> None:
    code = BYBIT + "s.create_sub_api_key(subuid=1, readOnly=0, ips='*',\n" \
                   "    permissions={'Wallet': ['AccountTransfer']})\n"
    found = {r: sev for r, _, sev in aps5(code)}
    assert found == {"APS501": "high", "APS502": "high"}


# --------------------------------------------------------------------------- APS503

def test_withdraw_to_a_parameter_is_high_and_to_a_constant_medium() -> None:
    head = "import ccxt\nex = ccxt.kraken({'apiKey': 'k', 'secret': 's'})\nCOLD = 'bc1qcold'\n"
    loose = head + "def sweep(to):\n    return ex.withdraw('BTC', 0.5, to)\n"
    fixed = head + "ex.withdraw('BTC', 0.5, COLD)\n"
    assert aps5(loose) == [("APS503", 5, "high")]
    assert aps5(fixed) == [("APS503", 4, "medium")]


def test_withdraw_to_an_allow_listed_address_is_medium() -> None:
    code = ("import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
            "WALLETS = {'BTC': 'bc1qcold', 'ETH': '0xcold'}\n"
            "def sweep(coin):\n    return ex.withdraw(coin, 1, WALLETS[coin])\n")
    # the coin is a parameter but the address and amount are not
    assert aps5(code) == [("APS503", 5, "medium")]


@pytest.mark.parametrize(("code", "line"), [
    ("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
     "s.withdraw(coin='USDT', chain='TRX', address='T1', amount='5')\n", 3),
    ("import okx.Funding as F\nf = F.FundingAPI('k', 's', 'p', False, '0')\n"
     "f.withdrawal('USDT', '5', '4', 'T1', chain='USDT-TRC20')\n", 3),
    ("import okx.Funding as F\nf = F.FundingAPI('k', 's', 'p', False, '0')\n"
     "f.funds_transfer('USDT', '5', '6', '18')\n", 3),
    ("from kucoin.client import User\nu = User('k', 's', 'p')\n"
     "u.apply_withdrawal('USDT', 'T1', 5)\n", 3),
    ("from kucoin.client import User\nu = User('k', 's', 'p')\n"
     "u.inner_transfer('USDT', 'main', 'trade', 5)\n", 3),
    ("from binance.client import Client\nc = Client('k', 's')\n"
     "c.universal_transfer(type='MAIN_UMFUTURE', asset='USDT', amount=5)\n", 3),
    ("import ccxt.async_support as ccxt\nex = ccxt.bybit({'apiKey': 'k', 'secret': 's'})\n"
     "async def go():\n    await ex.transfer('USDT', 5, 'spot', 'swap')\n", 4),
    ("import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
     "ex.sapi_post_asset_transfer({'type': 'MAIN_UMFUTURE', 'asset': 'USDT', 'amount': 5})\n", 3),
    ("import ccxt\nclass Bot:\n    def __init__(self, exchange):\n        self.ex = exchange\n"
     "    def sweep(self, amount):\n        self.ex.withdraw('USDT', amount, 'T1')\n"
     "Bot(ccxt.okx({'apiKey': 'k', 'secret': 's', 'password': 'p'}))\n", 6),
])
def test_funds_movement_calls(code: str, line: int) -> None:
    assert [(r, n) for r, n, _ in aps5(code)] == [("APS503", line)]


@pytest.mark.parametrize("code", [
    "import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
    "ex.fetch_withdrawals()\nex.fetch_transfers()\nex.sapiGetCapitalWithdrawHistory()\n",
    "from binance.client import Client\nc = Client('k', 's')\n"
    "c.get_withdraw_history()\nc.get_universal_transfer_history(type='MAIN_UMFUTURE')\n",
    "class Account:\n    def withdraw(self, amount):\n        return amount\n"
    "Account().withdraw(5)\n",
    # no exchange SDK in the file: a bank simulation's withdraw is not ours
    "def pay(account, amount):\n    account.withdraw(amount)\n",
    # an object of a class defined here, in a file that also uses ccxt
    "import ccxt\nclass Ledger:\n    def withdraw(self, amount):\n        return amount\n"
    "class Bot:\n    def __init__(self):\n        self.ledger = Ledger()\n"
    "    def run(self, amount):\n        self.ledger.withdraw(amount)\n",
])
def test_no_funds_finding(code: str) -> None:
    assert "APS503" not in rules_of(code)


def test_declared_withdraw_key_with_fixed_destination_is_acknowledged() -> None:
    code = ("import os, ccxt\nex = ccxt.kraken({'apiKey': os.environ['TREASURY'], 'secret': 's'})\n"
            "COLD = 'bc1qcold'\nex.withdraw('BTC', 1, COLD)\n"
            "def loose(to):\n    ex.withdraw('BTC', 1, to)\n")
    found = aps5(code, options=(("keys", {"TREASURY": ["withdraw"]}),))
    assert found == [("APS503", 6, "high")]


def test_taint_hook_is_used_when_available() -> None:
    from apisec_lint.checks.permissions import _is_constant

    class Taint:
        def is_tainted(self, expr, scope):
            return True

    class Ctx:
        shared = {"taint": Taint()}
        values = None

    assert _is_constant(Ctx(), object(), None) is False


# --------------------------------------------------------------------------- APS504/505

FUTURES_BOT = (
    "import os\nimport ccxt\n"
    "ex = ccxt.binanceusdm({'apiKey': os.getenv('BINANCE_API_KEY'),\n"
    "                       'secret': os.getenv('BINANCE_API_SECRET')})\n"
    "ex.fetch_ticker('BTC/USDT')\n"
    "ex.set_leverage(5, 'BTC/USDT')\n"
    "ex.create_order('BTC/USDT', 'market', 'buy', 0.01)\n"
)


def test_scope_exceeded_by_a_read_key_placing_orders() -> None:
    found = aps5(FUTURES_BOT, options=(("keys", {"BINANCE_API_KEY": ["read"]}),))
    assert [(r, n) for r, n, _ in found] == [("APS504", 6), ("APS504", 7)]


def test_scope_exceeded_spot_key_on_futures() -> None:
    found = aps5(FUTURES_BOT, options=(("keys", {"BINANCE_API_KEY": ["trade:spot"]}),))
    assert {r for r, _, _ in found} == {"APS504", "APS505"}


def test_declared_scopes_match_the_code() -> None:
    options = (("keys", {"BINANCE_API_KEY": ["read", "trade:futures"]}),)
    assert aps5(FUTURES_BOT, options=options) == []
    # "trade" means both markets; the unused spot half is not nagged about
    assert aps5(FUTURES_BOT, options=(("keys", {"BINANCE_API_KEY": ["trade"]}),)) == []


def test_declared_by_the_secret_name_or_full_source() -> None:
    for name in ("BINANCE_API_SECRET", "env:BINANCE_API_KEY"):
        found = aps5(FUTURES_BOT, options=(("keys", {name: ["read"]}),))
        assert [r for r, _, _ in found] == ["APS504", "APS504"], name


def test_scope_unused_withdraw_is_high_and_reported_where_the_key_is_passed() -> None:
    options = (("keys", {"BINANCE_API_KEY": ["read", "trade:futures", "withdraw"]}),)
    assert aps5(FUTURES_BOT, options=options) == [("APS505", 3, "high")]


def test_declared_config_key() -> None:
    code = ("import json\nfrom binance.client import Client\n"
            "CFG = json.load(open('config.json'))\n"
            "c = Client(CFG['binance']['key'], CFG['binance']['secret'])\n"
            "c.futures_create_order(symbol='BTCUSDT', side='BUY', type='MARKET', quantity=1)\n")
    found = aps5(code, options=(("keys", {"binance.key": ["read", "trade:spot"]}),))
    assert [(r, n) for r, n, _ in found] == [("APS505", 4), ("APS504", 5)]


def test_undeclared_keys_are_not_judged() -> None:
    assert aps5(FUTURES_BOT, options=(("keys", {"OTHER_KEY": ["read"]}),)) == []
    assert aps5(FUTURES_BOT) == []


# --------------------------------------------------------------------------- the report

def test_report_futures_bot_needs_read_and_futures_only() -> None:
    key = only_key(FUTURES_BOT)
    assert key["credential"] == "env:BINANCE_API_KEY"
    assert (key["exchange"], key["sdk"]) == ("binanceusdm", "ccxt")
    assert key["needs"] == ["read", "trade:futures"]
    assert "withdraw" not in key["needs"]
    assert key["calls"] == [
        {"permission": "read", "call": "fetch_ticker", "path": "bot.py", "line": 5},
        {"permission": "trade:futures", "call": "set_leverage", "path": "bot.py", "line": 6},
        {"permission": "trade:futures", "call": "create_order", "path": "bot.py", "line": 7},
    ]


def test_report_withdrawing_bot() -> None:
    code = ("import os\nfrom binance.client import Client\n"
            "API_KEY = os.environ['BINANCE_KEY']\n"
            "client = Client(API_KEY, os.environ['BINANCE_SECRET'])\n"
            "def sweep(amount):\n"
            "    client.order_market_sell(symbol='BTCUSDT', quantity=amount)\n"
            "    client.withdraw(coin='USDT', address='T1', amount=amount)\n")
    key = only_key(code)
    assert key["credential"] == "env:BINANCE_KEY"
    assert key["needs"] == ["trade:spot", "withdraw"]
    assert {"permission": "withdraw", "call": "withdraw", "path": "bot.py",
            "line": 7} in key["calls"]


@pytest.mark.parametrize(("code", "credential"), [
    ("import os, ccxt\nex = ccxt.okx({'apiKey': os.environ.get('OKX_KEY', ''), 'secret': 's'})\n"
     "ex.fetch_balance()\n", "env:OKX_KEY"),
    ("from os import getenv\nimport ccxt\nex = ccxt.okx()\nex.apiKey = getenv('OKX_KEY')\n"
     "ex.fetch_balance()\n", "env:OKX_KEY"),
    ("import ccxt, yaml\nCONF = yaml.safe_load(open('secrets.yaml'))\n"
     "ex = ccxt.okx({'apiKey': CONF['okx']['apiKey'], 'secret': CONF['okx']['secret']})\n"
     "ex.fetch_balance()\n", "config:secrets.yaml#okx.apiKey"),
    ("import ccxt\nimport settings\nex = ccxt.okx({'apiKey': settings.OKX_KEY})\n"
     "ex.fetch_balance()\n", "config:settings#OKX_KEY"),
    ("import ccxt\nfrom config import OKX_KEY\nex = ccxt.okx({'apiKey': OKX_KEY})\n"
     "ex.fetch_balance()\n", "config:config#OKX_KEY"),
    ("import os, ccxt\nclass Bot:\n    def __init__(self, key):\n"
     "        self.ex = ccxt.okx({'apiKey': key, 'secret': 's'})\n"
     "    def run(self):\n        self.ex.fetch_balance()\n"
     "Bot(os.environ['OKX_KEY']).run()\n", "env:OKX_KEY"),
    ("import ccxt\ncfg = {}\ncfg['apiKey'] = 'sk-not-real'\nex = ccxt.okx(cfg)\n"
     "ex.fetch_balance()\n", "literal:s…(11 chars)"),
])
def test_credential_sources(code: str, credential: str) -> None:
    assert only_key(code)["credential"] == credential


def test_literal_key_is_masked_everywhere() -> None:
    secret = "AbCd" + "9f" * 20  # built at run time: no secret-looking literal in the repo
    code = (f"import ccxt\nex = ccxt.kraken({{'apiKey': '{secret}', 'secret': 'x'}})\n"
            "ex.create_market_buy_order('BTC/USD', 1)\n")
    res = scan_file(KNOWLEDGE, Config(), "b.py", "b.py", FileKind.PYTHON, data=code.encode())
    report = build_report([res])
    for text in (render_json(report, "0"), render_text(report), repr(res)):
        assert secret not in text
    assert report.keys[0].credential == "literal:AbCd…(44 chars)"
    assert report.keys[0].needs == ("trade:spot",)


@pytest.mark.parametrize(("code", "needs"), [
    # pybit: category decides the market
    ("from pybit.unified_trading import HTTP\ns = HTTP(api_key='k', api_secret='s')\n"
     "s.place_order(category='spot', symbol='BTCUSDT', side='Buy', orderType='Market', qty='1')\n"
     "s.place_order(category='linear', symbol='BTCUSDT', side='Buy', orderType='Market',"
     " qty='1')\ns.get_wallet_balance(accountType='UNIFIED')\n",
     ["read:account", "trade:spot", "trade:futures"]),
    # OKX: tdMode cash is spot, an instId ending in -SWAP is a perpetual
    ("import okx.Trade as T\nt = T.TradeAPI('k', 's', 'p', False, '0')\n"
     "t.place_order('BTC-USDT', 'cash', 'buy', 'market', '1')\n", ["trade:spot"]),
    ("import okx.Trade as T\nt = T.TradeAPI('k', 's', 'p', False, '0')\n"
     "t.place_order(instId='BTC-USDT-SWAP', tdMode='cross', side='buy', ordType='market',"
     " sz='1')\n", ["trade:futures"]),
    # binance-connector: the UMFutures class is the futures market
    ("from binance.um_futures import UMFutures\nc = UMFutures(key='k', secret='s')\n"
     "c.new_order(symbol='BTCUSDT', side='BUY', type='MARKET', quantity=1)\n"
     "c.klines('BTCUSDT', '1m')\n",
     ["read", "trade:futures"]),
    # ccxt: a settle currency in the symbol, or options.defaultType
    ("import ccxt\nex = ccxt.bybit({'apiKey': 'k', 'secret': 's'})\n"
     "ex.create_order('BTC/USDT:USDT', 'market', 'buy', 1)\n", ["trade:futures"]),
    ("import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's',"
     " 'options': {'defaultType': 'future'}})\nex.create_order('BTC/USDT', 'market', 'buy', 1)\n",
     ["trade:futures"]),
    # ccxt implicit endpoints
    ("import ccxt\nex = ccxt.binance({'apiKey': 'k', 'secret': 's'})\n"
     "ex.fapiPrivatePostOrder({'symbol': 'BTCUSDT'})\nex.publicGetTickerPrice()\n"
     "ex.sapiPostCapitalWithdrawApply({'coin': 'BTC'})\nex.privateGetAccount()\n",
     ["read", "read:account", "trade:futures", "withdraw"]),
    # kucoin
    ("from kucoin.client import Trade, Market\nt = Trade(key='k', secret='s', passphrase='p')\n"
     "m = Market(url='https://api.kucoin.com')\n"
     "t.create_limit_order('BTC-USDT', 'buy', '1', '100')\nm.get_ticker('BTC-USDT')\n",
     ["trade:spot"]),
    # a client handed to a helper function
    ("import ccxt\n\ndef trade(ex, qty):\n    ex.create_market_buy_order('BTC/USDT', qty)\n\n"
     "trade(ccxt.binance({'apiKey': 'k', 'secret': 's'}), 1)\n", ["trade:spot"]),
])
def test_report_permissions_per_sdk(code: str, needs: list[str]) -> None:
    assert only_key(code)["needs"] == needs


def test_public_clients_are_not_keys_and_unused_keys_are_listed() -> None:
    code = ("import os, ccxt\npublic = ccxt.binance()\npublic.fetch_ticker('BTC/USDT')\n"
            "idle = ccxt.kraken({'apiKey': os.environ['KRAKEN_KEY']})\n")
    keys = report_of(code)["keys"]
    assert [(k["credential"], k["needs"], k["calls"]) for k in keys] == \
        [("env:KRAKEN_KEY", [], [])]


def test_report_aggregates_across_files_and_is_picklable() -> None:
    a = ("import os, ccxt\nex = ccxt.binanceusdm({'apiKey': os.environ['BK']})\n"
         "ex.fetch_ticker('BTC/USDT')\n")
    b = ("import os, ccxt\nex = ccxt.binanceusdm({'apiKey': os.environ['BK']})\n"
         "ex.create_order('BTC/USDT', 'market', 'buy', 1)\n")
    results = [scan_file(KNOWLEDGE, Config(), n, n, FileKind.PYTHON, data=c.encode())
               for n, c in (("b.py", b), ("a.py", a))]
    results = pickle.loads(pickle.dumps(results))
    report = build_report(results)
    assert len(report.keys) == 1
    assert report.keys[0].needs == ("read", "trade:futures")
    assert [(c.path, c.line) for c in report.keys[0].calls] == [("a.py", 3), ("b.py", 3)]


def test_report_with_declarations() -> None:
    declared = {"BINANCE_API_KEY": ["read", "trade:spot", "withdraw"]}
    key = only_key(FUTURES_BOT, declared=declared)
    assert key["declared"] == ["read", "trade:spot", "withdraw"]
    assert key["excess"] == ["trade:spot", "withdraw"]
    assert key["missing"] == ["trade:futures"]


def test_bad_files_do_not_stop_the_report() -> None:
    bad = scan_file(KNOWLEDGE, Config(), "x.py", "x.py", FileKind.PYTHON,
                    data=b"import ccxt\ndef f(:\n")
    binary = scan_file(KNOWLEDGE, Config(), "y.py", "y.py", FileKind.PYTHON,
                       data=b"import ccxt\x00\xff")
    good = scan_file(KNOWLEDGE, Config(), "z.py", "z.py", FileKind.PYTHON,
                     data=FUTURES_BOT.encode())
    assert bad.error and binary.error and not good.error
    report = build_report([bad, binary, good])
    assert len(report.keys) == 1 and len(report.errors) == 2
    assert "x.py" in render_text(report)


def test_files_without_an_sdk_are_not_parsed() -> None:
    res = scan_file(KNOWLEDGE, Config(), "n.py", "n.py", FileKind.PYTHON,
                    data=b"def f(:\n  withdraw()\n")
    assert res == FileKeyUses("n.py")


# --------------------------------------------------------------------------- CLI

def _tree(tmp_path: Path) -> Path:
    (tmp_path / "futures_bot.py").write_text(FUTURES_BOT)
    (tmp_path / "sweeper.py").write_text(
        "import os\nimport ccxt\n"
        "ex = ccxt.kraken({'apiKey': os.environ['KRAKEN_KEY'], 'secret': os.environ['KS']})\n"
        "def sweep(amount, to):\n    return ex.withdraw('BTC', amount, to)\n")
    return tmp_path


def test_cli_permissions_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_tree(tmp_path))
    result = CliRunner().invoke(main, ["--permissions", "--format", "json", "."])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tool"]["name"] == "apisec-lint"
    by_cred = {k["credential"]: k for k in data["keys"]}
    assert by_cred["env:BINANCE_API_KEY"]["needs"] == ["read", "trade:futures"]
    assert by_cred["env:KRAKEN_KEY"]["needs"] == ["withdraw"]
    assert by_cred["env:KRAKEN_KEY"]["calls"] == [
        {"permission": "withdraw", "call": "withdraw", "path": "sweeper.py", "line": 5}]
    assert "findings" not in data


def test_cli_permissions_text_and_output_file(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_tree(tmp_path))
    result = CliRunner().invoke(main, ["--permissions", "."])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if line.startswith("env:BINANCE_API_KEY "))
    assert row.split() == ["env:BINANCE_API_KEY", "binanceusdm", "ccxt", "read,",
                           "trade:futures"]
    assert any("withdraw()" in line and "sweeper.py:5" in line for line in lines)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["--permissions", "--format", "json", "-o", str(out), "."])
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(out.read_text())["keys"]


def test_cli_permissions_rejects_sarif(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--permissions", "--format", "sarif", str(tmp_path)])
    assert result.exit_code == 2
    assert "text or json" in result.output


def test_cli_permissions_uses_declared_keys(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.apisec-lint.keys]\nBINANCE_API_KEY = ["read", "trade:futures", "withdraw"]\n')
    monkeypatch.chdir(tmp_path)
    data = json.loads(CliRunner().invoke(main, ["--permissions", "--format", "json",
                                                "."]).output)
    key = next(k for k in data["keys"] if k["credential"] == "env:BINANCE_API_KEY")
    assert key["excess"] == ["withdraw"] and key["missing"] == []
    lint = CliRunner().invoke(main, ["--format", "json", "--no-cache", "--select", "APS5", "."])
    rules = {(f["rule"], f["path"]) for f in json.loads(lint.output)["findings"]}
    assert ("APS505", "futures_bot.py") in rules
    assert ("APS503", "sweeper.py") in rules


def test_examples_through_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "apisec_lint", "--permissions", "--format", "json", "examples/"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    keys = {k["credential"]: k for k in json.loads(proc.stdout)["keys"]}
    futures = keys["env:BINANCE_API_KEY"]
    assert (futures["exchange"], futures["needs"]) == \
        ("binanceusdm", ["read", "read:account", "trade:futures"])
    treasury = keys["env:TREASURY_API_KEY"]
    assert treasury["needs"] == ["read:account", "withdraw"]
    text = subprocess.run(
        [sys.executable, "-m", "apisec_lint", "--permissions", "examples/"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False).stdout
    assert "env:TREASURY_API_KEY" in text and "examples/treasury_sweep.py" in text


# --------------------------------------------------------------------------- packs

def test_pack_sections_are_validated() -> None:
    with pytest.raises(PackError, match="permission"):
        validate_pack("p.toml", {"pack": {"name": "p"}, "permissions": [
            {"sdk": "x", "permission": "admin", "methods": ["a"]}]})
    with pytest.raises(PackError, match="unknown key 'param'"):
        validate_pack("p.toml", {"pack": {"name": "p"}, "key_grants": [
            {"action": "create", "param": "x"}]})
    with pytest.raises(PackError, match="action"):
        validate_pack("p.toml", {"pack": {"name": "p"}, "key_grants": [
            {"methods": ["x"], "action": "delete"}]})


def test_pack_entries_are_usable() -> None:
    import re

    for entry in KNOWLEDGE.section("permissions"):
        for pattern in entry.get("regex", ()):
            re.compile(pattern)
        if entry["permission"] in ("withdraw", "transfer"):
            # the APS503 prefilter is only sound if every such call contains a trigger
            triggers = entry.get("triggers")
            assert triggers, entry
            for method in entry.get("methods", ()):
                assert any(t in method.lower() for t in triggers), method
    for entry in KNOWLEDGE.section("key_grants"):
        assert entry.get("methods") or entry.get("calls") or entry.get("triggers"), entry
        if entry.get("regex") or entry.get("endpoints"):
            assert entry.get("triggers"), entry
    assert set(PERMISSIONS) == {"read", "read:account", "trade:spot", "trade:futures",
                                "transfer", "withdraw"}


def test_a_user_pack_adds_an_sdk(tmp_path: Path) -> None:
    pack = tmp_path / "acme.toml"
    pack.write_text(
        '[pack]\nname = "acme"\nmodules = ["acme"]\n\n'
        '[[clients]]\nsdk = "acme"\nexchange = "acme"\nmatch = ["acme.Client"]\n'
        'params = [{ name = "key", position = 0, role = "key" }]\n\n'
        '[[permissions]]\nsdk = "acme"\npermission = "withdraw"\nmethods = ["send_coins"]\n'
        'triggers = ["send_coins"]\nargs = [{ name = "to", role = "address" }]\n\n'
        '[[key_grants]]\nsdk = "acme"\nmethods = ["new_key"]\naction = "create"\n'
        'grants = [{ param = "scopes", contains = ["payout"], permission = "withdraw" }]\n'
        'ip = { param = "cidr", missing = true }\n')
    code = ("import acme\nc = acme.Client('k')\n"
            "c.new_key(scopes=['trade', 'payout'])\n"
            "def pay(to):\n    c.send_coins(to=to)\n")
    found = check_snippet(code, select=("APS5",), packs=(str(pack),))
    assert sorted((f.rule, f.span.line, f.severity) for f in found) == [
        ("APS501", 3, Severity.HIGH), ("APS502", 3, Severity.HIGH),
        ("APS503", 5, Severity.HIGH)]


def test_prefilter_is_sound_for_the_examples() -> None:
    from apisec_lint.checks import permissions as mod

    for rule in mod.RULES:
        for example in rule.INVALID:
            code = example.code if hasattr(example, "code") else example
            options = getattr(example, "options", ())
            fast = check_snippet(code, select=(rule.code,), options=options)
            slow = check_snippet(code, select=(rule.code,), options=options, prefilter=False)
            assert fast == slow, rule.code


def test_docs_cover_every_aps5_rule() -> None:
    from apisec_lint.checks.permissions import RULES

    rules_md = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    section = rules_md[rules_md.index("## APS5xx — key permissions"):]
    for rule in RULES:
        assert f"### {rule.code} `{rule.name}` — {rule.summary()}" in section
        # the docs are generated from the docstrings: the examples must match
        for line in rule.documentation().splitlines():
            if line.startswith(("session.", "broker.", "BINANCE_API_KEY")):
                assert line in section, (rule.code, line)
    guide = (ROOT / "docs" / "least-privilege.md").read_text(encoding="utf-8")
    for exchange in ("Binance", "Bybit", "OKX", "KuCoin"):
        assert f"### {exchange}" in guide


def test_clients_from_factories_and_attributes() -> None:
    code = ("import os\nimport ccxt.async_support as ccxt\n\n"
            "def make_exchange():\n"
            "    return ccxt.bybit({'apiKey': os.getenv('BYBIT_API_KEY'), 'secret': 's',\n"
            "                       'options': {'defaultType': 'swap'}})\n\n"
            "class Strategy:\n    def __init__(self):\n        self.exchange = make_exchange()\n\n"
            "    async def tick(self):\n"
            "        await self.exchange.fetch_balance()\n"
            "        await self.exchange.create_limit_buy_order('BTC/USDT', 1, 100)\n")
    key = only_key(code)
    assert key["credential"] == "env:BYBIT_API_KEY"
    assert key["needs"] == ["read:account", "trade:futures"]


def test_config_file_opened_in_a_with_block_and_shared_keys() -> None:
    code = ("import json\nfrom binance.client import Client\n"
            "from binance.um_futures import UMFutures\n"
            "with open('secrets.json') as fh:\n    S = json.load(fh)\n"
            "spot = Client(S['binance']['key'], S['binance']['secret'])\n"
            "fut = UMFutures(key=S['binance']['key'], secret=S['binance']['secret'])\n"
            "spot.get_account()\nfut.new_order(symbol='BTCUSDT', side='BUY', type='MARKET')\n")
    res = scan_file(KNOWLEDGE, Config(), "b.py", "b.py", FileKind.PYTHON, data=code.encode())
    report = build_report([res])
    assert {(k.credential, k.exchange, k.needs) for k in report.keys} == {
        ("config:secrets.json#binance.key", "binance", ("read:account",)),
        ("config:secrets.json#binance.key", "binanceusdm", ("trade:futures",)),
    }
    assert "that key needs read:account, trade:futures." in render_text(report)


# --------------------------------------------------------------------------- APS506

PYBIT_TOOL = ("from pybit.unified_trading import HTTP\n"
              "admin = HTTP(api_key='k', api_secret='s')\n"
              "view = HTTP(api_key='k2', api_secret='s2')\n")


def aps506(code: str, **kwargs) -> list[int]:
    return [f.span.line for f in check_snippet(code, select=("APS506",), **kwargs)]


@pytest.mark.parametrize(("call", "expected"), [
    ("admin.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1')", [4]),
    ("admin.create_sub_api_key(subuid=1, readOnly='0', ips='192.0.2.1')", [4]),
    ("admin.create_sub_api_key(subuid=1, ips='192.0.2.1')", [4]),  # read-write by default
    ("admin.modify_sub_api_key(readOnly=0, ips='192.0.2.1')", [4]),
    ("admin.modify_master_api_key(readOnly=0, ips='192.0.2.1')", [4]),
    ("admin.create_sub_api_key(subuid=1, readOnly=1, ips='192.0.2.1')", []),
    ("admin.modify_sub_api_key(ips='192.0.2.1')", []),  # rights left as they are
])
def test_bybit_read_write_key_in_a_read_only_tool(call: str, expected: list[int]) -> None:
    code = PYBIT_TOOL + call + "\nprint(view.get_wallet_balance(accountType='UNIFIED'))\n"
    assert aps506(code) == expected


@pytest.mark.parametrize("extra", [
    "view.place_order(category='spot', symbol='BTCUSDT', side='Buy', qty='1')",
    "view.set_leverage(category='linear', symbol='BTCUSDT', buyLeverage='5')",
    "view.withdraw(coin='USDT', chain='TRX', address='T1', amount='5')",
    "def go(ex):\n    ex.create_order('BTC/USDT', 'market', 'buy', 1)",  # unknown receiver
    "import requests\nrequests.post('https://api.bybit.com/v5/order/create', json={}, timeout=5)",
])
def test_code_that_trades_or_moves_funds_is_not_read_only(extra: str) -> None:
    code = (PYBIT_TOOL + "admin.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1')\n"
            "view.get_tickers(category='spot')\n" + extra + "\n")
    assert aps506(code) == []


def test_reads_only_through_the_admin_client_is_provisioning() -> None:
    code = PYBIT_TOOL + ("uids = admin.get_sub_uid_list()\n"
                         "admin.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1')\n")
    assert aps506(code) == []
    # no SDK read at all: nothing tells what the key is for
    assert aps506(PYBIT_TOOL + "admin.create_sub_api_key(subuid=1, readOnly=0)\n") == []


def test_other_exchanges_trade_grants_in_read_only_tools() -> None:
    kucoin = ("from kucoin.client import User, Market\nu = User('k', 's', 'p')\n"
              "m = Market()\nm.get_ticker('BTC-USDT')\n"
              "u.create_apis_for_sub_account('sub', 'pw', 'view', permission='General,Spot',"
              " ipWhitelist='192.0.2.1')\n")
    binance = ("from binance.client import Client\nadmin = Client('k', 's')\n"
               "view = Client('k2', 's2')\nview.get_symbol_ticker(symbol='BTCUSDT')\n"
               "admin.margin_v1_post_broker_sub_account_api(subAccountId='1', canTrade=True)\n")
    okx = ("import okx.Broker as B\nimport okx.MarketData as M\n"
           "b = B.BrokerAPI('k', 's', 'p', False, '0')\nm = M.MarketAPI(flag='0')\n"
           "m.get_tickers(instType='SPOT')\n"
           "b.create_subaccount_apikey(subAcct='s', label='l', passphrase='p',"
           " perm='read_only,trade', ip='192.0.2.1')\n")
    found = {name: check_snippet(code, select=("APS506",))
             for name, code in (("kucoin", kucoin), ("binance", binance), ("okx", okx))}
    assert [f.span.line for f in found["kucoin"]] == [5]
    assert "permission='General'" in found["kucoin"][0].message
    assert [f.span.line for f in found["binance"]] == [5]
    assert "canTrade=False" in found["binance"][0].message
    assert [f.span.line for f in found["okx"]] == [6]
    assert "perm='read_only'" in found["okx"][0].message


def test_declared_read_only_project() -> None:
    code = BYBIT + "s.create_sub_api_key(subuid=1, readOnly=0, ips='192.0.2.1')\n"
    read_only = (("keys", {"BYBIT_KEY": ["read", "read:account"], "OTHER": ["read-only"]}),)
    found = check_snippet(code, select=("APS506",), options=read_only)
    assert [f.span.line for f in found] == [3]
    assert "every key this project declares is read-only" in found[0].message
    trades = (("keys", {"BYBIT_KEY": ["read"], "BOT": ["trade"]}),)
    assert aps506(code, options=trades) == []


# --------------------------------------------------------------------------- keys file

BOT = ("import os, ccxt\nex = ccxt.binance({'apiKey': os.environ['BK'], 'secret': 's'})\n"
       "ex.create_order('BTC/USDT', 'market', 'buy', 1)\n")


def _lint(cli, *args: str) -> tuple[int, list[tuple[str, int]], str]:
    result = cli("--format", "json", "--no-cache", "--select", "APS5", *args)
    found = []
    if result.exit_code in (0, 1):
        found = [(f["rule"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    return result.exit_code, found, result.stderr


def test_keys_file_next_to_the_config_and_without_one(cli, tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(BOT)
    (tmp_path / "apisec-keys.toml").write_text('BK = ["read"]\n')
    assert _lint(cli, "bot.py")[1] == [("APS504", 3)]  # no config file: the current folder
    (tmp_path / "pyproject.toml").write_text('[tool.apisec-lint]\nignore = ["APS503"]\n')
    assert _lint(cli, "bot.py")[1] == [("APS504", 3)]
    (tmp_path / "apisec-keys.toml").write_text('BK = ["read", "trade:spot", "withdraw"]\n')
    assert _lint(cli, "bot.py")[1] == [("APS505", 2)]
    data = json.loads(cli("--permissions", "--format", "json", ".").stdout)
    assert data["keys"][0]["declared"] == ["read", "trade:spot", "withdraw"]


def test_keys_file_named_in_the_config(cli, tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(BOT)
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "keys.toml").write_text('BK = ["read"]\n')
    (tmp_path / "pyproject.toml").write_text('[tool.apisec-lint]\nkeys-file = "ops/keys.toml"\n')
    assert _lint(cli, "bot.py")[1] == [("APS504", 3)]
    # declared both inline and in the file: merged
    (tmp_path / "pyproject.toml").write_text(
        '[tool.apisec-lint]\nkeys-file = "ops/keys.toml"\n'
        '[tool.apisec-lint.keys]\nOTHER = ["trade:futures"]\n')
    assert _lint(cli, "bot.py")[1] == [("APS504", 3)]


@pytest.mark.parametrize(("config", "keys", "needle"), [
    ("", 'BK = ["read", "trade:future"]\n',
     "apisec-keys.toml: 'BK': unknown scope 'trade:future' (did you mean 'trade:futures'?)"),
    ("", 'BK = "read"\n', "apisec-keys.toml: 'BK' must be list[str], got string"),
    ("", '[binance]\nkey = ["read"]\n', "apisec-keys.toml: 'binance' must be list[str], got table"),
    ("", 'BK = [\n', "apisec-keys.toml: invalid TOML"),
    ('keys-file = "nope.toml"\n', None, "pyproject.toml: keys file 'nope.toml' not found"),
    ('keys-file = "../outside.toml"\n', None,
     "keys file '../outside.toml' is outside the project folder"),
    ('keys-file = 5\n', None, "'keys-file' must be str, got integer"),
    ('[tool.apisec-lint.keys]\nBK = ["raed"]\n', None, "'keys.BK': unknown scope 'raed'"),
    ('[tool.apisec-lint.keys]\nBK = ["read"]\n', 'BK = ["read"]\n',
     "apisec-keys.toml: key 'BK' is also declared in"),
])
def test_bad_key_declarations_exit_2_with_one_line(cli, tmp_path: Path, config: str,
                                                   keys: str | None, needle: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.toml").write_text('BK = ["withdraw"]\n')
    (project / "bot.py").write_text(BOT)
    (project / "pyproject.toml").write_text("[tool.apisec-lint]\n" + config)
    if keys is not None:
        (project / "apisec-keys.toml").write_text(keys)
    cli.cwd = project
    code, _, err = _lint(cli, "bot.py")
    assert code == 2 and needle in err, err
    assert len(err.strip().splitlines()) == 1, err
    if "outside" in needle:  # once as a real process: no traceback, one line
        proc = cli.proc("bot.py")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.strip() == err.strip()


def test_keys_file_symlink_out_of_the_project_and_bad_bytes(cli, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.toml").write_text('BK = ["withdraw"]\n')
    (project / "bot.py").write_text(BOT)
    (project / "pyproject.toml").write_text("[tool.apisec-lint]\n")
    (project / "apisec-keys.toml").symlink_to(tmp_path / "outside.toml")
    cli.cwd = project
    code, _, err = _lint(cli, "bot.py")
    assert code == 2 and "is outside the project folder" in err
    (project / "apisec-keys.toml").unlink()
    (project / "apisec-keys.toml").write_bytes(b'BK = ["r\xe9ad"]\n')
    code, _, err = _lint(cli, "bot.py")
    assert code == 2 and "apisec-keys.toml: config is not UTF-8 (byte 8)" in err

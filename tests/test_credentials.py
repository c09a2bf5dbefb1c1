"""The credential rules (APS1xx) and the secret analysis they share.

Secret-looking fixtures are generated at run time (seeded, so failures reproduce) and
never written in this file: the project must pass its own linter.
"""

from __future__ import annotations

import json
import random
import re
import string
import uuid

import pytest
from conftest import write
from hypothesis import given, settings
from hypothesis import strategies as st

from apisec_lint.analysis.secrets import (
    DETECTOR_TOKENS,
    SECRET_WORDS,
    assess,
    classify_name,
    is_placeholder,
    is_random,
    mask,
)
from apisec_lint.testing import check_snippet, example_cases, registry

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"


def _rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rnd = random.Random(seed)
    while True:
        value = "".join(rnd.choice(alphabet) for _ in range(n))
        classes = [any(c in g for c in value) for g in
                   (string.ascii_lowercase, string.ascii_uppercase, string.digits)]
        if alphabet != ALNUM or all(classes):
            return value


KEY64 = _rand(64, seed=1)
SEC64 = _rand(64, seed=2)
HEX64 = _rand(64, HEX, seed=3)
K32 = _rand(32, seed=4)
S32 = _rand(32, seed=5)
B64_44 = _rand(43, B64, seed=6) + "="
BYBIT18 = _rand(18, seed=7)
KUCOIN24 = _rand(24, HEX, seed=8)
OKX_UUID = str(uuid.UUID(int=random.Random(9).getrandbits(128)))
TG = "5" + _rand(9, string.digits, seed=10) + ":AA" + _rand(33, ALNUM + "_-", seed=11)
DISCORD = "M" + _rand(23, seed=12) + "." + _rand(6, seed=13) + "." + _rand(27, seed=14)
AWS = "AKIA" + _rand(16, string.ascii_uppercase + string.digits, seed=15)
PASSPHRASE = "Tr4d" + "1ng!" + _rand(4, seed=16)

S = {"KEY64": KEY64, "SEC64": SEC64, "HEX64": HEX64, "K32": K32, "S32": S32,
     "B64_44": B64_44, "BYBIT18": BYBIT18, "KUCOIN24": KUCOIN24, "OKX_UUID": OKX_UUID,
     "TG": TG, "DISCORD": DISCORD, "AWS": AWS, "PASS": PASSPHRASE}


def fill(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: S.get(m.group(1), m.group(0)), template)


def aps1(code: str, filename: str = "bot.py", **kw) -> list[tuple[str, int]]:
    return sorted((f.rule, f.span.line) for f in check_snippet(fill(code), filename, **kw)
                  if f.rule.startswith("APS1"))


# --------------------------------------------------------------------------- APS101

HARDCODED = [
    # python-binance, positional and keyword, sync and async
    ("from binance.client import Client\nc = Client('{KEY64}', '{SEC64}')\n", [2, 2]),
    ("from binance import AsyncClient\nasync def f():\n"
     "    c = await AsyncClient.create(api_key='{KEY64}', api_secret=S)\n", [3]),
    # binance-connector legacy Spot / UMFutures
    ("from binance.spot import Spot\nc = Spot('{KEY64}', '{SEC64}')\n", [2, 2]),
    ("from binance.um_futures import UMFutures\n"
     "um = UMFutures(key='{KEY64}', secret='{SEC64}', timeout=10)\n", [2, 2]),
    # modular binance SDK
    ("from binance_common.configuration import ConfigurationRestAPI\n"
     "cfg = ConfigurationRestAPI(api_key='{KEY64}', api_secret='{SEC64}')\n", [2, 2]),
    # okx positional with the live flag, kucoin positional, pybit keywords
    ("import okx.Trade as Trade\n"
     "api = Trade.TradeAPI('{OKX_UUID}', '{K32}', '{PASS}', False, '0')\n",
     [2, 2, 2]),
    ("from kucoin.client import User\nu = User('{KUCOIN24}', '{OKX_UUID}', '{PASS}')\n", [2, 2, 2]),
    ("from pybit.unified_trading import HTTP\ns = HTTP(testnet=False, api_key='{BYBIT18}',\n"
     "         api_secret='{K32}')\n", [2, 3]),
    # ccxt config dicts: positional, config=, in a variable, key by key, merged, dict()
    ("import ccxt\nex = ccxt.kraken({\n    'apiKey': '{B64_44}',\n    'secret': '{B64_44}',\n})\n",
     [3, 4]),
    ("import ccxt\nex = ccxt.okx(config={'apiKey': '{OKX_UUID}', 'password': '{PASS}'})\n", [2, 2]),
    ("import ccxt\ncfg = {'apiKey': '{K32}'}\nex = ccxt.binance(cfg)\n", [2]),
    ("import ccxt\ncfg = {}\ncfg['secret'] = '{S32}'\nex = ccxt.bybit(cfg)\n", [3]),
    ("import ccxt\nbase = {'secret': '{S32}'}\nex = ccxt.bybit({**base, 'timeout': 5})\n", [2]),
    ("import ccxt\nex = ccxt.gate(dict(apiKey='{K32}', secret=SECRET))\n", [2]),
    ("import ccxt.async_support as ccxt\nex = ccxt.binance({'api_key': '{K32}'})\n", [2]),
    ("import ccxt\nex = getattr(ccxt, 'binance')({'privateKey': '0x{HEX64}'})\n", [2]),
    # attributes after construction, camelCase and snake_case
    ("import ccxt\nex = ccxt.binance()\nex.apiKey = '{K32}'\nex.secret = '{S32}'\n", [3, 4]),
    ("import ccxt\nclass Bot:\n    def __init__(self):\n        self.ex = ccxt.kucoin()\n"
     "        self.ex.password = '{PASS}'\n", [5]),
    # module constants that reach the client: reported at the literal
    ("import ccxt\nK = '{K32}'\nS_ = '{S32}'\n\ndef make():\n"
     "    return ccxt.binance({'apiKey': K, 'secret': S_})\n", [2, 3]),
    ("from binance.client import Client\n"
     "KEY = '{KEY64}' if LIVE else '{SEC64}'\nc = Client(KEY, s)\n",
     [2, 2]),
    # chat bots
    ("import telebot\nbot = telebot.TeleBot('{TG}')\n", [2]),
    ("from telegram.ext import ApplicationBuilder\n"
     "app = ApplicationBuilder().token('{TG}').build()\n", [2]),
    ("from discord.ext import commands\nbot = commands.Bot(command_prefix='!')\n"
     "BOT = '{DISCORD}'\nbot.run(BOT)\n", [3]),
    ("from slack_sdk import WebClient\nc = WebClient(token='xoxb-123456789012-' + '{K32}')\n", [2]),
    # raw REST bots sign with the secret
    ("import hmac, hashlib\nsig = hmac.new('{SEC64}'.encode(), q.encode(), hashlib.sha256)\n", [2]),
]


@pytest.mark.parametrize(("code", "lines"), HARDCODED)
def test_hardcoded_credentials_are_reported_at_the_literal(code: str, lines: list[int]) -> None:
    got = aps1(code)
    assert [line for rule, line in got if rule == "APS101"] == lines, got
    # one finding per literal: APS102 does not report what APS101 did
    assert len({line for _, line in got}) == len(set(lines))
    assert not [r for r in got if r[0] not in ("APS101",)], got


HARDCODED_NOT = [
    "import os\nfrom binance.client import Client\nc = Client(os.environ['K'], os.getenv('S'))\n",
    "from binance.client import Client\nc = Client()\n",
    "from binance.client import Client\nc = Client(None, None)\n",
    "from binance.client import Client\nc = Client('your_api_key', 'your_api_secret')\n",
    "from binance.client import Client\nc = Client(api_key='<API_KEY>', api_secret='${SECRET}')\n",
    "import okx.Account as Account\na = Account.AccountAPI('-1', '-1', '-1', False, '1')\n",
    "import ccxt\nex = ccxt.binance({'apiKey': 'xxxxxxxxxxxxxxxx', 'secret': '****'})\n",
    "import ccxt\nex = ccxt.binance({'apiKey': 'Enter your api key', 'secret': 'changeme'})\n",
    "import ccxt, json\ncfg = json.load(open('c.json'))\n"
    "ex = ccxt.binance({'apiKey': cfg['key'], 'secret': cfg['secret']})\n",
    "import ccxt\nex = ccxt.binance({'apiKey': API_KEY, 'secret': API_SECRET})\n",
    "import ccxt\nex = ccxt.hyperliquid({'walletAddress': '0x' + '{HEX64}'[:40]})\n",
    "import ccxt\nex = ccxt.binance({'apiKey': 'BINANCE_API_KEY', 'secret': 'BINANCE_SECRET'})\n",
    "import ccxt\nex = ccxt.binance({'uid': '123456789'})\n",
    "import telebot, os\nbot = telebot.TeleBot(os.environ['TELEGRAM_TOKEN'])\n",
    # a look-alike constructor of another library
    "from mylib import Client\nc = Client('{KEY64}', 'x')\n",
]


@pytest.mark.parametrize("code", HARDCODED_NOT)
def test_no_hardcoded_credential(code: str) -> None:
    assert [r for r in aps1(code) if r[0] == "APS101"] == []


def test_placeholder_patterns_option() -> None:
    code = "from binance.client import Client\nc = Client('acme-{K32}', 'acme-{S32}')\n"
    assert aps1(code) == [("APS101", 2), ("APS101", 2)]
    assert aps1(code, options=(("placeholder-patterns", ["acme-.*"]),)) == []


# --------------------------------------------------------------------------- APS102

NAMED = [
    ("BINANCE_API_SECRET = '{SEC64}'\n", 1),
    ("api_key: str = '{K32}'\n", 1),
    ("class Settings:\n    API_KEY = '{KEY64}'\n", 2),
    ("self.secret_key = '{HEX64}'\n", 1),
    ("cfg['apiSecret'] = '{S32}'\n", 1),
    ("os.environ['BYBIT_API_KEY'] = '{BYBIT18}'\n", 1),
    ("creds = {'binance': {'key': '{KEY64}'}}\n", 1),
    ("headers = {'X-MBX-APIKEY': '{KEY64}'}\n", 1),
    ("r = requests.post(url, json=payload, api_secret='{S32}')\n", 1),
    ("def connect(passphrase='{PASS}'):\n    pass\n", 1),
    ("def connect(*, private_key='0x{HEX64}'):\n    pass\n", 1),
    ("key = '{KUCOIN24}'\n", 1),
    ("okx_api_key = '{OKX_UUID}'\n", 1),
    ("token = '{TG}'\n", 1),
    ("password = 'hunter2!x'\n", 1),
    ("if password == 'S3cr3t-Pa55':\n    pass\n", 1),
    ("MNEMONIC = 'abandon ability able about above absent absorb abstract absurd abuse "
     "access accident'\n", 1),
    ("DISCORD_WEBHOOK = 'https://discord.com/api/webhooks/1234567/' + '{KEY64}'\n", None),
    ("WEBHOOK_URL = 'https://discord.com/api/webhooks/1234567/{KEY64}'\n", 1),
    ("requests.post('https://discord.com/api/webhooks/1234567/{KEY64}', json=m)\n", 1),
    ("headers = {'Authorization': 'Bearer {K32}'}\n", 1),
    ("x = '{AWS}'\n", 1),
    ("BOT = telebot.TeleBot\nx = '{TG}'\n", 2),
]


@pytest.mark.parametrize(("code", "line"), NAMED)
def test_secret_named_literals(code: str, line: int | None) -> None:
    got = aps1(code)
    if line is None:  # built by concatenation: not a literal, not reported by name
        assert got == []
        return
    assert got == [("APS102", line)], got


NOT_SECRETS = [
    "API_KEY = ''\nAPI_SECRET = None\n",
    "API_KEY = 'YOUR_API_KEY'\nSECRET = 'your-secret-here'\nPASSPHRASE = '<passphrase>'\n",
    "api_key = 'apiKey'\nAPI_KEY = 'API_KEY'\nsecret = 'secret'\n",
    "API_KEY_ENV = 'BINANCE_API_KEY'\nsecret_env_var = 'EXCHANGE_SECRET'\n"
    "api_key = 'BINANCE_API_KEY'\n",
    "secret_name = 'prod/binance'\nkey_path = '/etc/keys/{K32}.pem'\ntoken_url = 'https://x/oauth'\n",
    "sort_key = '{K32}'\ncache_key = '{HEX64}'\nidempotency_key = '{OKX_UUID}'\n",
    "token = 'USDT'\nbase_token = 'ETH'\ntoken_address = '0x' + 'a' * 40\nkey = 'BTC/USDT'\n",
    "TOKEN_MINT = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'\n"
    "token = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'\n",
    "public_key = '{HEX64}'\npubkey = '{K32}'\n",
    "password_prompt = 'Enter your password: '\npassword_help = 'at least 8 chars'\n",
    "is_secret = 'true'\nhas_api_key = 'yes'\n",
    "api_key: str\ndef f(api_key: 'str' = None, secret: str = ''):\n    pass\n",
    "API_KEY = '${BINANCE_API_KEY}'\nSECRET = '{{ vault_secret }}'\n"
    "PASS = 'ENC[AES256_GCM,data:x]'\n",
    "secret = 'op://vault/binance/secret'\nkey = 'arn:aws:secretsmanager:eu:1:secret:x'\n",
    "API_KEY = 'xxxx-xxxx-xxxx'\nSECRET = 'test_api_secret_123'\nKEY = 'dummy-key-0001'\n",
    "auth = ('user', 'pass')\nauthor = 'Satoshi'\n",
    "PASSWORD_MIN_LENGTH = '12'\nsecret_version = 'v2'\n",
    "api_key = os.getenv('BINANCE_API_KEY', '')\n",
    "keyboard = '{K32}'\nmonkey = '{K32}'\n",
    "signature = '{HEX64}'\nnonce = '{K32}'\nsalt = '{K32}'\n",
    "seed = '42'\nrandom_seed = 'abc'\n",
    "webhook_url = 'https://example.org/hooks/notify'\n",
    "import hmac\nsig = hmac.new(self.secret.encode(), msg, 'sha256')\n",
    "PAIR = 'BTC/USDT:USDT'\nkey = 'created_at'\n",
]


@pytest.mark.parametrize("code", NOT_SECRETS)
def test_not_secrets(code: str) -> None:
    assert aps1(code) == []


# --------------------------------------------------------------------------- APS103

FALLBACKS = [
    ("import os\nAPI_SECRET = os.getenv('BINANCE_SECRET', '{SEC64}')\n", 2),
    ("import os\nkey = os.environ.get('API_KEY', '{K32}')\n", 2),
    ("import os\nos.environ.setdefault('OKX_PASSPHRASE', '{PASS}')\n", 2),
    ("from os import getenv\nsecret = getenv('X', '{S32}')\n", 2),
    ("import os\nsecret = os.getenv('KRAKEN_SECRET') or '{B64_44}'\n", 2),
    ("import os\nsecret = os.environ.get('KRAKEN_SECRET', '') or '{B64_44}'\n", 2),
    ("from decouple import config\nSECRET = config('API_SECRET', default='{S32}')\n", 2),
    ("from pydantic_settings import BaseSettings\nfrom pydantic import Field\n"
     "class S(BaseSettings):\n    api_secret: str = Field(default='{S32}')\n", 4),
    ("from pydantic import SecretStr\nclass S:\n    key = SecretStr('{K32}')\n", 3),
    ("import click\n@click.command()\n@click.option('--api-key', default='{K32}')\n"
     "def main(api_key):\n    pass\n", 3),
    ("import typer\ndef main(api_secret: str = typer.Option('{S32}')):\n    pass\n", 2),
    ("x = settings.get('api_secret', '{S32}')\n", 1),
]


@pytest.mark.parametrize(("code", "line"), FALLBACKS)
def test_secret_fallbacks(code: str, line: int) -> None:
    assert aps1(code) == [("APS103", line)]


FALLBACKS_NOT = [
    "import os\nAPI_SECRET = os.getenv('EXCHANGE_API_SECRET', '')\n",
    "import os\nAPI_KEY = os.environ.get('BINANCE_API_KEY', 'YOUR_API_KEY')\n",
    "import os\nLEVEL = os.getenv('LOG_LEVEL', 'INFO')\nURL = os.getenv('API_URL', 'https://x')\n",
    "import os\nsecret = os.getenv('API_SECRET') or None\n",
    "import os\nflag = os.getenv('OKX_FLAG', '1')\n"
    "passphrase = os.getenv('OKX_PASSPHRASE', '-1')\n",
    "from pydantic import Field\nclass S:\n    api_secret: str = Field(default='changeme')\n",
    "from pydantic import Field\nclass S:\n    symbol: str = Field(default='BTCUSDT')\n",
]


@pytest.mark.parametrize("code", FALLBACKS_NOT)
def test_no_secret_fallback(code: str) -> None:
    assert aps1(code) == []


# --------------------------------------------------------------------------- APS104

LEAKS = [
    ("import os\napi_key = os.environ.get('EXCHANGE_API_KEY', '')\nprint('key', api_key)\n", 3),
    ("import logging, os\nlog = logging.getLogger(__name__)\n"
     "secret = os.environ['BINANCE_SECRET']\nlog.info('secret: %s', secret)\n", 4),
    ("import logging, os\nlogging.debug(f\"key={os.getenv('BINANCE_API_KEY')}\")\n", 2),
    ("import os\nsecret = os.environ['BINANCE_SECRET']\n"
     "raise RuntimeError('bad secret ' + secret)\n", 3),
    ("import os\nsecret = os.environ['BINANCE_SECRET']\n"
     "raise ValueError('bad secret %s' % secret)\n", 3),
    ("class C:\n    def __init__(self, api_key, api_secret):\n"
     "        self.api_secret = api_secret\n"
     "    def show(self):\n        self.logger.warning('using %s', self.api_secret)\n", 5),
    ("import ccxt, os\nex = ccxt.binance({'apiKey': os.environ['K']})\nprint(ex.apiKey)\n", 3),
    ("import os\ncfg = {'apiKey': os.getenv('K'), 'secret': os.getenv('S')}\n"
     "import logging\nlogging.info('config %s', cfg)\n", 4),
    ("import json\ncfg = json.load(open('c.json'))\nprint(cfg['exchange']['secret'])\n", 3),
    ("import keyring\npw = keyring.get_password('binance', 'me')\nprint(pw)\n", 3),
    ("from loguru import logger\nimport os\n"
     "logger.info('token {}', os.environ['TELEGRAM_TOKEN'])\n", 3),
    ("import os\nfrom fastapi import FastAPI\napp = FastAPI()\n@app.get('/cfg')\n"
     "def cfg():\n    return {'secret': os.environ['BINANCE_SECRET']}\n", 6),
    ("import telebot, os\nbot = telebot.TeleBot(os.environ['TG'])\n"
     "def h(message):\n    bot.reply_to(message, os.environ['BINANCE_API_KEY'])\n", 4),
    ("import os\nsecret = os.environ['API_SECRET']\nprint(f'{secret!r}'.strip())\n", 3),
]


@pytest.mark.parametrize(("code", "line"), LEAKS)
def test_credential_leaks(code: str, line: int) -> None:
    assert aps1(code) == [("APS104", line)]


LEAKS_NOT = [
    "import logging, os\nlog = logging.getLogger()\nkey = os.environ['API_KEY']\n"
    "log.info('key %s…', key[:4])\nlog.info('present: %s', bool(key))\n"
    "print(len(key))\nprint('set' if key else 'missing')\nprint(key is None)\n"
    "print('*' * len(key))\nlog.info('masked %s', mask(key))\n",
    "import os\nsymbol = os.getenv('SYMBOL')\nprint('trading', symbol)\n",
    "token = 'USDT'\nprint(token)\n",
    "for key in ('a', 'b'):\n    print(key)\n",
    "def f(items):\n    for _, secret in items:\n        print(secret)\n",
    "import os\nsecret = os.getenv('API_SECRET')\nraise SystemExit('missing secret')\n",
    "import ccxt, os\nex = ccxt.binance({'apiKey': os.getenv('K')})\nprint(ex.id, ex)\n",
    "api_key = ''\nprint(api_key)\n",
    "import os\nws.send(json.dumps({'apiKey': os.environ['BINANCE_API_KEY']}))\n",
    "import os\nrequests.post(url, headers={'X-MBX-APIKEY': os.environ['BINANCE_API_KEY']})\n",
    "import logging\nlog = logging.getLogger()\nlog.info('order %s', order_id)\n",
]


@pytest.mark.parametrize("code", LEAKS_NOT)
def test_no_leak(code: str) -> None:
    assert aps1(code) == []


# --------------------------------------------------------------------------- APS105

CONFIGS = [
    (".env", "# bot\nBINANCE_API_KEY={KEY64}\nBINANCE_API_SECRET=\"{SEC64}\"\nPOLL=10\n", [2, 3]),
    (".env.production", "export OKX_PASSPHRASE='{PASS}'\n", [1]),
    ("config.json", '{\n  "exchange": {\n    "name": "binance",\n    "key": "{KEY64}",\n'
                    '    "secret": "{SEC64}",\n    "password": ""\n  }\n}\n', [4, 5]),
    ("config.json", '{\n  // freqtrade\n  "telegram": {"enabled": true, "token": "{TG}",},\n'
                    '  "api_server": {"jwt_secret_key": "{HEX64}"}\n}\n', [3, 4]),
    ("exchanges.yaml", "kucoin:\n  key: \"{KUCOIN24}\"\n  secret: {OKX_UUID}\n"
                       "  passphrase: {PASS}\n", [2, 3, 4]),
    ("settings.toml", "[exchange]\napi_key = \"{K32}\"\n\n[exchange.keys]\nsecret = '{S32}'\n",
     [2, 5]),
    ("bot.ini", "[bybit]\napi_key = {BYBIT18}\napi_secret: {K32}\n", [2, 3]),
    ("deploy.yml", "env:\n  AWS_KEY_ID: {AWS}\n", [2]),
    ("notify.yaml", "telegram:\n  chat: {TG}\n", [2]),
    ("accounts.json", '[{"name": "main", "apiKey": "{K32}"}]', [1]),
]


@pytest.mark.parametrize(("name", "text", "lines"), CONFIGS)
def test_secrets_in_config_files(name: str, text: str, lines: list[int]) -> None:
    assert aps1(text, name) == [("APS105", line) for line in lines]


CONFIGS_NOT = [
    (".env", "BITGET_API_KEY=\nCOINBASE_API_KEY=your-api-key-here\nSECRET=${VAULT_SECRET}\n"),
    ("config.json", '{"exchange": {"key": "", "secret": "<secret>", "password": "changeme"}}'),
    ("config.json", '{"pairs": ["BTC/USDT"], "key": "BTC/USDT", "token": "USDT",'
                    ' "id": "{K32}", "sha": "{HEX64}"}'),
    ("exchanges.yaml", "gate:\n  key: \"\"\n  secret: ${GATE_SECRET}\n  passphrase: changeme\n"),
    ("settings.toml", "[exchange.testnet]\napi_key = \"YOUR_API_KEY\"\n"
                      "api_secret = \"YOUR_API_SECRET\"\n"),
    ("package.json", '{"name": "x", "version": "1.0.0", "integrity": "sha512-{B64_44}"}'),
    ("broken.json", '{"apiKey": "{K32}"'),
    ("broken.yaml", "apiKey: [\"{K32}\"\n"),
    ("tox.ini", "[testenv]\npassenv = API_KEY API_SECRET\ndeps = pytest\n"),
]


@pytest.mark.parametrize(("name", "text"), CONFIGS_NOT)
def test_no_secret_in_config_file(name: str, text: str) -> None:
    assert aps1(text, name) == []


# --------------------------------------------------------------------------- APS106

COMMENTS = [
    ("import os\n# API_SECRET = '{SEC64}'\nAPI_SECRET = os.environ['API_SECRET']\n", 2),
    ("from binance.client import Client\n# client = Client('{KEY64}', '{SEC64}')\n", 2),
    ("x = 1  # old: apiKey: '{K32}'\n", 1),
    ("def f():\n    # token = \"{TG}\"\n    pass\n", 2),
    ("# aws {AWS}\nx = 1\n", 1),
]


@pytest.mark.parametrize(("code", "line"), COMMENTS)
def test_commented_out_secrets(code: str, line: int) -> None:
    found = check_snippet(fill(code), "bot.py")
    got = [f for f in found if f.rule.startswith("APS1")]
    assert [(f.rule, f.span.line) for f in got] == [("APS106", line)]
    assert got[0].severity.name == "LOW"


def test_commented_secrets_in_config_files_and_positions() -> None:
    found = check_snippet(fill("# BINANCE_API_SECRET={SEC64}\nBINANCE_API_SECRET=\n"), ".env")
    (f,) = [f for f in found if f.rule.startswith("APS1")]
    assert (f.rule, f.span.line, f.span.column) == ("APS106", 1, 22)


COMMENTS_NOT = [
    "# API_KEY = 'YOUR_API_KEY'\n# export BINANCE_SECRET before running\nx = 1\n",
    "# sha256 = '{HEX64}'\n# see https://example.org/{K32}\nx = 1\n",
    "s = '# api_key = {K32}'\n",
    "# TODO: read the api key from the environment\nx = 1\n",
]


@pytest.mark.parametrize("code", COMMENTS_NOT)
def test_no_commented_secret(code: str) -> None:
    assert aps1(code) == []


# --------------------------------------------------------------------------- masking

def test_every_output_format_masks_the_secret(cli, tmp_path) -> None:
    secret = _rand(64, seed=99)
    write(tmp_path, "bot.py", f"from binance.client import Client\nc = Client('{secret}', s)\n"
                              f"API_SECRET = '{secret}'\n")
    write(tmp_path, ".env", f"BINANCE_API_SECRET={secret}\n")
    write(tmp_path, "config.json", json.dumps({"exchange": {"secret": secret}}))
    for fmt in ("text", "json", "sarif", "github"):
        result = cli("--format", fmt, "--no-cache", ".")
        assert result.exit_code == 1, result.output
        out = result.stdout
        assert secret not in out and secret[4:12] not in out, fmt
        assert f"{secret[:4]}…(64 chars)" in out or f"{secret[:4]}\\u2026(64 chars)" in out, fmt
    doc = cli.json(".")
    assert sorted((f["path"], f["line"], f["family"]) for f in doc["findings"]) == [
        (".env", 1, "APS1"), ("bot.py", 2, "APS1"), ("bot.py", 3, "APS1"),
        ("config.json", 1, "APS1")]


def test_mask() -> None:
    assert mask(KEY64) == f"{KEY64[:4]}…(64 chars)"
    assert mask("hunter2") == "h…(7 chars)"


# --------------------------------------------------------------------------- the analysis

@pytest.mark.parametrize(("name", "strength", "role"), [
    ("api_key", "strong", "key"), ("apiKey", "strong", "key"), ("API_SECRET", "strong", "secret"),
    ("X-MBX-APIKEY", "strong", "key"), ("passphrase", "strong", "passphrase"),
    ("db_pass", "strong", "password"), ("privateKey", "strong", "private_key"),
    ("secret_key", "strong", "secret"), ("bot_token", "strong", "token"),
    ("TELEGRAM_TOKEN", "strong", "token"), ("seed_phrase", "strong", "mnemonic"),
    ("key", "weak", "key"), ("token", "weak", "token"), ("BINANCE_KEY", "weak", "key"),
    ("Authorization", "weak", "token"),
])
def test_classify_name(name: str, strength: str, role: str) -> None:
    info = classify_name(name)
    assert info is not None and (info.strength, info.role) == (strength, role)


@pytest.mark.parametrize("name", [
    "sort_key", "key_path", "api_key_env", "secret_name", "public_key", "token_address",
    "max_tokens", "tokenizer", "keyboard", "is_secret", "password_prompt", "author", "monkey",
    "key_id", "primary_key", "idempotency_key", "symbol", "base_token", "token_in",
])
def test_not_secret_names(name: str) -> None:
    assert classify_name(name) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=1, max_size=30))
def test_secret_names_always_contain_a_prefilter_word(name: str) -> None:
    # the rules' prefilter tokens are SECRET_WORDS: a name without one must never count
    if classify_name(name) is not None:
        assert any(w in name.lower() for w in SECRET_WORDS)


@pytest.mark.parametrize("value", [
    "", "   ", "YOUR_API_KEY", "your-api-key-here", "<secret>", "xxxxxxxx", "********",
    "changeme", "Enter your api key", "${BINANCE_SECRET}", "{{ secret }}", "%(secret)s",
    "BINANCE_API_KEY", "sk-...abcd", "1234567890", "abcdefghijklmnop", "test_api_key",
    "my_binance_secret", "placeholder", "<passphrase>", "-1x", "none",
])
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(("alphabet", "n"), [(ALNUM, 18), (ALNUM, 24), (ALNUM, 36),
                                             (ALNUM, 64), (HEX, 24), (HEX, 32), (HEX, 64),
                                             (B64, 44), (B64, 88)])
def test_random_keys_are_recognised(alphabet: str, n: int) -> None:
    missed = [k for k in (_rand(n, alphabet, seed=s) for s in range(200))
              if assess(k, strength="strong", role="secret") is None]
    assert len(missed) <= 2, missed[:3]
    assert not [k for k in (_rand(n, alphabet, seed=s) for s in range(50)) if is_placeholder(k)]


@pytest.mark.parametrize("value", [
    "BTCUSDT_PERPETUAL_24", "SuperSecretKey2024", "HMAC-SHA256", "application/json",
    "2024-01-01T00:00:00Z", "BTC/USDT:USDT", "v1.2.3-beta.4", "com.example.app.Main",
    "user_2024_data_export", "Mozilla/5.0", "Content-Type", "python3.11",
])
def test_ordinary_strings_are_not_random(value: str) -> None:
    assert not is_random(value)
    assert assess(value, strength="weak", role="key") is None


def test_detectors_run_on_the_isolated_value_only() -> None:
    assert assess(TG, strength="none", text_lower="telegram") is not None
    assert assess(TG, strength="none", text_lower="nothing here") is None  # prefilter-sound
    assert assess(AWS, strength="none", text_lower=AWS.lower()).what == "AWS Access Key"
    pem = ("-----BEGIN RSA PRIVATE KEY-----\n" + _rand(64, B64, 3) +
           "\n-----END RSA PRIVATE KEY-----")
    assert assess(pem, strength="none", text_lower="private key").what == "Private Key"
    assert assess("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
                  strength="none", text_lower="private key") is None


def test_prefilter_is_sound_for_the_credential_rules() -> None:
    cases = [(rule, ex) for rule in registry().rules if rule.code.startswith("APS1")
             for label, ex in example_cases(rule) if label == "invalid"]
    cases += [(None, type("E", (), {"code": fill(c), "filename": "bot.py", "options": ()}))
              for c, _ in HARDCODED + LEAKS + FALLBACKS]
    for _rule, ex in cases:
        with_pf = check_snippet(ex.code, ex.filename, options=ex.options)
        without = check_snippet(ex.code, ex.filename, options=ex.options, prefilter=False)
        assert [f.rule for f in with_pf if f.rule.startswith("APS1")] == \
            [f.rule for f in without if f.rule.startswith("APS1")], ex.code


def test_detector_tokens_are_lowercase() -> None:
    assert all(t == t.lower() for t in DETECTOR_TOKENS + SECRET_WORDS)


def test_docs_cover_every_aps1_rule() -> None:
    from pathlib import Path

    from apisec_lint.checks.credentials import RULES

    rules_md = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text("utf-8")
    start = rules_md.index("## APS1xx — credentials")
    section = rules_md[start:rules_md.index("\n## ", start + 5)]
    for rule in RULES:
        assert f"### {rule.code} `{rule.name}` — {rule.summary()}" in section
        assert f"Severity: {rule.severity} · CWE-{rule.cwe}" in section
        # generated from the docstring: every line of it is in the docs
        for line in rule.documentation().splitlines()[1:]:
            assert line.replace("## ", "#### ", 1) in section, (rule.code, line)


def test_placeholder_patterns_from_the_config_file(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", f"API_SECRET = 'acme-{K32}'\n")
    write(tmp_path, ".env", f"BINANCE_API_SECRET=acme-{S32}\n")
    assert {f["rule"] for f in cli.json(".")["findings"]} == {"APS102", "APS105"}
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\nplaceholder-patterns = ["ACME-.*"]\n')
    assert cli.json(".")["findings"] == []


def test_value_chains_resolve_in_linear_time() -> None:
    # x = x + ... chains made Values.candidates exponential before it was memoised
    import time

    code = "from binance.client import Client\nx = 'a'\n" + "x = x + x\n" * 60 + \
        "c = Client(x, x)\n"
    start = time.perf_counter()
    check_snippet(code, "bot.py")
    assert time.perf_counter() - start < 5


def test_pack_regexes_are_validated(tmp_path) -> None:
    from apisec_lint.errors import PackError
    from apisec_lint.packs import load_knowledge

    pack = tmp_path / "mine.toml"
    pack.write_text('[pack]\nname = "mine"\n\n[[placeholders]]\npattern = "acme-("\n')
    with pytest.raises(PackError, match="placeholders"):
        load_knowledge([pack])
    pack.write_text('[pack]\nname = "mine"\n\n[[placeholders]]\npattern = "acme-.*"\n')
    assert any(e["pattern"] == "acme-.*" for e in load_knowledge([pack]).section("placeholders"))


def test_the_cache_holds_no_secret(cli, tmp_path) -> None:
    secret = _rand(64, seed=98)
    write(tmp_path, "bot.py", f"from binance.client import Client\nc = Client('{secret}', s)\n")
    write(tmp_path, ".env", f"BINANCE_API_SECRET={secret}\n")
    first = cli.json(".")  # --no-cache: compare with a cached run
    result = cli("--format", "json", ".")
    assert result.exit_code == 1
    cached = [p for p in (tmp_path / ".apisec-lint-cache").rglob("*") if p.is_file()]
    assert cached, "the run wrote no cache"
    for path in cached:
        assert secret.encode() not in path.read_bytes(), path
    assert json.loads(result.stdout)["findings"] == first["findings"]


def test_a_token_the_view_just_issued_is_not_a_leak() -> None:
    src = (
        "from fastapi import FastAPI\n"
        "app = FastAPI()\n"
        "@app.post('/token')\n"
        "def login(user: str):\n"
        "    access_token = create_token({'u': user}, kind='access')\n"
        "    return {'access_token': access_token}\n"
    )
    assert not [f for f in check_snippet(src) if f.rule == "APS104"]
    # a stored credential returned by a view is still a leak
    leak = src.replace("create_token({'u': user}, kind='access')", "os.environ['API_TOKEN']")
    leak = "import os\n" + leak
    assert [f.span.line for f in check_snippet(leak) if f.rule == "APS104"] == [7]

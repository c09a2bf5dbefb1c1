"""Autofix: --fix, --unsafe-fixes and --diff, driven through the real CLI.

Every fix has a before/after case; the properties the issue asks for (idempotence,
bytes outside the fixed nodes unchanged, unparsable files untouched, atomic writes that
keep mode and line endings, suppressions / select / baseline respected, the cache and
the process pool carrying the edits) each have their own test.
"""

from __future__ import annotations

import difflib
import json
import os
import random
import shutil
import stat
import string
from pathlib import Path

import libcst
import pytest

from apisec_lint.autofix import _shift
from apisec_lint.fix import _overlap, apply_fixes
from apisec_lint.testing import check_snippet
from apisec_lint.types import Edit, Fix

_RNG = random.Random(20240611)


def _secret(n: int = 64) -> str:
    """A random key-shaped string, built at run time (no secret in this file)."""
    return "".join(_RNG.choice(string.ascii_letters + string.digits) for _ in range(n))


KEY, SECRET = _secret(), _secret()


def _put(root: Path, name: str, text: str, newline: str = "\n") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def _fix(cli, tmp_path: Path, before: str, *args: str, name: str = "bot.py",
         newline: str = "\n") -> tuple[object, str]:
    path = _put(tmp_path, name, before, newline)
    result = cli("--fix", "--no-cache", *args, name)
    return result, path.read_bytes().decode("utf-8")


def _rules(cli, *args: str) -> list[tuple[str, int]]:
    doc = cli.json(*args)
    return [(f["rule"], f["line"]) for f in doc["findings"]]


# --------------------------------------------------------------------------- before/after

SAFE_CASES = {
    "rate-limiter-key": (
        "import ccxt\nex = ccxt.kraken({'apiKey': k, 'enableRateLimit': False})\n",
        "import ccxt\nex = ccxt.kraken({'apiKey': k, 'enableRateLimit': True})\n"),
    "rate-limiter-keyword": (
        "import ccxt\nex = ccxt.kraken(enableRateLimit=False)\n",
        "import ccxt\nex = ccxt.kraken(enableRateLimit=True)\n"),
    "rate-limiter-attribute": (
        "import ccxt\nex = ccxt.binance()\nex.enableRateLimit = False\n",
        "import ccxt\nex = ccxt.binance()\nex.enableRateLimit = True\n"),
    "rate-limit-below-floor-multiline": (
        "import ccxt\nex = ccxt.kucoin({\n    'apiKey': k,\n    'rateLimit': 0,  # fast!\n"
        "    'timeout': 5000,\n})\n",
        "import ccxt\nex = ccxt.kucoin({\n    'apiKey': k,\n    'timeout': 5000,\n})\n"),
    "rate-limit-last-inline": (
        "import ccxt\nex = ccxt.kraken({'apiKey': k, 'rateLimit': 500})\n",
        "import ccxt\nex = ccxt.kraken({'apiKey': k})\n"),
    "rate-limit-only-entry": (
        "import ccxt\nex = ccxt.kraken({'rateLimit': 500})\n",
        "import ccxt\nex = ccxt.kraken({})\n"),
    "rate-limit-attribute-line": (
        "import ccxt\nex = ccxt.bybit()\nex.rateLimit = 5  # burst\nprint(ex)\n",
        "import ccxt\nex = ccxt.bybit()\nprint(ex)\n"),
    "timeout-added": (
        "import requests\nrequests.post('https://ntfy.sh/x', data='filled')\n",
        "import requests\nrequests.post('https://ntfy.sh/x', data='filled', timeout=10)\n"),
    "timeout-multiline-trailing-comma": (
        "import requests\nr = requests.get(\n    'https://api.bybit.com/v5/market',\n"
        "    params={'category': 'spot'},  # spot only\n)\n",
        "import requests\nr = requests.get(\n    'https://api.bybit.com/v5/market',\n"
        "    params={'category': 'spot'},  # spot only\n    timeout=10,\n)\n"),
    "timeout-multiline-comment-inside": (
        "import requests\nr = requests.get(url,  # the feed\n"
        "                 params=p)  # trailing\n",
        "import requests\nr = requests.get(url,  # the feed\n"
        "                 params=p, timeout=10)  # trailing\n"),
    "timeout-none": (
        "import requests\ns = requests.Session()\ns.get('https://x', timeout=None)\n",
        "import requests\ns = requests.Session()\ns.get('https://x', timeout=10)\n"),
    "timeout-httpx-module": (
        "import httpx\nhttpx.get('https://x')\n",
        "import httpx\nhttpx.get('https://x', timeout=10)\n"),
    "timeout-urlopen": (
        "from urllib.request import urlopen\nurlopen('https://x')\n",
        "from urllib.request import urlopen\nurlopen('https://x', timeout=10)\n"),
    "unverified-context": (
        "import ssl\nctx = ssl._create_unverified_context()\n",
        "import ssl\nctx = ssl.create_default_context()\n"),
    "unverified-context-monkeypatch": (
        "import ssl\nssl._create_default_https_context = ssl._create_unverified_context\n",
        "import ssl\nssl._create_default_https_context = ssl.create_default_context\n"),
    "plaintext-http": (
        "import requests\nBASE = 'http://api.gateio.ws/api/v4'\n"
        "requests.get(BASE + '/spot/accounts', timeout=5)\n",
        "import requests\nBASE = 'https://api.gateio.ws/api/v4'\n"
        "requests.get(BASE + '/spot/accounts', timeout=5)\n"),
    "plaintext-ws-fstring": (
        "import websocket\nws = websocket.WebSocketApp(f'ws://stream.binance.com:9443/ws/{s}')\n",
        "import websocket\nws = websocket.WebSocketApp(f'wss://stream.binance.com:9443/ws/{s}')\n"),
}

UNSAFE_CASES = {
    "verify-keyword-last": (
        "import requests\nrequests.get('https://x', timeout=5, verify=False)\n",
        "import requests\nrequests.get('https://x', timeout=5)\n"),
    "verify-keyword-middle": (
        "import requests\nrequests.get('https://x', verify=False, timeout=5)\n",
        "import requests\nrequests.get('https://x', timeout=5)\n"),
    "verify-multiline-comment": (
        "import requests\nr = requests.get(\n    url,\n    verify=False,  # self-signed\n"
        "    timeout=5,  # seconds\n)\n",
        "import requests\nr = requests.get(\n    url,\n    timeout=5,  # seconds\n)\n"),
    "verify-comment-before-last": (
        "import requests\nr = requests.get(url, timeout=5,  # keep me\n    verify=False)\n",
        "import requests\nr = requests.get(url, timeout=5,  # keep me\n    )\n"),
    "verify-session-attribute": (
        "import requests\ns = requests.Session()\ns.verify = False\n",
        "import requests\ns = requests.Session()\ns.verify = True\n"),
    "verify-ccxt-config": (
        "import ccxt\nex = ccxt.binance({'verify': False, 'timeout': 5000})\n",
        "import ccxt\nex = ccxt.binance({'timeout': 5000})\n"),
    "aiohttp-ssl-false": (
        "import aiohttp\nconn = aiohttp.TCPConnector(ssl=False)\n",
        "import aiohttp\nconn = aiohttp.TCPConnector()\n"),
    "binance-requests-params": (
        "from binance.client import Client\n"
        "c = Client(k, s, requests_params={'verify': False, 'timeout': 20})\n",
        "from binance.client import Client\n"
        "c = Client(k, s, requests_params={'timeout': 20})\n"),
    "context-flags": (
        "import ssl\nctx = ssl.create_default_context()\nctx.check_hostname = False\n"
        "ctx.verify_mode = ssl.CERT_NONE\n",
        "import ssl\nctx = ssl.create_default_context()\nctx.check_hostname = True\n"
        "ctx.verify_mode = ssl.CERT_REQUIRED\n"),
    "websocket-sslopt": (
        "import ssl, websocket\nws = websocket.WebSocketApp('wss://x')\n"
        "ws.run_forever(sslopt={'cert_reqs': ssl.CERT_NONE})\n",
        "import ssl, websocket\nws = websocket.WebSocketApp('wss://x')\n"
        "ws.run_forever(sslopt={})\n"),
    "eval-webhook": (
        "import ccxt\nfrom flask import request\nex = ccxt.binance()\n\n"
        "def hook():\n    data = eval(request.data)\n    return data\n",
        "import json\nimport ccxt\nfrom flask import request\nex = ccxt.binance()\n\n"
        "def hook():\n    data = json.loads(request.data)\n    return data\n"),
}


@pytest.mark.parametrize("case", sorted(SAFE_CASES))
def test_safe_fix_before_after(cli, tmp_path, case: str) -> None:
    before, after = SAFE_CASES[case]
    result, text = _fix(cli, tmp_path, before)
    assert text == after, result.output
    assert libcst.parse_module(text).code == text


@pytest.mark.parametrize("case", sorted(UNSAFE_CASES))
def test_unsafe_fix_before_after(cli, tmp_path, case: str) -> None:
    before, after = UNSAFE_CASES[case]
    # without --unsafe-fixes nothing of it is applied, and the hint says so
    result, text = _fix(cli, tmp_path, before)
    assert text == before
    assert "--unsafe-fixes" in result.stderr
    result, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    assert text == after, result.output
    libcst.parse_module(text)


@pytest.mark.parametrize("case", sorted({**SAFE_CASES, **UNSAFE_CASES}))
def test_fix_is_idempotent_and_the_finding_is_gone(cli, tmp_path, case: str) -> None:
    before, after = {**SAFE_CASES, **UNSAFE_CASES}[case]
    _put(tmp_path, "bot.py", before)
    findings = _rules(cli, "bot.py")
    assert findings, "the case must have something to fix"
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    again = cli("--fix", "--unsafe-fixes", "--no-cache", "bot.py")
    assert (tmp_path / "bot.py").read_text() == text == after
    assert "fixed 0 findings" in again.stderr
    fixed_rules = {rule for rule, _ in findings}
    assert not fixed_rules & {rule for rule, _ in _rules(cli, "bot.py")}


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_crlf_and_several_findings_on_one_line(cli, tmp_path, newline: str) -> None:
    before = ("import requests\n"
              "requests.get(u, verify=False); requests.get(u)  # two calls\n"
              "print('done')\n")
    result, text = _fix(cli, tmp_path, before, "--unsafe-fixes", newline=newline)
    expected = ("import requests\n"
                "requests.get(u, timeout=10); requests.get(u, timeout=10)  # two calls\n"
                "print('done')\n").replace("\n", newline)
    assert text == expected, result.output
    assert "fixed 3 findings in 1 file (0 remaining)" in result.stderr


def test_crlf_file_gets_crlf_in_added_lines(cli, tmp_path) -> None:
    before = ("import ccxt\n"
              f"ex = ccxt.kraken({{'apiKey': '{KEY}', 'secret': '{SECRET}'}})\n")
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes", newline="\r\n")
    assert text == ("import os\r\nimport ccxt\r\nex = ccxt.kraken({'apiKey': "
                    "os.environ[\"KRAKEN_API_KEY\"], 'secret': os.environ[\"KRAKEN_API_SECRET\"]})"
                    "\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_overlapping_fixes_on_one_call_settle(cli, tmp_path) -> None:
    # the verify=False removal and the timeout insertion meet at one offset
    before = "import requests\nrequests.get(\n    url,\n    verify=False\n)\n"
    result, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    # pass 1 removes the verify line (the insertion point is inside it: it waits);
    # pass 2 adds the timeout on a line of its own
    assert text == "import requests\nrequests.get(\n    url,\n    timeout=10,\n)\n", result.output
    assert _rules(cli, "bot.py") == []


# --------------------------------------------------------------------------- credentials

def test_credential_moves_to_the_environment(cli, tmp_path) -> None:
    before = ('"""A bot."""\nfrom __future__ import annotations\n\n'
              "from binance.um_futures import UMFutures\n\n"
              f'um = UMFutures(key="{KEY}", secret="{SECRET}")\n')
    result, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    assert text == ('"""A bot."""\nfrom __future__ import annotations\n\nimport os\n'
                    "from binance.um_futures import UMFutures\n\n"
                    'um = UMFutures(key=os.environ["BINANCE_API_KEY"], '
                    'secret=os.environ["BINANCE_API_SECRET"])\n')
    assert KEY not in text and SECRET not in text
    assert "set BINANCE_API_KEY, BINANCE_API_SECRET in the environment" in result.stderr
    assert KEY not in result.output and SECRET not in result.output


def test_credential_constant_keeps_its_name_and_os_is_imported_once(cli, tmp_path) -> None:
    before = ("import os\nimport ccxt\n\n"
              f"API_KEY = '{KEY[:32]}'\n"
              f"ex = ccxt.kraken({{'apiKey': API_KEY, 'secret': '{SECRET[:44]}'}})\n"
              f"other = ccxt.kraken({{'apiKey': '{SECRET[:32]}'}})\n")
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    assert text == ("import os\nimport ccxt\n\n"
                    "API_KEY = os.environ[\"KRAKEN_API_KEY\"]\n"
                    "ex = ccxt.kraken({'apiKey': API_KEY, 'secret': "
                    "os.environ[\"KRAKEN_API_SECRET\"]})\n"
                    "other = ccxt.kraken({'apiKey': os.environ[\"KRAKEN_API_KEY_2\"]})\n")


def test_credential_fix_in_json_names_the_variable(cli, tmp_path) -> None:
    _put(tmp_path, "bot.py", f"import telebot\nbot = telebot.TeleBot('{_secret(46)}')\n")
    doc = cli.json("bot.py")
    (f,) = doc["findings"]
    assert f["rule"] == "APS101" and f["fixable"] is True
    assert f["fix"]["applicability"] == "unsafe"
    assert f["fix"]["env"] == ["TELEGRAM_TOKEN"]


# --------------------------------------------------------------------------- guarantees

def test_bytes_outside_the_fixed_nodes_are_unchanged(cli, tmp_path) -> None:
    before = ("# -*- coding: utf-8 -*-\n"
              '"""Prices — with a non-ASCII docstring."""\n'
              "import requests   # http\n\n\n"
              "def poll(url,\n"
              "         params):   # odd   spacing  kept\n"
              "    r = requests.get(url,\n"
              "                     params=params,  # inline\n"
              "                     verify=False)\n"
              "    return r.json()\t# tab\n"
              "\n"
              "BASE = 'http://api.binance.com/api/v3'  # plaintext\n")
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    a, b = before.splitlines(keepends=True), text.splitlines(keepends=True)
    changed = {i for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=a, b=b).get_opcodes()
               if tag != "equal" for i in range(i1, i2)}
    # only the lines of the reported nodes changed: the call's last two arguments and
    # the URL literal; everything else is byte for byte the same
    assert changed == {9, 12}
    assert a[:9] == b[:9] and a[10:12] == b[11:13]
    assert b[9:11] == ["                     timeout=10,\n", "                     )\n"]
    assert b[13] == "BASE = 'https://api.binance.com/api/v3'  # plaintext\n"


def test_unparsable_file_is_never_written(cli, tmp_path) -> None:
    broken = "import requests\nrequests.get(u, verify=False\ndef (:\n"
    path = _put(tmp_path, "broken.py", broken)
    before = path.stat().st_mtime_ns
    result = cli("--fix", "--unsafe-fixes", "--no-cache", "broken.py")
    assert path.read_text() == broken and path.stat().st_mtime_ns == before
    assert "APS001" in result.stdout


def test_a_fix_that_would_break_the_file_is_dropped() -> None:
    # a hand-made fix whose edit does not parse: apply_fixes keeps the rest
    text = "x = 1\ny = 2\n"
    good = Fix((Edit(4, 5, "3"),))
    bad = Fix((Edit(10, 11, "(("),))
    fixed, applied = apply_fixes(text, [good, bad])
    assert fixed == "x = 3\ny = 2\n" and applied == [good]


def test_write_is_atomic_and_keeps_the_mode(cli, tmp_path) -> None:
    path = _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\n")
    os.chmod(path, 0o640)
    inode = path.stat().st_ino
    cli("--fix", "--no-cache", "bot.py")
    assert path.read_text() == "import requests\nrequests.get(u, timeout=10)\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.py"]  # no temp file left


def test_encoding_and_bom_are_kept(cli, tmp_path) -> None:
    latin = "# -*- coding: latin-1 -*-\nimport requests\nrequests.get(u)  # café\n"
    (tmp_path / "latin.py").write_bytes(latin.encode("latin-1"))
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbfimport requests\nrequests.get(u)\n")
    cli("--fix", "--no-cache", "latin.py", "bom.py")
    assert (tmp_path / "latin.py").read_bytes() == latin.replace(
        "requests.get(u)", "requests.get(u, timeout=10)").encode("latin-1")
    assert (tmp_path / "bom.py").read_bytes() == \
        b"\xef\xbb\xbfimport requests\nrequests.get(u, timeout=10)\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlinked_file_is_not_written_through(cli, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = _put(outside, "real.py", "import requests\nrequests.get(u)\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "link.py").symlink_to(target)
    cli("--fix", "--no-cache", "proj")
    assert target.read_text() == "import requests\nrequests.get(u)\n"


# --------------------------------------------------------------------------- --diff, exits

def test_diff_writes_nothing_and_exits_1(cli, tmp_path) -> None:
    path = _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\n")
    result = cli("--diff", "--no-cache", "bot.py")
    assert result.exit_code == 1
    assert result.stdout == ("--- a/bot.py\n+++ b/bot.py\n@@ -1,2 +1,2 @@\n import requests\n"
                             "-requests.get(u)\n+requests.get(u, timeout=10)\n")
    assert path.read_text() == "import requests\nrequests.get(u)\n"
    assert "would fix 1 finding in 1 file" in result.stderr
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u, timeout=3)\n")
    clean = cli("--diff", "--no-cache", "bot.py")
    assert clean.exit_code == 0 and clean.stdout == ""


def test_fix_exit_code_follows_what_remains(cli, tmp_path) -> None:
    # after the safe fix only APS201 (high) remains: exit 1; with --fail-on and nothing
    # at or above it, exit 0; when everything is fixed, exit 0
    code = "import requests\nrequests.get(u, verify=False)\n"
    _put(tmp_path, "bot.py", code)
    assert cli("--fix", "--no-cache", "bot.py").exit_code == 1
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\nwhile True:\n"
                             "    for pair in PAIRS:\n        requests.get("
                             "'https://api.coinbase.com/v2/prices/' + pair, timeout=5)\n")
    result = cli("--fix", "--no-cache", "--fail-on", "high", "bot.py")
    assert result.exit_code == 0 and "(1 remaining)" in result.stderr
    _put(tmp_path, "bot.py", code)
    assert cli("--fix", "--unsafe-fixes", "--no-cache", "bot.py").exit_code == 0


def test_fix_with_json_keeps_stdout_machine_readable(cli, tmp_path) -> None:
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u, verify=False)\n")
    result = cli("--fix", "--no-cache", "--format", "json", "bot.py")
    doc = json.loads(result.stdout)
    assert [f["rule"] for f in doc["findings"]] == ["APS201"]
    assert "1 more fix available with --unsafe-fixes" in result.stderr


def test_fix_cannot_be_combined_with_write_baseline(cli, tmp_path) -> None:
    _put(tmp_path, "bot.py", "x = 1\n")
    result = cli("--fix", "--write-baseline", "b.json", "bot.py")
    assert result.exit_code == 2 and "cannot be combined" in result.stderr


def test_config_fix_key_is_validated_and_used(cli, tmp_path) -> None:
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\n")
    _put(tmp_path, ".apisec-lint.toml", 'fix = "yes"\n')
    bad = cli("--no-cache", "bot.py")
    assert bad.exit_code == 2 and "'fix' must be bool" in bad.stderr
    _put(tmp_path, ".apisec-lint.toml", "fix = true\nfix-timeout = 30\n")
    cli("--no-cache", "bot.py")
    assert (tmp_path / "bot.py").read_text() == "import requests\nrequests.get(u, timeout=30)\n"
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\n")
    cli("--no-fix", "--no-cache", "bot.py")
    assert (tmp_path / "bot.py").read_text() == "import requests\nrequests.get(u)\n"


# --------------------------------------------------------------------------- filters

def test_suppressed_finding_is_not_fixed(cli, tmp_path) -> None:
    before = ("import requests\n"
              "requests.get(u, verify=False)  # apisec: ignore[APS303] -- has a default\n")
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes")
    assert text == ("import requests\n"
                    "requests.get(u)  # apisec: ignore[APS303] -- has a default\n")


def test_select_and_ignore_limit_the_fixes(cli, tmp_path) -> None:
    before = "import requests\nrequests.get(u, verify=False)\n"
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes", "--select", "APS2")
    assert text == "import requests\nrequests.get(u)\n"
    _, text = _fix(cli, tmp_path, before, "--unsafe-fixes", "--ignore", "APS201")
    assert text == "import requests\nrequests.get(u, verify=False, timeout=10)\n"


def test_per_file_ignores_limit_the_fixes(cli, tmp_path) -> None:
    _put(tmp_path, ".apisec-lint.toml", '[per-file-ignores]\n"legacy/*" = ["APS303"]\n')
    _put(tmp_path, "legacy/old.py", "import requests\nrequests.get(u)\n")
    _put(tmp_path, "new.py", "import requests\nrequests.get(u)\n")
    cli("--fix", "--no-cache", ".")
    assert (tmp_path / "legacy/old.py").read_text() == "import requests\nrequests.get(u)\n"
    assert (tmp_path / "new.py").read_text() == "import requests\nrequests.get(u, timeout=10)\n"


def test_baselined_finding_is_not_fixed_even_after_a_nearby_fix(cli, tmp_path) -> None:
    # APS201 is baselined; fixing APS303 on the same statement changes APS201's
    # fingerprint, and it still must not be fixed in the next pass
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u, verify=False)\n")
    assert cli("--no-cache", "--select", "APS201", "--write-baseline", "base.json",
               "bot.py").exit_code == 0
    cli("--fix", "--unsafe-fixes", "--no-cache", "--baseline", "base.json", "bot.py")
    assert (tmp_path / "bot.py").read_text() == \
        "import requests\nrequests.get(u, verify=False, timeout=10)\n"


# --------------------------------------------------------------------------- cache, pool

def test_warm_cache_still_fixes(cli, tmp_path, monkeypatch) -> None:
    from apisec_lint.autofix import fix_run
    from apisec_lint.config import load_config
    from apisec_lint.engine import iter_enabled, run
    from apisec_lint.packs import load_knowledge
    from apisec_lint.pipeline import Session
    from apisec_lint.testing import registry

    _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\n")
    monkeypatch.chdir(tmp_path)
    cli("bot.py")  # fills the cache
    entries = list((tmp_path / ".apisec-lint-cache").rglob("*.json"))
    assert entries and '"edits"' in entries[0].read_text()
    reg = registry()
    config = load_config(None, ["bot.py"], reg)
    enabled = iter_enabled(reg, config)
    knowledge = load_knowledge(config.packs)
    warm = run(["bot.py"], config, reg, knowledge, enabled=enabled, jobs=1)
    assert warm.cached == 1 and warm.findings[0].fix is not None  # the edits came back
    outcome = fix_run(warm, Session(reg, knowledge, config, enabled), unsafe=False,
                      write=True)
    assert outcome.fixed == 1
    assert (tmp_path / "bot.py").read_text() == "import requests\nrequests.get(u, timeout=10)\n"
    # and through the CLI, on a warm cache again
    _put(tmp_path, "bot.py", "import requests\nrequests.get(u)\n")
    cli("bot.py")
    cli("--fix", "bot.py")
    assert (tmp_path / "bot.py").read_text() == "import requests\nrequests.get(u, timeout=10)\n"


def test_process_pool_carries_the_fixes(cli, tmp_path) -> None:
    for i in range(20):
        _put(tmp_path, f"pkg/m{i:02}.py", "import requests\nrequests.get(u)\n")
    result = cli("--fix", "--no-cache", "--jobs", "2", "pkg")
    assert "fixed 20 findings in 20 files (0 remaining)" in result.stderr
    for i in range(20):
        assert (tmp_path / f"pkg/m{i:02}.py").read_text().endswith("timeout=10)\n")


# --------------------------------------------------------------------------- rule docs

def test_list_rules_and_explain_say_how_a_rule_is_fixed(cli) -> None:
    listing = cli("--list-rules").stdout
    rows = {line.split()[0]: line.split()[3] for line in listing.splitlines()[1:]}
    assert rows["APS301"] == rows["APS303"] == rows["APS203"] == "safe"
    assert rows["APS201"] == rows["APS101"] == rows["APS403"] == "unsafe"
    assert rows["APS202"] == "safe/unsafe"
    assert rows["APS302"] == rows["APS105"] == "-"
    explain = cli("--explain", "APS101").stdout
    assert "Fixable with --fix --unsafe-fixes" in explain and "os.environ" in explain
    assert "Fixable with --fix:" in cli("--explain", "APS303").stdout
    assert "Not fixable automatically." in cli("--explain", "APS302").stdout


# --------------------------------------------------------------------------- helpers

def test_overlap_and_shift() -> None:
    assert not _overlap(Edit(1, 1, "a"), Edit(1, 1, "a"))  # the same import, twice
    assert _overlap(Edit(1, 1, "a"), Edit(1, 1, "b"))
    assert _overlap(Edit(1, 4, ""), Edit(4, 4, "x"))  # insertion at the boundary: waits
    assert not _overlap(Edit(1, 4, ""), Edit(5, 5, "x"))
    assert _overlap(Edit(1, 4, ""), Edit(2, 2, "x"))
    edits = [Edit(0, 0, "ab"), Edit(5, 8, "")]
    assert _shift(3, edits) == 5 and _shift(10, edits) == 9 and _shift(6, edits) == 7


def test_findings_without_a_safe_place_to_edit_are_not_fixable() -> None:
    # a value computed by a call is not removed (its side effects would go too)
    (f,) = check_snippet("import requests\n"
                         "requests.get(u, verify=False if check() else True, timeout=3)\n")
    assert f.rule == "APS201" and f.fix is None and not f.fixable
    # aiohttp needs a ClientTimeout: no fix
    (g,) = check_snippet("import aiohttp\nasync def f(s: aiohttp.ClientSession):\n"
                         "    await s.post('https://x', json={})\n")
    assert g.rule == "APS303" and g.fix is None
    # a plaintext URL to a host that is not an exchange's: no fix
    (h,) = check_snippet("import websockets\nasync def f():\n"
                         "    async with websockets.connect('ws://quotes.partner.example/v1'):\n"
                         "        pass\n")
    assert h.rule == "APS203" and h.fix is None


# --------------------------------------------------------------------------- acceptance

MINI_CORPUS = {
    "kraken_bot.py": ("import ccxt\n\nexchange = ccxt.kraken({\n"
                      f"    'apiKey': '{_secret(44)}',\n    'secret': '{_secret(44)}',\n"
                      "    'enableRateLimit': False,\n})\n"),
    "futures.py": ('"""Futures."""\nimport os\nfrom binance.um_futures import UMFutures\n'
                   f'um = UMFutures(key="{_secret()}", secret="{_secret()}", timeout=10)\n'),
    "net/tls.py": ("import ssl, requests, httpx, urllib3\nurllib3.disable_warnings()\n"
                   "r = requests.get('https://api.binance.com/api/v3/time',\n"
                   "                 verify=False, timeout=10)\n"
                   "client = httpx.Client(verify=False, timeout=10)\n"
                   "ctx = ssl._create_unverified_context()\n"
                   "BASE = 'http://api.gateio.ws/api/v4'\n"),
    "jobs/poll.py": ("import requests\n\ndef price(pair):\n"
                     "    return requests.get(f'https://api.coinbase.com/v2/prices/{pair}')\n"),
    "mm/quoter.py": ("import ccxt.async_support as ccxt\nex = ccxt.kucoin({\n"
                     "    'enableRateLimit': True,\n    'rateLimit': 0,\n})\n"),
    "hook.py": ("import ccxt\nfrom flask import Flask, request\napp = Flask(__name__)\n"
                "ex = ccxt.binance()\n\n@app.post('/hook')\ndef hook():\n"
                "    order = eval(request.get_data(as_text=True))\n    return order\n"),
}
FIXABLE = {"APS101", "APS201", "APS202", "APS203", "APS204", "APS301", "APS303", "APS403"}


def test_mini_corpus_fix_removes_every_fixable_finding(cli, tmp_path) -> None:
    for name, code in MINI_CORPUS.items():
        _put(tmp_path, name, code)
    before = {f["rule"] for f in cli.json(".")["findings"]}
    assert before >= FIXABLE
    result = cli.proc("--fix", "--unsafe-fixes", "--no-cache", ".")  # a real process
    assert "apisec-lint: fixed" in result.stderr, result.stderr
    after = cli.json(".")["findings"]
    assert not [f for f in after if f["rule"] in FIXABLE], after
    for name in MINI_CORPUS:
        libcst.parse_module((tmp_path / name).read_text())
    assert cli("--fix", "--unsafe-fixes", "--no-cache", ".").stderr.startswith(
        "apisec-lint: fixed 0 findings")


SHARED_CORPUS = Path("/work/shared/corpus")


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="the shared corpus is not here")
def test_shared_corpus_fix(cli, tmp_path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SHARED_CORPUS, corpus)
    runner = type(cli)(corpus)
    before = runner.json(".")["findings"]
    assert any(f["rule"] in FIXABLE for f in before)
    runner("--fix", "--unsafe-fixes", "--no-cache", ".")
    after = runner.json(".")["findings"]
    assert not [f for f in after if f["rule"] in FIXABLE]
    broken = {f["path"] for f in before if f["rule"] == "APS001"}
    assert {f["path"] for f in after if f["rule"] == "APS001"} == broken


# --------------------------------------------------------------------------- packs

def test_fix_keys_of_the_packs_are_validated(tmp_path) -> None:
    from apisec_lint.errors import PackError
    from apisec_lint.packs import load_knowledge

    pack = tmp_path / "mine.toml"
    pack.write_text('[pack]\nname = "mine"\n\n[[knobs]]\ntopic = "tls-verify"\n'
                    'calls = ["acme.get"]\nparam = "insecure"\nbad = [true]\nfix = "delete"\n')
    with pytest.raises(PackError, match="fix"):
        load_knowledge([pack])


def test_a_user_pack_knob_gets_its_fix(tmp_path) -> None:
    pack = tmp_path / "acme.toml"
    pack.write_text('[pack]\nname = "acme"\n\n[[knobs]]\ntopic = "tls-verify"\n'
                    'calls = ["acme.http.get"]\nparam = "insecure"\nbad = [true]\n'
                    'fix = "remove"\n')
    (f,) = check_snippet("import acme.http\nacme.http.get(u, insecure=True, timeout=3)\n",
                         packs=[pack])
    assert f.rule == "APS201" and f.fix is not None and f.fix.applicability == "unsafe"
    fixed, _ = apply_fixes("import acme.http\nacme.http.get(u, insecure=True, timeout=3)\n",
                           [f.fix])
    assert fixed == "import acme.http\nacme.http.get(u, timeout=3)\n"

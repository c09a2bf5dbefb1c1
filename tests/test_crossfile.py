"""Cross-file credentials (apisec_lint/crossfile.py): a module constant of one scanned file
reaching an exchange client in another is APS101, reported at the literal.

Real CLI on real trees. The secrets are built at run time (seeded, so runs repeat)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
from conftest import write

from apisec_lint.crossfile import resolve

_RNG = random.Random(20240611)
_ALNUM = string.ascii_letters + string.digits
KEY = "".join(_RNG.choice(_ALNUM) for _ in range(64))
SEC = "".join(_RNG.choice(_ALNUM) for _ in range(64))
HEX = "".join(_RNG.choice("0123456789abcdef") for _ in range(32))

SETTINGS = f'"""Settings."""\nK1 = "{KEY}"\nK2 = "{SEC}"\nTIMEOUT = 30\n'


def _findings(cli, *args: str) -> list[dict]:
    return cli.json(*args)["findings"]


def _aps1(findings: list[dict]) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["rule"]) for f in findings if f["rule"].startswith("APS1")]


def test_from_import_into_ccxt_dict_is_reported_at_the_literal(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1, K2\n\n"
                              "ex = ccxt.binance({\n    'apiKey': K1,\n    'secret': K2,\n})\n")
    found = _findings(cli, ".")
    assert _aps1(found) == [("settings.py", 2, "APS101"), ("settings.py", 3, "APS101")]
    first = found[0]
    assert first["column"] == 6
    assert "bot.py:5" in first["message"] and "K1" in first["message"]
    assert "bot.py:6" in found[1]["message"]
    assert "'apiKey'" in first["message"] and "'secret'" in found[1]["message"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_the_secret_is_masked_in_every_format(cli, tmp_path, fmt) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    result = cli("--format", fmt, "--no-cache", ".")
    assert result.exit_code == 1
    assert "settings.py" in result.stdout and "bot.py:3" in result.stdout
    assert KEY not in result.stdout and KEY[4:20] not in result.stdout
    assert KEY[:4] + "…(64 chars)" in result.stdout


def test_import_module_attribute_and_local_indirection(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "from binance.client import Client\nimport settings\n"
                              "import settings as conf\n\n"
                              "def make():\n    key = conf.K1\n"
                              "    return Client(key, settings.K2.strip())\n")
    found = _findings(cli, ".")
    assert _aps1(found) == [("settings.py", 2, "APS101"), ("settings.py", 3, "APS101")]
    assert all("bot.py:7" in f["message"] for f in found)


def test_relative_imports_and_alias(cli, tmp_path) -> None:
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/settings.py", SETTINGS)
    write(tmp_path, "pkg/sub/__init__.py", "")
    write(tmp_path, "pkg/sub/conf.py", f"OKX_PASS = 'x'\nSIGNING = '{HEX}'\n")
    write(tmp_path, "pkg/bot.py", "import ccxt\nfrom .settings import K1\n"
                                  "ex = ccxt.okx({'apiKey': K1})\n")
    write(tmp_path, "pkg/sub/worker.py", "import hmac, hashlib\nfrom . import conf\n"
                                         "from ..settings import K2 as S\n"
                                         "from pybit.unified_trading import HTTP\n"
                                         "s = HTTP(api_key='', api_secret=S)\n"
                                         "sig = hmac.new(conf.SIGNING.encode(), b'',"
                                         " hashlib.sha256)\n")
    write(tmp_path, "run.py", "from binance.spot import Spot\nfrom pkg.settings import K1 as KEY\n"
                              "c = Spot(KEY, '')\n")
    found = _findings(cli, ".")
    assert _aps1(found) == [("pkg/settings.py", 2, "APS101"), ("pkg/settings.py", 3, "APS101"),
                            ("pkg/sub/conf.py", 2, "APS101")]
    by_line = {(f["path"], f["line"]): f["message"] for f in found}
    # K1 is used twice: the first use (by path) is named, the other counted
    assert "pkg/bot.py:3" in by_line[("pkg/settings.py", 2)]
    assert "1 more use" in by_line[("pkg/settings.py", 2)]
    assert "pkg/sub/worker.py:5" in by_line[("pkg/settings.py", 3)]
    assert "pkg/sub/worker.py:6" in by_line[("pkg/sub/conf.py", 2)]


def test_package_init_reexport_is_followed(cli, tmp_path) -> None:
    write(tmp_path, "pkg/__init__.py", "from .settings import K1\n")
    write(tmp_path, "pkg/settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom pkg import K1\nex = ccxt.kraken({'apiKey': K1})\n")
    assert _aps1(_findings(cli, ".")) == [("pkg/settings.py", 2, "APS101")]


def test_placeholders_and_unrelated_uses_are_not_reported(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", f"K1 = 'YOUR_API_KEY'\nK2 = ''\nK3 = '<secret>'\n"
                                   f"K4 = '{KEY}'\nK5 = '{SEC}'\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1, K2, K3, K4, K5\n"
                              "ex = ccxt.binance({'apiKey': K1, 'secret': K2, 'password': K3,\n"
                              "                   'timeout': K4, 'uid': K5})\n"
                              "print(len(K4))\n")
    assert _aps1(_findings(cli, ".")) == []


def test_placeholder_patterns_option_applies(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.apisec-lint]\nplaceholder-patterns = ['acme-.*']\n")
    write(tmp_path, "settings.py", "K1 = 'acme-K3y-Xb9Qm2Lp7Rt4'\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert _aps1(_findings(cli, ".")) == []


def test_suppression_on_the_literal_is_respected_and_used(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", f"K1 = '{KEY}'  # apisec: ignore[APS101] -- testnet key\n"
                                   f"K2 = '{SEC}'  # apisec: ignore[APS101, APS201] -- testnet\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1, K2\n"
                              "ex = ccxt.binance({'apiKey': K1, 'secret': K2})\n")
    found = _findings(cli, ".")
    assert [(f["path"], f["line"], f["rule"], f["message"]) for f in found] == [
        ("settings.py", 2, "APS004", "unused suppression of APS201")]


def test_suppression_is_unused_without_the_user(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", f"K1 = '{KEY}'  # apisec: ignore[APS101] -- testnet key\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\nex = ccxt.binance()\n")
    found = _findings(cli, ".")
    assert [(f["path"], f["rule"]) for f in found] == [("settings.py", "APS004")]


def test_no_suppressions_audit_mode(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", f"K1 = '{KEY}'  # apisec: ignore[APS101] -- testnet key\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert _aps1(_findings(cli, "--no-suppressions", ".")) == [("settings.py", 1, "APS101")]


def test_config_select_per_file_ignores_and_severity(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert _aps1(_findings(cli, "--ignore", "APS101", ".")) == []
    write(tmp_path, "pyproject.toml", "[tool.apisec-lint.severity]\nAPS101 = \"medium\"\n")
    found = _findings(cli, ".")
    assert [(f["rule"], f["severity"]) for f in found] == [("APS101", "medium")]
    write(tmp_path, "pyproject.toml",
          "[tool.apisec-lint.per-file-ignores]\n\"settings.py\" = [\"APS101\"]\n")
    assert _aps1(_findings(cli, ".")) == []
    # the using file's per-file ignores: APS101 does not run there, so it notes nothing
    write(tmp_path, "pyproject.toml",
          "[tool.apisec-lint.per-file-ignores]\n\"bot.py\" = [\"APS1\"]\n")
    assert _aps1(_findings(cli, ".")) == []


def test_baseline_is_respected(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert cli("--no-cache", "--write-baseline", "base.json", ".").exit_code == 0
    assert KEY not in (tmp_path / "base.json").read_text()
    assert _findings(cli, "--baseline", "base.json", ".") == []
    # the literal moves down: still the same entry
    write(tmp_path, "settings.py", "# moved\n\n" + SETTINGS)
    assert _findings(cli, "--baseline", "base.json", ".") == []
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1, K2\n"
                              "ex = ccxt.binance({'apiKey': K1, 'secret': K2})\n")
    assert _aps1(_findings(cli, "--baseline", "base.json", ".")) == [("settings.py", 5, "APS101")]


def test_secret_named_constant_is_reported_once(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", f"API_SECRET = '{SEC}'\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import API_SECRET\n"
                              "ex = ccxt.binance({'secret': API_SECRET})\n")
    assert _aps1(_findings(cli, ".")) == [("settings.py", 1, "APS102")]
    # APS102 suppressed there: the literal was reviewed, no APS101 appears instead
    write(tmp_path, "settings.py", f"API_SECRET = '{SEC}'  # apisec: ignore[APS102] -- demo\n")
    assert _findings(cli, ".") == []


def test_literal_reported_by_format_in_its_own_file_is_not_reported_twice(cli, tmp_path) -> None:
    aws = "AKIA" + "".join(_RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))
    write(tmp_path, "settings.py", f"A = '{aws}'\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import A\n"
                              "ex = ccxt.binance({'apiKey': A})\n")
    found = _findings(cli, ".")
    assert [(f["path"], f["line"], f["rule"]) for f in found] == [("settings.py", 1, "APS102")]


def test_file_scanned_alone_reports_nothing_in_unscanned_modules(cli, tmp_path) -> None:
    """Only scanned files are joined: ``apisec-lint bot.py`` (or a pre-commit run that
    passes only bot.py) does not read settings.py, so nothing is reported there."""
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert _findings(cli, "bot.py") == []
    assert _aps1(_findings(cli, "bot.py", "settings.py")) == [("settings.py", 2, "APS101")]
    assert _findings(cli, "settings.py") == []


def test_excluded_defining_file_is_not_reported(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.apisec-lint]\nextend-exclude = [\"settings.py\"]\n")
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert _findings(cli, ".") == []


def _tree(root: Path, n: int = 14) -> None:
    write(root, "conf/settings.py", SETTINGS)
    write(root, "conf/__init__.py", "")
    for i in range(n):
        write(root, f"bots/b{i}.py", "import ccxt\nfrom conf.settings import K1, K2\n"
                                     f"ex = ccxt.bybit({{'apiKey': K{1 + i % 2}}})\n"
                                     "ex.load_markets()\n")


def test_cache_warm_equals_cold_and_jobs_do_not_matter(cli, tmp_path) -> None:
    _tree(tmp_path)
    outputs = []
    for args in (["--no-cache", "--jobs", "1"], ["--no-cache", "--jobs", "2"], [], [],
                 ["--jobs", "2"]):
        result = cli("--format", "json", *args, ".")
        doc = json.loads(result.stdout)
        doc.pop("stats", None)
        outputs.append(json.dumps(doc, sort_keys=True))
    assert len(set(outputs)) == 1
    doc = json.loads(outputs[0])
    assert _aps1(doc["findings"]) == [("conf/settings.py", 2, "APS101"),
                                      ("conf/settings.py", 3, "APS101")]
    assert "bots/b0.py:3" in doc["findings"][0]["message"]
    assert "6 more uses" in doc["findings"][0]["message"]
    # the cache holds the use facts, never the secret
    cached = "".join(p.read_text() for p in (tmp_path / ".apisec-lint-cache").rglob("*.json"))
    assert '"facts"' in cached and "conf.settings.K1" in cached
    assert KEY not in cached and SEC not in cached


def test_cache_follows_a_changed_defining_file(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    assert len(cli.json(".")["findings"]) == 1  # warm-up, with the cache
    result = cli("--format", "json", ".")
    assert len(json.loads(result.stdout)["findings"]) == 1
    write(tmp_path, "settings.py", "import os\nK1 = os.environ['K1']\n")
    result = cli("--format", "json", ".")
    assert json.loads(result.stdout)["findings"] == []


def test_resolve_maps_imports_to_scanned_files_only() -> None:
    files = {"settings.py", "pkg/__init__.py", "pkg/conf.py", "pkg/sub/x.py", "other/conf.py"}
    assert resolve("settings.K", "bot.py", files) == ("settings.py", "K")
    assert resolve("settings.K", "pkg/sub/x.py", files) == ("settings.py", "K")
    assert resolve("conf.K", "pkg/bot.py", files) == ("pkg/conf.py", "K")
    assert resolve("conf.K", "bot.py", files) is None
    assert resolve(".conf.K", "pkg/bot.py", files) == ("pkg/conf.py", "K")
    assert resolve("..conf.K", "pkg/sub/x.py", files) == ("pkg/conf.py", "K")
    assert resolve(".K", "pkg/bot.py", files) == ("pkg/__init__.py", "K")
    assert resolve("pkg.K", "run.py", files) == ("pkg/__init__.py", "K")
    assert resolve("pkg.conf.K", "run.py", files) == ("pkg/conf.py", "K")
    assert resolve("settings", "bot.py", files) is None  # a module, not a constant
    assert resolve("ccxt.K", "bot.py", files) is None  # not scanned: never sys.path
    assert resolve("conf.K", "/abs/pkg/bot.py", {"/abs/pkg/conf.py"}) == ("/abs/pkg/conf.py", "K")
    assert resolve("..conf.K", "bot.py", {"../conf.py"}) == ("../conf.py", "K")


def _facts(code: str) -> tuple:
    from dataclasses import replace

    from apisec_lint.packs import load_knowledge
    from apisec_lint.pipeline import Session, process_file
    from apisec_lint.testing import registry
    from apisec_lint.types import Config, FileKind

    reg = registry()
    config = replace(Config())
    session = Session(reg, load_knowledge(()), config, reg.select(("APS",), ()))
    return process_file(session, "bot.py", "bot.py", FileKind.PYTHON, code.encode()).facts


def test_use_facts_carry_ref_line_role_and_slot() -> None:
    code = ("import ccxt\nfrom binance.client import Client\nimport conf\n"
            "from .settings import K1, K2 as S\n\n"
            "async def f():\n    async with ccxt.binance({'apiKey': K1}) as ex:\n        pass\n"
            "    if True:\n        c = Client(S,\n                   conf.SEC)\n"
            "    c = Client(S,\n               conf.SEC)\n"
            "ex = ccxt.okx()\nex.password = conf.PASS\n"
            "c = Client(K1, 'x'); d = Client(os.environ['K'], print)\n"
            "cfg = {'apiKey': K1}\ncfg['secret'] = conf.SEC\n\nex = ccxt.binance(cfg)\n"
            "ex = ccxt.binance({\n    'apiKey': conf.KEY})\n")
    assert _facts(code) == (
        (".settings.K1", 7, "key", "ccxt.binance({'apiKey': ...})"),
        (".settings.K1", 16, "key", "Client(api_key=...)"),
        (".settings.K1", 20, "key", "ccxt.binance({'apiKey': ...})"),
        (".settings.K2", 10, "key", "Client(api_key=...)"),
        (".settings.K2", 12, "key", "Client(api_key=...)"),
        ("conf.KEY", 22, "key", "ccxt.binance({'apiKey': ...})"),
        ("conf.PASS", 15, "passphrase", "ex.password (client attribute)"),
        ("conf.SEC", 11, "secret", "Client(api_secret=...)"),
        ("conf.SEC", 13, "secret", "Client(api_secret=...)"),
        ("conf.SEC", 20, "secret", "ccxt.binance({'secret': ...})"),
    )


def test_files_without_imported_credentials_have_no_facts() -> None:
    assert _facts("import ccxt, os\nK = os.environ['K']\nex = ccxt.binance({'apiKey': K})\n") == ()
    assert _facts("x = 1\n") == ()


def test_the_documented_cross_file_example_holds(cli, tmp_path) -> None:
    from apisec_lint.checks.credentials import HardcodedCredential

    doc = HardcodedCredential.documentation()
    section = doc[doc.index("## Across files"):doc.index("## Options")]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    settings, bot = block.split("# bot.py\n")
    settings = settings.replace("# settings.py\n", "").replace("lAkbQmFPlrSA...", KEY)
    write(tmp_path, "settings.py", settings)
    write(tmp_path, "bot.py", bot)
    line = int(section.split("Invalid (`settings.py`, line ", 1)[1].split(")", 1)[0])
    assert _aps1(_findings(cli, ".")) == [("settings.py", line, "APS101")]
    for valid in ('K1 = "YOUR_API_KEY"\n', f'K1 = "{KEY}"\n'):
        write(tmp_path, "settings.py", valid)
        write(tmp_path, "bot.py", bot.replace('"apiKey"', '"timeout"') if KEY in valid else bot)
        assert _findings(cli, ".") == []
    write(tmp_path, "bot.py", bot)
    assert _findings(cli, "bot.py") == []
    assert len(_findings(cli, ".")) == 1


def test_parameters_shadow_imports_and_broken_defining_files_are_skipped(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", SETTINGS)
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "def connect(K1):\n    return ccxt.binance({'apiKey': K1})\n")
    assert _findings(cli, ".") == []
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1\n"
                              "ex = ccxt.binance({'apiKey': K1})\n")
    write(tmp_path, "settings.py", SETTINGS + "def broken(:\n")
    assert [(f["path"], f["rule"]) for f in _findings(cli, ".")] == [("settings.py", "APS001")]


def test_one_finding_per_literal_whatever_the_names(cli, tmp_path) -> None:
    write(tmp_path, "settings.py", f"K1 = K2 = '{KEY}'\nK3 = K1\n")
    write(tmp_path, "bot.py", "import ccxt\nfrom settings import K1, K2, K3\n"
                              "ex = ccxt.binance({'apiKey': K1, 'secret': K2, 'password': K3})\n")
    assert _aps1(_findings(cli, ".")) == [("settings.py", 1, "APS101")]

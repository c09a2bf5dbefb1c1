"""The command line: the JSON contract, formats agreeing, exit codes, --jobs."""

from __future__ import annotations

import json
import re

from conftest import write

TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"
CONTRACT_KEYS = {"rule", "name", "family", "severity", "path", "line", "column", "end_line",
                 "end_column", "message", "fingerprint", "fixable"}


def test_json_contract_for_verify_false(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS)
    doc = cli.json("bot.py")
    assert set(doc) == {"tool", "findings", "errors", "stats"}
    assert doc["tool"]["name"] == "apisec-lint" and doc["tool"]["version"]
    assert len(doc["findings"]) == 1
    f = doc["findings"][0]
    assert set(f) == CONTRACT_KEYS | {"fix"}  # "fix": additive, on fixable findings only
    assert (f["rule"], f["family"], f["severity"]) == ("APS201", "APS2", "high")
    assert f["path"] == "bot.py"
    assert (f["line"], f["column"], f["end_line"], f["end_column"]) == (2, 19, 2, 31)
    assert f["name"] == "tls-verify-disabled" and f["fixable"] is True
    assert f["fix"] == {"applicability": "unsafe", "message": "remove verify"}
    assert re.fullmatch(r"[0-9a-f]{20}", f["fingerprint"])
    assert doc["errors"] == []
    assert doc["stats"]["files"] == 1 and doc["stats"]["lines"] == 2
    assert isinstance(doc["stats"]["seconds"], float)


def test_formats_agree(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS)
    doc = cli.json("bot.py")
    f = doc["findings"][0]
    sarif = json.loads(cli("--format", "sarif", "--no-cache", "bot.py").stdout)
    (res,) = sarif["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert res["ruleId"] == f["rule"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f["path"]
    assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) \
        == (f["line"], f["column"], f["end_line"], f["end_column"])
    assert res["level"] == "error" and res["message"]["text"] == f["message"]
    gh = cli("--format", "github", "--no-cache", "bot.py").stdout.strip()
    assert gh.startswith("::error file=bot.py,line=2,col=19,endLine=2,endColumn=31,title=APS201")
    assert gh.endswith(f["message"])
    text = cli("--no-cache", "bot.py").stdout
    assert text.startswith(f"bot.py:2:19: APS201 [high] {f['message']}\n")


def test_jobs_do_not_change_output(cli, tmp_path) -> None:
    for i in range(30):
        write(tmp_path, f"pkg/m{i:02}.py", TLS * (i % 3 + 1))
    write(tmp_path, "pkg/broken.py", "import requests\nverify = (\n")
    one = cli("--format", "json", "--no-cache", "--jobs", "1", "pkg").stdout
    two = cli("--format", "json", "--no-cache", "--jobs", "2", "pkg").stdout
    strip = lambda s: {k: v for k, v in json.loads(s).items() if k != "stats"}  # noqa: E731
    assert strip(one) == strip(two)
    assert len(json.loads(one)["findings"]) == 61  # 60 TLS + 1 syntax error
    assert json.loads(one)["stats"]["files"] == json.loads(two)["stats"]["files"] == 31


def test_exit_codes(cli, tmp_path) -> None:
    write(tmp_path, "bad.py", TLS)
    write(tmp_path, "good.py", "import requests\nrequests.get(url, timeout=5)\n")
    assert cli("--no-cache", "good.py").exit_code == 0
    assert cli("--no-cache", "bad.py").exit_code == 1
    assert cli("--no-cache", "--exit-zero", "bad.py").exit_code == 0
    assert cli("--no-cache", "--fail-on", "high", "bad.py").exit_code == 1
    assert cli("--no-cache", "--ignore", "APS2", "bad.py").exit_code == 0
    missing = cli("--no-cache", "nope.py")
    assert missing.exit_code == 2 and "nope.py: no such file" in missing.stderr
    assert cli("--no-cache", "--select", "APS9X", "bad.py").exit_code == 2
    assert cli("--no-cache", "--select", "tls-verify-disabld", "bad.py").exit_code == 2
    assert cli("--format", "xml", "bad.py").exit_code == 2


def test_select_by_name_and_prefix(cli, tmp_path) -> None:
    write(tmp_path, "bad.py", TLS)
    assert cli.json("--select", "tls-verify-disabled", "bad.py")["findings"]
    assert cli.json("--select", "APS2", "bad.py")["findings"]
    assert not cli.json("--select", "APS1", "bad.py")["findings"]
    assert not cli.json("--ignore", "tls-verify-disabled", "bad.py")["findings"]
    # the more specific selector wins, as in ruff
    assert cli.json("--ignore", "APS2", "--extend-select", "APS201", "bad.py")["findings"]


def test_list_rules_and_explain(cli) -> None:
    listing = cli("--list-rules")
    assert listing.exit_code == 0
    assert re.search(r"^APS201\s+tls-verify-disabled\s+high", listing.stdout, re.M)
    explain = cli("--explain", "APS201")
    assert explain.exit_code == 0 and "## Why is this bad?" in explain.stdout
    assert "CWE-295" in explain.stdout
    assert cli("--explain", "tls-verify-disabled").stdout == explain.stdout
    bad = cli("--explain", "APS999")
    assert bad.exit_code == 2 and "unknown rule" in bad.stderr


def test_output_file_and_stats(cli, tmp_path) -> None:
    write(tmp_path, "bad.py", TLS)
    result = cli("--no-cache", "--format", "json", "--output", "out.json", "bad.py")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads((tmp_path / "out.json").read_text())["findings"][0]["rule"] == "APS201"
    stats = cli("--no-cache", "--stats", "bad.py").stdout
    assert "1  APS201  tls-verify-disabled" in stats


def test_real_subprocess_and_module_entry(cli, tmp_path) -> None:
    write(tmp_path, "bad.py", TLS)
    proc = cli.proc("--format", "json", "--no-cache", "bad.py")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["line"] == 2
    assert "Traceback" not in proc.stderr
    assert "\033[" not in cli.proc("--no-cache", "bad.py").stdout  # no colour off a TTY


def test_default_path_is_cwd(cli, tmp_path) -> None:
    write(tmp_path, "src/bad.py", TLS)
    doc = cli.json()
    assert [f["path"] for f in doc["findings"]] == ["src/bad.py"]

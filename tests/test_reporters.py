"""Reporters: SARIF valid against the official 2.1.0 schema, GitHub escaping, text."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import write

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"


def _sarif(cli, *paths: str) -> dict:
    result = cli("--format", "sarif", "--no-cache", *paths)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_sarif_validates_against_official_schema(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS + "# apisec: ignore\n")
    write(tmp_path, "broken.py", "import requests\nverify = (\n")
    doc = _sarif(cli, ".")
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"APS201", "APS001", "APS005"} <= set(rules)
    tls = rules["APS201"]
    assert "## Why is this bad?" in tls["help"]["markdown"]
    assert "external/cwe/cwe-295" in tls["properties"]["tags"]
    assert tls["defaultConfiguration"]["level"] == "error"
    for res in run["results"]:
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"]["apisecFingerprint/v1"]


def test_sarif_empty_run_is_valid(cli, tmp_path) -> None:
    write(tmp_path, "ok.py", "x = 1\n")
    doc = _sarif(cli, "ok.py")
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    assert doc["runs"][0]["results"] == []




def test_github_escapes_data_and_properties(cli, tmp_path) -> None:
    write(tmp_path, "we,ird:name.py", TLS)
    out = cli("--format", "github", "--no-cache", "we,ird:name.py").stdout
    assert out.startswith("::error file=we%2Cird%3Aname.py,line=2,")


def test_text_show_source_and_colour_off(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS)
    out = cli("--no-cache", "--show-source", "bot.py").stdout
    assert "    2 | requests.get(url, verify=False, timeout=5)" in out
    assert "^^^^^^^^^^^^" in out
    assert "\033[" not in out
    assert out.rstrip().endswith("Found 1 finding (1 high, 0 medium, 0 low) in 1 file.")


def test_sarif_carries_fixes_that_apply_like_fix(cli, tmp_path) -> None:
    source = ("import requests\n\n# fetch the ticker\n"
              "r = requests.get('https://api.binance.com/api/v3/ticker',\n"
              "                 verify=False,  # do not do this\n                 timeout=5)\n")
    write(tmp_path, "bot.py", source)
    doc = _sarif(cli, "bot.py")
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    [res] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "APS201"]
    [fix] = res["fixes"]
    assert "unsafe" in fix["description"]["text"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "bot.py"
    text = source
    for rep in sorted(change["replacements"], key=lambda r: -r["deletedRegion"]["charOffset"]):
        start = rep["deletedRegion"]["charOffset"]
        text = text[:start] + rep["insertedContent"]["text"] + \
            text[start + rep["deletedRegion"]["charLength"]:]
    assert "verify" not in text.replace("# do not do this", "")
    result = cli("--fix", "--unsafe-fixes", "--no-cache", "bot.py")
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "bot.py").read_text() == text

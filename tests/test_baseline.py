"""Baselines match by statement fingerprint with counts, never by line number."""

from __future__ import annotations

import json

from conftest import write

CALL = "requests.get(url, verify=False, timeout=5)\n"


def test_baseline_hides_known_and_survives_moves(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", "import requests\n" + CALL)
    result = cli("--no-cache", "--write-baseline", "base.json", ".")
    assert result.exit_code == 0
    base = json.loads((tmp_path / "base.json").read_text())
    assert base["entries"][0]["count"] == 1 and "line" not in base["entries"][0]
    assert cli.json("--baseline", "base.json", ".")["findings"] == []
    # code moves down: still matched
    write(tmp_path, "bot.py", "import requests\n\n\n# moved\n" + CALL)
    assert cli.json("--baseline", "base.json", ".")["findings"] == []
    assert cli("--no-cache", "--baseline", "base.json", ".").exit_code == 0


def test_a_second_copy_is_new(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", "import requests\n" + CALL)
    cli("--no-cache", "--write-baseline", "base.json", ".")
    write(tmp_path, "bot.py", "import requests\n" + CALL + CALL)
    found = cli.json("--baseline", "base.json", ".")["findings"]
    assert len(found) == 1 and found[0]["rule"] == "APS201"


def test_changed_statement_is_new(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", "import requests\n" + CALL)
    cli("--no-cache", "--write-baseline", "base.json", ".")
    write(tmp_path, "bot.py", "import requests\nrequests.post(url, verify=False, timeout=5)\n")
    assert len(cli.json("--baseline", "base.json", ".")["findings"]) == 1


def test_malformed_baseline_exits_2(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", "import requests\n" + CALL)
    for text in ("{", '{"version": 99, "entries": []}', '{"version": 1, "entries": [{}]}'):
        write(tmp_path, "base.json", text)
        result = cli("--no-cache", "--baseline", "base.json", ".")
        assert result.exit_code == 2 and "base.json" in result.stderr
    result = cli("--no-cache", "--baseline", "missing.json", ".")
    assert result.exit_code == 2 and "not found" in result.stderr

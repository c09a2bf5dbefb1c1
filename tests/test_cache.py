"""The result cache: warm runs reuse results, any input change invalidates them."""

from __future__ import annotations

import json
import stat

from conftest import write

TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"


def _run(cli, *args: str) -> tuple[dict, str]:
    result = cli("--format", "json", "--stats", *args)
    return json.loads(result.stdout), result.stderr


def test_warm_run_is_served_from_cache_and_identical(cli, tmp_path) -> None:
    for i in range(3):
        write(tmp_path, f"m{i}.py", TLS)
    cold, err = _run(cli, ".")
    assert "(0 from cache)" in err
    warm, err = _run(cli, ".")
    assert "(3 from cache)" in err
    assert cold["findings"] == warm["findings"]
    cache = tmp_path / ".apisec-lint-cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert (cache / "CACHEDIR.TAG").exists()
    # a changed file is re-analysed, the others are not
    write(tmp_path, "m0.py", "import requests\n\n" + TLS.split("\n", 1)[1])
    again, err = _run(cli, ".")
    assert "(2 from cache)" in err
    assert [f["line"] for f in again["findings"] if f["path"] == "m0.py"] == [3]


def test_config_change_invalidates(cli, tmp_path) -> None:
    write(tmp_path, "m.py", TLS)
    _run(cli, ".")
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\nseverity = { APS201 = "low" }\n')
    doc, err = _run(cli, ".")
    assert "(0 from cache)" in err and doc["findings"][0]["severity"] == "low"


def test_no_cache_writes_nothing_and_damaged_entries_are_misses(cli, tmp_path) -> None:
    write(tmp_path, "m.py", TLS)
    _run(cli, "--no-cache", ".")
    assert not (tmp_path / ".apisec-lint-cache").exists()
    _run(cli, ".")
    for entry in (tmp_path / ".apisec-lint-cache").rglob("*.json"):
        entry.write_text("{not json")
    doc, err = _run(cli, ".")
    assert "(0 from cache)" in err and doc["findings"][0]["rule"] == "APS201"

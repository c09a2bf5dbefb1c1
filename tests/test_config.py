"""Config discovery and validation: pyproject, .apisec-lint.toml, --config."""

from __future__ import annotations

from conftest import write

TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"


def test_pyproject_table_is_found_from_a_subfolder(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\nignore = ["APS201"]\n')
    write(tmp_path, "src/bot.py", TLS)
    assert cli.json("src")["findings"] == []
    assert cli.json("src/bot.py")["findings"] == []


def test_dotfile_when_no_pyproject_table(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, ".apisec-lint.toml", 'ignore = ["tls-verify-disabled"]\n')
    write(tmp_path, "bot.py", TLS)
    assert cli.json(".")["findings"] == []


def test_explicit_config_wins(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\nignore = ["APS201"]\n')
    write(tmp_path, "other.toml", 'fail-on = "high"\n')
    write(tmp_path, "bot.py", TLS)
    found = cli.json("--config", "other.toml", "bot.py")["findings"]
    assert [f["rule"] for f in found] == ["APS201"]


def test_misspelt_key_exits_2_and_names_it(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\nextend-selct = ["APS2"]\n')
    write(tmp_path, "bot.py", TLS)
    result = cli("bot.py")
    assert result.exit_code == 2
    assert "unknown key 'extend-selct'" in result.stderr
    assert "did you mean 'extend-select'" in result.stderr
    proc = cli.proc("bot.py")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_wrong_types_and_values_exit_2(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS)
    for body, needle in [
        ('select = "APS2"', "'select' must be list[str]"),
        ('fail-on = "critical"', "unknown severity"),
        ('select = ["APS2X"]', "unknown rule selector"),
        ('severity = { APS999 = "low" }', "unknown rule"),
        ("select = [", "invalid TOML"),
    ]:
        write(tmp_path, "pyproject.toml", "[tool.apisec-lint]\n" + body + "\n")
        result = cli("bot.py")
        assert result.exit_code == 2, body
        assert needle in result.stderr, (body, result.stderr)
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.apisec-lint]\nignore = ['\xff']\n")
    assert cli("bot.py").exit_code == 2


def test_missing_config_file_exits_2(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS)
    result = cli("--config", "nope.toml", "bot.py")
    assert result.exit_code == 2 and "nope.toml: config file not found" in result.stderr


def test_severity_override_and_fail_on(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml",
          '[tool.apisec-lint]\nfail-on = "medium"\n[tool.apisec-lint.severity]\nAPS201 = "low"\n')
    write(tmp_path, "bot.py", TLS)
    doc = cli.json("bot.py")
    assert doc["findings"][0]["severity"] == "low"
    assert cli("--no-cache", "bot.py").exit_code == 0  # low is below fail-on medium
    assert cli("--no-cache", "--fail-on", "low", "bot.py").exit_code == 1


def test_per_file_ignores_and_excludes(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", "\n".join([
        "[tool.apisec-lint]",
        'extend-exclude = ["generated/"]',
        "[tool.apisec-lint.per-file-ignores]",
        '"tests/*" = ["APS2"]',
    ]) + "\n")
    for name in ("src/bot.py", "tests/test_bot.py", "generated/x.py"):
        write(tmp_path, name, TLS)
    assert [f["path"] for f in cli.json(".")["findings"]] == ["src/bot.py"]


def test_user_pack_from_config(cli, tmp_path) -> None:
    write(tmp_path, "packs/acme.toml", """
        [pack]
        name = "acme"
        modules = ["acmehttp"]

        [[knobs]]
        topic = "tls-verify"
        calls = ["acmehttp.fetch"]
        param = "insecure_ok"
        bad = [true]
        message = "acmehttp TLS checks disabled"
    """)
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\npacks = ["packs/acme.toml"]\n')
    write(tmp_path, "bot.py", "import acmehttp\nacmehttp.fetch('https://x', insecure_ok=True)\n")
    (f,) = cli.json("bot.py")["findings"]
    assert (f["rule"], f["line"]) == ("APS201", 2) and "acmehttp" in f["message"]


def test_bad_user_pack_exits_2_naming_file_and_key(cli, tmp_path) -> None:
    write(tmp_path, "bad.toml",
          '[pack]\nname = "bad"\n[[knobs]]\ntopic = "tls-verify"\nparm = "x"\n')
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\npacks = ["bad.toml"]\n')
    write(tmp_path, "bot.py", TLS)
    result = cli("bot.py")
    assert result.exit_code == 2
    assert "bad.toml" in result.stderr and "unknown key 'parm'" in result.stderr
    assert "did you mean 'param'" in result.stderr
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\npacks = ["missing.toml"]\n')
    assert cli("bot.py").exit_code == 2


def test_non_utf8_config_files_exit_2_with_one_line_naming_the_file(cli, tmp_path) -> None:
    write(tmp_path, "bot.py", TLS)
    cases = [
        ("pyproject.toml", b"[tool.apisec-lint]\n# caf\xe9 (latin-1)\nignore = []\n",
         "pyproject.toml: config is not UTF-8 (byte 24)"),
        (".apisec-lint.toml", b"ignore = ['APS201']\nfail-on = 'l\xffw'\n",
         ".apisec-lint.toml: config is not UTF-8 (byte 32)"),
    ]
    for name, raw, needle in cases:
        for other in ("pyproject.toml", ".apisec-lint.toml"):
            (tmp_path / other).unlink(missing_ok=True)
        (tmp_path / name).write_bytes(raw)
        result = cli("bot.py")
        assert result.exit_code == 2, name
        assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    proc = cli.proc("bot.py")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith(".apisec-lint.toml: config is not UTF-8 (byte 32)")

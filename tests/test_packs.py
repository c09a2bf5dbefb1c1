"""Knowledge packs: schema validation, and loading from a non-editable install."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO, write

from apisec_lint.errors import PackError
from apisec_lint.packs import builtin_pack_texts, compile_pattern, load_knowledge, validate_pack


def test_builtin_packs_are_valid_and_cover_the_sdks() -> None:
    names = {origin for origin, _ in builtin_pack_texts()}
    for sdk in ("ccxt", "binance", "pybit", "okx", "kucoin", "http"):
        assert f"rules/{sdk}.toml" in names
    knowledge = load_knowledge()
    assert {"ccxt", "binance", "pybit", "okx", "kucoin"} <= knowledge.modules | {"binance"}
    assert knowledge.section("clients")


@pytest.mark.parametrize(("data", "needle"), [
    ({}, "missing the [pack] table"),
    ({"pack": {"name": "x"}, "clinets": []}, "unknown section 'clinets' (did you mean 'clients'?)"),
    ({"pack": {"name": "x"}, "clients": [{"sdk": "x"}]}, "missing required key 'match'"),
    ({"pack": {"name": "x"}, "clients": [{"sdk": "x", "match": "ccxt.*"}]},
     "clients[0].match: expected list[str]"),
    ({"pack": {"name": "x"}, "clients": [{"sdk": "x", "match": ["a"],
                                          "params": [{"name": "k", "role": "kee"}]}]},
     "params[0].role: 'kee' is not one of"),
    ({"pack": {"name": "x"}, "knobs": {"topic": "t"}}, "must be an array of tables"),
])
def test_bad_packs_name_the_file_and_key(data, needle) -> None:
    with pytest.raises(PackError) as err:
        validate_pack("rules/x.toml", data)
    assert needle in str(err.value) and "rules/x.toml" in str(err.value)


def test_bad_pack_files(tmp_path) -> None:
    (tmp_path / "a.toml").write_text("[pack\n")
    (tmp_path / "b.toml").write_bytes(b"[pack]\nname = '\xff'\n")
    for name, needle in (("a.toml", "invalid TOML"), ("b.toml", "not UTF-8"),
                         ("c.toml", "cannot read pack")):
        with pytest.raises(PackError, match=needle):
            load_knowledge([tmp_path / name])


def test_patterns() -> None:
    assert compile_pattern("ccxt.*").match("ccxt.binance")
    assert not compile_pattern("ccxt.*").match("ccxt.async_support.binance")
    assert compile_pattern("ccxt.**").match("ccxt.async_support.binance")
    assert compile_pattern("ccxt.[A-Z]*").match("ccxt.NetworkError")
    assert not compile_pattern("ccxt.[A-Z]*").match("ccxt.kraken")


def test_wheel_install_loads_packs(tmp_path: Path) -> None:
    """Packs ship inside the wheel: a non-editable install in a fresh venv finds them."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(REPO)], check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("apisec_lint-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "apisec_lint/rulepacks/ccxt.toml" in names
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    write(tmp_path, "work/bot.py", "import httpx\nhttpx.get('https://x', verify=False)\n")
    proc = subprocess.run([str(py), "-m", "apisec_lint", "--no-cache", "--format", "json", "."],
                          cwd=tmp_path / "work", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert '"rule": "APS201"' in proc.stdout
    listing = subprocess.run([str(py), "-m", "apisec_lint", "--list-rules"], capture_output=True,
                             text=True, timeout=120)
    assert "tls-verify-disabled" in listing.stdout


def test_compiled_packs_are_in_sync_with_the_toml() -> None:
    """rules/compiled.json must match the TOML packs (regenerate with
    ``python -m apisec_lint.packs``)."""
    from importlib import resources

    from apisec_lint.packs import COMPILED_NAME, compiled_builtin_json

    shipped = resources.files("apisec_lint.rulepacks").joinpath(COMPILED_NAME).read_text()
    assert shipped == compiled_builtin_json(), "run: python -m apisec_lint.packs"


def test_compiled_packs_give_the_same_knowledge_and_stale_ones_are_ignored() -> None:
    from apisec_lint import packs

    texts = packs.builtin_pack_texts()
    from_toml = packs.Knowledge([packs._load_one(o, b) for o, b in texts])
    compiled = packs._compiled_builtin(texts)
    assert compiled is not None
    assert packs.Knowledge(compiled).digest == from_toml.digest
    # an edited pack (its bytes no longer match the recorded digest) is parsed from TOML
    edited = [(o, b + b"\n# edited\n" if i == 0 else b) for i, (o, b) in enumerate(texts)]
    assert packs._compiled_builtin(edited) is None

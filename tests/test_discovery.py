"""File discovery: gitignore, default excludes, kinds, symlinks, order."""

from __future__ import annotations

import os

from conftest import write

TLS = "import requests\nrequests.get(url, verify=False, timeout=5)\n"


def _paths(doc: dict) -> list[str]:
    return sorted({f["path"] for f in doc["findings"]})


def test_gitignore_and_default_excludes(cli, tmp_path) -> None:
    write(tmp_path, ".gitignore", "ignored/\n*.gen.py\n")
    for name in ("app/bot.py", "ignored/bot.py", "app/x.gen.py", ".venv/lib/bot.py",
                 "venv/bot.py", "lib/site-packages/pkg/bot.py", "node_modules/x/bot.py",
                 "app/__pycache__/bot.py", "nested/.gitignore"):
        write(tmp_path, name, TLS if name.endswith(".py") else "local.py\n")
    write(tmp_path, "nested/local.py", TLS)
    write(tmp_path, "nested/kept.py", TLS)
    assert _paths(cli.json(".")) == ["app/bot.py", "nested/kept.py"]


def test_named_files_are_always_scanned_unless_force_exclude(cli, tmp_path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.apisec-lint]\nextend-exclude = ["fixtures/"]\n')
    write(tmp_path, ".gitignore", "ignored.py\n")
    write(tmp_path, "fixtures/bot.py", TLS)
    write(tmp_path, "ignored.py", TLS)
    assert _paths(cli.json("fixtures/bot.py", "ignored.py")) == ["fixtures/bot.py", "ignored.py"]
    assert _paths(cli.json("--force-exclude", "fixtures/bot.py", "ignored.py")) == []


def test_shebang_scripts_and_config_kinds(cli, tmp_path) -> None:
    write(tmp_path, "bin/trade", "#!/usr/bin/env python3\n" + TLS)
    write(tmp_path, "bin/notes", "#!/bin/sh\necho verify=False\n")
    write(tmp_path, "stubs.pyi", TLS)
    doc = cli.json(".")
    assert _paths(doc) == ["bin/trade"]
    from apisec_lint.discovery import kind_of
    from apisec_lint.types import FileKind

    assert kind_of(".env") is FileKind.ENV and kind_of("prod.env") is FileKind.ENV
    assert kind_of(".env.local") is FileKind.ENV
    assert kind_of("c.json") is FileKind.JSON and kind_of("c.yml") is FileKind.YAML
    assert kind_of("c.toml") is FileKind.TOML and kind_of("setup.cfg") is FileKind.INI
    assert kind_of("package-lock.json") is None and kind_of("README.md") is None


def test_symlink_loops_and_links_out_of_root(cli, tmp_path) -> None:
    root = tmp_path / "proj"
    write(root, "a/bot.py", TLS)
    os.symlink(root / "a", root / "a" / "loop")
    outside = tmp_path / "outside"
    write(outside, "evil.py", TLS)
    os.symlink(outside, root / "out")
    os.symlink(root / "missing", root / "dangling.py")
    cli.cwd = root
    doc = cli.json(".")
    assert _paths(doc) == ["a/bot.py"]


def test_order_is_deterministic(cli, tmp_path) -> None:
    for name in ("b/z.py", "a/y.py", "a/b/x.py", "c.py"):
        write(tmp_path, name, TLS)
    found = [f["path"] for f in cli.json(".")["findings"]]
    assert found == ["a/b/x.py", "a/y.py", "b/z.py", "c.py"]

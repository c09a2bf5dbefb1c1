"""Configuration: ``[tool.apisec-lint]`` in the nearest ``pyproject.toml``, else
``.apisec-lint.toml``, else ``--config FILE``; validated strictly. Declared key scopes
come from its ``keys`` table and/or a key-permission file (``keys-file``, default
``apisec-keys.toml`` next to the config), which must stay inside the config's folder.

An unknown key or a value of the wrong type is a :class:`ConfigError` naming the file,
the key and the closest valid key, so a typo never silently disables a check.
Keys are kebab-case (``extend-select``); snake_case spellings are accepted too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from apisec_lint._lazy import tomllib
from apisec_lint.errors import ConfigError
from apisec_lint.rule import Registry
from apisec_lint.types import Config, Severity

PYPROJECT = "pyproject.toml"
DOTFILE = ".apisec-lint.toml"
#: The key-permission file looked for next to the config (or in the current folder).
KEYS_FILE = "apisec-keys.toml"

# key -> expected type description
CORE_KEYS: dict[str, str] = {
    "select": "list[str]",
    "ignore": "list[str]",
    "extend-select": "list[str]",
    "exclude": "list[str]",
    "extend-exclude": "list[str]",
    "per-file-ignores": "table[list[str]]",
    "severity": "table[str]",
    "fail-on": "str",
    "packs": "list[str]",
    "respect-gitignore": "bool",
    "force-exclude": "bool",
    "file-timeout": "number",
    "max-file-size": "number",
    "keys": "table[list[str]]",
    "keys-file": "str",
    "fix": "bool",
    "unsafe-fixes": "bool",
}


def _norm(key: str) -> str:
    return key.replace("_", "-")


def _type_name(value: Any) -> str:
    return {bool: "bool", int: "integer", float: "number", str: "string", list: "list",
            dict: "table"}.get(type(value), type(value).__name__)


def _check(where: str, key: str, value: Any, expected: str) -> None:
    ok = True
    if expected == "list[str]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif expected == "str":
        ok = isinstance(value, str)
    elif expected == "bool":
        ok = isinstance(value, bool)
    elif expected == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "table[list[str]]":
        ok = isinstance(value, dict) and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values())
    elif expected == "table[str]":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    elif expected == "table":
        ok = isinstance(value, dict)
    elif expected == "list":
        ok = isinstance(value, list)
    if not ok:
        raise ConfigError(f"{where}: '{key}' must be {expected}, got {_type_name(value)}")


def _option_type(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, (int, float)):
        return "number"
    if isinstance(default, str):
        return "str"
    if isinstance(default, list):
        return "list"
    if isinstance(default, dict):
        return "table"
    return "any"


def rule_option_types(registry: Registry) -> dict[str, str]:
    out: dict[str, str] = {}
    for rule in registry.rules:
        for key, default in rule.options.items():
            out[_norm(key)] = _option_type(default)
    return out


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with [tool.apisec-lint], or .apisec-lint.toml."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in [start, *start.parents]:
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except OSError:
                data = {}
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{pyproject}: config is not UTF-8 (byte {exc.start})") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
            if "apisec-lint" in data.get("tool", {}):
                return pyproject
        dotfile = folder / DOTFILE
        if dotfile.is_file():
            return dotfile
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config is not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def read_table(path: Path) -> dict[str, Any]:
    data = _load_toml(path)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("apisec-lint")
        if table is None:
            raise ConfigError(f"{path}: no [tool.apisec-lint] table")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.apisec-lint] must be a table")
        return table
    # .apisec-lint.toml: top level, or a [tool.apisec-lint] table for symmetry
    if set(data) == {"tool"} and "apisec-lint" in data["tool"]:
        return data["tool"]["apisec-lint"]
    return data


def build_config(table: dict[str, Any], registry: Registry, *, source: str = "",
                 root: Path | None = None) -> Config:
    """Validate ``table`` (a [tool.apisec-lint] table) into a Config."""
    where = source or "config"
    options = rule_option_types(registry)
    known = {**CORE_KEYS, **options}
    config = Config(source=source, root=str(root or Path.cwd()))
    extras: list[tuple[str, Any]] = []
    rule_opts: list[tuple[str, Any]] = []
    keys: dict[str, Any] | None = None
    keys_file: str | None = None
    base = root or Path.cwd()
    for raw_key, value in table.items():
        key = _norm(raw_key)
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}: unknown key '{raw_key}'{hint}")
        expected = known[key]
        if expected != "any":
            _check(where, raw_key, value, expected)
        if key in ("select", "ignore", "extend-select"):
            registry.check_selectors(value)
            config = replace(config, **{key.replace("-", "_"): tuple(value)})
        elif key in ("exclude", "extend-exclude"):
            config = replace(config, **{key.replace("-", "_"): tuple(value)})
        elif key == "per-file-ignores":
            for sels in value.values():
                registry.check_selectors(sels)
            config = replace(config, per_file_ignores=tuple(
                (pattern, tuple(sels)) for pattern, sels in sorted(value.items())))
        elif key == "severity":
            pairs = []
            for sel, level in sorted(value.items()):
                try:
                    sev = Severity.parse(level)
                except ValueError as exc:
                    raise ConfigError(f"{where}: severity.{sel}: {exc}") from None
                rule = registry.lookup(sel)
                if rule is None:
                    raise ConfigError(f"{where}: severity: unknown rule '{sel}'")
                pairs.append((rule.code, sev))
            config = replace(config, severity=tuple(pairs))
        elif key == "fail-on":
            try:
                config = replace(config, fail_on=Severity.parse(value))
            except ValueError as exc:
                raise ConfigError(f"{where}: fail-on: {exc}") from None
        elif key == "packs":
            config = replace(config, packs=tuple(str((base / p).resolve()) for p in value))
        elif key == "respect-gitignore":
            config = replace(config, respect_gitignore=value)
        elif key == "force-exclude":
            config = replace(config, force_exclude=value)
        elif key in ("file-timeout", "max-file-size"):
            if value < 0:
                raise ConfigError(f"{where}: '{raw_key}' must not be negative")
            extras.append((key, float(value)))
        elif key in ("fix", "unsafe-fixes"):
            extras.append((key, value))
        elif key == "keys":
            keys = check_keys(where, value, "keys.")
        elif key == "keys-file":
            keys_file = value
        else:
            rule_opts.append((key, value))
    keys = _merge_keys(where, keys, _keys_file(where, keys_file, base))
    if keys is not None:
        rule_opts.append(("keys", keys))
    return replace(config, rule_options=tuple(sorted(rule_opts, key=lambda kv: kv[0])),
                   extras=tuple(extras))


def check_keys(where: str, table: Any, prefix: str = "") -> dict[str, list[str]]:
    """Validate declared key scopes: ``NAME = ["read", "trade:spot"]``; an unknown
    scope is an error (a typo must not silently widen or narrow a declaration)."""
    from apisec_lint.packs import SCOPE_NAMES

    if not isinstance(table, dict):
        raise ConfigError(f"{where}: '{prefix.rstrip('.') or 'keys'}' must be a table of "
                          f"NAME = [scopes], got {_type_name(table)}")
    for name, scopes in table.items():
        if not name.strip():
            raise ConfigError(f"{where}: {prefix}\"\": empty key name")
        if not isinstance(scopes, list) or not all(isinstance(x, str) for x in scopes):
            raise ConfigError(f"{where}: '{prefix}{name}' must be list[str], "
                              f"got {_type_name(scopes)}")
        for scope in scopes:
            low = scope.strip().lower()
            if low not in SCOPE_NAMES:
                import difflib

                close = difflib.get_close_matches(low, SCOPE_NAMES, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else \
                    f" (scopes: {', '.join(SCOPE_NAMES)})"
                raise ConfigError(f"{where}: '{prefix}{name}': unknown scope '{scope}'{hint}")
    return table


def _keys_file(where: str, value: str | None, base: Path) -> tuple[Path, dict[str, Any]] | None:
    """The key-permission file: ``keys-file`` if set, else ``apisec-keys.toml`` in the
    config's folder. It must resolve (symlinks followed) inside that folder: a config
    found in a scanned repository cannot make the tool read files outside it."""
    root = base.resolve()
    if value is None:
        path = base / KEYS_FILE
        if not path.is_file():
            return None
        shown = KEYS_FILE
    else:
        path = base / value
        shown = value
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise ConfigError(f"{where}: keys file '{shown}' is outside the project folder {root}")
    if not resolved.is_file():
        raise ConfigError(f"{where}: keys file '{shown}' not found")
    data = _load_toml(resolved)
    return resolved, check_keys(str(resolved), data)


def _merge_keys(where: str, keys: dict[str, Any] | None,
                found: tuple[Path, dict[str, Any]] | None) -> dict[str, Any] | None:
    if found is None:
        return keys
    path, extra = found
    both = sorted(set(keys or {}) & set(extra))
    if both:
        raise ConfigError(f"{path}: key '{both[0]}' is also declared in {where}")
    return {**(keys or {}), **extra}


def load_config(explicit: str | None, paths: Iterable[str], registry: Registry) -> Config:
    """The run's config: ``--config`` if given, else found next to the first path."""
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise ConfigError(f"{explicit}: config file not found")
    else:
        first = next(iter(paths), ".")
        path = find_config(Path(first)) if Path(first).exists() else find_config(Path.cwd())
        if path is None:
            if (Path.cwd() / KEYS_FILE).is_file():  # keys declared without a config file
                return build_config({}, registry, root=Path.cwd())
            return Config(root=str(Path.cwd()))
    table = read_table(path)
    return build_config(table, registry, source=str(path), root=path.resolve().parent)

"""The least-privilege report: ``apisec-lint --permissions PATHS``.

For every API key the code uses — named by its source: ``env:NAME``,
``config:<file or object>#<key path>``, or ``literal:`` plus the masked value — the
exchange, the SDK, the smallest permission set its calls need, and the call sites that
need each permission.

The work is split like the lint run: :func:`scan_file` analyses one file into a small
picklable :class:`FileKeyUses` (so it can run in worker processes), and
:func:`build_report` aggregates those across files. The renderers only format.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from apisec_lint.packs import PERMISSIONS, Knowledge
from apisec_lint.types import Config, FileKind

RANK = {p: i for i, p in enumerate(PERMISSIONS)}
_POOL_MIN_FILES = 12


@dataclass(frozen=True, order=True)
class KeyUse:
    """One call made with one key (or a client built with a key and never called:
    ``permission`` and ``call`` are then empty)."""

    credential: str
    exchange: str
    sdk: str
    path: str
    line: int
    permission: str = ""
    call: str = ""


@dataclass(frozen=True)
class FileKeyUses:
    """What one file contributes to the report."""

    path: str
    uses: tuple[KeyUse, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class CallSite:
    permission: str
    call: str
    path: str
    line: int


@dataclass(frozen=True)
class KeyReport:
    credential: str
    exchange: str
    sdk: str
    needs: tuple[str, ...]
    calls: tuple[CallSite, ...]
    declared: tuple[str, ...] | None = None  # from [tool.apisec-lint.keys], if any
    excess: tuple[str, ...] = ()  # declared but not needed
    missing: tuple[str, ...] = ()  # needed but not declared


@dataclass(frozen=True)
class PermissionReport:
    keys: tuple[KeyReport, ...]
    errors: tuple[tuple[str, str], ...] = ()
    files: int = 0


# --------------------------------------------------------------------------- per file

def scan_file(knowledge: Knowledge, config: Config, path: str, display: str,
              kind: FileKind, data: bytes | None = None) -> FileKeyUses:
    """The key uses of one file. Never raises for anything the file contains."""
    if kind is not FileKind.PYTHON:
        return FileKeyUses(display)
    from apisec_lint.pipeline import max_file_size

    limit = max_file_size(config)
    if data is None:
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size if limit else 0
                if size > limit:
                    return FileKeyUses(display, error="not analysed: over max-file-size")
                data = fh.read()
        except OSError as exc:
            return FileKeyUses(display, error=f"cannot read: {exc.strerror or exc}")
    low = data.lower()
    # A client exists only where an SDK module is imported: skip the parse otherwise.
    if not any(m.lower().encode() in low for m in knowledge.modules if m):
        return FileKeyUses(display)
    from apisec_lint.pipeline import decode

    text, err, _ = decode(data, kind)
    if text is None:
        return FileKeyUses(display, error=err)
    from apisec_lint._lazy import parse_module

    try:
        module = parse_module(text)
    except Exception as exc:  # syntax errors, deep nesting, libcst internals
        message = getattr(exc, "message", None) or type(exc).__name__
        return FileKeyUses(display, error=f"not analysed: {message}")
    try:
        return FileKeyUses(display, tuple(_uses(knowledge, config, display, text, module)))
    except RecursionError:
        return FileKeyUses(display, error="not analysed: file nested too deeply")


def _uses(knowledge: Knowledge, config: Config, display: str, text: str,
          module: Any) -> list[KeyUse]:
    from apisec_lint.analysis.keyuse import KeyUseAnalysis
    from apisec_lint.context import FileContext

    ctx = FileContext(display, FileKind.PYTHON, text, knowledge, config, module=module)
    result = ctx.analysis("keyuse", KeyUseAnalysis).result
    if not result.clients:
        return []
    used: set[int] = set()
    rows: list[tuple[Any, Any, str, str]] = []  # (node, client, permission, call)
    for use in result.uses:
        used.add(id(use.client.info.call))
        rows.append((use.call, use.client, use.permission, use.method))
    for client in result.clients:
        if id(client.info.call) not in used and client.credential:
            rows.append((client.info.call, client, "", ""))
    lines = _lines(module, [r[0] for r in rows])
    out = []
    for node, client, permission, call in rows:
        credential = client.credential
        if credential is None:
            if permission in ("", "read"):
                continue  # a public-data client: no key involved
            credential = "unknown"
        out.append(KeyUse(credential, client.info.exchange or "unknown", client.info.sdk,
                          display, lines.get(id(node), 0), permission, call))
    return sorted(set(out))


def _lines(module: Any, nodes: list[Any]) -> dict[int, int]:
    """Start lines of ``nodes``: positions are resolved only for files with uses."""
    if not nodes:
        return {}
    from libcst.metadata import MetadataWrapper, PositionProvider

    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = {}
    for node in nodes:
        pos = positions.get(node)
        out[id(node)] = pos.start.line if pos is not None else 0
    return out


# --------------------------------------------------------------------------- aggregate

def build_report(results: Iterable[FileKeyUses], declared: dict[str, Any] | None = None,
                 files: int | None = None) -> PermissionReport:
    """Aggregate per-file results: one entry per (credential, exchange, sdk)."""
    from apisec_lint.checks.permissions import covers, declared_for, unused_scopes

    groups: dict[tuple[str, str, str], list[KeyUse]] = {}
    errors: list[tuple[str, str]] = []
    count = 0
    for res in results:
        count += 1
        if res.error:
            errors.append((res.path, res.error))
        for use in res.uses:
            groups.setdefault((use.credential, use.exchange, use.sdk), []).append(use)
    keys = []
    for (credential, exchange, sdk), uses in sorted(groups.items()):
        calls = sorted({CallSite(u.permission, u.call, u.path, u.line)
                        for u in uses if u.permission},
                       key=lambda c: (c.path, c.line, c.call, RANK.get(c.permission, 0)))
        needs = tuple(sorted({c.permission for c in calls}, key=RANK.__getitem__))
        decl = declared_for((credential,), declared or {})
        if decl is None:
            keys.append(KeyReport(credential, exchange, sdk, needs, tuple(calls)))
            continue
        scopes = tuple(sorted(decl[1], key=RANK.__getitem__))
        missing = tuple(n for n in needs if not covers(decl[1], n))
        excess = tuple(unused_scopes((declared or {})[decl[0]], needs))
        keys.append(KeyReport(credential, exchange, sdk, needs, tuple(calls), scopes, excess,
                              missing))
    return PermissionReport(tuple(keys), tuple(sorted(errors)),
                            count if files is None else files)


# --------------------------------------------------------------------------- running

_STATE: tuple[Knowledge, Config] | None = None


def _work(job: tuple[str, str, str]) -> FileKeyUses:
    assert _STATE is not None
    path, display, kind = job
    return scan_file(_STATE[0], _STATE[1], path, display, FileKind(kind))


def run_permissions(paths: Sequence[str], config: Config, knowledge: Knowledge,
                    jobs: int | None = None) -> PermissionReport:
    """Discovery, then :func:`scan_file` on every Python file (in a process pool for
    larger trees), then :func:`build_report`."""
    from apisec_lint.discovery import Discovery

    discovery = Discovery(config.exclude, config.extend_exclude, config.respect_gitignore,
                          root=config.root)
    files, walk_errors = discovery.files(paths)
    todo = [(f.path, f.display, f.kind.value) for f in files if f.kind is FileKind.PYTHON]
    njobs = jobs or 1
    if jobs is None:
        from apisec_lint.engine import default_jobs

        njobs = default_jobs()
    if njobs > 1 and len(todo) >= _POOL_MIN_FILES:
        results = _pool(todo, knowledge, config, njobs)
    else:
        results = [scan_file(knowledge, config, p, d, FileKind(k)) for p, d, k in todo]
    results.extend(FileKeyUses(p, error=m) for p, m in walk_errors)
    return build_report(results, config.option("keys"), files=len(files))


def _pool(todo: list[tuple[str, str, str]], knowledge: Knowledge, config: Config,
          njobs: int) -> list[FileKeyUses]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _STATE
    _STATE = (knowledge, config)
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return [scan_file(knowledge, config, p, d, FileKind(k)) for p, d, k in todo]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=njobs, mp_context=ctx) as pool:
        return list(pool.map(_work, todo, chunksize=max(1, len(todo) // (njobs * 8) or 1)))


# --------------------------------------------------------------------------- renderers

def to_dict(report: PermissionReport, version: str) -> dict[str, Any]:
    keys = []
    for key in report.keys:
        item: dict[str, Any] = {
            "credential": key.credential, "exchange": key.exchange, "sdk": key.sdk,
            "needs": list(key.needs),
            "calls": [{"permission": c.permission, "call": c.call, "path": c.path,
                       "line": c.line} for c in key.calls],
        }
        if key.declared is not None:
            item["declared"] = list(key.declared)
            item["excess"] = list(key.excess)
            item["missing"] = list(key.missing)
        keys.append(item)
    out: dict[str, Any] = {"tool": {"name": "apisec-lint", "version": version}, "keys": keys}
    if report.errors:
        out["errors"] = [{"path": p, "message": m} for p, m in report.errors]
    return out


def render_json(report: PermissionReport, version: str) -> str:
    return json.dumps(to_dict(report, version), indent=2, ensure_ascii=False) + "\n"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def render_text(report: PermissionReport) -> str:
    """A summary table (one row per key), then each key's call sites."""
    if not report.keys:
        lines = [f"No exchange API keys found in {report.files} file(s)."]
    else:
        head = ["credential", "exchange", "sdk", "needs"]
        declared = any(k.declared is not None for k in report.keys)
        if declared:
            head += ["declared", "not needed", "missing"]
        rows = [head]
        for k in report.keys:
            row = [k.credential, k.exchange, k.sdk, ", ".join(k.needs) or "(no mapped calls)"]
            if declared:
                row += [", ".join(k.declared or ()) if k.declared is not None else "-",
                        ", ".join(k.excess) or "-", ", ".join(k.missing) or "-"]
            rows.append(row)
        lines = ["Least-privilege report: what each API key needs", "", *_table(rows)]
        union: dict[str, set[str]] = {}
        for k in report.keys:
            union.setdefault(k.credential, set()).update(k.needs)
        shared = [c for c in union if sum(k.credential == c for k in report.keys) > 1]
        for cred in shared:
            needs = ", ".join(sorted(union[cred], key=RANK.__getitem__))
            lines += ["", f"{cred} is used by several clients: that key needs {needs}."]
        for k in report.keys:
            if not k.calls:
                continue
            lines += ["", f"{k.credential} ({k.exchange}, {k.sdk})"]
            sites = [["permission", "call", "location"]]
            sites += [[c.permission, f"{c.call}()", f"{c.path}:{c.line}"] for c in k.calls]
            lines += ["  " + line for line in _table(sites)]
        if any(set(k.needs) & {"withdraw", "transfer"} for k in report.keys):
            lines += ["", "Keys that need withdraw or transfer can move funds: give them an IP "
                          "allow-list and keep them out of trading bots."]
    for path, message in report.errors:
        lines.append(f"{path}: {message}")
    return "\n".join(lines) + "\n"

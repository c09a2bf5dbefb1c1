"""The content-hash result cache in ``.apisec-lint-cache/``.

An entry's key covers everything that can change a file's findings: the file's bytes,
its reported path and kind, the tool version, the effective config, the rule set and
the pack contents. Entries are JSON (never pickle: a cache folder could be planted in
a scanned repository), written atomically, and their names are hex digests, so no
entry can point outside the cache folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from apisec_lint import __version__
from apisec_lint.types import Edit, FileError, FileResult, Finding, Fix, FlowStep, Severity, Span

CACHE_DIR = ".apisec-lint-cache"
_SCHEMA = 3  # 2: facts for the cross-file join; 3: findings carry their fix (edits)


def run_digest(*parts: str) -> str:
    h = hashlib.sha256()
    h.update(f"apisec-lint {__version__} cache {_SCHEMA}".encode())
    for part in parts:
        h.update(b"\0")
        h.update(part.encode())
    return h.hexdigest()


def _finding_to_dict(f: Finding) -> dict[str, Any]:
    d = asdict(f)
    d["severity"] = int(f.severity)
    return d


def _finding_from_dict(d: dict[str, Any]) -> Finding:
    return Finding(
        rule=d["rule"], name=d["name"], severity=Severity(d["severity"]), path=d["path"],
        span=Span(**d["span"]), message=d["message"], snippet_key=d["snippet_key"],
        statement_lines=tuple(d["statement_lines"]), fixable=d["fixable"],  # type: ignore[arg-type]
        flow=tuple(FlowStep(**s) for s in d["flow"]), fingerprint=d["fingerprint"],
        fix=_fix_from_dict(d.get("fix")))


def _fix_from_dict(d: dict[str, Any] | None) -> Fix | None:
    if d is None:
        return None
    return Fix(edits=tuple(Edit(int(e["start"]), int(e["end"]), str(e["content"]))
                           for e in d["edits"]),
               applicability=str(d["applicability"]), message=str(d["message"]),
               env=tuple(str(v) for v in d["env"]))


class Cache:
    def __init__(self, root: str | os.PathLike[str], digest: str) -> None:
        self.dir = Path(root) / CACHE_DIR
        self._dir_str = str(self.dir)
        self.digest = digest
        self._ready = False

    def key(self, display: str, kind: str, data: bytes) -> str:
        h = hashlib.sha256()
        h.update(self.digest.encode())
        h.update(b"\0" + display.encode() + b"\0" + kind.encode() + b"\0")
        h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> FileResult | None:
        try:
            # plain os.path and open: a warm run does this for every file
            with open(os.path.join(self._dir_str, key[:2], key + ".json"), "rb") as fh:
                d = json.loads(fh.read())
            return FileResult(
                path=d["path"], findings=tuple(_finding_from_dict(f) for f in d["findings"]),
                errors=tuple(FileError(**e) for e in d["errors"]), lines=d["lines"],
                facts=tuple(tuple(f) for f in d["facts"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a missing or damaged entry is a miss

    def _prepare(self) -> None:
        if self._ready:
            return
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tag = self.dir / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                           "# apisec-lint result cache; safe to delete.\n")
            (self.dir / ".gitignore").write_text("*\n")
        self._ready = True

    def put(self, key: str, result: FileResult) -> None:
        try:
            self._prepare()
            target = self._path(key)
            target.parent.mkdir(mode=0o700, exist_ok=True)
            payload = json.dumps({
                "path": result.path, "lines": result.lines,
                "findings": [_finding_to_dict(f) for f in result.findings],
                "errors": [asdict(e) for e in result.errors],
                "facts": [list(f) for f in result.facts]}, sort_keys=True)
            import tempfile  # only runs that write entries pay for it

            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only checkout still lints; it just does not cache

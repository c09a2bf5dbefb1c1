"""Baselines: accept today's findings, report only new ones.

Entries are keyed by rule, path and a fingerprint of the normalised source of the
finding's statement (never its line number), with a count. Moving code keeps it
matched; a second copy of a known finding exceeds the count and is reported as new
(bandit's set membership would hide it). The fingerprint is a hash, so a secret in the
statement never lands in the file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from apisec_lint import __version__
from apisec_lint.errors import BaselineError
from apisec_lint.types import Finding

VERSION = 1


def write_baseline(path: str, findings: list[Finding]) -> None:
    counts = Counter((f.rule, f.path, f.fingerprint) for f in findings)
    entries = [{"rule": r, "path": p, "fingerprint": fp, "count": n}
               for (r, p, fp), n in sorted(counts.items())]
    doc = {"version": VERSION, "tool": {"name": "apisec-lint", "version": __version__},
           "entries": entries}
    try:
        Path(path).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def load_baseline(path: str) -> Counter[tuple[str, str, str]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: baseline is not valid JSON (line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or \
            not isinstance(doc.get("entries"), list):
        raise BaselineError(f"{path}: not an apisec-lint baseline (version {VERSION} expected)")
    counts: Counter[tuple[str, str, str]] = Counter()
    for i, e in enumerate(doc["entries"]):
        try:
            key = (str(e["rule"]), str(e["path"]), str(e["fingerprint"]))
            n = int(e.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: malformed entry #{i}") from None
        counts[key] += max(n, 0)
    return counts


def filter_new(findings: list[Finding], baseline: Counter[tuple[str, str, str]]) -> list[Finding]:
    """Findings not covered by the baseline; each entry absorbs at most ``count``."""
    left = Counter(baseline)
    out = []
    for f in findings:
        key = (f.rule, f.path, f.fingerprint)
        if left[key] > 0:
            left[key] -= 1
        else:
            out.append(f)
    return out

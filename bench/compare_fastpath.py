"""Check that the prefilter fast path changes no finding.

    python bench/compare_fastpath.py ccxt /work/shared/corpus
    python bench/compare_fastpath.py --apisec "python -m apisec_lint" src/

For each target (a benchmark corpus name: freqtrade, ccxt, generated, precommit; or a
file or folder) the script runs ``apisec-lint --format json --no-cache`` twice on a
working copy, once as is and once with the diagnostic flag ``--no-prefilter`` (every rule
on every file, every file parsed), and compares the findings of the rule families APS1 to
APS5 as multisets of (rule, path, span, severity, message, fingerprint). It prints
"identical" or the differences, and exits 0 when every target is identical, 1 when one
differs, 2 when a run fails (or the CLI has no ``--no-prefilter``).

Diagnostics (APS0xx) and file errors are not compared: without the prefilter, files no
rule cares about are parsed too, so a syntax error in such a file is reported only then.
Differences in errors are printed as a note.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import corpora
from run import find_executable

FAMILIES = ("APS1", "APS2", "APS3", "APS4", "APS5")
Key = tuple[str, str, int, int, int, int, str, str, str]


class RunError(Exception):
    pass


def _key(f: dict[str, object]) -> Key:
    return (str(f.get("rule")), str(f.get("path")), int(f.get("line", 0)),  # type: ignore[arg-type]
            int(f.get("column", 0)), int(f.get("end_line", 0)),  # type: ignore[arg-type]
            int(f.get("end_column", 0)), str(f.get("severity")),  # type: ignore[arg-type]
            str(f.get("message")), str(f.get("fingerprint")))


def scan(apisec: list[str], workdir: Path, target: str, prefilter: bool,
         timeout: float) -> tuple[Counter[Key], list[str], float]:
    """(findings of APS1-5, error lines, seconds) of one run."""
    argv = [*apisec, "--format", "json", "--no-cache", *([] if prefilter else ["--no-prefilter"]),
            target]
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=workdir, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RunError(f"{shlex.join(argv)} took more than {timeout:.0f} s") from exc
    seconds = time.perf_counter() - start
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode == 2 and "--no-prefilter" in stderr:
        last = stderr.splitlines()[-1]
        raise RunError(f"this apisec-lint has no --no-prefilter flag yet: {last}")
    if done.returncode not in (0, 1):
        raise RunError(f"{shlex.join(argv)} exited {done.returncode}:\n{stderr[-2000:]}")
    try:
        doc = json.loads(done.stdout)
        raw = doc["findings"]
        errors = sorted(f"{e.get('path')}: {e.get('message')}" for e in doc.get("errors", []))
    except (ValueError, KeyError, TypeError) as exc:
        raise RunError(
            f"{shlex.join(argv)} printed no JSON report ({exc}):\n{stderr[-2000:]}") from exc
    found = Counter(_key(f) for f in raw
                    if str(f.get("family") or str(f.get("rule", ""))[:4]) in FAMILIES)
    return found, errors, seconds


def _fmt(k: Key) -> str:
    rule, path, line, col, end_line, end_col, severity, message, _ = k
    return f"{path}:{line}:{col}-{end_line}:{end_col} {rule} [{severity}] {message}"


def _stage(source: Path, base: Path) -> tuple[Path, str]:
    """A working copy of a folder or a single file: (working dir, target inside it)."""
    if source.is_dir():
        return corpora.stage(source, base / "work"), "src"
    src = base / "work" / "src"
    src.mkdir(parents=True)
    shutil.copy2(source, src / source.name)
    return src.parent, f"src/{source.name}"


def compare(apisec: list[str], name: str, source: Path, timeout: float, base: Path) -> bool:
    workdir, target = _stage(source, base)
    fast, fast_errors, fast_s = scan(apisec, workdir, target, True, timeout)
    slow, slow_errors, slow_s = scan(apisec, workdir, target, False, timeout)
    timing = f"{fast_s:.2f} s with the fast path, {slow_s:.2f} s without"
    if fast_errors != slow_errors:
        only_slow = sorted(set(slow_errors) - set(fast_errors))
        only_fast = sorted(set(fast_errors) - set(slow_errors))
        print(f"{name}: note: file errors differ ({len(only_slow)} only without the fast path,"
              f" {len(only_fast)} only with it)")
        for e in only_slow[:10]:
            print(f"    without: {e}")
        for e in only_fast[:10]:
            print(f"    with:    {e}")
    if fast == slow:
        print(f"{name}: identical ({sum(fast.values())} findings of APS1-5; {timing})")
        return True
    missing = slow - fast
    extra = fast - slow
    print(f"{name}: DIFFERENT ({timing})")
    if missing:
        print(f"  {sum(missing.values())} finding(s) lost by the fast path:")
        for k in sorted(missing.elements()):
            print(f"    - {_fmt(k)}")
    if extra:
        print(f"  {sum(extra.values())} finding(s) only with the fast path:")
        for k in sorted(extra.elements()):
            print(f"    + {_fmt(k)}")
    return False


def _target(spec: str, args: argparse.Namespace) -> tuple[str, Path]:
    """(label, folder or file to scan a copy of) for a target."""
    if spec in corpora.CORPORA and not Path(spec).exists():
        if spec == "precommit":
            return spec, corpora.precommit_corpus(args.cache)
        case = corpora.cases([spec], generated_files=args.generated_files, cache=args.cache,
                             log=lambda m: print(m, file=sys.stderr))[0]
        return case.corpus, case.source
    path = Path(spec).resolve()
    if path.exists():
        return spec, path
    raise RunError(f"{spec}: neither a corpus name ({', '.join(corpora.CORPORA)}) nor a path")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="+", metavar="TARGET",
                   help=f"a corpus name ({', '.join(corpora.CORPORA)}) or a file or folder")
    p.add_argument("--apisec", metavar="CMD", help="the apisec-lint command (default: found "
                   "in --tool-bin, on PATH, then beside this interpreter)")
    p.add_argument("--tool-bin", type=Path, metavar="DIR")
    p.add_argument("--generated-files", type=int, default=corpora.GENERATED_FILES)
    p.add_argument("--cache", type=Path, default=corpora.CACHE)
    p.add_argument("--timeout", type=float, default=3600.0)
    args = p.parse_args(argv)

    spec = shlex.split(args.apisec) if args.apisec else ["apisec-lint"]
    exe = find_executable(spec[0], args.tool_bin) if spec else None
    if exe is None:
        print(f"apisec-lint not found ({args.apisec or 'apisec-lint'})", file=sys.stderr)
        return 2
    apisec = [exe, *spec[1:]]
    identical = True
    try:
        for target in args.targets:
            name, source = _target(target, args)
            with tempfile.TemporaryDirectory(prefix="apisec-fastpath-") as tmp:
                identical &= compare(apisec, name, source, args.timeout, Path(tmp))
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())

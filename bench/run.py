"""Time apisec-lint against bandit, ruff and detect-secrets on the same files, in one run.

    python bench/run.py                      # all corpora, 3 runs each
    python bench/run.py --corpus freqtrade --runs 5
    python bench/run.py --quick              # CI smoke: 1 run, 1,000 generated files + pre-commit
    python bench/run.py --apisec "apisec-lint --jobs 1" --json results.json --markdown

Each command runs as its own process, from process start to exit (wall clock), a few
times in interleaved rounds so that drift of a noisy machine hits every tool alike. The
peak RSS is ``ru_maxrss`` from ``os.wait4``: the largest resident set of the process or
of any of its (waited-for) descendants, i.e. of the biggest single process of the tree,
not their sum. Commands are started by a small launcher (``spawner.py``) so that the
benchmark's own memory does not count. The number to read is each tool's median as a
ratio to bandit's median on the same corpus in the same run: absolute seconds move with
the machine, ratios much less.

Tools that are not installed are reported as such. apisec-lint is taken from
``--apisec`` or found like the others: in ``--tool-bin``, on PATH, then beside this
interpreter. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import corpora
from corpora import Case

OK_CODES = (0, 1)  # 1 is "found something" for every tool here
TOOL_FAMILIES = ("apisec", "bandit", "ruff", "detect-secrets")
CACHE_DIR = ".apisec-lint-cache"


# ---------------------------------------------------------------------------------------
# Measuring one process


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu_seconds: float
    rss_mb: float
    returncode: int


@dataclass
class Outcome:
    sample: Sample
    stdout: bytes
    stderr: bytes


def _maxrss_mb(maxrss: int) -> float:
    # kilobytes on Linux, bytes on macOS
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


class Spawner:
    """Runs commands through ``spawner.py``, a launcher process of a few MB, so that the
    benchmark's own memory does not show up in the commands' peak RSS (see there)."""

    def __init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="apisec-bench-io-"))
        # With PYTHONDONTWRITEBYTECODE set (some sandboxes and CI images set it), an
        # editable install recompiles its modules on every start (88 ms for apisec-lint)
        # while pip-installed tools have their .pyc: the tools run as on a user's machine.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).with_name("spawner.py"))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def measure(self, argv: list[str], cwd: Path, timeout: float) -> Outcome:
        """Run ``argv`` in ``cwd`` once: wall time, CPU time and peak RSS."""
        out, err = self._tmp / "stdout", self._tmp / "stderr"
        request = {"argv": argv, "cwd": str(cwd), "stdout": str(out), "stderr": str(err),
                   "timeout": timeout}
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        if not answer:
            raise RuntimeError("the launcher process (bench/spawner.py) died")
        a = json.loads(answer)
        sample = Sample(a["seconds"], a["cpu_seconds"], _maxrss_mb(a["maxrss"]),
                        a["returncode"])
        stderr = err.read_bytes()
        if a["timed_out"]:
            stderr += f"\ntimed out after {timeout:.0f} s".encode()
        return Outcome(sample, out.read_bytes(), stderr)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Spawner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------
# The tools


def find_executable(name: str, tool_bin: Path | None) -> str | None:
    if tool_bin is not None:
        found = shutil.which(name, path=str(tool_bin))
        if found:
            return found
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def _json_count(parse: Callable[[object], int]) -> Callable[[bytes], int]:
    def count(stdout: bytes) -> int:
        return parse(json.loads(stdout))
    return count


def _apisec_count(doc: object) -> int:
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ValueError("apisec-lint JSON output has no findings list")
    return len(doc["findings"])


def _ruff_count(doc: object) -> int:
    if not isinstance(doc, list):
        raise ValueError("ruff JSON output is not a list")
    return len(doc)


def _secrets_count(doc: object) -> int:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise ValueError("detect-secrets output has no results")
    return sum(len(v) for v in doc["results"].values())


def _bandit_count(doc: object) -> int:
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise ValueError("bandit JSON output has no results list")
    return len(doc["results"])


@dataclass
class Tool:
    """One row kind of the table. ``argv`` builds the command for a case; ``count`` reads
    the number of findings from stdout (a sanity check that the tool really ran)."""

    name: str
    family: str
    exe: list[str] | None  # None: not installed
    argv: Callable[[list[str], Case], list[str]]
    count: Callable[[bytes], int] | None = None
    mode: str = "plain"  # plain | warm | warm-1 (warm cache, one file changed)
    applies: Callable[[Case], bool] = lambda case: True


def _apisec_args(case: Case) -> list[str]:
    # The pre-commit case runs the hook's command line (text output); the rest emit JSON.
    return [] if case.single_file else ["--format", "json"]


def _apisec_counter(case: Case) -> Callable[[bytes], int] | None:
    return None if case.single_file else _json_count(_apisec_count)


def build_tools(apisec: list[str] | None, tool_bin: Path | None, families: set[str]) -> list[Tool]:
    bandit = find_executable("bandit", tool_bin)
    ruff = find_executable("ruff", tool_bin)
    secrets = find_executable("detect-secrets", tool_bin)
    tools = [
        Tool("apisec-lint cold", "apisec", apisec,
             lambda exe, c: [*exe, *_apisec_args(c), "--no-cache", c.target]),
        Tool("apisec-lint warm", "apisec", apisec,
             lambda exe, c: [*exe, *_apisec_args(c), c.target], mode="warm"),
        Tool("apisec-lint warm, 1 changed", "apisec", apisec,
             lambda exe, c: [*exe, *_apisec_args(c), c.target], mode="warm-1",
             applies=lambda c: not c.single_file),
        Tool("bandit", "bandit", [bandit] if bandit else None,
             lambda exe, c: [*exe, "-r", "-q", "-f", "json", "-o", "../bandit.json", c.target],
             count=None),
        Tool("ruff --select S", "ruff", [ruff] if ruff else None,
             lambda exe, c: [*exe, "check", "--isolated", "--select", "S", "--no-cache",
                             "--output-format", "json", c.target],
             count=_json_count(_ruff_count)),
        Tool("detect-secrets", "detect-secrets", [secrets] if secrets else None,
             lambda exe, c: [*exe, "scan", "--all-files", c.target],
             count=_json_count(_secrets_count)),
    ]
    return [t for t in tools if t.family in families]


def tool_version(exe: list[str]) -> str:
    try:
        done = subprocess.run([*exe, "--version"], capture_output=True, text=True, timeout=120,
                              check=False)
    except OSError as exc:
        return f"? ({exc})"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if done.returncode == 0 and text else "?"


# ---------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    corpus: str
    tool: str
    files: int
    lines: int
    command: str = ""
    status: str = "ok"  # ok | not installed | error: ...
    samples: list[Sample] = field(default_factory=list)
    findings: int | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.samples)

    @property
    def min(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.rss_mb for s in self.samples)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "corpus": self.corpus, "tool": self.tool, "files": self.files, "lines": self.lines,
            "command": self.command, "status": self.status, "findings": self.findings,
            "note": self.note, "samples": [asdict(s) for s in self.samples],
        }
        if self.ok:
            data.update(min_seconds=round(self.min, 4), median_seconds=round(self.median, 4),
                        cpu_seconds=round(self.cpu, 4), peak_rss_mb=round(self.rss, 1),
                        lines_per_second=round(self.lines / self.median, 1))
        return data


    @classmethod
    def from_json(cls, data: dict[str, object]) -> Result:
        samples = [Sample(**s) for s in data.get("samples", [])]  # type: ignore[arg-type]
        return cls(str(data["corpus"]), str(data["tool"]), int(data["files"]),  # type: ignore[arg-type]
                   int(data["lines"]), str(data.get("command", "")),  # type: ignore[arg-type]
                   str(data.get("status", "ok")), samples,
                   data.get("findings"), str(data.get("note", "")))  # type: ignore[arg-type]


def _stderr_tail(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:200] if lines else ""


class Runner:
    def __init__(self, spawner: Spawner, runs: int, timeout: float,
                 log: Callable[[str], None]) -> None:
        self.measure = spawner.measure
        self.runs = runs
        self.timeout = timeout
        self.log = log

    def _check(self, tool: Tool, case: Case, outcome: Outcome) -> tuple[str, int | None]:
        """(status, findings) of one finished run."""
        rc = outcome.sample.returncode
        if rc not in OK_CODES:
            return f"error: exit {rc}: {_stderr_tail(outcome.stderr)}", None
        if b"Traceback (most recent call last)" in outcome.stderr:
            return f"error: traceback: {_stderr_tail(outcome.stderr)}", None
        counter = _apisec_counter(case) if tool.family == "apisec" else tool.count
        if counter is None:
            return "ok", None
        try:
            return "ok", counter(outcome.stdout)
        except (ValueError, TypeError) as exc:
            return f"error: unreadable output ({exc}): {_stderr_tail(outcome.stderr)}", None

    def _run(self, tool: Tool, case: Case, result: Result, workdir: Path,
             argv: list[str], label: str) -> None:
        (workdir.parent / "bandit.json").unlink(missing_ok=True)
        outcome = self.measure(argv, workdir, self.timeout)
        status, findings = self._check(tool, case, outcome)
        if tool.family == "bandit" and status == "ok":
            try:
                findings = _bandit_count(json.loads((workdir.parent / "bandit.json").read_bytes()))
            except (OSError, ValueError) as exc:
                status = f"error: no bandit report ({exc})"
        if status != "ok":
            result.status = status
            self.log(f"  {case.corpus}: {tool.name}: {status}")
            return
        result.samples.append(outcome.sample)
        result.findings = findings
        self.log(f"  {case.corpus}: {label} {tool.name}: {outcome.sample.seconds:.3f} s, "
                 f"{outcome.sample.rss_mb:.0f} MB" + (f", {findings} findings"
                                                       if findings is not None else ""))

    def _fill_cache(self, tool: Tool, case: Case, workdir: Path, argv: list[str],
                    result: Result) -> None:
        outcome = self.measure(argv, workdir, self.timeout)
        status, _ = self._check(tool, case, outcome)
        if status != "ok":
            result.status = status
        elif not (workdir / CACHE_DIR).exists():
            result.note = f"no {CACHE_DIR}/ appeared in the working directory after a run"

    def run_case(self, case: Case, tools: list[Tool], base: Path) -> list[Result]:
        # workdir is base/<corpus>/work; bandit's report goes beside it, outside the tree
        workdir = corpora.stage(case.source, base / case.corpus / "work")
        active: list[tuple[Tool, Result, list[str]]] = []
        results: list[Result] = []
        changed = _median_file(workdir / "src") if not case.single_file else None
        for tool in tools:
            if not tool.applies(case):
                continue
            result = Result(case.corpus, tool.name, case.files, case.lines)
            results.append(result)
            if tool.exe is None:
                result.status = "not installed"
                continue
            argv = tool.argv(tool.exe, case)
            result.command = shlex.join(argv)
            if tool.mode == "warm-1" and changed is not None:
                result.note = f"changed file: {changed.relative_to(workdir).as_posix()}"
            active.append((tool, result, argv))
        for round_no in range(1, self.runs + 1):
            label = f"run {round_no}/{self.runs}"
            for tool, result, argv in active:
                if result.status != "ok":
                    continue
                if tool.mode in ("warm", "warm-1") and round_no == 1:
                    shutil.rmtree(workdir / CACHE_DIR, ignore_errors=True)
                    self._fill_cache(tool, case, workdir, argv, result)
                    if result.status != "ok":
                        continue
                if tool.mode == "warm-1" and changed is not None:
                    original = changed.read_bytes()
                    changed.write_bytes(original + f"\n# bench edit {round_no}\n".encode())
                    try:
                        self._run(tool, case, result, workdir, argv, label)
                    finally:
                        changed.write_bytes(original)
                    # put the unchanged file back into the cache for the next round
                    self._fill_cache(tool, case, workdir, argv, result)
                else:
                    self._run(tool, case, result, workdir, argv, label)
        return results


def _median_file(root: Path) -> Path | None:
    files = sorted(corpora.python_files(root), key=lambda p: (corpora.count_lines(p), str(p)))
    return files[len(files) // 2] if files else None


def prime(runner: Runner, tools: list[Tool], base: Path) -> None:
    """One untimed run of each tool on a tiny file: byte-compiles and pages in its code, so
    the first timed run of a tool is not penalised."""
    src = base / "prime" / "work" / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "tiny.py").write_text("import math\n\nprint(math.pi)\n", encoding="utf-8")
    case = Case("prime", src, "src", False, 1, 3)
    for tool in tools:
        if tool.exe is not None and tool.mode == "plain":
            runner.measure(tool.argv(tool.exe, case), src.parent, runner.timeout)
    runner.log("tools primed")


# ---------------------------------------------------------------------------------------
# Reporting


def machine_info() -> dict[str, object]:
    info: dict[str, object] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    if hasattr(os, "sched_getaffinity"):
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    if hasattr(os, "getloadavg"):
        # other work on the machine shows here, and makes absolute times meaningless
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return info


def _secs(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.2f}" if x < 100 else f"{x:.1f}"


def _ratio(x: float) -> str:
    return f"{x:.3f}x" if x < 0.095 else f"{x:.2f}x"


def table_rows(results: list[Result]) -> list[list[str]]:
    bandit = {r.corpus: r.median for r in results if r.tool == "bandit" and r.ok}
    rows = []
    for r in results:
        row = [r.corpus, r.tool, f"{r.files:,}", f"{r.lines:,}"]
        if r.ok:
            ratio = _ratio(r.median / bandit[r.corpus]) if r.corpus in bandit else "n/a"
            row += [_secs(r.min), _secs(r.median), f"{r.lines / r.median:,.0f}", _secs(r.cpu),
                    f"{r.rss:,.0f}", ratio]
        else:
            row += [r.status[:60], "", "", "", "", ""]
        rows.append(row)
    return rows


HEADERS = ["corpus", "tool", "files", "lines", "min s", "median s", "lines/s", "CPU s",
           "peak MB", "vs bandit"]


def format_table(results: list[Result], markdown: bool = False) -> str:
    rows = table_rows(results)
    if markdown:
        out = ["| " + " | ".join(HEADERS) + " |",
               "|" + "|".join("---" if i < 2 else "---:" for i in range(len(HEADERS))) + "|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADERS)]

    def fmt(row: list[str]) -> str:
        cells = [c.ljust(w) if i < 2 or (i == 4 and not row[5]) else c.rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(HEADERS), fmt(["-" * w for w in widths]), *map(fmt, rows)])


def _find(results: list[Result], corpus: str, tool: str) -> Result | None:
    for r in results:
        if r.corpus == corpus and r.tool == tool and r.ok:
            return r
    return None


def check_targets(results: list[Result]) -> list[dict[str, object]]:
    """The targets of issue #7 that this run can judge (median times)."""
    checks: list[dict[str, object]] = []

    def add(name: str, value: float, limit: float, unit: str) -> None:
        checks.append({"target": name, "value": round(value, 4), "limit": limit, "unit": unit,
                       "pass": value <= limit})

    corpora_seen = dict.fromkeys(r.corpus for r in results)
    for corpus in corpora_seen:
        cold = _find(results, corpus, "apisec-lint cold")
        bandit = _find(results, corpus, "bandit")
        warm = _find(results, corpus, "apisec-lint warm")
        warm1 = _find(results, corpus, "apisec-lint warm, 1 changed")
        if corpus in ("freqtrade", "ccxt") and cold and bandit:
            add(f"{corpus}: cold scan vs bandit", cold.median / bandit.median, 0.75, "x bandit")
        if corpus.startswith("precommit") or not (cold and warm):
            pass
        else:
            add(f"{corpus}: warm re-scan vs cold", warm.median / cold.median, 0.05, "x cold")
        if warm1:
            add(f"{corpus}: warm re-scan, one file changed", warm1.median, 1.0, "s")
        if corpus == "ccxt" and cold:
            add("ccxt: peak RSS of the largest process", cold.rss, 400.0, "MB")
        if corpus == "precommit-bot" and cold:
            add("pre-commit: one 300-line bot file", cold.median, 0.6, "s")
        if corpus == "precommit-clean" and cold:
            add("pre-commit: one file with nothing to find", cold.median, 0.15, "s")
    return checks


def format_targets(checks: list[dict[str, object]]) -> str:
    lines = []
    for c in checks:
        verdict = "PASS" if c["pass"] else "FAIL"
        lines.append(f"  {verdict}  {c['target']}: {c['value']:.3f} {c['unit']} "
                     f"(target <= {c['limit']} {c['unit']})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", action="append", choices=corpora.CORPORA,
                   help="a corpus to run (repeatable); default: all, or with --quick "
                        "generated and precommit")
    p.add_argument("--runs", type=int, help="timed runs per command (default 3, --quick 1)")
    p.add_argument("--quick", action="store_true",
                   help="CI smoke run: 1 run, 1,000 generated files and the pre-commit case")
    p.add_argument("--apisec", metavar="CMD",
                   help="the apisec-lint command, split like a shell would "
                        "(default: apisec-lint found like the other tools)")
    p.add_argument("--tool-bin", type=Path, metavar="DIR",
                   help="look for the tools in DIR before PATH")
    p.add_argument("--tools", default=",".join(TOOL_FAMILIES),
                   help=f"comma-separated subset of {','.join(TOOL_FAMILIES)}")
    p.add_argument("--generated-files", type=int,
                   help=f"size of the generated tree (default {corpora.GENERATED_FILES:,}, "
                        "--quick 1,000)")
    p.add_argument("--seed", type=int, default=corpora.GENERATED_SEED,
                   help="seed of the generated tree")
    p.add_argument("--cache", type=Path, default=corpora.CACHE,
                   help="where wheels and corpora are kept (default bench/.cache)")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per run")
    p.add_argument("--json", type=Path, metavar="OUT", help="also save the results as JSON")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--check-targets", action="store_true",
                   help="exit 1 when a target of issue #7 is missed")
    p.add_argument("--from-json", type=Path, metavar="FILE",
                   help="run nothing: print the table of results saved with --json")
    args = p.parse_args(argv)
    families = {t.strip() for t in args.tools.split(",") if t.strip()}
    if not families or not families <= set(TOOL_FAMILIES):
        p.error(f"--tools takes a subset of {','.join(TOOL_FAMILIES)}")
    args.families = families
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if args.generated_files is None:
        args.generated_files = 1000 if args.quick else corpora.GENERATED_FILES
    if not args.corpus:
        args.corpus = ["generated", "precommit"] if args.quick else list(corpora.CORPORA)
    return args


def _resolve_apisec(spec: str | None, tool_bin: Path | None) -> list[str] | None:
    if spec:
        argv = shlex.split(spec)
        exe = find_executable(argv[0], tool_bin) if argv else None
        if exe is None and argv and Path(argv[0]).is_file():
            exe = str(Path(argv[0]).resolve())
        return [exe, *argv[1:]] if exe else None
    exe = find_executable("apisec-lint", tool_bin)
    return [exe] if exe else None


def print_report(info: dict[str, object], runs: int, results: list[Result],
                 markdown: bool) -> list[dict[str, object]]:
    print(f"machine: {info.get('cpu')}, {info.get('nproc')} CPUs, "
          f"{info.get('memory_gb', '?')} GB; Python {info.get('python')}; {info.get('platform')}")
    if "load_average" in info:
        print(f"load average before / after the run: {info.get('load_average_before', '?')}"
              f" / {info['load_average']}")
    print(f"runs per command: {runs}; times are wall clock, process start to exit; "
          "'vs bandit' is the median over bandit's median")
    print()
    print(format_table(results, markdown=markdown))
    notes = [f"  {r.corpus} / {r.tool}: {r.note}" for r in results if r.note]
    if notes:
        print("\nnotes:\n" + "\n".join(notes))
    checks = check_targets(results)
    if checks:
        print("\ntargets (issue #7):\n" + format_targets(checks))
    return checks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        doc = json.loads(args.from_json.read_text(encoding="utf-8"))
        saved = [Result.from_json(r) for r in doc["results"]]
        checks = print_report(doc["machine"], doc["runs"], saved, args.markdown)
        return 1 if args.check_targets and any(not c["pass"] for c in checks) else 0

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    apisec = _resolve_apisec(args.apisec, args.tool_bin)
    tools = build_tools(apisec, args.tool_bin, args.families)
    versions = {}
    for tool in tools:
        if tool.exe is not None and tool.family not in versions:
            versions[tool.family] = {"command": shlex.join(tool.exe),
                                     "version": tool_version(tool.exe)}
    for family in sorted(args.families):
        v = versions.get(family)
        log(f"{family}: {v['command']} ({v['version']})" if v else f"{family}: not installed")

    try:
        cases = corpora.cases(args.corpus, generated_files=args.generated_files,
                              seed=args.seed, cache=args.cache, log=log)
    except RuntimeError as exc:
        log(f"error: {exc}")
        return 2
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load_before is not None and load_before[0] > 0.25 * (os.cpu_count() or 1):
        # Contention hurts the tools that use every core (apisec-lint, detect-secrets)
        # far more than single-process bandit: the ratios are then not comparable.
        log(f"warning: the machine is busy (load average {load_before[0]:.2f}); "
            "ratios of parallel tools to bandit will read too high")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="apisec-bench-") as tmp, Spawner() as spawner:
        runner = Runner(spawner, args.runs, args.timeout, log)
        base = Path(tmp)
        prime(runner, tools, base)
        for case in cases:
            log(f"{case.corpus}: {case.files:,} files, {case.lines:,} lines")
            results += runner.run_case(case, tools, base)
            shutil.rmtree(base / case.corpus, ignore_errors=True)

    info = machine_info()
    if load_before is not None:
        info["load_average_before"] = [round(x, 2) for x in load_before]
    checks = print_report(info, args.runs, results, args.markdown)
    if args.json:
        doc = {"machine": info, "runs": args.runs, "quick": args.quick, "tools": versions,
               "results": [r.to_json() for r in results], "targets": checks}
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        log(f"results saved to {args.json}")

    apisec_failed = "apisec" in args.families and (
        apisec is None or any(r.status != "ok" for r in results if r.tool.startswith("apisec")))
    targets_failed = args.check_targets and any(not c["pass"] for c in checks)
    return 1 if apisec_failed or targets_failed else 0


if __name__ == "__main__":
    sys.exit(main())

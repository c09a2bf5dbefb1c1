"""Schedules the work: discovery, cache lookups, the process pool, and the filters.

The only place that decides where a file is analysed. Small runs stay in-process
(process start-up would cost more than it saves); larger ones go to a process pool
fed largest files first. Results are sorted by path afterwards, so the output is the
same byte for byte whatever ``--jobs`` is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apisec_lint import baseline as baseline_mod
from apisec_lint import crossfile
from apisec_lint.cache import Cache, run_digest
from apisec_lint.discovery import Discovery, FileJob
from apisec_lint.packs import Knowledge
from apisec_lint.pipeline import Session, max_file_size, process_file
from apisec_lint.rule import Registry
from apisec_lint.types import Config, FileError, FileResult, Finding

# Below this many files to analyse, a pool costs more than it saves.
POOL_MIN_FILES = 12
# Files over this size are read in the worker, not shipped through the pipe.
_PIPE_LIMIT = 256 * 1024


@dataclass
class RunResult:
    findings: list[Finding]
    errors: list[FileError]
    files: int
    lines: int
    seconds: float
    cached: int = 0
    baselined: int = 0
    results: list[FileResult] = field(default_factory=list)
    # display path -> the file analysed (where ``--fix`` writes)
    jobs: dict[str, FileJob] = field(default_factory=dict)


_SESSION: Session | None = None


def _init_worker(config: Config, enabled: frozenset[str], prefilter: bool) -> None:
    global _SESSION
    if _SESSION is not None and _SESSION.config == config and _SESSION.enabled == enabled:
        return  # inherited through fork
    from apisec_lint.packs import load_knowledge

    registry = Registry.load()
    _SESSION = Session(registry, load_knowledge(config.packs), config, enabled, prefilter)


def _work(job: tuple[str, str, str]) -> FileResult:
    from apisec_lint.types import FileKind

    path, display, kind = job
    assert _SESSION is not None
    return _timed(_SESSION, path, display, FileKind(kind))


def _work_batch(jobs: list[tuple[str, str, str]]) -> list[FileResult]:
    return [_work(job) for job in jobs]


def _batches(sizes: list[int], njobs: int) -> list[list[int]]:
    """Indexes of ``sizes`` grouped into tasks for the pool, largest files first.

    One task per file costs a round trip each on trees of thousands of small files;
    fixed-size chunks of a largest-first list hand one worker all the big files. So
    tasks are filled up to an equal share of bytes (about 32 tasks per worker): a big
    file is a task of its own, small files travel together.
    """
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    target = max(1, sum(sizes) // (njobs * 32))
    batches: list[list[int]] = []
    current: list[int] = []
    weight = 0
    for i in order:
        current.append(i)
        weight += max(sizes[i], 1)
        if weight >= target:
            batches.append(current)
            current, weight = [], 0
    if current:
        batches.append(current)
    return batches


def _timed(session: Session, path: str, display: str, kind: Any,
           data: bytes | None = None) -> FileResult:
    """process_file under the per-file time budget (Unix: an interval timer)."""
    budget = float(session.config.extra("file-timeout", 20.0) or 0)
    import signal
    import threading

    use_timer = budget > 0 and hasattr(signal, "setitimer") and \
        threading.current_thread() is threading.main_thread()
    if not use_timer:
        return process_file(session, path, display, kind, data)

    class _Timeout(BaseException):  # passes through the pipeline's own handlers
        pass

    def _alarm(signum: int, frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return process_file(session, path, display, kind, data)
    except _Timeout:
        from apisec_lint.checks.diagnostics import FileTimeout
        from apisec_lint.pipeline import _diag

        finding = _diag(FileTimeout, display, 1, 1,
                        f"analysis took longer than {budget:g}s (file-timeout); file skipped")
        return FileResult(display, (finding,) if FileTimeout.code in session.enabled else ())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run(paths: Sequence[str], config: Config, registry: Registry, knowledge: Knowledge, *,
        enabled: frozenset[str], jobs: int | None = None, use_cache: bool = True,
        baseline: str | None = None, prefilter: bool = True,
        progress: Any = None) -> RunResult:
    start = time.perf_counter()
    discovery = Discovery(config.exclude, config.extend_exclude, config.respect_gitignore,
                          root=config.root, force_exclude=config.force_exclude)
    files, walk_errors = discovery.files(paths)
    errors = [FileError(p, m) for p, m in walk_errors]
    session = Session(registry, knowledge, config, enabled, prefilter)

    cache = None
    if use_cache:
        digest = run_digest(repr(config), repr(sorted(enabled)), knowledge.digest,
                            repr([(r.code, r.__module__, getattr(r, "version", "")) for r in
                                  registry.rules]), str(prefilter))
        cache = Cache(config.root, digest)

    results: dict[str, FileResult] = {}
    todo: list[tuple[FileJob, bytes | None, str | None]] = []
    cached = 0
    limit = max_file_size(config)
    for job in files:
        data = None
        key = None
        if cache is not None and not (limit and job.size > limit):  # too large: not read
            try:
                with open(job.path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                results[job.display] = FileResult(
                    job.display, errors=(FileError(job.display, f"cannot read: {exc.strerror}"),))
                continue
            key = cache.key(job.display, job.kind.value, data)
            hit = cache.get(key)
            if hit is not None:
                results[job.display] = hit
                cached += 1
                continue
        todo.append((job, data, key))

    njobs = jobs or default_jobs()
    if progress:
        progress.start(len(todo))
    if njobs > 1 and len(todo) >= POOL_MIN_FILES:
        fresh = _run_pool(todo, session, njobs, progress)
    else:
        fresh = []
        for job, data, _ in todo:
            fresh.append(_timed(session, job.path, job.display, job.kind, data))
            if progress:
                progress.advance(1)
    if progress:
        progress.done()
    for (job, _, key), result in zip(todo, fresh, strict=True):
        results[job.display] = result
        if cache is not None and key is not None and not result.errors:
            cache.put(key, result)
    crossfile.join(session, files, results)  # after the cache: its findings are not per file

    ordered = [results[d] for d in sorted(results)]
    findings = [f for r in ordered for f in r.findings]
    for r in ordered:
        errors.extend(r.errors)
    baselined = 0
    if baseline:
        counts = baseline_mod.load_baseline(baseline)
        kept = baseline_mod.filter_new(findings, counts)
        baselined = len(findings) - len(kept)
        findings = kept
    findings.sort(key=lambda f: f.sort_key)
    errors.sort(key=lambda e: (e.path, e.message))
    return RunResult(findings=findings, errors=errors, files=len(files),
                     lines=sum(r.lines for r in ordered),
                     seconds=time.perf_counter() - start, cached=cached, baselined=baselined,
                     results=ordered, jobs={job.display: job for job in files})


def _run_pool(todo: list[tuple[FileJob, bytes | None, str | None]], session: Session,
              njobs: int, progress: Any = None) -> list[FileResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # only runs that use the pool

    global _SESSION
    session.prepare()
    _SESSION = session  # inherited by forked workers: no re-loading of rules and packs
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    batches = _batches([todo[i][0].size for i in range(len(todo))], njobs)
    out: list[FileResult | None] = [None] * len(todo)
    with ProcessPoolExecutor(max_workers=njobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(session.config, session.enabled,
                                       session.prefilter)) as pool:
        work = [[(todo[i][0].path, todo[i][0].display, todo[i][0].kind.value) for i in batch]
                for batch in batches]
        for batch, results in zip(batches, pool.map(_work_batch, work), strict=True):
            for i, result in zip(batch, results, strict=True):
                out[i] = result
            if progress:
                progress.advance(len(batch))
    return [r for r in out if r is not None]


def iter_enabled(registry: Registry, config: Config,
                 extra_select: Iterable[str] = ()) -> frozenset[str]:
    return registry.select(config.select, config.ignore, [*config.extend_select, *extra_select])

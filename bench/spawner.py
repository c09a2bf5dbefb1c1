"""A small launcher that runs and measures the benchmark's commands (``run.py`` starts it).

Why a separate process: Linux carries the parent's resident set into a forked child's
``ru_maxrss`` (fork copies the RSS counters, and exec keeps the old image's high-water
mark), so a command started by the benchmark itself would report at least the
benchmark's own peak memory, which grows as it reads reports. This launcher stays at a
few MB (started with ``python -I -S``, standard library only) and forks every command
from there.

Protocol: one JSON request per line on stdin
``{"argv": [...], "cwd": "...", "stdout": "file", "stderr": "file", "timeout": s}``,
one JSON answer per line on stdout
``{"seconds", "cpu_seconds", "maxrss", "returncode", "timed_out"}`` where ``maxrss`` is
``ru_maxrss`` of ``os.wait4`` (KiB on Linux, bytes on macOS) and ``returncode`` is
negative for a signal, as in ``subprocess``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time


def run(req: dict) -> dict:
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    argv = req["argv"]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: own session (so a timeout kills its whole tree), then exec
        try:
            os.setsid()
            os.chdir(req["cwd"])
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execvp(argv[0], argv)
        except BaseException as exc:  # report anything, then leave
            os.write(2, f"spawner: cannot run {argv[0]}: {exc}\n".encode())
        os._exit(127)
    for fd in (out, err, null):
        os.close(fd)
    timed_out = False

    def on_alarm(signum: int, frame: object) -> None:
        nonlocal timed_out
        timed_out = True
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(req["timeout"]))
    try:
        _, status, usage = os.wait4(pid, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "maxrss": usage.ru_maxrss, "returncode": os.waitstatus_to_exitcode(status),
            "timed_out": timed_out}


def main() -> None:
    for line in sys.stdin:
        sys.stdout.write(json.dumps(run(json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

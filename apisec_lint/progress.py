"""A progress bar on stderr for long runs on a terminal.

Shown only when stderr is a TTY, the run has lasted more than a second, and neither CI
(``CI``) nor pre-commit (``PRE_COMMIT``) is running us: their logs stay clean.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DELAY = 1.0
INTERVAL = 0.1


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = 0
        self.count = 0
        self.started = 0.0
        self.last = 0.0
        self.shown = False

    @staticmethod
    def wanted(stream: TextIO | None = None) -> bool:
        stream = stream or sys.stderr
        if os.environ.get("CI") or os.environ.get("PRE_COMMIT"):
            return False
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def start(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()

    def advance(self, n: int) -> None:
        self.count += n
        now = time.monotonic()
        if now - self.started < DELAY or now - self.last < INTERVAL:
            return
        self.last = now
        self.shown = True
        width = 30
        filled = int(width * self.count / max(self.total, 1))
        self.stream.write(f"\r[{'=' * filled}{' ' * (width - filled)}] "
                          f"{self.count}/{self.total} files")
        self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()

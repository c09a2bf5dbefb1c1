"""The progress bar: only on a terminal, never in CI or pre-commit, after a delay."""

from __future__ import annotations

import io

from apisec_lint import progress as progress_mod
from apisec_lint.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_wanted_off_a_terminal_or_in_ci(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    assert not Progress.wanted(io.StringIO())
    assert Progress.wanted(_Tty())
    monkeypatch.setenv("CI", "true")
    assert not Progress.wanted(_Tty())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert not Progress.wanted(_Tty())


def test_draws_after_the_delay_and_clears(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: clock[0])
    out = _Tty()
    bar = Progress(out)
    bar.start(10)
    bar.advance(1)
    assert out.getvalue() == ""  # a short run shows nothing
    clock[0] += 2
    bar.advance(4)
    assert "5/10 files" in out.getvalue() and "[===============" in out.getvalue()
    bar.done()
    assert out.getvalue().endswith("\r")

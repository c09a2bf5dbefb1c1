"""Paths -> the files to scan, in a deterministic order.

Folders are walked with ``.gitignore`` files respected (pathspec, git's own wildmatch
rules), config ``exclude``/``extend-exclude`` applied, and virtualenvs,
``site-packages``, ``.git`` and caches skipped. Files named on the command line are
always scanned (when they are of a kind we scan). Symlinked folders are not followed
out of the scanned roots, and a symlink loop cannot trap the walk.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from apisec_lint.errors import UsageError
from apisec_lint.types import FileKind

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".env.d", "env", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".apisec-lint-cache", "node_modules",
    "site-packages", "dist-packages", "build", "dist", ".eggs", "*.egg-info", ".idea", ".vscode",
)

_CONFIG_SUFFIXES = {
    ".json": FileKind.JSON, ".yaml": FileKind.YAML, ".yml": FileKind.YAML,
    ".toml": FileKind.TOML, ".ini": FileKind.INI, ".cfg": FileKind.INI,
}
# Data files that are JSON/YAML by extension but never hold configuration.
_SKIP_NAMES = {"package-lock.json", "poetry.lock", "pnpm-lock.yaml", "composer.lock",
               "Pipfile.lock", "yarn.lock", ".pre-commit-hooks.yaml"}


def kind_of(name: str, head: bytes = b"") -> FileKind | None:
    """The file kind from its name (and first bytes, for shebang scripts)."""
    base = os.path.basename(name)
    lower = base.lower()
    if lower.endswith((".py", ".pyw", ".pyi")):
        return FileKind.PYTHON if not lower.endswith(".pyi") else None
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return FileKind.ENV
    if base in _SKIP_NAMES:
        return None
    suffix = os.path.splitext(lower)[1]
    if suffix in _CONFIG_SUFFIXES:
        return _CONFIG_SUFFIXES[suffix]
    if not suffix and head.startswith(b"#!") and b"python" in head.split(b"\n", 1)[0]:
        return FileKind.PYTHON
    return None


@dataclass(frozen=True)
class FileJob:
    path: str  # the path to open
    display: str  # the path to report, as the user gave it, posix separators
    kind: FileKind
    size: int


def _display(path: str) -> str:
    p = path.replace(os.sep, "/")
    while p.startswith("./"):
        p = p[2:]
    return p or "."


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(128)
    except OSError:
        return b""


class Discovery:
    def __init__(self, exclude: Iterable[str] = (), extend_exclude: Iterable[str] = (),
                 respect_gitignore: bool = True, root: str = ".",
                 force_exclude: bool = False) -> None:
        import pathspec

        self._pathspec = pathspec
        # As in ruff: ``exclude`` replaces the defaults, ``extend-exclude`` adds to them.
        patterns = list(exclude) or list(DEFAULT_EXCLUDES)
        patterns += list(extend_exclude)
        self.exclude = pathspec.GitIgnoreSpec.from_lines(patterns)
        self.respect_gitignore = respect_gitignore
        self.root = os.path.abspath(root)
        self.force_exclude = force_exclude

    def _relative(self, path: str) -> tuple[str, bool]:
        """(the path as the exclude patterns see it, is it inside the root?)"""
        try:
            relp = os.path.relpath(os.path.abspath(path), self.root)
        except ValueError:
            return _display(path), False
        if relp.startswith(".."):
            return _display(path), False
        return _display(relp), True

    def excluded(self, path: str, is_dir: bool, where: tuple[str, bool] | None = None) -> bool:
        """``where``: :meth:`_relative` of ``path`` when the caller already knows it."""
        rel, inside = where if where is not None else self._relative(path)
        slash = "/" if is_dir else ""
        if self.exclude.match_file(rel + slash):
            return True
        if inside:
            # gitignore semantics already matched every slash-less pattern against each
            # component of the relative path: the basename adds nothing
            return False
        return bool(self.exclude.match_file(os.path.basename(path) + slash))

    def files(self, paths: Iterable[str]) -> tuple[list[FileJob], list[tuple[str, str]]]:
        """(jobs, errors). Missing paths raise UsageError; unreadable folders are errors."""
        jobs: dict[str, FileJob] = {}
        errors: list[tuple[str, str]] = []
        for raw in paths:
            if not os.path.lexists(raw):
                raise UsageError(f"{raw}: no such file or directory")
            if os.path.isdir(raw):
                for job in self._walk(raw, errors):
                    jobs.setdefault(job.display, job)
            elif os.path.isfile(raw):
                kind = kind_of(raw, _head(raw))
                if kind is None:
                    continue  # not a kind we scan (pre-commit filters by name anyway)
                if self.force_exclude and (self.excluded(raw, False) or self._ignored_any(raw)):
                    continue
                try:
                    size = os.path.getsize(raw)
                except OSError:
                    size = 0
                jobs.setdefault(_display(raw), FileJob(raw, _display(raw), kind, size))
            elif os.path.islink(raw):
                errors.append((_display(raw), "broken symlink"))
            else:
                errors.append((_display(raw), "not a regular file"))
        ordered = sorted(jobs.values(), key=lambda j: j.display)
        return ordered, errors

    def _walk(self, top: str, errors: list[tuple[str, str]]) -> Iterator[FileJob]:
        top_real = os.path.realpath(top)
        seen_dirs: set[tuple[int, int]] = set()
        gitignores: list[tuple[str, object]] = []
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                st = os.stat(folder)
            except OSError as exc:
                errors.append((_display(folder), f"cannot read: {exc.strerror}"))
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            if self.respect_gitignore:
                gi = os.path.join(folder, ".gitignore")
                if os.path.isfile(gi):
                    try:
                        with open(gi, encoding="utf-8", errors="replace") as fh:
                            spec = self._pathspec.GitIgnoreSpec.from_lines(fh)
                        gitignores.append((os.path.abspath(folder), spec))
                    except OSError:
                        pass
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                errors.append((_display(folder), f"cannot read folder: {exc.strerror}"))
                continue
            subdirs = []
            # the folder's position against the root, once: entries only add their name
            folder_rel, inside = self._relative(folder)
            prefix = "" if not inside or folder_rel in (".", "") else folder_rel + "/"
            for entry in entries:
                path = os.path.join(folder, entry.name)
                where = (prefix + entry.name, True) if inside else None
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir()
                    is_file = entry.is_file()
                except OSError:
                    continue
                if is_dir:
                    if entry.name == ".git" or self.excluded(path, True, where) or \
                            self._ignored(path, True, gitignores):
                        continue
                    if is_link:
                        real = os.path.realpath(path)
                        if not (real == top_real or real.startswith(top_real + os.sep)):
                            continue  # never leave the scanned root through a link
                    subdirs.append(path)
                elif is_file:
                    kind = kind_of(entry.name, b"" if "." in entry.name else _head(path))
                    if kind is None:
                        continue
                    if self.excluded(path, False, where) or \
                            self._ignored(path, False, gitignores):
                        continue
                    if is_link:
                        real = os.path.realpath(path)
                        if not (real == top_real or real.startswith(top_real + os.sep)):
                            continue
                    try:
                        size = entry.stat().st_size
                    except OSError:
                        size = 0
                    yield FileJob(path, _display(path), kind, size)
            stack.extend(reversed(subdirs))

    def _ignored_any(self, path: str) -> bool:
        """Is ``path`` gitignored by a .gitignore between the root and its folder?"""
        if not self.respect_gitignore:
            return False
        ap = os.path.abspath(path)
        if not ap.startswith(self.root + os.sep):
            return False
        specs: list[tuple[str, object]] = []
        folder = self.root
        for part in os.path.relpath(os.path.dirname(ap), self.root).split(os.sep):
            if part not in ("", "."):
                folder = os.path.join(folder, part)
            gi = os.path.join(folder, ".gitignore")
            if os.path.isfile(gi):
                try:
                    with open(gi, encoding="utf-8", errors="replace") as fh:
                        specs.append((folder, self._pathspec.GitIgnoreSpec.from_lines(fh)))
                except OSError:
                    pass
        return self._ignored(path, False, specs)

    @staticmethod
    def _ignored(path: str, is_dir: bool, gitignores: list[tuple[str, object]]) -> bool:
        ap = os.path.abspath(path)
        ignored = False
        for base, spec in gitignores:
            if ap == base or not ap.startswith(base + os.sep):
                continue
            rel = os.path.relpath(ap, base).replace(os.sep, "/")
            if is_dir:
                rel += "/"
            if spec.match_file(rel):  # type: ignore[attr-defined]
                ignored = True
        return ignored


def find_root(start: Path) -> Path:
    """The folder holding the nearest ``pyproject.toml`` / ``.git``, else ``start``."""
    for folder in [start, *start.parents]:
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder
    return start

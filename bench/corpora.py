"""The benchmark corpora: fetched, generated and cached under ``bench/.cache/``.

* ``freqtrade`` and ``ccxt``: the ``.py`` files of a pinned wheel from PyPI, fetched with
  ``pip download`` (the ordinary client) and unpacked once;
* ``generated``: a seeded tree of bot modules (see ``botgen.py``);
* ``precommit``: two single files, a 300-line bot and a 300-line module of pure maths,
  run one at a time as a pre-commit hook would.

Every tool is run on a fresh working copy of a corpus (``stage``) in a temporary folder
outside this repository: the project's own ``pyproject.toml`` excludes ``bench/.cache``,
and a result cache written during the run must not land in the corpus.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import botgen

CACHE = Path(__file__).resolve().parent / ".cache"

WHEELS: dict[str, tuple[str, str]] = {
    # corpus name: (distribution, pinned version)
    "freqtrade": ("freqtrade", "2026.9"),
    "ccxt": ("ccxt", "4.5.90"),
}
CORPORA = ("freqtrade", "ccxt", "generated", "precommit")
GENERATED_FILES = 10_000
GENERATED_SEED = 7


@dataclass(frozen=True)
class Case:
    """One thing to time: ``target`` (a path relative to the working copy's root) inside a
    corpus folder ``source`` that gets copied to the working copy."""

    corpus: str
    source: Path
    target: str
    single_file: bool
    files: int
    lines: int


def count_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def _pip() -> list[str]:
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    pip = shutil.which("pip") or shutil.which("pip3")
    if pip is None:
        raise RuntimeError("pip is needed to fetch the wheel corpora and was not found")
    return [pip]


def _fetch_wheel(dist: str, version: str, cache: Path, log: Callable[[str], None]) -> Path:
    wheels = cache / "wheels"
    found = sorted(wheels.glob(f"{dist}-{version}-*.whl"))
    if found:
        return found[0]
    wheels.mkdir(parents=True, exist_ok=True)
    log(f"downloading {dist}=={version} from PyPI ...")
    cmd = [*_pip(), "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           "-q", f"{dist}=={version}", "-d", str(wheels)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = sorted(wheels.glob(f"{dist}-{version}-*.whl"))
    if done.returncode != 0 or not found:
        raise RuntimeError(f"pip download {dist}=={version} failed:\n{done.stderr.strip()}")
    return found[0]


def _unpack_python(wheel: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.namelist():
            rel = PurePosixPath(member)
            if rel.suffix != ".py" or rel.is_absolute() or ".." in rel.parts:
                continue
            out = tmp.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(member))
    tmp.rename(dest)


def wheel_corpus(name: str, cache: Path, log: Callable[[str], None]) -> Path:
    dist, version = WHEELS[name]
    dest = cache / "corpora" / f"{dist}-{version}"
    if not dest.is_dir():
        _unpack_python(_fetch_wheel(dist, version, cache, log), dest)
    return dest


def generated_corpus(files: int, seed: int, cache: Path, log: Callable[[str], None]) -> Path:
    dest = cache / "corpora" / f"generated-{files}-s{seed}-v{botgen.GENERATOR_VERSION}"
    if not dest.is_dir():
        log(f"generating {files} bot modules (seed {seed}) ...")
        tmp = dest.with_name(dest.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        botgen.generate_tree(tmp, files, seed)
        tmp.rename(dest)
    return dest


def precommit_corpus(cache: Path) -> Path:
    dest = cache / "corpora" / f"precommit-v{botgen.GENERATOR_VERSION}"
    if not dest.is_dir():
        tmp = dest.with_name(dest.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "bot.py").write_text(botgen.precommit_bot(), encoding="utf-8")
        (tmp / "clean_math.py").write_text(botgen.precommit_clean(), encoding="utf-8")
        tmp.rename(dest)
    return dest


def _tree_case(corpus: str, source: Path) -> Case:
    files = python_files(source)
    return Case(corpus, source, "src", False, len(files), sum(count_lines(p) for p in files))


def cases(
    names: list[str],
    *,
    generated_files: int = GENERATED_FILES,
    seed: int = GENERATED_SEED,
    cache: Path = CACHE,
    log: Callable[[str], None] = print,
) -> list[Case]:
    """The cases for the corpora ``names``, fetching or generating what is missing."""
    out: list[Case] = []
    for name in names:
        if name in WHEELS:
            out.append(_tree_case(name, wheel_corpus(name, cache, log)))
        elif name == "generated":
            source = generated_corpus(generated_files, seed, cache, log)
            out.append(_tree_case(f"generated-{generated_files}", source))
        elif name == "precommit":
            source = precommit_corpus(cache)
            for file, label in (("bot.py", "precommit-bot"), ("clean_math.py", "precommit-clean")):
                out.append(Case(label, source, f"src/{file}", True, 1,
                                count_lines(source / file)))
        else:
            raise ValueError(f"unknown corpus {name!r} (known: {', '.join(CORPORA)})")
    return out


def stage(source: Path, workdir: Path) -> Path:
    """A fresh copy of ``source`` at ``workdir/src``; returns ``workdir``."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    shutil.copytree(source, workdir / "src")
    return workdir

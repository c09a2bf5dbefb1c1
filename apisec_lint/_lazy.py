"""Lazy imports of the heavy dependencies.

``import libcst`` costs a noticeable part of a pre-commit run. Rule modules import
libcst through this module so that a run whose files cannot trigger any rule never
pays for it: the real import happens on the first attribute access.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from types import ModuleType
from typing import Any


def lazy_import(name: str) -> ModuleType:
    """Return ``name`` as a module that is only executed when first used."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - a broken install
        return importlib.import_module(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


cst = lazy_import("libcst")
# tomllib (tomli before 3.11) is pure Python: imported when a TOML file is first read
tomllib = lazy_import("tomllib" if sys.version_info >= (3, 11) else "tomli")


def parse_module(text: str) -> object:
    """``libcst.parse_module`` without re-validating every node the parser builds.

    libcst validates each node in ``CSTNode.__post_init__``; that guards trees built by
    hand, but the parser's own output is valid by construction, and the checks cost a
    third of the parse. The hook is switched off for the duration of the parse only
    (trees built later, e.g. by fixes, are validated as usual), and only when it is the
    plain ``self._validate()`` call this was written against.
    """
    base = cst.CSTNode
    original = base.__dict__.get("__post_init__")
    if original is None or getattr(original, "__code__", None) is None or \
            original.__code__.co_names != ("_validate",):
        return cst.parse_module(text)
    base.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        base.__post_init__ = original  # type: ignore[method-assign]


def _no_validation(self: object) -> None:
    return None


class LazyPattern:
    """``re.compile(pattern, flags)`` done on first use.

    Modules that only some files need (config-file formats, secret shapes) hold a few
    dozen regexes; compiling them all at import cost every run, including the ones whose
    files never reach them. Attribute access is delegated to the compiled pattern.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[Any] | None = None

    @property
    def compiled(self) -> re.Pattern[Any]:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled, name)


def lazy_re(pattern: str | bytes, flags: int = 0) -> Any:
    """A :class:`LazyPattern` (typed ``Any`` so call sites read like ``re.Pattern``)."""
    return LazyPattern(pattern, flags)

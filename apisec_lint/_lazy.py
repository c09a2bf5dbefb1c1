"""Lazy imports of the heavy dependencies.

``import libcst`` costs a noticeable part of a pre-commit run. Rule modules import
libcst through this module so that a run whose files cannot trigger any rule never
pays for it: the real import happens on the first attribute access.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


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

"""apisec-lint: a static security linter for code that trades through crypto-exchange APIs."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]

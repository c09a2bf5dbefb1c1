"""Secret values: masking for every output format.

No output ever prints a full secret: reporters, baseline and cache only ever see what
:func:`mask` returns.
"""

from __future__ import annotations


def mask(value: str) -> str:
    """``"AbCd…(64 chars)"``: at most the first 4 characters and the length.

    Short values (under 12 characters) show only their first character, so a short
    password is not mostly revealed."""
    shown = value[:4] if len(value) >= 12 else value[:1]
    return f"{shown}…({len(value)} chars)"

"""Errors the user can cause. The CLI catches them in one place and exits 2."""

from __future__ import annotations


class UsageError(Exception):
    """A mistake in the command line, a config file, a pack or a baseline.

    The message is printed as is, on one line, so it must name the file and key.
    """


class ConfigError(UsageError):
    """A config file is malformed, has an unknown key or a value of the wrong type."""


class PackError(UsageError):
    """A knowledge pack is malformed."""


class BaselineError(UsageError):
    """A baseline file cannot be read."""

"""The host log (capability ``log``): lines carry the request id and the area id.

A line is truncated to 4 KiB. Without the capability a line is refused
like any other call.
"""

from __future__ import annotations

import enum

from . import _host


class Level(enum.Enum):
    """Severity of a log line."""

    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


def write(level: Level, message: str) -> None:
    """Writes one line at ``level``."""
    _host.call("log", "write", level, message)


def debug(message: str) -> None:
    """A line for the area's developer."""
    write(Level.DEBUG, message)


def info(message: str) -> None:
    """Normal operation."""
    write(Level.INFO, message)


def warn(message: str) -> None:
    """Something unexpected that the area handled."""
    write(Level.WARN, message)


def error(message: str) -> None:
    """A failure."""
    write(Level.ERROR, message)

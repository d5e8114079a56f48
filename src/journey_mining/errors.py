"""The project's own exception types.

Every error a user can cause (bad config, missing file, unusable source) is a
:class:`JourneyError`; the CLI prints its message as one line and exits non-zero.
"""

__all__ = ["JourneyError", "ConfigError", "SourceError", "OutputError", "one_line"]


class JourneyError(Exception):
    """Base class: a problem the user can fix; the message is one human-readable line."""


class ConfigError(JourneyError):
    """The config file is missing, unreadable or invalid."""


class SourceError(JourneyError):
    """A source cannot be used at all (no files match, unknown format, unreadable file)."""


class OutputError(JourneyError):
    """An output cannot be written (read-only or missing folder, disk full, permission), or a
    resource the run needs is exhausted (memory)."""


def one_line(e: BaseException | str, limit: int = 300) -> str:
    """An error message folded to one line of at most ``limit`` characters."""
    return " ".join(str(e).split())[:limit]

"""Errors and warnings raised by landplan.

Every error derives from :class:`LandplanError` and, where it fits, from a builtin
(``ValueError``, ``OSError``...) so that callers can catch either. Messages say what
arrived, what was expected and how to fix it.
"""

from __future__ import annotations

import re

__all__ = [
    "CRSError",
    "ConfigError",
    "GeometryRepairedWarning",
    "InputError",
    "LandplanError",
    "LayerReadError",
    "OutputExistsError",
    "RulePackError",
    "ValidationError",
    "redact",
]

#: a password in a database URL (``scheme://user:PASSWORD@host``) or a libpq keyword string
_SECRETS = re.compile(
    r"(?P<url>\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)[^\s/'\"]*(?=@)|(?P<kw>\bpassword\s*=\s*)('[^']*'|[^\s'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every password in a URL or a ``password=...`` setting replaced by ``***``.

    Parameters
    ----------
    text : str
        Any text that may carry a connection string (a message, a path, a log line).

    Returns
    -------
    str
        The same text; ``postgresql://user:secret@host/db`` becomes ``postgresql://user:***@host/db``.
    """
    return _SECRETS.sub(lambda m: (m.group("url") or m.group("kw")) + "***", text)


class LandplanError(Exception):
    """Root of every landplan error.

    Text arguments are passed through :func:`redact`: a password in a connection string
    never reaches a message, a traceback or a log.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class InputError(LandplanError, ValueError):
    """Bad input from the user: a file, a layer, a field or a setting (CLI exit code 2)."""


class ConfigError(InputError):
    """The scenario file is wrong; the message names the file and the field path."""


class RulePackError(InputError):
    """A rule pack is missing, malformed or lacks a value the scenario asks for."""


class LayerReadError(InputError, OSError):
    """A layer cannot be read or its content is unusable as given."""


class CRSError(InputError):
    """Missing or unusable CRS where metres are required."""


class ValidationError(InputError):
    """One or more layers violate expectations; the message lists every problem."""


class OutputExistsError(InputError, FileExistsError):
    """An output would overwrite an existing file or one of the inputs."""


class GeometryRepairedWarning(UserWarning):
    """Invalid geometries were repaired with ``shapely.make_valid``."""

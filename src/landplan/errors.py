"""Errors and warnings raised by landplan.

Every error derives from :class:`LandplanError` and, where it fits, from a builtin
(``ValueError``, ``OSError``...) so that callers can catch either. Messages say what
arrived, what was expected and how to fix it.
"""

from __future__ import annotations

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
]


class LandplanError(Exception):
    """Root of every landplan error."""


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

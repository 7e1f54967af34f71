"""One check for every number that enters landplan through a public function.

Scenario fields are checked by pydantic (strict numbers, no ``inf``/``nan``; see
:mod:`landplan.config`); arguments of public functions go through :func:`check_number`,
which raises :class:`~landplan.errors.InputError` naming the argument.
"""

from __future__ import annotations

import math
import numbers

from landplan.errors import InputError

__all__ = ["check_number"]


def check_number(
    value: object,
    name: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> float:
    """Return ``value`` as a finite float within the given bounds.

    Parameters
    ----------
    value
        The argument as given (``bool`` and strings are refused: no silent coercion).
    name
        Argument name for the message (``"radius_m"``).
    gt, ge, lt, le
        Optional bounds: greater than, greater or equal, less than, less or equal.

    Returns
    -------
    float

    Raises
    ------
    InputError
        If ``value`` is not a real number, is ``nan``/``inf``, or is out of bounds.

    Examples
    --------
    >>> check_number(5, "radius_m", gt=0)
    5.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a number, got {value!r} ({type(value).__name__})"
        raise InputError(msg)
    out = float(value)
    if not math.isfinite(out):
        msg = f"{name} must be a finite number, got {out}"
        raise InputError(msg)
    for bound, ok, word in (
        (gt, lambda b: out > b, ">"),
        (ge, lambda b: out >= b, ">="),
        (lt, lambda b: out < b, "<"),
        (le, lambda b: out <= b, "<="),
    ):
        if bound is not None and not ok(bound):
            msg = f"{name} must be {word} {bound:g}, got {out:g}"
            raise InputError(msg)
    return out

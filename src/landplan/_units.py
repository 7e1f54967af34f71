"""Area units: square metres and hectares, converted in one place."""

from __future__ import annotations

from typing import Any

__all__ = ["ha", "m2"]


def ha(area_m2: Any) -> Any:
    """Square metres to hectares (the one conversion; works on numbers, arrays and Series).

    Parameters
    ----------
    area_m2 : float, numpy.ndarray or pandas.Series
        Area in square metres.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Area in hectares.

    Examples
    --------
    >>> ha(25_000.0)
    2.5
    """
    return area_m2 / 10_000.0


def m2(area_ha: Any) -> Any:
    """Hectares to square metres.

    Parameters
    ----------
    area_ha : float, numpy.ndarray or pandas.Series
        Area in hectares.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Area in square metres.

    Examples
    --------
    >>> m2(1.5)
    15000.0
    """
    return area_ha * 10_000.0

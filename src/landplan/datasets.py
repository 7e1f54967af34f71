"""Paths to the bundled Hanoi demo data and scenario.

The demo data (``data/shapefiles``) and scenarios (``scenarios``) live at the top of the
repository; wheels carry copies inside the package. See ``data/shapefiles/README.md``
for what is real and what is synthetic.
"""

from __future__ import annotations

from pathlib import Path

from landplan.errors import LandplanError

__all__ = ["data_dir", "demo_scenario", "get_path"]

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE, _HERE.parent.parent)  # installed wheel, then the source tree (src/landplan -> repo)


def _root() -> Path:
    for base in _CANDIDATES:
        if (base / "scenarios" / "hanoi_demo.toml").is_file() and (base / "data" / "shapefiles").is_dir():
            return base
    msg = "the bundled demo data is missing; reinstall landplan or run from a clone of the repository"
    raise LandplanError(msg)


def data_dir() -> Path:
    """Folder holding the demo shapefiles."""
    return _root() / "data" / "shapefiles"


def demo_scenario() -> Path:
    """Path of the bundled Hanoi demo scenario (``scenarios/hanoi_demo.toml``)."""
    return _root() / "scenarios" / "hanoi_demo.toml"


def get_path(name: str) -> Path:
    """Path of one demo layer by name, e.g. ``get_path("parcels")`` -> ``.../parcels.shp``.

    Parameters
    ----------
    name : str
        Layer name: the shapefile's stem in :func:`data_dir` (without ``.shp``).

    Returns
    -------
    pathlib.Path
        The layer's ``.shp`` file.

    Raises
    ------
    LandplanError
        If there is no such layer.
    """
    path = data_dir() / f"{name}.shp"
    if not path.is_file():
        available = sorted(p.stem for p in data_dir().glob("*.shp"))
        msg = f"no demo layer {name!r}; available: {available}"
        raise LandplanError(msg)
    return path

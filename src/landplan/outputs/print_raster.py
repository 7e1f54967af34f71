"""Many parcels on a print map: one image of their class colours instead of a patch each.

Above about 50,000 parcels matplotlib's patches cost minutes and gigabytes; the parcels are burnt
into one image the size of the axes in pixels (rasterio ``rasterize``, in chunks) and drawn with
``imshow`` under the vector layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["raster_parcels"]

_RASTER_CHUNK = 20_000  # parcels burnt into the image at a time (bounded memory)
_RASTER_MAX_PX = 3_000  # the parcels' image: the axes' size in pixels, at most this along its long side


def raster_parcels(
    ax: Any, ranked: gpd.GeoDataFrame, colors: np.ndarray, *, bounds: tuple[float, float, float, float]
) -> None:
    """The parcels filled with their class colours as one image of the axes' size in pixels (<= 3,000).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    ranked : geopandas.GeoDataFrame
        The parcels.
    colors : numpy.ndarray
        One colour per parcel.
    bounds : tuple of float
        The map frame (xmin, ymin, xmax, ymax), in the parcels' CRS.
    """
    from matplotlib.colors import ListedColormap, to_rgba

    from rasterio.features import rasterize
    from rasterio.transform import from_bounds

    palette, index = np.unique(np.asarray(colors, dtype=str), return_inverse=True)
    box = ax.get_window_extent()
    xmin, ymin, xmax, ymax = bounds
    scale = min(max(box.width, box.height), _RASTER_MAX_PX) / max(xmax - xmin, ymax - ymin)
    width, height = max(1, int((xmax - xmin) * scale)), max(1, int((ymax - ymin) * scale))
    geoms, classes = np.asarray(ranked.geometry.array), index.astype("uint8")
    background = len(palette)  # a few score classes and "excluded": far below 255
    image = np.full((height, width), background, dtype="uint8")
    transform = from_bounds(*bounds, width, height)
    for start in range(0, len(geoms), _RASTER_CHUNK):  # rasterio holds each chunk's shapes as OGR geometries
        rows = slice(start, start + _RASTER_CHUNK)
        rasterize(zip(geoms[rows], classes[rows], strict=True), out=image, transform=transform)
    rgba = np.array([to_rgba(c) for c in palette] + [(0.0, 0.0, 0.0, 0.0)])
    ax.imshow(
        image,
        cmap=ListedColormap(rgba),
        vmin=0,
        vmax=background,
        extent=(xmin, xmax, ymin, ymax),
        interpolation="nearest",
        zorder=3,
    )

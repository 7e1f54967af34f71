"""The ``[network]`` table: travel along a road layer instead of straight lines.

A spec is data: the road layer's name, the travel mode, where speeds come from (a speed
column, a per-class table, else the rule pack's ``[network_speed_kmh.<mode>]``), the one-way
column, whether lines are noded at crossings, and how far a feature may be from the nearest
road. Building the graph is :mod:`landplan.network`' job.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from landplan.config._base import _Frozen

__all__ = ["Metric", "NetworkSpec", "TravelMode"]

#: travel modes with speeds and access rules in the rule pack
TravelMode = Literal["walk", "motorbike", "car"]
#: what a network criterion measures along the roads
Metric = Literal["time", "distance"]


class NetworkSpec(_Frozen):
    """The road network of a scenario and how it is travelled."""

    layer: str = Field(min_length=1, description="name of a [layers] entry holding road lines")
    mode: TravelMode = "motorbike"
    class_field: str = Field(default="highway", min_length=1, description="road class column (OSM `highway`)")
    speed_field: str | None = Field(default=None, description="column of speeds in km/h (overrides the class table)")
    speed_kmh: dict[str, float] = Field(
        default_factory=dict, description="road class -> km/h, over the rule pack's table for the mode (0 = closed)"
    )
    oneway_field: str | None = Field(default=None, description="one-way column: yes/true/1, -1/reverse, no")
    node_at_crossings: bool = Field(default=False, description="join lines where they cross, not only at vertices")
    max_snap_m: float = Field(default=500.0, gt=0, description="farthest a feature may be from a road, metres")
    far_road_m: float = Field(default=5000.0, gt=0, description="roads farther than this from every parcel are noted")
    off_network_speed_kmh: float | None = Field(
        default=None, gt=0, description="speed of the leg between a feature and the road (rule pack when unset)"
    )

    @field_validator("speed_kmh")
    @classmethod
    def _speeds(cls, table: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in table.items() if not v >= 0}
        if bad:
            msg = f"speeds must be >= 0 km/h (0 closes the class to the mode); got {bad}"
            raise ValueError(msg)
        return table

    def describe(self) -> str:
        """One sentence saying how the network is travelled."""
        speeds = f"speeds from column {self.speed_field!r}" if self.speed_field else "speeds by road class"
        return f"{self.mode} along the roads of layer {self.layer!r} ({speeds})"

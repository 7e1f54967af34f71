"""landplan.criteria.attribute: parcel attributes and areas."""

from __future__ import annotations

import pytest

from landplan.criteria import attribute, parcel_area
from landplan.errors import InputError


def test_attribute_and_area(grid):
    assert attribute(grid, "price")["P3"] == 16
    assert parcel_area(grid).eq(10_000).all()
    with pytest.raises(InputError, match="no column 'nope'"):
        attribute(grid, "nope")
    with pytest.raises(InputError, match="not numeric"):
        attribute(grid, "landuse")

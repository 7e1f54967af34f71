"""Turning pydantic validation errors into one readable line with scenario field paths."""

from __future__ import annotations

import pydantic

#: discriminator tags pydantic inserts into error locations (value functions, criteria, constraints)
_TAGS = {
    # value functions
    "linear", "band", "step", "identity", "power", "fuzzy_small", "fuzzy_large", "gaussian", "logistic",
    "categorical",
    # criterion kinds
    "distance", "count", "coverage", "attribute", "area", "raster", "access",
    # constraint kinds
    "isolation", "min_area", "exclusion_layer",
}  # fmt: skip


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS and i > 0 and (isinstance(loc[i - 1], int) or loc[i - 1] == "value"):
            continue  # discriminator tags pydantic inserts into the path
        elif part.startswith(("function-", "union[")):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _format_errors(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = _format_loc(tuple(err["loc"]))
        text = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            text = "unknown key (check the spelling; see the scenario reference in README)"
        elif err["type"] == "missing":
            text = "required key is missing"
        parts.append(f"{loc}: {text}" if loc else text)
    return "; ".join(parts)

"""Turning pydantic validation errors into one readable line with scenario field paths."""

from __future__ import annotations

from typing import Any

import pydantic

#: discriminator tags pydantic inserts into error locations, and what they tag
_TAGS = {
    **dict.fromkeys(
        ("linear", "band", "step", "identity", "power", "fuzzy_small", "fuzzy_large", "gaussian", "logistic",
         "categorical"),
        "value function",
    ),
    **dict.fromkeys(("distance", "count", "coverage", "area", "access"), "criterion"),
    **dict.fromkeys(("isolation", "min_area", "exclusion_layer"), "constraint"),
    "attribute": "",  # a criterion or a constraint kind
    "raster": "",
}  # fmt: skip


#: what a required key of a spec is, said when it is missing
_HINTS = {
    "layer": " (a name under [layers])",
    "field": " (a parcel column)",
    "raster": " (a name under [rasters])",
    "scale_m": " (decay scale in metres)",
}


def _is_tag(loc: tuple[int | str, ...], i: int) -> bool:
    part = loc[i]
    return isinstance(part, str) and part in _TAGS and i > 0 and (isinstance(loc[i - 1], int) or loc[i - 1] == "value")


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif _is_tag(loc, i):
            continue  # discriminator tags pydantic inserts into the path
        elif part.startswith(("function-", "union[")):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _kind_of(loc: tuple[int | str, ...]) -> str:
    """``"a 'distance' criterion"`` for the innermost tagged spec in ``loc`` (empty when none)."""
    tags = [(i, str(loc[i])) for i in range(len(loc)) if _is_tag(loc, i)]
    if not tags:
        return ""
    i, tag = tags[-1]
    what = _TAGS[tag] or ("criterion" if "criteria" in loc[:i] else "constraint")
    article = "an" if tag[0] in "aeiou" else "a"
    return f"{article} {tag!r} {what}"


def _error_text(err: Any) -> tuple[str, str]:
    """The field path and the message of one pydantic error."""
    raw_loc = tuple(err["loc"])
    loc = _format_loc(raw_loc)
    text = err["msg"].removeprefix("Value error, ")
    kind = _kind_of(raw_loc)
    field = raw_loc[-1] if raw_loc else ""
    if err["type"] == "extra_forbidden":
        text = "unknown key (check the spelling; see the scenario reference in README)"
        if kind:
            text = f"`{field}` is not a key of {kind} (check the spelling; see the scenario reference in README)"
    elif err["type"] == "missing":
        text = f"{kind} needs `{field}`{_HINTS.get(str(field), '')}" if kind else "required key is missing"
    elif err["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        ctx = err.get("ctx", {})
        loc = (loc + "." if loc else "") + str(ctx.get("discriminator", "")).strip("'")
        if err["type"] == "union_tag_not_found":
            text = "required key is missing"
        else:
            *first, last = str(ctx.get("expected_tags", "")).split(", ")
            text = f"Input should be {', '.join(first)} or {last}" if first else f"Input should be {last}"
    return loc, text


def _format_errors(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc, text = _error_text(err)
        parts.append(f"{loc}: {text}" if loc else text)
    return "; ".join(parts)

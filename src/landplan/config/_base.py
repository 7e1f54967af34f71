"""The frozen, strict pydantic base every scenario and rule-pack model derives from."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    # strict: no silent coercion ("2" is not a number); no inf/nan anywhere in a scenario
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def select_text(select: Mapping[str, object]) -> str:
    """A feature filter in words, e.g. ``"kind = school, level in ['a', 'b']"`` (empty for no filter).

    Parameters
    ----------
    select
        Column -> value (or list of accepted values), as in a criterion's ``select``.
    """
    return ", ".join(f"{k} in {v}" if isinstance(v, list) else f"{k} = {v}" for k, v in select.items())

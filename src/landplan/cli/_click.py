"""The click that typer runs on (recent typer vendors its own copy)."""

from __future__ import annotations

try:  # recent typer vendors its own copy of click
    from typer import _click as click
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer runs on click itself
    import click  # type: ignore[no-redef]
    from click import get_current_context  # type: ignore[no-redef]

__all__ = ["click", "get_current_context"]

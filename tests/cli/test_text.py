"""One-line messages and usage errors of the CLI."""

from __future__ import annotations

import pytest
import typer

from landplan.cli import app, one_line, printable, usage_error_line
from landplan.cli._click import click

SENSITIVITY = typer.main.get_command(app).commands["sensitivity"]


def _ctx():
    return click.Context(
        SENSITIVITY, info_name="sensitivity", parent=click.Context(typer.main.get_command(app), info_name="landplan")
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", ""),
        ("\n  \n", ""),
        ("one", "one"),
        ("head:\n  a\n  b", "head: a; b"),
        ("head\nnext", "head; next"),
        ("bell\x07 and\ttab ", "bell\\x07 and\ttab"),
    ],
)
def test_one_line(text, line):
    assert one_line(text) == line
    assert "\n" not in one_line(text)


def test_printable_escapes_every_control_character():
    assert printable("a\rb\x00c\u202ed") == "a\\rb\\x00c\\u202ed"
    assert printable("Thăng Long") == "Thăng Long"


def test_usage_errors_name_what_is_wrong_and_where_to_read():
    ctx = _ctx()
    delta = next(p for p in SENSITIVITY.params if p.name == "delta")
    scenario = next(p for p in SENSITIVITY.params if p.name == "scenario")
    assert usage_error_line(click.exceptions.MissingParameter(ctx=ctx, param=scenario)) == (
        "missing argument SCENARIO; see 'landplan sensitivity --help'"
    )
    assert usage_error_line(click.exceptions.NoSuchOption("--delt", possibilities=["--delta"], ctx=ctx)) == (
        "no such option --delt (did you mean --delta?); see 'landplan sensitivity --help'"
    )
    bad = click.exceptions.BadParameter("must be a number", ctx=ctx, param=delta)
    assert usage_error_line(bad) == "--delta: must be a number; see 'landplan sensitivity --help'"
    extra = click.exceptions.UsageError("Got unexpected extra arguments (x y)", ctx=ctx)
    assert usage_error_line(extra) == "too many arguments: x y is not expected; see 'landplan sensitivity --help'"
    assert usage_error_line(click.exceptions.UsageError("No such command 'rnak'.")) == (
        "no such command 'rnak'; see 'landplan --help'"
    )

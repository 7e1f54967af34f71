"""What the CLI prints about itself: one-line messages, parameter names, usage errors."""

from __future__ import annotations

import re
from typing import Any

import typer

from landplan.cli._click import click

__all__ = ["err", "one_line", "param_name", "printable", "usage_error_line"]


def one_line(text: object) -> str:
    """``text`` on one line: later lines joined with ``; ``, other control characters escaped.

    A message listing several problems stays one ``error:`` line, and no byte from a file
    name or a layer can move the cursor or start a new line on the user's terminal.

    Parameters
    ----------
    text : object
        The message (its ``str``).

    Returns
    -------
    str
        The message on one printable line.
    """
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    head, rest = lines[0], "; ".join(lines[1:])
    return printable(f"{head}{' ' if head.endswith(':') else '; '}{rest}" if rest else head)


def printable(text: object) -> str:
    """``text`` with every control character (newline, escape...) shown as a Python escape.

    Parameters
    ----------
    text : object
        The text (its ``str``).

    Returns
    -------
    str
        The text with control characters escaped (tabs kept).
    """
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in str(text))


def err(message: object) -> None:
    """Print ``error: <message>`` on one line on stderr.

    Parameters
    ----------
    message : object
        What went wrong and how to fix it.
    """
    typer.echo(f"error: {one_line(message)}", err=True)


def param_name(param: Any) -> str:
    """How the user typed (or should type) ``param``: ``--top``, ``SCENARIO``.

    Parameters
    ----------
    param : click.Parameter
        An option or argument.

    Returns
    -------
    str
        Its long option name, or its metavar (upper case) for an argument.
    """
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")] or list(getattr(param, "opts", []))
    if getattr(param, "param_type_name", "") == "option" and opts:
        return opts[0]
    return str(getattr(param, "metavar", None) or getattr(param, "name", "") or "").upper()


def usage_error_line(exc: Exception, ctx: Any = None) -> str:
    """One line for a usage error: what is wrong, then where to read the usage.

    Parameters
    ----------
    exc
        A click/typer usage error (missing or bad parameter, unknown option or command).
    ctx
        The command context, when ``exc`` does not carry one.

    Returns
    -------
    str
        ``<what is wrong>; see '<command> --help'`` without the ``error:`` prefix.
    """
    ctx = getattr(exc, "ctx", None) or ctx
    message = str(getattr(exc, "message", "") or exc).strip().rstrip(".")
    extra = re.search(r"unexpected extra argument(?:s|\(s\))? \((.*)\)", message, flags=re.DOTALL)
    if extra:
        message = f"too many arguments: {printable(extra.group(1))} is not expected"
    message = _usage_message(exc, message)
    command = getattr(ctx, "command_path", None) or "landplan"
    return f"{message}; see '{command} --help'"


def _usage_message(exc: Exception, message: str) -> str:
    """What is wrong, by the kind of usage error."""
    param = getattr(exc, "param", None)
    if isinstance(exc, click.exceptions.MissingParameter) and param is not None:
        kind = "option" if param.param_type_name == "option" else "argument"
        return f"missing {kind} {param_name(param)}"
    if isinstance(exc, click.exceptions.NoSuchOption):
        message = f"no such option {exc.option_name}"
        if exc.possibilities:
            message += f" (did you mean {' or '.join(sorted(exc.possibilities))}?)"
        return message
    if isinstance(exc, click.exceptions.BadParameter):
        hint = exc.param_hint if isinstance(exc.param_hint, str) else None
        name = hint or (param_name(param) if param is not None else "")
        return f"{name}: {message}" if name and not message.startswith(name) else message
    if message[:1].isupper() and message[1:2].islower():
        return message[0].lower() + message[1:]
    return message

"""Marking English message templates built below the outputs layer, so that outputs can translate them.

Lower layers (config ``describe()``, validation findings, constraint reasons, ``removed_by``) stay
language-free: they build English text from templates marked with :func:`N_`::

    N_("{n} features have no id").format(n=3)

Babel extracts every ``N_("...")`` (and ``tr("...")``) into the catalog, and
:meth:`landplan.outputs.i18n.Translator.text` translates such a text back: it matches it against
the catalog's templates, translates the pieces it captured (recursively) and formats the numbers
of the run's language. ``tests/outputs/test_i18n.py`` checks that every marked template is in the
Vietnamese catalog.
"""

from __future__ import annotations

__all__ = ["N_"]


def N_(template: str, /) -> str:
    """Mark an English message template for the catalog and return it unchanged.

    Parameters
    ----------
    template : str
        English source text with ``{name}`` placeholders (a literal in the code, never data).

    Returns
    -------
    str
        ``template`` itself.
    """
    return template

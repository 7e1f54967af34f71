"""``python -m landplan.cli``: the same as the ``landplan`` command."""

from landplan.cli import main

main()

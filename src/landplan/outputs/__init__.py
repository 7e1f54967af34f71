"""Everything landplan hands to a person: tables, maps, charts, score cards, reports, manifests.

Modules read the typed run objects (:class:`~landplan.model.Study`,
:class:`~landplan.model.Scores`, :class:`~landplan.model.Allocation`) and never recompute them.
Text from the data passes through :mod:`landplan.outputs.escape` on its way into HTML, JavaScript
or matplotlib.
"""

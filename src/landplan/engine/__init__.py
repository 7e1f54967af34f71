"""Where scoring runs: in this process, or on a dask cluster (``[compute] engine = "dask"``).

:func:`score_study` is what the pipeline calls; :mod:`landplan.engine.partitioned` holds the dask
engine (imported only when used: dask is an optional extra, ``pip install 'landplan[dask]'``).
"""

from __future__ import annotations

from collections.abc import Callable

from landplan.model import Scores, Study
from landplan.scoring.score import score

__all__ = ["score_study"]


def score_study(study: Study, *, progress: Callable[[float, str], None] | None = None) -> Scores:
    """Score a study with the engine its scenario's ``[compute]`` table names.

    Parameters
    ----------
    study : Study
        The loaded study.
    progress : callable, optional
        ``f(fraction, message)``.

    Returns
    -------
    Scores
        The same results whichever the engine.
    """
    if study.scenario.compute.engine == "dask":
        from landplan.engine.partitioned import score_partitioned

        return score_partitioned(study, progress=progress)
    return score(study, progress=progress)

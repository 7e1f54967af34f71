"""Commands that score a scenario and write or print its products: rank, map, report, explain, run, demo.

``rank``, ``map`` and ``report`` make one :func:`landplan.pipeline.produce` call (``rank`` to
stdout one :func:`~landplan.pipeline.compute`), ``run`` and ``demo`` one
:func:`landplan.pipeline.run`, ``explain`` one ``compute``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer

from landplan.cli.app import handle_errors, progress_bar
from landplan.cli.options import (
    ClassificationOpt,
    EngineOpt,
    FormatOpt,
    LangOpt,
    OverwriteOpt,
    ScenarioArg,
    SchedulerOpt,
    at_least,
    one_of,
    output_option,
    top_option,
)
from landplan.errors import InputError

__all__ = ["demo", "explain", "map_", "print_top", "rank", "report", "run"]


@handle_errors
def rank(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    output: Annotated[Path | None, output_option("FILE", "Output file (CSV to stdout if omitted).")] = None,
    top: Annotated[int | None, top_option("Only the N best eligible parcels.")] = None,
    fmt: FormatOpt = None,
    overwrite: OverwriteOpt = False,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Score SCENARIO and write the ranked parcel list."""
    from landplan.io import output_format, table_for_csv, write_csv
    from landplan.pipeline import compute, produce

    scenario = with_compute(scenario, engine=engine, scheduler=scheduler)
    if output is None and fmt not in (None, "csv"):
        raise typer.BadParameter("only CSV can go to stdout; give --output for other formats", param_hint="--format")
    with progress_bar() as progress:
        if output is not None:
            key = f"ranked_{output_format(output, fmt)}"
            result = produce(scenario, {key: output}, overwrite=overwrite, top=top, allocate=False, progress=progress)
            n = len(result.scores.top(top)) if top else len(result.ranked)
            typer.echo(f"wrote {n} parcels to {output}", err=True)
            return
        result = compute(scenario, allocate=False, progress=progress)
    ranked = result.ranked
    selection = ranked.loc[result.scores.top(top)] if top else ranked
    if top is not None and sys.stdout.isatty():
        print_top(ranked, top, lang=result.study.scenario.output.language, result=result)
    else:
        write_csv(table_for_csv(selection.reset_index()), sys.stdout, index=False)


def print_top(ranked: Any, n: int, *, lang: str = "en", result: Any = None) -> None:
    """Print the ``n`` best eligible parcels of the wide ranking as a table on the terminal.

    Parameters
    ----------
    ranked : pandas.DataFrame
        The wide ranking (:func:`landplan.outputs.tables.ranked_table`).
    n : int
        How many parcels.
    lang : {"en", "vi"}, default "en"
        Language of the title, the headers and the number format.
    result : Result, optional
        The computed result: the top drivers are then written in ``lang`` too.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from landplan.model import ha
    from landplan.outputs.i18n import translator

    tr = translator(lang)
    top = ranked[ranked["rank"].notna()].head(n)
    drivers = [str(d) for d in top["top_drivers"]]
    if result is not None:
        from landplan.outputs.i18n import scenario_words
        from landplan.outputs.wording import drivers_text

        s = result.study.scenario
        tr = translator(lang, data=scenario_words(s, lang))
        labels = {c.name: tr.text(c.title) for c in s.criteria}
        drivers = drivers_text(result.scores, top.index, labels, tr, top=s.scenario.top_drivers)
    table = Table(title=tr("Top {n} parcels", n=len(top)), show_lines=False)
    for col, right in ((tr("Rank"), True), (tr("Parcel"), False), (tr("Score"), True)):
        table.add_column(col, justify="right" if right else "left")
    table.add_column(tr("Area (ha)"), justify="right")
    table.add_column(tr("Top drivers"), justify="left")
    for (pid, row), driver in zip(top.iterrows(), drivers, strict=True):
        table.add_row(
            str(row["rank"]),
            escape(str(pid)),  # data text is never rich markup
            tr.number(row["score"], decimals=3),
            tr.number(ha(row["area_m2"]), decimals=2),
            escape(driver),
        )
    Console().print(table)


@handle_errors
def map_(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    output: Annotated[Path, output_option("FILE", "HTML file (or PNG with --png) to write.")],
    top: Annotated[int, top_option("Label the N best parcels.")] = 20,
    offline: Annotated[
        bool, typer.Option("--offline", help="One self-contained HTML file, no network request (the default).")
    ] = False,
    cdn: Annotated[
        bool, typer.Option("--cdn", help="Load the map's scripts from CDNs and offer web basemaps (needs internet).")
    ] = False,
    png: Annotated[bool, typer.Option("--png", help="A static PNG map for reports (matplotlib).")] = False,
    paper: Annotated[
        str | None,
        typer.Option(
            "--print",
            metavar="A4|A3",
            callback=one_of(["A4", "A3"]),
            help="A print map (title block, legend, scale bar, north arrow) on A4 or A3, as FILE.pdf or FILE.png.",
        ),
    ] = None,
    classification: ClassificationOpt = None,
    no_allocation: Annotated[bool, typer.Option("--no-allocation", help="Do not draw the allocation.")] = False,
    lang: LangOpt = None,
    overwrite: OverwriteOpt = False,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Score SCENARIO and write an interactive HTML map (or a static PNG)."""
    from landplan.config import load_scenario
    from landplan.pipeline import produce

    s = with_compute(load_scenario(scenario), engine=engine, scheduler=scheduler)
    if offline and cdn:
        raise InputError("--offline and --cdn exclude each other; give one of them")
    assets = "inline" if offline else "cdn" if cdn else None
    s = _with_output(s, top=top, assets=assets, classification=classification, language=lang, paper=paper)
    allocate = False if no_allocation else None
    key = "print_map" if paper else "map_png" if png else "map"
    if paper and output.suffix.lower() not in {".pdf", ".png"}:
        raise typer.BadParameter(f"a print map is written as .pdf or .png (got {output.name!r})", param_hint="--output")
    with progress_bar() as progress:
        produce(s, {key: output}, overwrite=overwrite, allocate=allocate, progress=progress)
    typer.echo(f"wrote map to {output}", err=True)


@handle_errors
def report(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    output: Annotated[Path, output_option("FILE", "HTML report to write.")],
    top: Annotated[int, top_option("Parcels with score cards.")] = 10,
    sensitivity_runs: Annotated[
        int,
        typer.Option(
            "--sensitivity-runs",
            metavar="N",
            callback=at_least(0),
            help="Monte-Carlo runs for the sensitivity chart (0: none).",
        ),
    ] = 500,
    lang: LangOpt = None,
    overwrite: OverwriteOpt = False,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Write one self-contained HTML report: inputs, validation, weights, top parcels, allocation, map."""
    from landplan.config import load_scenario
    from landplan.pipeline import produce

    s = with_compute(load_scenario(scenario), engine=engine, scheduler=scheduler)
    s = _with_output(s, cards=top, sensitivity_runs=sensitivity_runs, language=lang)
    with progress_bar() as progress:
        produce(s, {"report": output}, overwrite=overwrite, progress=progress)
    typer.echo(f"wrote report to {output}", err=True)


@handle_errors
def explain(
    scenario: ScenarioArg,
    parcel_id: Annotated[str, typer.Argument(help="Parcel id.", metavar="PARCEL_ID", show_default=False)],
    lang: LangOpt = None,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Print the score card of one parcel: criteria, weights, contributions and constraints."""
    from landplan.config import load_scenario
    from landplan.outputs.scorecard import explain as make_card
    from landplan.pipeline import compute

    s = _with_output(with_compute(load_scenario(scenario), engine=engine, scheduler=scheduler), language=lang)
    result = compute(s, allocate=False)
    card = make_card(result.study, result.scores, parcel_id, lang=s.output.language)
    if s.output.language == "en":
        typer.echo(card.to_text())
    else:
        print_card(card, result, s.output.language)


def print_card(card: Any, result: Any, lang: str) -> None:
    """Print a score card as two tables on the terminal, in ``lang``.

    Parameters
    ----------
    card : ScoreCard
        The card (:func:`landplan.outputs.scorecard.explain`).
    result : Result
        The computed result (criterion labels and the scores for the drivers).
    lang : {"en", "vi"}
        Language.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from landplan.outputs.i18n import scenario_words, translator
    from landplan.outputs.wording import drivers_text

    s = result.study.scenario
    tr = translator(lang, data=scenario_words(s, lang))
    rank = f"{tr('rank')} {tr.number(card.rank)}" if card.rank is not None else tr("not ranked (excluded)")
    console = Console()
    score = tr.number(card.score, decimals=3)
    console.print(escape(f"{tr('Parcel')} {card.parcel_id}: {rank}, {tr('score')} {score}"))
    labels = {c.name: tr.text(c.title) for c in s.criteria}
    drivers = drivers_text(result.scores, [card.parcel_id], labels, tr, top=s.scenario.top_drivers)[0]
    console.print(escape(f"{tr('Top drivers')}: {drivers}"))
    table = Table(show_lines=False)
    for col in (tr("Criterion"), tr("Measured"), tr("Unit"), tr("Value (0–1)"), tr("Weight"), tr("Contribution")):
        table.add_column(col, justify="left" if col in (tr("Criterion"), tr("Unit")) else "right")
    for _, r in card.criteria.iterrows():  # one row per criterion
        raw = r["raw"]
        raw = tr.number(raw, decimals=0 if abs(raw) >= 1000 else 2) if isinstance(raw, float) else str(raw)
        numbers = [tr.number(r[k], decimals=3) for k in ("value", "weight", "contribution")]
        table.add_row(escape(tr.text(str(r["label"]))), raw, escape(tr.text(str(r["unit"]))), *numbers)
    console.print(table)
    rules = Table(show_lines=False)
    for col in (tr("Constraint"), tr("Result"), tr("Reason")):
        rules.add_column(col)
    for _, r in card.constraints.iterrows():  # one row per constraint
        status = tr("pass") if r["passed"] else tr("fail")
        rules.add_row(escape(tr.text(str(r["rule"]))), status, escape(tr.text(str(r["reason"]))))
    console.print(rules)


@handle_errors
def run(  # noqa: PLR0917 - typer maps options to parameters
    scenario: ScenarioArg,
    output: Annotated[
        str,
        output_option(
            "DIR|URL",
            "Output folder, or a PostGIS database for the result tables: "
            "postgresql://user@host:port/db?schema=NAME (password from PGPASSWORD or ~/.pgpass).",
        ),
    ],
    lang: LangOpt = None,
    overwrite: OverwriteOpt = False,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Run the whole pipeline for SCENARIO: validate, score, write ranked lists, map and manifest."""
    from landplan.io import is_postgis_url

    target = output if is_postgis_url(output) else Path(output)
    _run_and_report(with_compute(scenario, engine=engine, scheduler=scheduler), target, overwrite, lang)


@handle_errors
def demo(
    output: Annotated[Path, output_option("DIR", "Output folder.")] = Path("landplan-demo"),
    lang: LangOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Score the bundled Hanoi demo and write the ranked list and map into a folder."""
    from landplan import datasets

    scenario = datasets.demo_scenario()
    typer.echo(f"scenario: {scenario}")
    _run_and_report(scenario, output, overwrite, lang)
    typer.echo(f"open {output / 'map.html'} in a browser to explore the result")


def _with_output(s: Any, **changes: Any) -> Any:
    """The scenario with its ``[output]`` settings changed by command-line options (None: keep)."""
    from landplan.cli.app import set_language

    given = {k: v for k, v in changes.items() if v is not None}
    s = s.model_copy(update={"output": s.output.model_copy(update=given)})
    set_language(s.output.language)  # findings logged while loading
    return s


def with_compute(scenario: Any, *, engine: str | None, scheduler: str | None) -> Any:
    """The scenario (a file or a Scenario) with its ``[compute]`` table changed by ``--engine``/``--scheduler``.

    Parameters
    ----------
    scenario : Path or Scenario
        The scenario file or model.
    engine : str, optional
        ``in-memory`` or ``dask`` (None: keep; a scheduler implies ``dask``).
    scheduler : str, optional
        An existing dask scheduler's address.

    Returns
    -------
    Path or Scenario
        ``scenario`` itself when nothing changes.
    """
    if engine is None and scheduler is None:
        return scenario
    from landplan.config import ComputeSpec, load_scenario

    s = load_scenario(scenario) if isinstance(scenario, Path) else scenario
    given = {**s.compute.model_dump(), "engine": engine or "dask"}
    if scheduler is not None:
        given["scheduler"] = scheduler
    try:
        spec = ComputeSpec.model_validate(given)
    except pydantic.ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise typer.BadParameter(message, param_hint="--scheduler") from None
    return s.model_copy(update={"compute": spec})


def _run_and_report(scenario: Any, out_dir: Path | str, overwrite: bool, lang: str | None) -> None:
    from landplan.config import load_scenario
    from landplan.pipeline import run as run_pipeline

    s = _with_output(load_scenario(scenario) if isinstance(scenario, Path) else scenario, language=lang)
    with progress_bar() as progress:
        result = run_pipeline(s, out_dir=out_dir, overwrite=overwrite, progress=progress)
    from landplan.outputs.i18n import translator

    sc = result.scores
    tr = translator(s.output.language)
    typer.echo(
        tr(
            "scored {n} parcels, {eligible} eligible; working CRS {crs}",
            n=tr.number(len(sc.score)),
            eligible=tr.number(int(sc.eligible.sum())),
            crs=result.manifest["working_crs"],
        )
    )
    if result.allocation is not None and tr.lang == "en":
        typer.echo(f"allocation: {result.allocation.summary()}")
    elif result.allocation is not None:
        a, z = result.allocation, result.allocation.zones
        land = "reserved_ha" if "reserved_ha" in a.parcels else "area_ha"
        typer.echo(
            tr(
                "allocation: {method} ({status}), {parcels} parcels, {land} ha, {allocated} of {demand} units "
                "allocated, {unmet} unmet",
                method=a.method,
                status=tr.text(a.status),
                parcels=tr.number(a.parcels.index.nunique()),
                land=tr.number(float(a.parcels[land].sum()), decimals=1),
                allocated=tr.number(float(z["allocated_units"].sum())),
                demand=tr.number(float(z["demand_units"].sum())),
                unmet=tr.number(float(z["unmet_units"].sum())),
            )
        )
    for key, path in result.outputs.items():
        typer.echo(f"  {key:<20} {path}")

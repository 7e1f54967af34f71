"""The shape of the house: one-way layers, no import cycle, small modules and functions.

The layers, bottom to top (a module may import its own layer and the layers below it, never
above; lazy imports inside functions count too)::

    errors / _numbers -> config -> io / crs / validation / datasets / network -> model -> load / zones
      -> criteria / constraints -> sites -> scoring -> allocation -> outputs -> pipeline -> cli
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "landplan"

#: layer rank of each top-level module or package of landplan (the order of DESIGN.md)
LAYERS: dict[str, float] = {
    "errors": 0,
    "numbers": 0,
    "units": 0,
    "messages": 0,
    "config": 1,
    "io": 2,
    "crs": 2,
    "vn2000": 2,
    "validation": 2,
    "datasets": 2,
    "network": 2,
    "model": 3,
    "load": 4,
    "zones": 4,
    "criteria": 5,
    "constraints": 5,
    "sites": 5.5,  # parcels' eligibility (constraints) in, a site study out; scored by scoring
    "scoring": 6,
    "engine": 6.5,  # where scoring runs (in memory or dask partitions); calls scoring, called by pipeline
    "allocation": 7,
    "outputs": 8,
    "pipeline": 9,
    "cli": 10,
}
#: package faces that may import anything below them
FACES = {"__init__", "__main__"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """landplan modules imported anywhere in ``path`` (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known and n != module}
    return found


def _layer(module: str) -> float | None:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in FACES:
        return None
    return LAYERS.get(parts[1].removeprefix("_"))


MODULES = _modules()
GRAPH = {m: _imports(m, p, set(MODULES)) for m, p in MODULES.items()}


def test_every_module_has_a_layer():
    unplaced = [m for m in MODULES if m.count(".") >= 1 and m.split(".")[1] not in FACES and _layer(m) is None]
    assert unplaced == [], "give these modules a place in LAYERS (and in DESIGN.md)"


def test_imports_go_one_way():
    upward = []
    for module, targets in GRAPH.items():
        here = _layer(module)
        if here is None:
            continue
        for target in targets:
            there = _layer(target)
            if there is not None and there > here:
                upward.append(f"{module} (layer {here}) imports {target} (layer {there})")
    assert upward == []


def test_no_import_cycle():
    """Tarjan's strongly connected components over the import graph (package faces excluded)."""
    faces = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v] - faces):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n") + 1
    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines; split it by job"


def test_functions_are_short():
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {n} lines")
    assert long == []


def test_pipeline_only_orchestrates():
    lines = MODULES["landplan.pipeline"].read_text(encoding="utf-8").count("\n") + 1
    assert lines < 200, f"pipeline.py has {lines} lines; move work to its stage module"


def test_nothing_below_the_cli_imports_it():
    users = [m for m, targets in GRAPH.items() if not m.startswith("landplan.cli") and "landplan.cli" in targets]
    assert users == [m for m in users if m in {"landplan.__main__"}]

"""Who may import whom: the ground floor imports nothing above it, no room imports upwards, and
module-level imports form no circle (read from the source, so a new module is checked too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vecbench"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, module_level_only: bool) -> set[str]:
    """The vecbench modules a file imports (skipping ``if TYPE_CHECKING:`` blocks, and with
    ``module_level_only`` the imports inside functions, which run later and cannot form a circle)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("vecbench"):
                if not (module_level_only and in_function):
                    found.add(child.module)
                    # ``from vecbench.bench import engine`` imports the module vecbench.bench.engine
                    found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("vecbench") and not (module_level_only and in_function):
                        found.add(alias.name)
            visit(child, nested)

    visit(tree, False)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def offenders(room: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if name == room or name.startswith(room + ".")
        for target in imports(path, module_level_only=False)
        if any(target == f or target.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize(
    ("room", "forbidden"),
    [
        ("vecbench.core", ("vecbench.bench", "vecbench.indexes", "vecbench.datasets", "vecbench.metrics",
                           "vecbench.pipeline", "vecbench.filters", "vecbench.reports", "vecbench.gate",
                           "vecbench.testing", "vecbench.cli", "vecbench.errors", "vecbench.config_errors",
                           "vecbench.lazy_import")),
        ("vecbench.pipeline", ("vecbench.bench", "vecbench.cli", "vecbench.gate")),
        ("vecbench.datasets", ("vecbench.indexes", "vecbench.bench", "vecbench.pipeline", "vecbench.cli")),
        ("vecbench.metrics", ("vecbench.indexes", "vecbench.bench", "vecbench.pipeline", "vecbench.cli")),
        ("vecbench.indexes", ("vecbench.bench", "vecbench.datasets", "vecbench.pipeline", "vecbench.reports")),
    ],
)  # fmt: skip
def test_no_room_imports_upwards(room: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(room, forbidden) == []


def test_imports_form_no_circle() -> None:
    """Imports inside functions count too: a deferred import that closes a circle still ties the
    two modules to each other (executor <-> ray_executor, cli <-> start_cli once did)."""
    graph = {
        name: {t for t in imports(path, module_level_only=False) if t in MODULES and t != name}
        for name, path in MODULES.items()
    }
    # A package's __init__ re-exporting its modules is not a circle through its own modules.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def strongly_connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                strongly_connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            strongly_connect(node)
    assert circles == []

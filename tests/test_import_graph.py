"""The project's modules import one another without a cycle, and the apps keep their layers:
accounts knows nothing of experts (it tells experts through accounts.signals), audit does not
depend on accounts' middleware, and sms is a leaf app that every other app may use.

Every `import` and `from … import` counts, also those inside functions (a lazy import hides a
cycle, it does not remove it). Migrations are left out: they name other apps by design."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "accounts",
    "audit",
    "certificates",
    "changes",
    "draws",
    "experts",
    "notice",
    "portal",
    "sms",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                files[module_name(path)] = path
    return files


MODULES = project_files()


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every module name `module` imports, wherever the statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            # `from experts import search` imports the module experts.search.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def project_module(name: str) -> str | None:
    """The project module `name` refers to (its longest known prefix), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        targets = {project_module(name) for name in imported_names(module, path)}
        # A package's own __init__ is run by importing its submodules: not an edge of its own.
        graph[module] = {t for t in targets if t and t != module and not module.startswith(t + ".")}
    return graph


GRAPH = import_graph()


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" once fully explored
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def imports_of(prefix: str) -> Iterator[tuple[str, str]]:
    for module, targets in sorted(GRAPH.items()):
        if module == prefix or module.startswith(prefix + "."):
            yield from ((module, target) for target in sorted(targets))


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_sees_the_project():
    # A walk that found nothing would pass every test below.
    assert {"accounts.services", "experts.services", "sms.outbox", "audit.log"} <= set(GRAPH)
    assert "sms.outbox" in GRAPH["accounts.services"]
    assert "accounts.signals" in GRAPH["experts.receivers"]


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_accounts_imports_no_experts_module():
    found = [f"{a} → {b}" for a, b in imports_of("accounts") if in_package(b, "experts")]
    assert found == []


def test_audit_does_not_import_accounts_middleware():
    found = [f"{a} → {b}" for a, b in imports_of("audit") if b == "accounts.middleware"]
    assert found == []


@pytest.mark.parametrize("app", ["accounts", "experts"])
def test_sms_imports_no_other_app(app):
    found = [f"{a} → {b}" for a, b in imports_of("sms") if in_package(b, app)]
    assert found == []

"""The import graph of kerasgan's parts has no circle (docs/architecture.md draws it).

Every `import kerasgan.X` / `from kerasgan.X import ...` counts, at module level or inside
a function, so a lazy import can't hide a circle."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kerasgan"


def part_of(module: str) -> str:
    """kerasgan.models.gan -> models; kerasgan.data._common -> data._common (the shared
    base the datasets and the font renderer both use, below the data package)."""
    parts = module.split(".")[1:]
    if parts[:2] == ["data", "_common"]:
        return "data._common"
    return parts[0] if parts else "kerasgan"


def _is_module(name: str) -> bool:
    path = PACKAGE.joinpath(*name.split(".")[1:])
    return path.is_dir() or path.with_suffix(".py").is_file()


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for file in PACKAGE.rglob("*.py"):
        module = ".".join(("kerasgan", *file.relative_to(PACKAGE).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        source = part_of(module)
        if source == "kerasgan":
            continue  # the package's __init__ re-exports everything by design
        for node in ast.walk(ast.parse(file.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                         if node.module == "kerasgan"]
            for name in names:
                if not name.startswith("kerasgan.") or not _is_module(name):
                    continue  # e.g. `from kerasgan import __version__`
                if part_of(name) != source:
                    graph.setdefault(source, set()).add(part_of(name))
    return graph


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_parts_import_each_other_without_a_circle():
    graph = import_graph()
    assert "models" in graph and "tasks" in graph["zoo"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None

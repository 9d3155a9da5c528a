"""The import graph of keras_elmo: one direction, no cycles, light imports.

Every module is parsed (not imported) and its imports of keras_elmo
collected, module level and inside functions. The subpackages are ranked
(docs/api.md, "Package layering"); a module may import only from its own
rank or below, the package graph must be acyclic, and only the command
line defers imports into functions (so that `keras-elmo --help` starts
without TensorFlow).
"""

import ast

import pytest

from tests.python_subprocess import run_python
from tests.test_case import REPO_ROOT

PACKAGE = REPO_ROOT / "keras_elmo"

# Subpackage (or top-level module) -> rank; imports point to equal or
# lower ranks only.
RANKS = {
    "version": 0,
    "api_export": 0,
    "utils": 0,
    "preprocessing": 1,
    "layers": 2,
    "metrics": 2,
    "conversion": 3,
    "presets": 4,
    "models": 5,
    "training": 6,
    "inference": 6,
    "export": 7,
    "serving": 7,
    "beam": 7,
    "cli": 8,
}
# Where a function-local import of keras_elmo is allowed, and why.
DEFERRED_IMPORTS_ALLOWED = {"cli"}  # start-up time of the command line


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(module, path):
    """(imported keras_elmo module, line, function-local?) of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []

    def visit(node, local):
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef)
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "keras_elmo":
                        found.append((alias.name, child.lineno, inner))
            elif isinstance(child, ast.ImportFrom):
                name = child.module or ""
                if child.level:
                    base = module.split(".")
                    if not is_package:
                        base = base[:-1]
                    base = base[: len(base) - child.level + 1]
                    name = ".".join(base + ([name] if name else []))
                if name.split(".")[0] != "keras_elmo":
                    continue
                if child.module is None:  # `from . import sibling`
                    for alias in child.names:
                        found.append(
                            (f"{name}.{alias.name}", child.lineno, inner)
                        )
                else:
                    found.append((name, child.lineno, inner))
            visit(child, inner)

    visit(tree, False)
    return found


def _top(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _graph():
    return {module: _imports(module, path) for module, path in _modules()}


def test_every_subpackage_has_a_rank():
    tops = {_top(module) for module, _ in _modules()} - {None}
    assert tops <= set(RANKS), sorted(tops - set(RANKS))


def test_imports_point_down_the_layers():
    wrong = []
    for module, imports in _graph().items():
        source = _top(module)
        if source is None:
            continue  # keras_elmo/__init__.py: lazy names of every layer
        for target, line, _ in imports:
            top = _top(target)
            if top is not None and RANKS[top] > RANKS[source]:
                wrong.append(f"{module}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_function_local_imports_to_dodge_cycles():
    local = [
        f"{module}:{line} imports {target}"
        for module, imports in _graph().items()
        for target, line, inner in imports
        if inner and _top(module) not in DEFERRED_IMPORTS_ALLOWED
    ]
    assert not local, "\n".join(local)


def test_no_import_cycles():
    # Module level only (what runs at import time), module by module.
    graph = {}
    modules = {module for module, _ in _modules()}
    for module, imports in _graph().items():
        edges = set()
        for target, _, inner in imports:
            if inner:
                continue
            # `from keras_elmo.x import name` may name a module or an
            # attribute: the deepest existing module is the dependency.
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != module:
                edges.add(target)
        graph[module] = edges
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_graph_parser_sees_local_and_relative_imports(tmp_path):
    path = tmp_path / "example.py"
    path.write_text(
        "from keras_elmo.layers import BiLM\n"
        "from . import sibling\n"
        "def f():\n"
        "    import keras_elmo.models.elmo\n"
    )
    assert _imports("keras_elmo.cli.example", path) == [
        ("keras_elmo.layers", 1, False),
        ("keras_elmo.cli.sibling", 2, False),
        ("keras_elmo.models.elmo", 4, True),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "import keras_elmo",
        "import keras_elmo.preprocessing",
        "from keras_elmo.preprocessing import batch_to_char_ids",
        "from keras_elmo.preprocessing import load_vocabulary",
    ],
)
def test_light_imports_do_not_import_tensorflow(statement):
    code = (
        f"{statement}; import sys;"
        "heavy = [m for m in ('tensorflow', 'keras', 'h5py') "
        "if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = run_python(code, env={"PYTHONPATH": str(REPO_ROOT)}, timeout=120)
    heavy = result.stdout.strip()
    assert heavy == "", f"{statement} imported {heavy}"


# Repository tooling beside the package (tools/: data builders and the
# release packager; experiments/: ablations and studies): they may import
# keras_elmo, keras_elmo never imports them, and experiments may use the
# data builders of tools, never the other way.
TOOLING = {"tools": {"keras_elmo", "tools"}, "experiments": None}


def _absolute_imports(path):
    """(top-level name, line) of every absolute import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def test_the_package_imports_no_tooling():
    wrong = [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, line in _absolute_imports(path)
        if name in TOOLING
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("folder", sorted(TOOLING))
def test_tooling_imports_point_one_way(folder):
    allowed = TOOLING[folder] or {"keras_elmo", "tools", "experiments"}
    wrong = [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {name}"
        for path in sorted((REPO_ROOT / folder).glob("*.py"))
        for name, line in _absolute_imports(path)
        if name in set(TOOLING) | {"keras_elmo", "scripts"}
        and name not in allowed
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("folder", sorted(TOOLING))
def test_tooling_runs_as_modules_without_path_edits(folder):
    # `python -m tools.x` from the repository root: no sys.path edits.
    edits = [
        str(path.relative_to(REPO_ROOT))
        for path in sorted((REPO_ROOT / folder).glob("*.py"))
        if "sys.path" in path.read_text(encoding="utf-8")
    ]
    assert not edits, edits
    assert (REPO_ROOT / folder / "__init__.py").is_file()


def test_no_scripts_folder_beside_the_package():
    assert not (REPO_ROOT / "scripts").exists()

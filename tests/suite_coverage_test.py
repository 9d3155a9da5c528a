"""The quick suite (`python -m pytest`, no `large` tests) touches every module.

The README's test command leaves out the tests marked `large`
(tests/conftest.py). So that it still exercises the whole package, every
module of `keras_elmo/` must be imported when the imports of the non-large
tests run: the `keras_elmo` imports written in the test files (module level
or inside a test function that is not marked `large`), followed through the
package's own imports, lazy names included, in a fresh interpreter.
"""

import ast
import json
import subprocess
import sys
import textwrap

from tests.test_case import REPO_ROOT

PACKAGE = "keras_elmo"
TESTS = REPO_ROOT / "tests"


def package_modules():
    """Every module of the package, dotted (`keras_elmo.layers.bi_lm`)."""
    modules = set()
    for path in (REPO_ROOT / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.add(".".join(parts))
    return modules


def _is_large(decorators):
    for decorator in decorators:
        text = ast.unparse(decorator)
        if text in ("pytest.mark.large", "mark.large", "large"):
            return True
    return False


def _module_is_large(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark"
            for t in node.targets
        ):
            if "mark.large" in ast.unparse(node.value):
                return True
    return False


def _imports(node, found):
    """`(module, name or None)` of the keras_elmo imports under `node`,
    not descending into functions or classes marked `large`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ) and _is_large(child.decorator_list):
            continue
        if isinstance(child, ast.Import):
            for alias in child.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.add((alias.name, None))
        elif isinstance(child, ast.ImportFrom) and child.module:
            if child.module.split(".")[0] == PACKAGE and not child.level:
                for alias in child.names:
                    found.add((child.module, alias.name))
        _imports(child, found)
    return found


def quick_suite_imports():
    """The keras_elmo imports of every test file, large tests left out."""
    found = set()
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _module_is_large(tree):
            continue
        _imports(tree, found)
    return sorted(found, key=lambda pair: (pair[0], pair[1] or ""))


# Run in a fresh interpreter: imports each `(module, name)`, reads the
# name (a lazy export or a submodule), builds the CLI parser (the CLI tests
# do: it imports every command module), and prints the package's modules.
_IMPORTER = textwrap.dedent(
    """
    import importlib, json, sys
    for module, name in json.loads(sys.argv[1]):
        imported = importlib.import_module(module)
        if name is not None and not hasattr(imported, name):
            importlib.import_module(module + "." + name)
    if "keras_elmo.cli.main" in sys.modules:
        sys.modules["keras_elmo.cli.main"].build_parser()
    print(json.dumps(sorted(
        m for m in sys.modules if m.split(".")[0] == "keras_elmo")))
    """
)


def test_quick_suite_imports_every_module():
    imports = quick_suite_imports()
    process = subprocess.run(
        [sys.executable, "-c", _IMPORTER, json.dumps(imports)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr[-4000:]
    loaded = set(json.loads(process.stdout.strip().splitlines()[-1]))
    untouched = sorted(package_modules() - loaded)
    assert not untouched, (
        "No test outside the `large` ones imports these modules, so the "
        f"README's test command never runs them: {untouched}. Add a quick "
        "test (tests/<subpackage>/<module>_test.py), or unmark one."
    )

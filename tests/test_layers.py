"""The layers stay apart and their modules' names say what they hold: screens → ui → queries →
feeds → demo → desk → access → db → words, never back (the command lines, db/cli and
queries/cli.py, call them all; reports/ beside ui/ imports neither ui/ nor Streamlit); no module
needs an alias to tell two same-named modules apart; no module shadows a Python builtin."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from db.config import ROOT

PACKAGES = ("words", "db", "access", "desk", "demo", "feeds", "queries", "ui", "screens", "reports",
            "bench", "devtools")
# Bottom to top: each layer may import only the ones before it (and Streamlit only in ui/ and
# screens/). reports/ (the PDF and the alerts) sits beside ui/: both present figures, with what
# words/ holds. The command lines parse arguments and call every layer but the pages'.
ORDER = ("words", "db", "access", "desk", "demo", "feeds", "queries")
ABOVE_QUERIES = ("ui", "screens", "reports", "streamlit")
BELOW = {layer: ORDER[i + 1:] + ABOVE_QUERIES for i, layer in enumerate(ORDER)}
BELOW |= {"cli": ("ui", "screens", "streamlit"), "ui": ("screens",),
          "reports": ("ui", "screens", "streamlit")}
COMMAND_LINES = (("db", "cli"), ("queries", "cli.py"))


def sources() -> list[Path]:
    return [p for package in PACKAGES if (ROOT / package).is_dir()
            for p in sorted((ROOT / package).rglob("*.py")) if "migrations" not in p.parts]


def imported_modules(path: Path, bound_only: bool = False) -> list[str]:
    """The dotted names of the modules `path` imports (a `from a import b` counts `a.b` when
    `b` is a module of ours, else `a`); `bound_only`: only those bound to a name in it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                as_file = ROOT / (dotted.replace(".", "/") + ".py")
                as_package = ROOT / dotted.replace(".", "/") / "__init__.py"
                if as_file.exists() or as_package.exists():
                    found.append(dotted)
                elif not bound_only:
                    found.append(node.module)
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_no_two_modules_of_one_name(path):
    ours = {m for m in imported_modules(path, bound_only=True) if m.split(".")[0] in PACKAGES}
    names = [m.rsplit(".", 1)[-1] for m in ours]
    assert len(names) == len(set(names)), sorted(ours)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_layers_import_only_downwards(path):
    parts = path.relative_to(ROOT).parts
    layer = "cli" if parts[:2] in COMMAND_LINES else parts[0]
    forbidden = BELOW.get(layer, ())
    bad = [m for m in imported_modules(path) if m.split(".")[0] in forbidden]
    assert not bad, bad


def test_no_module_is_named_after_a_builtin():
    shadows = [str(p.relative_to(ROOT)) for p in sources()
               if not p.stem.startswith("_") and hasattr(builtins, p.stem)]
    assert shadows == []

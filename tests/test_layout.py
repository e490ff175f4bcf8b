"""The package's layout as googlenet/__init__.py describes it: a flat core that never imports the
book's or §8's subpackages, one concept per file, no file a reader cannot read in one sitting."""

import ast
import re
from pathlib import Path

import pytest

import googlenet

PACKAGE = Path(googlenet.__file__).parent
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
SUBPACKAGES = ("book", "detection", "extras")
MAX_LINES = 450


def imported_modules(path: Path) -> set[str]:
    """Every googlenet module ``path`` imports, lazily inside functions too, as absolute names."""
    package = "googlenet" if path.parent == PACKAGE else f"googlenet.{path.parent.name}"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("googlenet")}


def test_the_scan_sees_relative_and_lazy_imports(tmp_path):
    assert "googlenet.crops" in imported_modules(PACKAGE / "multicrop.py")  # `from .crops import ...`
    assert "googlenet.extras.checkpoint" in imported_modules(PACKAGE / "book" / "results.py")  # `..extras`
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from googlenet.book import plots\n")
    assert "googlenet.book.plots" in imported_modules(planted)


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_never_imports_the_book_or_detection(path):
    bad = {m for m in imported_modules(path) if m.startswith(("googlenet.book", "googlenet.detection"))}
    assert not bad, f"{path.name} imports {sorted(bad)}: the core must not depend on the book's code"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_file_is_too_long_to_read_in_one_sitting(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {n} lines (at most {MAX_LINES})"


def test_the_package_docstring_lists_every_module():
    doc = googlenet.__doc__
    listed = set(re.findall(r"`([a-z_0-9]+)`", doc)) | set(re.findall(r"``([a-z_0-9]+)``", doc))
    modules = {p.stem for p in CORE} | set(SUBPACKAGES)
    modules |= {p.stem for sub in SUBPACKAGES for p in (PACKAGE / sub).glob("*.py") if p.stem != "__init__"}
    assert modules - listed == set(), f"not described in googlenet/__init__.py: {sorted(modules - listed)}"

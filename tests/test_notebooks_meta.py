"""Every notebook follows notebooks/CONVENTIONS.md: the Colab install cell first (hidden in the
book), one repository URL everywhere, listed in the book's table of contents, executed top to
bottom, and every output that nbval does not compare says why in its first line."""

from pathlib import Path

import nbformat
import pytest
import yaml

import googlenet
from googlenet.book.colab import INSTALL_CELL, INSTALL_CELL_TAGS, INSTALL_SPEC

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IGNORE_TAG = "nbval-ignore-output"


def _toc_files(node) -> set[str]:
    """Every `file:` entry of _toc.yml, at any depth."""
    found = set()
    if isinstance(node, dict):
        if "file" in node:
            found.add(str(node["file"]))
        for value in node.values():
            found |= _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            found |= _toc_files(item)
    return found


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ 中没有任何 .ipynb"


def test_repository_url_is_the_one_in_config(config):
    repo = config["repository"]
    assert googlenet.REPOSITORY_URL == repo["url"], (
        f"googlenet.REPOSITORY_URL = {googlenet.REPOSITORY_URL!r}，而 _config.yml 中 repository.url = {repo['url']!r}")
    assert googlenet.REPOSITORY_BRANCH == repo["branch"] == "main"
    assert f"git+{repo['url']}@{repo['branch']}" in INSTALL_SPEC
    assert INSTALL_SPEC in INSTALL_CELL


def test_install_cell_only_acts_in_colab():
    assert 'if "google.colab" in sys.modules:' in INSTALL_CELL
    assert INSTALL_CELL.rstrip().splitlines()[-1].strip().startswith("%pip install")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_the_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and first.source == INSTALL_CELL, f"{path.name} 的第一格不是 INSTALL_CELL"
    assert set(INSTALL_CELL_TAGS) <= set(first.metadata.get("tags", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernelspec_is_python3(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_toc(path):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert f"notebooks/{path.stem}" in _toc_files(toc), f"{path.name} 没有列在 _toc.yml 中"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert None not in counts, f"{path.name} 有未运行的代码格：请从头到尾运行后再提交"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), (
        f"{path.name} 的代码格不是按顺序运行的：{counts}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_give_a_reason(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if IGNORE_TAG in cell.metadata.get("tags", []):
            first = cell.source.splitlines()[0] if cell.source else ""
            reason = first.lstrip("#").strip()
            assert first.startswith("#") and len(reason) > len(IGNORE_TAG) + 2, (
                f"{path.name} 第 {i} 格被 nbval 忽略，但第一行没有用注释说明原因：{first!r}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignore_comment_comes_with_the_tag(path):
    """nbval reads the cell tag, not the comment: a cell that says it is ignored must carry the tag."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.lstrip().startswith(f"# {IGNORE_TAG}"):
            assert IGNORE_TAG in cell.metadata.get("tags", []), f"{path.name} 第 {i} 格注释说忽略输出，但没有 {IGNORE_TAG} 标签"

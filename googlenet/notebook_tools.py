"""Authoring helpers for the book's notebooks (not needed to read or run them).

    python -m googlenet.notebook_tools new notebooks/NN_name.ipynb "标题"

creates a notebook that starts with the Colab install cell of `googlenet.colab`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .colab import INSTALL_CELL, INSTALL_CELL_TAGS


def new_notebook(path: str | Path, title: str) -> Path:
    import nbformat  # comes with Jupyter; only authors need it

    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} 已存在，不覆盖")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cell = nbformat.v4.new_code_cell(INSTALL_CELL)
    cell.metadata["tags"] = list(INSTALL_CELL_TAGS)
    nb.cells = [cell, nbformat.v4.new_markdown_cell(f"# {title}")]
    nbformat.write(nb, path)
    return path


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] != "new":
        raise SystemExit('用法：python -m googlenet.notebook_tools new notebooks/NN_name.ipynb "标题"')
    print(new_notebook(argv[1], argv[2]))


if __name__ == "__main__":
    main()

"""Authoring helpers for the book (not needed to read or run it).

    python -m googlenet.notebook_tools new notebooks/NN_name.ipynb "标题"
        creates a notebook that starts with the Colab install cell of `googlenet.colab`;
    python -m googlenet.notebook_tools search-dict
        rewrites book/search_dict.txt from the glossary, so that Sphinx's Chinese search
        (jieba) keeps the book's terms (辅助分类器, 局部响应归一化 ...) as whole words.
"""

from __future__ import annotations

import re
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


GLOSSARY = Path("book/appendix_glossary.md")
SEARCH_DICT = Path("book/search_dict.txt")


def glossary_rows(path: str | Path = GLOSSARY) -> list[tuple[str, str, list[str]]]:
    """(译法, English, [避免的写法 ...]) for every row of the glossary's Markdown table."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("译法", "") or set(cells[0]) <= {"-"}:
            continue
        rows.append((cells[0], cells[1], [a.strip() for a in cells[2].split("、") if a.strip()]))
    return rows


def search_dict_text(path: str | Path = GLOSSARY) -> str:
    """jieba user dictionary ("词 词频" per line) of the glossary's multi-character Chinese terms."""
    words = sorted({t for t, _, _ in glossary_rows(path) if re.fullmatch(r"[\u4e00-\u9fff]{3,}", t)})
    return "".join(f"{w} 2000\n" for w in words)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["search-dict"]:
        SEARCH_DICT.write_text(search_dict_text(), encoding="utf-8")
        print(SEARCH_DICT)
    elif len(argv) == 3 and argv[0] == "new":
        print(new_notebook(argv[1], argv[2]))
    else:
        raise SystemExit('用法：python -m googlenet.notebook_tools new notebooks/NN_name.ipynb "标题"\n'
                         "      python -m googlenet.notebook_tools search-dict")


if __name__ == "__main__":
    main()

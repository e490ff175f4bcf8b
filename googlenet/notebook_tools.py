"""Authoring helpers for the book (not needed to read or run it).

    python -m googlenet.notebook_tools new notebooks/NN_name.ipynb "标题"
        creates a notebook that starts with the Colab install cell of `googlenet.colab`;
    python -m googlenet.notebook_tools search-dict
        rewrites book/search_dict.txt from the glossary, so that Sphinx's Chinese search
        (jieba) keeps the book's terms (辅助分类器, 局部响应归一化 ...) as whole words;
    python -m googlenet.notebook_tools handout
        the translation alone (book/_toc_print.yml) as one HTML page and a printable PDF
        (Chromium prints it), in a student version (answers hidden) and a teacher version.
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


HANDOUT_DIR = Path("_build/handout")
_STUDENT_CSS = "div.admonition.answer { display: none; }\n"


def build_handout(out: str | Path = HANDOUT_DIR, chromium: str | None = None) -> list[Path]:
    """Single-page HTML of the translation and, where Chromium is installed, two PDFs.

    Uses `_config.yml` with three changes for print: Sphinx's plain "basic" theme (the
    book theme's single-page output carries no stylesheets), no launch buttons, and links
    to notebooks (which a handout leaves out) not reported as missing; the full HTML
    build (`make book`, warnings as errors) still checks every one of those links.
    """
    import shutil
    import subprocess

    import yaml

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(Path("_config.yml").read_text(encoding="utf-8"))
    config.pop("launch_buttons", None)
    config["html"] = {}
    sphinx = config["sphinx"]["config"]
    sphinx.update(html_theme="basic", html_theme_options={}, html_css_files=["custom.css", "print.css"],
                  suppress_warnings=["myst.xref_missing"])
    sphinx["html_static_path"] = [str(Path(p).resolve()) for p in sphinx["html_static_path"]] + [str(out / "static")]
    (out / "static").mkdir(exist_ok=True)
    (out / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    written = []
    for version, css in (("teacher", ""), ("student", _STUDENT_CSS)):
        (out / "static" / "print.css").write_text(_PRINT_CSS + css, encoding="utf-8")
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        subprocess.run([str(jupyter_book), "build", ".", "--builder", "singlehtml",
                        "--toc", "book/_toc_print.yml", "--config", str(out / "_config.yml"),
                        "--path-output", str(out / version), "-W", "-q"], check=True)
        # Sphinx writes the page as book/index.html but links its _static/ and _images/ as if
        # it sat at the top: a copy there is the page with working styles and pictures.
        site = out / version / "_build" / "singlehtml"
        html = site / "handout.html"
        shutil.copyfile(site / "book" / "index.html", html)
        written.append(html)
        chromium = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium:
            pdf = out / f"深入卷积-译文-{'教师版' if version == 'teacher' else '学生版'}.pdf"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={out / 'chromium-profile'}", "--no-pdf-header-footer",
                            "--virtual-time-budget=5000", f"--print-to-pdf={pdf}", html.as_uri()],
                           check=True, capture_output=True)
            if not pdf.is_file():
                raise RuntimeError(f"Chromium 没有生成 {pdf}")
            written.append(pdf)
    return written


_PRINT_CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; max-width: 48em; margin: 2em auto;
       line-height: 1.7; font-size: 11pt; color: #111; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.45em; }
div.admonition { border: 1px solid #bbb; border-radius: 4px; padding: 0.2em 0.9em; margin: 1em 0; }
p.admonition-title { font-weight: bold; }
a.headerlink, .toggle-button, button { display: none; }
img { max-width: 100%; }
h1 { break-before: page; }
div.body > section:first-child > h1 { break-before: auto; }
div.related, div.sphinxsidebar, div.footer, #searchbox { display: none; }
div.admonition.yizhu > .admonition-title::after { content: none; }  /* icon font absent in print */
@page { margin: 18mm 16mm; }
"""


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["handout"]:
        for path in build_handout():
            print(path)
    elif argv[:1] == ["search-dict"]:
        SEARCH_DICT.write_text(search_dict_text(), encoding="utf-8")
        print(SEARCH_DICT)
    elif len(argv) == 3 and argv[0] == "new":
        print(new_notebook(argv[1], argv[2]))
    else:
        raise SystemExit('用法：python -m googlenet.notebook_tools new notebooks/NN_name.ipynb "标题"\n'
                         "      python -m googlenet.notebook_tools search-dict\n"
                         "      python -m googlenet.notebook_tools handout")


if __name__ == "__main__":
    main()

"""Authoring helpers for the book (not needed to read or run it).

    python -m tools.notebook_tools new notebooks/NN_name.ipynb "标题"
        creates a notebook that starts with the Colab install cell of `googlenet.book.colab`;
    python -m tools.notebook_tools search-dict
        rewrites book/search_dict.txt from the glossary, so that Sphinx's Chinese search
        (jieba) keeps the book's terms (辅助分类器, 局部响应归一化 ...) as whole words;
    python -m tools.notebook_tools handout
        the translation alone (book/_toc_print.yml) as one HTML page and a printable PDF
        (Chromium prints it), in a student version (answers hidden) and a teacher version;
    python -m tools.notebook_tools runtimes [NOTEBOOK ...]
        how long each notebook (default: notebooks/*.ipynb) took when it was last executed,
        read from the cell timing metadata that `jupyter execute` records;
    python -m tools.notebook_tools check-throughput [--strict]
        compares the throughput the committed notebooks printed when they were executed
        (training images/s in 06, views/s in 07 and 08) with what this machine does now, and
        warns where a recorded figure is far lower: the notebooks were then executed on a busy
        machine, and their recorded runtimes (the teacher guide's tables) are not to be trusted.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from googlenet.book.colab import INSTALL_CELL, INSTALL_CELL_TAGS


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
    to notebooks (which a handout leaves out) not reported as missing, nor numbers glued from
    them (chapters 6, 7, 9: the handout leaves those blanks); the full HTML build (`make book`,
    warnings as errors) still checks every one of those links and glue references.
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
                  suppress_warnings=["myst.xref_missing", "mystnb.glue_ref"])
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
/* singlehtml marks where each chapter's document starts with <span id="document-book/...">:
   every chapter begins a new page (its title is an h2 there, like the preface's subsections) */
span[id^="document-book/"] + section { break-before: page; }
div.related, div.sphinxsidebar, div.footer, #searchbox { display: none; }
div.admonition.yizhu > .admonition-title::after { content: none; }  /* icon font absent in print */
@page { margin: 18mm 16mm; }
"""


NOTEBOOKS = Path("notebooks")


def _timestamp(value: str):
    from datetime import datetime

    # nbclient writes ISO 8601 in UTC with a "Z"; Python < 3.11 does not read the "Z"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def recorded_runtime(notebook) -> float | None:
    """Seconds the notebook's last top-to-bottom execution took, or None where it recorded no timing.

    ``jupyter execute`` (nbclient, ``record_timing``) stores in every code cell's
    ``metadata.execution`` when the kernel received it (``iopub.execute_input``) and when it
    replied (``shell.execute_reply``). The runtime is the span from the first timed cell's
    input to the last timed cell's reply: the time a reader waits for "Run all", without the
    kernel's start-up. ``notebook`` is a path or an already loaded notebook (nbformat).
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, (str, Path)) else notebook
    timed = [cell.metadata["execution"] for cell in nb.cells
             if cell.cell_type == "code" and {"iopub.execute_input", "shell.execute_reply"}
             <= set(cell.metadata.get("execution", {}))]
    if not timed:
        return None
    seconds = (_timestamp(timed[-1]["shell.execute_reply"])
               - _timestamp(timed[0]["iopub.execute_input"])).total_seconds()
    return seconds if seconds >= 0 else None  # cells run out of order: no honest single figure


def _about(seconds: float) -> str:
    """A rounded figure to quote: "约 5 秒", "约 75 秒", "约 3.5 分钟"."""
    if seconds < 60:
        return f"约 {max(1, round(seconds))} 秒"
    if seconds < 120:
        return f"约 {5 * round(seconds / 5)} 秒"
    minutes = round(seconds / 60 * 2) / 2
    return f"约 {minutes:g} 分钟"


def runtimes_table(paths=None) -> str:
    """The recorded runtime of every notebook as a Chinese table (`googlenet.tables.format_table`)."""
    from googlenet.tables import format_table

    paths = sorted(NOTEBOOKS.glob("*.ipynb")) if paths is None else [Path(p) for p in paths]
    if not paths:
        raise FileNotFoundError(f"{NOTEBOOKS.resolve()} 中没有笔记本：请在仓库根目录运行，或给出笔记本的路径")
    rows, total, missing = [], 0.0, 0
    for path in paths:
        seconds = recorded_runtime(path)
        if seconds is None:
            rows.append([path.name, "", "未记录"])
            missing += 1
        else:
            rows.append([path.name, f"{seconds:.1f}", _about(seconds)])
            total += seconds
    if len(paths) > 1:
        label = "合计" if not missing else f"合计（不含 {missing} 个未记录的）"
        rows.append([label, f"{total:.1f}", _about(total)])
    return format_table(["笔记本", "运行时间（秒）", "约合"], rows)


# What the notebooks print about their own speed (in cells whose output nbval ignores), and which
# of this machine's measured rates each figure is to be compared with.
RECORDED_RATES = [("06_train_on_subset.ipynb", r"([\d.]+) 张/秒", "train"),
                  ("07_multicrop.ipynb", r"每秒 ([\d.]+) 个视图", "inference"),
                  ("08_detection.ipynb", r"每秒 ([\d.]+) 次前向计算", "inference")]
BUSY_RATIO = 0.6  # a recorded rate below this fraction of today's means the machine was busy


def recorded_rates(directory: str | Path | None = None) -> list[tuple[str, str, float]]:
    """(notebook, kind, rate) for every speed figure the committed notebooks printed."""
    import nbformat

    found = []
    for name, pattern, kind in RECORDED_RATES:
        path = Path(directory or NOTEBOOKS) / name
        if not path.exists():
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                for m in re.finditer(pattern, out.get("text", "")):
                    found.append((name, kind, float(m.group(1))))
    return found


def measured_rates(seconds: float = 6.0) -> dict[str, float]:
    """This machine's rates now, for the book's model (notebook 06's: 1 channel, 64 px, fp32,
    channels_last): training images/s (batch 64, aux heads) and inference views/s (batch 256)."""
    import time

    import torch
    import torch.nn.functional as F

    from googlenet.book.runs import BOOK_CONFIG
    from googlenet.train import build_model

    torch.manual_seed(0)
    model = build_model(BOOK_CONFIG)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(64, 1, 64, 64), torch.randint(0, 10, (64,))

    def step():
        out = model(x)
        loss = F.cross_entropy(out.logits, y) + 0.3 * (F.cross_entropy(out.aux1, y) + F.cross_entropy(out.aux2, y))
        opt.zero_grad()
        loss.backward()
        opt.step()

    def rate(fn, n):
        fn()  # warm-up
        start, done = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            fn()
            done += n
        return done / (time.perf_counter() - start)

    train = rate(step, 64)
    model.eval()
    views = torch.randn(256, 1, 64, 64)
    with torch.inference_mode():
        inference = rate(lambda: model(views), 256)
    return {"train": train, "inference": inference}


def throughput_warnings(recorded, measured, ratio: float = BUSY_RATIO) -> list[str]:
    """A Chinese warning for every recorded rate below ``ratio`` × this machine's measured rate."""
    names = {"train": "训练（张/秒）", "inference": "推理（视图/秒）"}
    return [f"警告：{name} 记录的{names[kind]}是 {rate:.0f}，只有本机现在实测 {measured[kind]:.0f} 的 "
            f"{rate / measured[kind]:.0%}：执行它时机器很可能在忙，记录的运行时间偏长；请在空闲的机器上重新执行它"
            for name, kind, rate in recorded if rate < ratio * measured[kind]]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["handout"]:
        for path in build_handout():
            print(path)
    elif argv[:1] == ["runtimes"]:
        print(runtimes_table(argv[1:] or None))
        print("\n运行时间取自笔记本中记录的单元格执行时间（jupyter execute 写入）：从第一个计时的代码格开始执行，"
              "到最后一个计时的代码格执行完毕，不含内核启动；重新运行笔记本后再查看即更新。")
    elif argv[:1] == ["check-throughput"]:
        measured = measured_rates()
        print(f"本机现在：训练 {measured['train']:.0f} 张/秒，推理 {measured['inference']:.0f} 视图/秒（笔记本 06 的模型）")
        recorded = recorded_rates()
        for name, kind, rate in recorded:
            print(f"  {name}：记录的 {kind} 速度 {rate:.0f}（本机现在的 {rate / measured[kind]:.0%}）")
        warnings = throughput_warnings(recorded, measured)
        for line in warnings:
            print(line, file=sys.stderr)
        if warnings and "--strict" in argv:
            raise SystemExit(1)
    elif argv[:1] == ["search-dict"]:
        SEARCH_DICT.write_text(search_dict_text(), encoding="utf-8")
        print(SEARCH_DICT)
    elif len(argv) == 3 and argv[0] == "new":
        print(new_notebook(argv[1], argv[2]))
    else:
        raise SystemExit('用法：python -m tools.notebook_tools new notebooks/NN_name.ipynb "标题"\n'
                         "      python -m tools.notebook_tools search-dict\n"
                         "      python -m tools.notebook_tools handout\n"
                         "      python -m tools.notebook_tools runtimes [笔记本 ...]\n"
                         "      python -m tools.notebook_tools check-throughput [--strict]")


if __name__ == "__main__":
    main()

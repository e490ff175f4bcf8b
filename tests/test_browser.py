"""The built book as a reader sees it, in headless Chromium.

Needs the HTML from `make build-book` (``make test`` builds it first) and Debian's
``chromium`` with a CJK font (``fonts-noto-cjk``), which `.ci/run` installs. Screenshots go
to ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import html as html_lib
import http.server
import json
import re
import shutil
import socketserver
import subprocess
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

import googlenet

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return files


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("没有找到 chromium（Debian：apt-get install chromium fonts-noto-cjk）")
    if not (HTML / "book" / "index.html").is_file():
        pytest.fail(f"找不到已构建的书 {HTML}：先运行 make build-book")
    handler = functools.partial(Quiet, directory=str(HTML))
    server = socketserver.TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tmp_path_factory.mktemp("chromium-profile")
    yield f"http://127.0.0.1:{server.server_address[1]}", profile
    server.shutdown()
    server.server_close()


# Measures every table of the page's article once the page and its fonts have loaded, and
# leaves the numbers on <body data-table-widths="[...]"> for --dump-dom. With ?plant the script
# first adds a copy of the page's first table with every column repeated three times: a table
# too wide for any screen, which the measurement must report (test_the_table_width_check_can_fail).
MEASURE_TABLES = """<script>
window.addEventListener('load', () => document.fonts.ready.then(() => {
  if (location.search.includes('plant')) {
    const first = document.querySelector('article.bd-article table');
    const box = first.closest('.pst-scrollable-table-container') || first.parentElement;
    const copy = box.cloneNode(true);
    for (const row of copy.querySelectorAll('tr'))
      for (const cell of [...row.children]) { row.append(cell.cloneNode(true), cell.cloneNode(true)); }
    copy.querySelector('table').dataset.planted = 'yes';
    box.after(copy);
  }
  const rows = [];
  for (const t of document.querySelectorAll('article.bd-article table')) {
    const box = t.closest('.pst-scrollable-table-container') || t.parentElement;
    rows.push({headers: [...t.querySelectorAll('thead th')].map(th => th.textContent.trim()),
               classes: t.className, planted: t.dataset.planted === 'yes',
               table: t.getBoundingClientRect().width, scroll: box.scrollWidth, box: box.clientWidth});
  }
  document.body.dataset.tableWidths = JSON.stringify(rows);
}));
</script>"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the built book; a page asked for with ?measure carries MEASURE_TABLES."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if "measure" not in query or not path.endswith(".html"):
            return super().do_GET()
        text = (HTML / path.lstrip("/")).read_text(encoding="utf-8")
        body = text.replace("</body>", MEASURE_TABLES + "</body>").encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def chromium(profile: Path, *args: str, timeout: int = 60) -> str:
    result = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=timeout)
    return result.stdout


def dom(site, page: str, wait_ms: int = 3000) -> str:
    """The page's DOM after its scripts ran (search results are filled in by JavaScript)."""
    base, profile = site
    return chromium(profile, f"--virtual-time-budget={wait_ms}", "--dump-dom", f"{base}/{page}")


def screenshot(site, page: str, name: str, size=(1280, 1600)) -> Path:
    base, profile = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    path.unlink(missing_ok=True)
    chromium(profile, f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=3000",
             f"--screenshot={path}", f"{base}/{page}")
    return path


def table_widths(site, page: str, width: int = 1280, plant: bool = False) -> list[dict]:
    """Every table of `page` at a `width`-px window: its width and its container's."""
    base, profile = site
    query = "measure&plant" if plant else "measure"
    html = chromium(profile, f"--window-size={width},1600", "--virtual-time-budget=5000", "--dump-dom",
                    f"{base}/{page}?{query}")
    found = re.search(r'data-table-widths="([^"]*)"', html)
    assert found, f"{page}：页面没有给出表格宽度（测量脚本没有运行）"
    return json.loads(html_lib.unescape(found.group(1)))


def too_wide(t: dict) -> bool:
    """Wider than its column: the reader would have to scroll sideways to see all of it."""
    return t["table"] > t["box"] + 1 or t["scroll"] > t["box"] + 1


TABLE1_HEADERS = ["类型", "图像块大小/步幅", "输出尺寸", "深度", "#1×1", "#3×3 降维", "#3×3", "#5×5 降维",
                  "#5×5", "池化投影", "参数量", "运算量"]


def test_table1_fits_a_1280_px_window(site):
    tables = [t for t in table_widths(site, "book/05_googlenet.html") if t["headers"] == TABLE1_HEADERS]
    assert len(tables) == 1, "第 5 章页面上找不到表 1"
    table1 = tables[0]
    assert "wide-table" in table1["classes"]
    assert table1["box"] > 500, table1  # the page was laid out at 1280 px, not in a narrow fallback
    assert not too_wide(table1), f"1280 px 宽的窗口中表 1 比正文栏宽，读者要横向滚动：{table1}"


@pytest.mark.parametrize("page", [f for f in toc_files() if f.startswith("book/")])
def test_every_table_of_the_translation_fits_a_1280_px_window(site, page):
    wide = [t for t in table_widths(site, f"{page}.html") if too_wide(t)]
    assert not wide, f"{page}：1280 px 宽的窗口中这些表格比正文栏宽：" + "；".join(
        f"{t['headers'][:3]}… {t['table']:.0f} px > {t['box']} px" for t in wide)


def test_the_table_width_check_can_fail(site):
    """A table three times as wide as Table 1, planted in the same page, is reported."""
    tables = table_widths(site, "book/05_googlenet.html", plant=True)
    planted = [t for t in tables if t["planted"]]
    assert len(planted) == 1 and len(planted[0]["headers"]) == 3 * len(TABLE1_HEADERS)
    assert too_wide(planted[0]), planted[0]
    assert not any(too_wide(t) for t in tables if not t["planted"])


def _is_real_picture(path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as im:
        colours = im.convert("RGB").resize((320, 400)).getcolors(maxcolors=1 << 16)
    return colours is not None and len(colours) > 50  # a blank or error page has a handful


def test_home_page_and_table1_page_screenshots(site):
    for page, name in [("book/index.html", "home.png"), ("book/05_googlenet.html", "table1.png")]:
        path = screenshot(site, page, name)
        assert path.is_file() and path.stat().st_size > 20_000, page
        assert _is_real_picture(path), page


def test_table1_page_has_the_table(site):
    html = dom(site, "book/05_googlenet.html")
    for figure in ("inception (3a)", "159K", "1388K", "1072K", "#3×3"):
        assert figure in html


def test_every_chapter_is_in_the_navigation(site):
    html = dom(site, "book/index.html")
    nav = re.search(r'<nav class="[^"]*bd-docs-nav.*?</nav>', html, re.S)
    assert nav, "页面上没有侧边导航栏"
    links = set(re.findall(r'href="([^"#]+)', nav.group(0)))
    for file in toc_files()[1:]:
        name = Path(file).name + ".html"
        assert any(link.endswith(name) for link in links), f"导航中没有 {file}"


def test_notebook_pages_link_to_colab_on_main(site):
    notebooks = [f for f in toc_files() if f.startswith("notebooks/")]
    if not notebooks:
        pytest.skip("目录中还没有笔记本")
    repo = googlenet.REPOSITORY_URL.removeprefix("https://github.com/")
    for file in notebooks:
        html = dom(site, f"{file}.html", wait_ms=500)
        expected = (f"https://colab.research.google.com/github/{repo}/blob/"
                    f"{googlenet.REPOSITORY_BRANCH}/{file}.ipynb")
        assert expected in html, f"{file} 页面上没有指向 {expected} 的 Colab 链接"


@pytest.mark.parametrize("term, expected_pages", [
    ("降维", ["04_architecture.html", "appendix_glossary.html"]),
    ("辅助分类器", ["05_googlenet.html"]),
])
def test_chinese_search_finds_the_right_pages(site, term, expected_pages):
    html = dom(site, f"search.html?q={quote(term)}", wait_ms=8000)
    results = html[html.find('id="search-results"'):]
    found = set(re.findall(r'href="[^"]*?([\w.-]+\.html)[^"]*"', results))
    assert found, f"搜索“{term}”没有结果"
    for page in expected_pages:
        assert page in found, f"搜索“{term}”的结果中没有 {page}：{sorted(found)}"


def test_handout_pdfs_student_version_hides_answers():
    handout = ROOT / "_build" / "handout"
    teacher, student = handout / "深入卷积-译文-教师版.pdf", handout / "深入卷积-译文-学生版.pdf"
    if CHROMIUM is None:
        pytest.skip("没有 chromium，无法打印 PDF")
    assert teacher.is_file() and student.is_file(), "先运行 make handout"
    # fewer pages without the worked answers; both are real multi-page documents
    pages = [len(re.findall(rb"/Type\s*/Page[^s]", p.read_bytes())) for p in (teacher, student)]
    assert pages[0] > pages[1] > 20

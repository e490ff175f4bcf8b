"""The built book as a reader sees it, in headless Chromium.

Needs the HTML from `make build-book` (``make test`` builds it first) and Debian's
``chromium`` with a CJK font (``fonts-noto-cjk``), which `.ci/run` installs. Screenshots go
to ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
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
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    server = socketserver.TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tmp_path_factory.mktemp("chromium-profile")
    yield f"http://127.0.0.1:{server.server_address[1]}", profile
    server.shutdown()
    server.server_close()


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

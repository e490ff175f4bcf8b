"""One terminology everywhere: no page uses a wording the glossary (附录 B) rules out."""

import json
import re
from pathlib import Path

import pytest

from tools import notebook_tools

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "appendix_glossary.md"


def glossary_rows():
    return notebook_tools.glossary_rows(GLOSSARY)


def reader_pages():
    """Every text a reader sees as a page: translation pages and notebook markdown cells."""
    for path in sorted((ROOT / "book").glob("*.md")):
        if path.name not in ("appendix_glossary.md", "STYLE.md"):
            yield path.relative_to(ROOT), path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        yield path.relative_to(ROOT), text


def test_glossary_parses_and_fixes_the_key_terms():
    rows = glossary_rows()
    terms = {r[0] for r in rows}
    assert len(rows) >= 50
    assert {"降维", "辅助分类器", "感受野", "Inception 模块", "赫布原理"} <= terms
    avoided = [a for r in rows for a in r[2]]
    assert len(avoided) == len(set(avoided)), "同一个“避免”写法出现在两行"
    for term, _, avoid in rows:  # an avoided wording must never contain the preferred one
        assert all(term not in a for a in avoid), term


@pytest.mark.parametrize("page, text", list(reader_pages()), ids=lambda v: str(v) if isinstance(v, Path) else "")
def test_page_uses_glossary_terms(page, text):
    hits = []
    for term, _, avoid in glossary_rows():
        for wrong in avoid:
            for m in re.finditer(re.escape(wrong), text):
                line = text.count("\n", 0, m.start()) + 1
                hits.append(f"{page}:{line}: “{wrong}” → 应写作“{term}”")
    assert not hits, "\n".join(hits)


# a Chinese word followed by an English gloss in half-width brackets: 视图 (view)
HALF_WIDTH_GLOSS = re.compile(r"[\u4e00-\u9fff] ?\(([A-Za-z][a-z][A-Za-z0-9 \-'’,×/]+)\)")


def half_width_glosses(text: str) -> list[str]:
    return [m.group(0) for m in HALF_WIDTH_GLOSS.finditer(text)]


@pytest.mark.parametrize("page, text", list(reader_pages()), ids=lambda v: str(v) if isinstance(v, Path) else "")
def test_glosses_use_full_width_brackets(page, text):
    """STYLE.md: the English term goes in full-width brackets, 降维（dimensionality reduction）."""
    found = half_width_glosses(text)
    assert not found, f"{page}: 英文术语应放在全角括号中：" + "、".join(found)


def test_the_gloss_check_can_fail():
    assert half_width_glosses("先看视图 (view)，再看集成(ensemble)；`f(x)`、大小 (H × W) 与 降维（dimensionality reduction） 不算") == [
        "图 (view)", "成(ensemble)"]


def test_the_check_can_fail(tmp_path):
    rows = glossary_rows()
    sample = "我们用 1×1 卷积做维度约简，再接辅助分类层。"
    found = [w for _, _, avoid in rows for w in avoid if w in sample]
    assert found == ["维度约简", "辅助分类层"]


def test_the_epoch_rule_can_fail():
    """附录 B：epoch 译作“轮”，“每 8 个 epoch”这种半译的写法会被拒绝。"""
    rows = glossary_rows()
    found = [w for _, _, avoid in rows for w in avoid if w in "学习率每 8 个 epoch 乘以 0.96；每 8 轮（epoch）"]
    assert found == ["个 epoch"]


# multi-box [5] has one rendering in the translation pages: 多框, glossed once as 多框（MultiBox）
UNTRANSLATED_MULTIBOX = re.compile(r"(?<!多框（)(?:multi-box|MultiBox|Multibox)", re.I)


def untranslated_multibox(text: str) -> list[str]:
    return [m.group(0) for m in UNTRANSLATED_MULTIBOX.finditer(text)]


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "book").glob("*.md")
                                        if p.name not in ("appendix_glossary.md", "STYLE.md")))
def test_multibox_is_translated(page):
    found = untranslated_multibox((ROOT / "book" / page).read_text(encoding="utf-8"))
    assert not found, f"book/{page}: multi-box 应写作“多框”（首次出现写作“多框（MultiBox）”）：{found}"


def test_the_multibox_check_can_fail():
    assert untranslated_multibox("用多框（MultiBox）[5] 预测；补回 200 个来自 multi-box [5] 的候选区域，即 MultiBox") == [
        "multi-box", "MultiBox"]


def test_search_dictionary_is_current():
    expected = notebook_tools.search_dict_text(GLOSSARY)
    assert "辅助分类器 2000" in expected
    current = (ROOT / "book" / "search_dict.txt").read_text(encoding="utf-8")
    assert current == expected, "book/search_dict.txt 已过期：运行 python -m tools.notebook_tools search-dict"

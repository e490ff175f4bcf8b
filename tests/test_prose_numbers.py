"""Numbers the book measured are pasted from the notebooks (myst-nb glue), never typed.

A measured quantity (an accuracy, an error rate, a timing, a p-value, a throughput) typed into a
page goes stale the day someone re-runs the notebook that computed it. This test scans the book's
pages for such quantities and fails on any that is typed rather than pasted with
``{glue:text}`path::key:fmt```. Numbers the paper itself prints, arithmetic shown in full
(``(16.4 − 6.67) / 16.4 ≈ 59.3%``) and hand-worked exercise values are not measurements.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPER = (ROOT.parent / "shared" / "paper" / "going-deeper-with-convolutions.txt")

# what a measured quantity looks like in Chinese prose
_MEASURED = [
    re.compile(r"p\s*[=≈<>]\s*0\.\d+"),  # p-values
    re.compile(r"\d+(?:\.\d+)?\s*(?:张/秒|视图/秒|img/s)"),  # throughput
    re.compile(r"(?:用时|耗时|训练了|跑了)\D{0,4}\d+(?:\.\d+)?\s*(?:秒|分钟)"),  # timings
    re.compile(r"(?<![\d.])0\.\d{4}(?!\d)"),  # four-decimal accuracies (0.8530)
    re.compile(r"(?:准确率|错误率|mAP|覆盖率)[^。；\n]{0,24}?(?<![\d.])\d+\.\d+%?"),
    re.compile(r"(?<![\d.])\d+\.\d+%?\s*对\s*\d+\.\d+%?"),  # "0.853 对 0.815"
]
_GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
# code (not the prose inside admonitions, which MyST also fences)
_CODE = re.compile(r"```+(?:python|bash|text|console|\{literalinclude\}|\{code-block\})[^\n]*\n.*?```|`[^`\n]*`", re.S)
_ARITHMETIC = re.compile(r"(?:[\d)}⁰¹²³⁴⁵⁶⁷⁸⁹]\s*[×/+−\-=≈]|[√(])\s*$")  # a number inside a calculation shown in full
_THRESHOLD = re.compile(r"(超过|至少|高出|不低于|低于|下限|门槛)\s*$")  # a bound a notebook asserts, not a result
_SIGNIFICANCE = re.compile(r"p\s*[<≥]\s*0\.05(?!\d)")  # the significance level of every test, not a result
# Facts from elsewhere, quoted with their source in the page (appendix A): not the book's measurements.
EXTERNAL_FACTS = {
    "88.9",  # BVLC Caffe GoogLeNet, single-crop top-5 accuracy (its model zoo page)
    "69.78", "89.53",  # torchvision's GoogLeNet_Weights.IMAGENET1K_V1 top-1 / top-5
    "4.8",  # the BN-Inception ensemble's ILSVRC top-5 error (Ioffe & Szegedy 2015: 4.82 %), §7's note
}


# The paper's numbers are in googlenet/paper.py (its tables and constants); the English text, where a
# maintainer's checkout has it beside the repository, adds the rest. A reader's clone has only the
# first, so the few numbers of the paper's prose that the book quotes are listed here too.
PAPER_PROSE = {"0.6"}  # §5: average pooling instead of FC improved top-1 accuracy by about 0.6 %


def _paper_numbers() -> set[str]:
    text = (ROOT / "googlenet" / "paper.py").read_text(encoding="utf-8")
    if PAPER.is_file():
        text += PAPER.read_text(encoding="utf-8")
    return set(re.findall(r"\d+(?:\.\d+)?", text)) | PAPER_PROSE


def typed_measurements(text: str, paper_numbers: set[str]) -> list[str]:
    """The measured-looking quantities typed in ``text`` (markdown), glue roles and code removed."""
    text = _SIGNIFICANCE.sub(" ", _CODE.sub(" ", _GLUE.sub(" ", text)))
    found = []
    for line in text.splitlines():
        for pattern in _MEASURED:
            for m in pattern.finditer(line):
                numbers = re.findall(r"\d+(?:\.\d+)?", m.group(0))
                if not numbers or all(n in paper_numbers or n in EXTERNAL_FACTS for n in numbers):
                    continue
                before = line[:m.start() + m.group(0).find(numbers[-1])].rstrip()
                if _ARITHMETIC.search(before[-4:]) or _THRESHOLD.search(before[-6:]):
                    continue  # arithmetic written out on the same line, or an asserted bound
                found.append(m.group(0).strip())
    return found


def test_no_measured_number_is_typed_into_a_page():
    paper_numbers = _paper_numbers()
    problems = []
    for page in sorted((ROOT / "book").glob("*.md")):
        for number in typed_measurements(page.read_text(encoding="utf-8"), paper_numbers):
            problems.append(f"{page.name}: {number}")
    assert problems == [], "手写的实测数字（应改用 {glue:text} 从笔记本粘贴）：\n" + "\n".join(problems)


def test_the_scan_finds_planted_measurements():
    planted = ("在本书的运行中，带辅助分类器的网络测试准确率为 0.8530，不带的为 0.8150。\n"
               "McNemar 检验 p = 0.011。训练用时 535 秒，221 张/秒。\n"
               "单模型 top-1 错误率 20.20% 对 24.00%。")
    found = set(typed_measurements(planted, _paper_numbers()))
    assert {"0.8530", "0.8150", "p = 0.011", "221 张/秒", "用时 535 秒", "20.20% 对 24.00%"} <= found


def test_pasted_paper_and_arithmetic_numbers_pass():
    ok = ("准确率 {glue:text}`../notebooks/06_train_on_subset.ipynb::aux_acc:.4f`。"
          "论文的 top-5 错误率 6.67% 对 7.32%。"
          "(16.4 − 6.67) / 16.4 ≈ 59.3%，0.01 × 0.96 ≈ 0.0096。断言测试准确率超过 0.75。")
    assert typed_measurements(ok, _paper_numbers()) == []

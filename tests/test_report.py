"""The reproduction report: claims recomputed from the package, and read from saved results."""

import pytest

from googlenet.book.report import CONFIRMED, DIFFERS, NOT_RUN, PARTLY, reproduction_report
from googlenet.book.results import save_result


@pytest.fixture(scope="module")
def empty_report(tmp_path_factory):
    return reproduction_report(tmp_path_factory.mktemp("no-results"))


def _claim(report, fragment):
    matches = [c for c in report.claims if fragment in c.claim]
    assert len(matches) == 1, fragment
    return matches[0]


def test_recomputed_claims(empty_report):
    assert _claim(empty_report, "15 亿次乘加").ours == "1.58×10⁹"
    twelve = _claim(empty_report, "少 12 倍")
    assert twelve.verdict == DIFFERS and twelve.ours == "8.7×"
    assert _claim(empty_report, "22 层").ours == "22 / 27"
    assert _claim(empty_report, "144 个裁剪").verdict == CONFIRMED
    table3 = _claim(empty_report, "相对基线")
    assert table3.verdict == DIFFERS and "-3.40" in table3.ours and "-3.45" in table3.ours
    assert _claim(empty_report, "参数量与运算量").verdict == PARTLY
    assert all(not c.varies for c in empty_report.select(False).claims)


def test_missing_results_are_reported_not_guessed(empty_report):
    not_run = [c for c in empty_report.claims if c.verdict == NOT_RUN]
    assert {c.notebook for c in not_run} == {"03", "06", "07", "08"}
    assert all(c.varies and "先运行笔记本" in c.why for c in not_run)


def test_saved_results_drive_the_verdicts(tmp_path):
    save_result("sparse", {"csr_speedup_at_1pct": 0.5, "break_even_density": None}, tmp_path)
    save_result("training", {"test_accuracy": 0.9, "floor": 0.8, "ema_accuracy": 0.91,
                             "raw_accuracy": 0.9, "no_aux_accuracy": 0.92}, tmp_path)
    save_result("multicrop", {"images": 10, "rows": [
        {"models": 1, "crops": 1, "top1_error": 0.2, "top5_error": 0.0},
        {"models": 1, "crops": 144, "top1_error": 0.1, "top5_error": 0.0}]}, tmp_path)
    report = reproduction_report(tmp_path)
    assert _claim(report, "稀疏矩阵").verdict == CONFIRMED  # sparse slower at 1 %: the paper holds
    assert _claim(report, "辅助分类器帮助训练").verdict == DIFFERS  # without aux was better here
    assert _claim(report, "Polyak 平均的权重").verdict == CONFIRMED
    assert _claim(report, "裁剪越多").verdict == CONFIRMED
    assert _claim(report, "R-CNN").verdict == NOT_RUN  # detection.json not saved


def test_text_and_html(empty_report):
    text = empty_report.to_text()
    assert "【证实】" in text and text.splitlines()[-1].startswith("共 ")
    html = empty_report._repr_html_()
    assert html.count("<tr>") == len(empty_report.claims) + 1 and "&lt;" not in html[:20]


@pytest.mark.parametrize("errors, verdict", [
    ((0.20, 0.15, 0.10), CONFIRMED),  # 1 → 144 crops → 2 models × 144: each lower than one crop
    ((0.20, 0.22, 0.18), PARTLY),
    ((0.20, 0.24, 0.25), DIFFERS),  # what the book's models trained without crops show
])
def test_table3_trend_verdict(tmp_path, errors, verdict):
    rows = [{"models": m, "crops": c, "top1_error": e, "top5_error": 0.0}
            for (m, c), e in zip([(1, 1), (1, 144), (2, 144)], errors)]
    save_result("multicrop", {"images": 500, "rows": rows, "note": "说明"}, tmp_path)
    found = _claim(reproduction_report(tmp_path), "裁剪越多")
    assert found.verdict == verdict and found.why == "说明"
    assert found.ours.startswith("top-1：20.0% → ")


@pytest.mark.parametrize("ema, raw, verdict", [(0.853, 0.854, PARTLY), (0.86, 0.85, CONFIRMED), (0.84, 0.85, DIFFERS)])
def test_polyak_within_half_a_point_counts_as_equal(tmp_path, ema, raw, verdict):
    save_result("training", {"test_accuracy": ema, "ema_accuracy": ema, "raw_accuracy": raw}, tmp_path)
    found = _claim(reproduction_report(tmp_path), "Polyak 平均的权重")
    assert found.verdict == verdict and found.why.startswith(f"差 {(ema - raw) * 100:+.1f} 个百分点")

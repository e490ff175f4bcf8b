"""The reproduction report: claims recomputed from the package, and read from saved results."""

import pytest

import json

from googlenet.book import experiments
from googlenet.book.report import (CONFIRMED, DIFFERS, NOT_RUN, NOT_SIGNIFICANT, PARTLY, UNDECIDED,
                                   reproduction_report)
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
    assert _claim(empty_report, "4×3×6×2 = 144 个裁剪").verdict == CONFIRMED
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
    # one pair of runs decides nothing, whatever the direction; so does a trend without its test
    assert _claim(report, "Polyak 平均的权重").verdict == UNDECIDED
    assert _claim(report, "本机的一次运行").verdict == UNDECIDED
    assert _claim(report, "R-CNN").verdict == NOT_RUN  # detection.json not saved


def test_text_and_html(empty_report):
    text = empty_report.to_text()
    assert "【证实】" in text and text.splitlines()[-1].startswith("共 ")
    html = empty_report._repr_html_()
    assert html.count("<tr>") == len(empty_report.claims) + 1 and "&lt;" not in html[:20]


@pytest.mark.parametrize("errors, p, verdict", [
    ((0.20, 0.15, 0.10), 0.01, CONFIRMED),  # 1 → 144 crops → 2 models × 144: each lower than one crop
    ((0.20, 0.22, 0.18), 0.01, PARTLY),
    ((0.20, 0.24, 0.25), 0.01, DIFFERS),  # what the book's models trained without crops can show
    ((0.20, 0.24, 0.25), 0.08, UNDECIDED),  # the same direction, but the paired test does not decide it
    ((0.20, 0.15, 0.10), None, UNDECIDED),  # no test saved
])
def test_table3_trend_verdict_follows_the_paired_test(tmp_path, errors, p, verdict):
    rows = [{"models": m, "crops": c, "top1_error": e, "top5_error": 0.0}
            for (m, c), e in zip([(1, 1), (1, 144), (2, 144)], errors)]
    save_result("multicrop", {"images": 500, "rows": rows, "note": "说明", "p_1_vs_144": p}, tmp_path)
    found = _claim(reproduction_report(tmp_path), "本机的一次运行")
    assert found.verdict == verdict and found.why.endswith("说明")
    assert found.ours.startswith("top-1：20.0% → ")


@pytest.mark.parametrize("ema, raw, tie", [(0.853, 0.854, True), (0.86, 0.85, False), (0.84, 0.85, False)])
def test_one_run_of_polyak_vs_raw_gives_no_verdict(tmp_path, ema, raw, tie):
    save_result("training", {"test_accuracy": ema, "ema_accuracy": ema, "raw_accuracy": raw}, tmp_path)
    found = _claim(reproduction_report(tmp_path), "Polyak 平均的权重")
    assert found.verdict == UNDECIDED and found.why.startswith(f"差 {(ema - raw) * 100:+.1f} 个百分点")
    assert ("算持平" in found.why) == tie


def test_one_run_of_the_detection_ensemble_gives_no_verdict(tmp_path):
    save_result("detection", {
        "main": {"map": 0.69, "coverage": 0.995, "proposals": "ss32", "scoring": "background_ensemble"},
        "map": {"ss32": {"background_single": 0.64, "background_ensemble": 0.69}}}, tmp_path)
    found = _claim(reproduction_report(tmp_path), "集成，mAP 提高")
    assert found.verdict == UNDECIDED and "+5.0 个百分点" in found.why and "不下结论" in found.why


def test_aux_and_multicrop_verdicts_come_from_the_committed_tests(empty_report):
    ablation = experiments.load("aux_ablation")
    for variant, name in experiments.NETWORKS.items():
        claim = _claim(empty_report, f"辅助分类器帮助训练：{name}")
        word = experiments.verdict_word(ablation["summary"][variant]["test_acc_avg_full"]["verdict"])
        assert claim.verdict == {"证实": CONFIRMED, "不符": DIFFERS, "差异不显著": NOT_SIGNIFICANT}[word]
        assert not claim.varies and "5 个种子" in claim.ours
    assert _claim(empty_report, "1 → 144 个裁剪").verdict in (CONFIRMED, DIFFERS, NOT_SIGNIFICANT)


@pytest.mark.parametrize("p, diff, expected", [(0.01, 0.03, CONFIRMED), (0.01, -0.03, DIFFERS),
                                               (0.3, 0.03, NOT_SIGNIFICANT)])
def test_an_ablation_verdict_follows_its_p_value(tmp_path, p, diff, expected):
    for name in ("aux_ablation", "multicrop"):
        (tmp_path / f"{name}.json").write_text(
            (experiments.RESULTS_DIR / f"{name}.json").read_text(encoding="utf-8"), encoding="utf-8")
    payload = json.loads((tmp_path / "aux_ablation.json").read_text(encoding="utf-8"))
    s = payload["summary"]["paper"]["test_acc_avg_full"]
    s["t_test"].update(p=p, mean_diff=diff)
    s["verdict"] = experiments.verdict(p, diff, "x")
    (tmp_path / "aux_ablation.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    report = reproduction_report(tmp_path / "none", experiments_dir=tmp_path)
    assert _claim(report, f"辅助分类器帮助训练：{experiments.NETWORKS['paper']}").verdict == expected

"""benchmarks/README.md shows what benchmarks/results/ holds: its tables are generated, not typed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import make_readme  # noqa: E402


def test_readme_tables_match_the_committed_results():
    result = subprocess.run([sys.executable, "benchmarks/make_readme.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_check_fails_on_a_hand_edited_number(tmp_path, monkeypatch):
    results = json.loads((ROOT / "benchmarks" / "results" / "bench_model.json").read_text(encoding="utf-8"))
    text = make_readme.render((ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8"))
    first = next(iter(results["sizes"].values()))["images_per_s"]
    value = f"{next(iter(first.values())):.1f}"
    assert value in text
    edited = text.replace(value, "999.9", 1)
    assert make_readme.render(edited) != edited  # regenerating undoes the edit, so --check would fail


def test_bench_model_results_compare_like_with_like():
    results = json.loads((ROOT / "benchmarks" / "results" / "bench_model.json").read_text(encoding="utf-8"))
    for entry in results["sizes"].values():
        keys = set(entry["ratios"])
        for p in results["precisions"]:
            assert {f"ours/torchvision (nchw, {p})", f"ours/torchvision (channels_last, {p})"} <= keys
        assert 0 < entry["fraction_of_matmul_peak"] < 1.5
    assert results["provenance"]["git_commit"]


def test_make_readme_rejects_a_readme_without_markers(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="标记"):
        make_readme.render("没有标记的说明")


def test_compiled_inference_was_measured_with_its_compile_time_and_same_predictions():
    path = ROOT / "benchmarks" / "results" / "bench_multicrop_compile.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["compile_s"] > 0 and set(results["views_per_s"]) == {"eager", "compiled"}
    assert results["same_predictions"] is True and results["images_compared"] >= 4

"""The experiment scripts (experiments/) run end to end in their smoke configuration, write their
provenance, and give verdicts that follow the test."""

import json

import pytest

from experiments import common, run_all

PROVENANCE = {"git_commit", "git_dirty", "python", "torch", "torchvision", "platform", "cpu_model",
              "torch_threads", "date", "command"}


@pytest.mark.slow
def test_smoke_configuration_writes_results_with_provenance(tmp_path):
    run_all.main(["--smoke", "--out", str(tmp_path)])
    ablation = json.loads((tmp_path / "aux_ablation.json").read_text(encoding="utf-8"))
    multicrop = json.loads((tmp_path / "multicrop.json").read_text(encoding="utf-8"))
    for result in (ablation, multicrop):
        assert PROVENANCE <= set(result["provenance"]), set(result["provenance"])
        assert result["wall_time_s"] > 0
    assert {"seeds", "configs", "runs", "summary"} <= set(ablation)
    assert len(ablation["runs"]) == 4 * len(ablation["seeds"])  # 2 variants × with/without aux heads


def test_verdict_follows_the_test():
    claim = "辅助分类器提高了准确率"
    assert common.verdict(0.01, +0.02, claim).startswith("证实")
    assert common.verdict(0.01, -0.02, claim).startswith("不符")
    assert common.verdict(0.30, +0.02, claim).startswith("差异不显著")
    assert common.verdict(0.30, -0.02, claim).startswith("差异不显著")

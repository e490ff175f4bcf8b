"""The committed experiment results (googlenet/book/experiment_results/): complete, traceable, and
their verdicts follow from their own numbers by the rule in experiments.common.verdict."""

from __future__ import annotations

import json

import pytest

from experiments import aux_ablation

from googlenet.book import stats
from googlenet.book import experiments as E


@pytest.fixture(scope="module")
def results():
    return {name: E.load(name) for name in E.EXPERIMENTS}


def test_every_result_carries_its_provenance(results):
    for name, payload in results.items():
        p = payload["provenance"]
        for key in ("git_commit", "torch", "cpu_model", "torch_threads", "python", "date", "command"):
            assert p.get(key), (name, key)
        assert payload.get("wall_time_s") or payload.get("total_wall_time_s"), name


def test_the_full_set_ran_within_an_hour_and_was_not_a_smoke_run(results):
    run = results["run_all"]
    assert run["smoke"] is False and run["seeds"] == [0, 1, 2, 3, 4]
    assert run["total_wall_time_s"] <= 60 * 60


def test_the_paper_networks_recipe_is_the_probes_best(results):
    best = results["lr_probe"]["best"]
    assert best == aux_ablation.PAPER_RECIPE == aux_ablation.paper_recipe()
    config = results["aux_ablation"]["configs"]["paper_aux"]
    assert (config["lr"], config["warmup"]) == (best["lr"], best["warmup"])
    chosen = max((r for r in results["lr_probe"]["probes"] if r["variant"] == "paper" and not r["diverged"]),
                 key=lambda r: r["test_acc_avg"])
    assert (chosen["lr"], chosen["warmup"]) == (best["lr"], best["warmup"])


@pytest.mark.parametrize("variant", ["paper", "torchvision"])
def test_ablation_verdicts_follow_the_paired_test_of_the_runs(results, variant):
    ablation = results["aux_ablation"]
    entry = ablation["summary"][variant]
    assert entry["pairing"] == {"same_data_order": True, "same_augmented_images": True}
    for metric in ("test_acc_avg_full", "test_acc_full"):
        by = {(r["seed"], r["aux"]): r[metric] for r in ablation["runs"] if r["variant"] == variant}
        a = [by[s, True] for s in ablation["seeds"]]
        b = [by[s, False] for s in ablation["seeds"]]
        test = stats.paired_t_test(a, b)
        assert test.p == pytest.approx(entry[metric]["t_test"]["p"])
        assert E.verdict_word(entry[metric]["verdict"]) == E.verdict_word(E.verdict(test.p, test.mean_diff, "x"))
        assert entry[metric]["sign_flip_p"] == pytest.approx(stats.sign_flip_p([x - y for x, y in zip(a, b)]))
    assert len(ablation["seeds"]) >= 5


def test_multicrop_verdicts_follow_the_paired_test_across_models(results):
    v = results["multicrop"]["variants"]["torchvision"]
    assert len(v["per_model"]) >= 5 and v["images"] == 500
    for key in ("10", "144"):
        before = [m["top1_error"]["1"] for m in v["per_model"]]
        after = [m["top1_error"][key] for m in v["per_model"]]
        test = stats.paired_t_test(before, after)
        assert test.p == pytest.approx(v["crops"][f"1_vs_{key}"]["t_test"]["p"])
        assert E.verdict_word(v["crops"][f"1_vs_{key}"]["verdict"]) == E.verdict_word(
            E.verdict(test.p, test.mean_diff, "x"))


def test_tables_show_every_network_and_scheme(results):
    rows = E.ablation_rows(results["aux_ablation"])
    assert [r[0] for r in rows] == [E.NETWORKS["paper"], E.NETWORKS["torchvision"]]
    assert all(r[-1] in E.VERDICT_WORDS for r in rows)
    assert [r[0] for r in E.crop_rows(results["multicrop"])] == list(E.SCHEMES.values())
    assert len(E.ensemble_rows(results["multicrop"])) == 2 * len(
        results["multicrop"]["variants"]["torchvision"]["ensembles"]["pairs"])


def test_load_rejects_unknown_missing_corrupt_and_mislabelled_files(tmp_path):
    with pytest.raises(ValueError, match="实验名应为"):
        E.load("nope")
    with pytest.raises(FileNotFoundError, match="make experiments"):
        E.load("lr_probe", tmp_path)
    (tmp_path / "lr_probe.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="已损坏"):
        E.load("lr_probe", tmp_path)
    (tmp_path / "lr_probe.json").write_text(json.dumps({"experiment": "aux_ablation"}), encoding="utf-8")
    with pytest.raises(ValueError, match="不是实验 lr_probe 的结果"):
        E.load("lr_probe", tmp_path)


def test_verdict_word_rejects_text_that_is_not_a_verdict():
    assert E.verdict_word("证实：……") == "证实"
    with pytest.raises(ValueError, match="结论应以"):
        E.verdict_word("大概有用")


def _absolute_paths(value):
    """Every string in a JSON value that is an absolute file path (a folder of some machine)."""
    if isinstance(value, dict):
        return [p for v in value.values() for p in _absolute_paths(v)]
    if isinstance(value, list):
        return [p for v in value for p in _absolute_paths(v)]
    return [value] if isinstance(value, str) and value.startswith("/") and "/" in value[1:] else []


def test_results_name_no_folder_of_the_machine_that_wrote_them():
    assert _absolute_paths({"checkpoint": "/somewhere/runs/x.pt", "ok": ["runs/x.pt", "1/2"]}) == ["/somewhere/runs/x.pt"]
    for path in list(E.RESULTS_DIR.glob("*.json")):
        assert _absolute_paths(json.loads(path.read_text(encoding="utf-8"))) == [], path.name


def test_the_ablation_arms_were_paired_by_initialisation_and_data(results):
    pairing = results["aux_ablation"]["pairing"]
    assert len(pairing["init"]) == 2 * len(results["run_all"]["seeds"])  # both networks, every seed
    assert all(c["identical"] and c["shared_tensors"] > 0 for c in pairing["init"])
    assert "note_corrected_by_hand" not in pairing  # the note is computed from the checks now
    for run in results["aux_ablation"]["runs"]:
        assert run["seed"] in results["run_all"]["seeds"]
    # The full set ran from a clean checkout of its commit: the first result written says so (the
    # later ones of that run counted the run's own earlier result files as changes; no longer).
    assert results["lr_probe"]["provenance"]["git_dirty"] is False
    assert len({r["provenance"]["git_commit"] for r in results.values()}) == 1

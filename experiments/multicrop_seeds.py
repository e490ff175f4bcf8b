"""§7's multi-crop and ensemble claims over several trained models, with paired tests per image.

Notebook 07 builds our Table 3 from two models on 300 test images; one model's 1 → 144 crop
difference is a handful of images. Here the same evaluation (notebook 07's set-up on more images:
the first 50 test images of every class, 64-pixel views, the training normalisation applied to each batch of
views, Polyak-averaged weights) runs for each of the ablation's N seeds of torchvision's network
with aux heads (optionally the paper's network too). Per model: top-1 error with the whole image
resized (notebook 06's evaluation), 1, 10 and 144 crops, and exact McNemar tests per image.
Across seeds: mean ± sd and a paired t-test of the error differences. Ensembles: pairs of models
(seeds (0, 1), (2, 3), (4, 0) for N = 5) against their first model alone, at 1 and 144 crops.

Models come from ``runs/experiments`` (written by `aux_ablation`); missing ones are trained here
with the ablation's recipe, so this script also runs on its own.

    .venv/bin/python experiments/multicrop_seeds.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from torchvision.transforms import v2

from experiments.aux_ablation import (FULL, SMOKE, VARIANT_NAMES_ZH, config_for, final_test_set, paper_recipe,
                                      run_name, train_arm, use_paper_recipe)
from experiments.common import RUNS_DIR, provenance, verdict, write_json, output_dir
from googlenet import crops
from googlenet import multicrop as mc
from googlenet.book import stats, table3
from googlenet.extras.checkpoint import CheckpointError, load_checkpoint
from googlenet.data import fashion_mnist_subset, normalization
from googlenet.train import load_run

PER_CLASS = 50  # 500 test images (notebook 07 uses the first 30 of each class, to fit its time budget)
SIDE = 28  # Fashion-MNIST images are 28×28


def ensemble_pairs(n: int) -> list[tuple[int, int]]:
    """(0, 1), (2, 3), …, and the last model with model 0 if n is odd: every model first once."""
    return [(i, (i + 1) % n) for i in range(0, n, 2)] if n >= 2 else []


def load_or_train(variant: str, seed: int, scale: dict, runs_dir: Path, log=print):
    """The Polyak-averaged model of the ablation's ``variant`` + aux run for ``seed``."""
    config = config_for(variant, True, seed, scale)
    out_dir = runs_dir / run_name(variant, True, seed)
    try:
        state = load_checkpoint(out_dir / "checkpoint.pt")
        ready = state["config"] == config.to_dict() and int(state["epoch"]) >= config.epochs
    except (CheckpointError, FileNotFoundError):
        ready = False
    if not ready:
        log(f"  {out_dir} 中没有按当前配方训练完成的检查点：现在训练")
        train_arm(config, out_dir, final_test_set(scale))
    return load_run(out_dir).averaged


def test_images(per_class: int):
    return fashion_mnist_subset("test").subset_per_class(per_class)


def across(before: list[float], after: list[float], claim: str) -> dict:
    """Paired t-test and sign-flip test of ``before − after`` (errors: positive = fewer errors after)."""
    diffs = [b - a for b, a in zip(before, after)]
    if len(diffs) < 2:
        return {"diffs": diffs, "t_test": None, "sign_flip_p": None,
                "verdict": "差异不显著：只有 1 个模型，无法做配对检验"}
    test = stats.paired_t_test(before, after)
    return {"diffs": diffs, "mean_sd_before": stats.summary(before), "mean_sd_after": stats.summary(after),
            "t_test": test._asdict(), "sign_flip_p": stats.sign_flip_p(diffs),
            "verdict": verdict(test.p, test.mean_diff, claim)}


def mcnemar(p_before, p_after, labels) -> dict:
    fixed, broken = stats.paired_changes(p_before, p_after, labels)
    return {"fixed": fixed, "broken": broken, "p": stats.mcnemar_p(fixed, broken)}


def evaluate_variant(variant: str, seeds: list[int], scale: dict, runs_dir: Path, per_class: int, log=print) -> dict:
    start = time.perf_counter()
    models = [load_or_train(variant, s, scale, runs_dir, log) for s in seeds]
    crop = config_for(variant, True, 0, scale).image_size
    subset = test_images(per_class)
    normalize = v2.Normalize(*normalization(1))  # notebook 07: the training normalisation on each batch of views
    probs, labels = table3.crop_probabilities(models, subset, 144, crop, preprocess=normalize)
    eval_s = time.perf_counter() - start
    schemes = {n: table3.nested_indices(n, SIDE, SIDE, crop) for n in crops.N_CROPS}
    schemes["whole"] = [k.index for k in crops.crop_layout(SIDE, SIDE, 144, crop)
                        if k.position == "whole" and not k.mirrored][:1]
    names = {"whole": "整图缩放", 1: "1 个裁剪", 10: "10 个裁剪", 144: "144 个裁剪"}

    def p(models_, scheme):
        return table3.combined_probs(probs, models=models_, crops=schemes[scheme])

    def err(models_, scheme):
        return mc.topk_error(p(models_, scheme), labels, 1)

    per_model = []
    for i, seed in enumerate(seeds):
        per_model.append({
            "seed": seed, "top1_error": {str(k): err([i], k) for k in names},
            "mcnemar": {"1_vs_10": mcnemar(p([i], 1), p([i], 10), labels),
                        "1_vs_144": mcnemar(p([i], 1), p([i], 144), labels),
                        "whole_vs_144": mcnemar(p([i], "whole"), p([i], 144), labels)}})
    errors = {str(k): [m["top1_error"][str(k)] for m in per_model] for k in names}
    by_crops = {"errors_mean_sd": {k: stats.summary(v) if len(v) > 1 else (v[0], None) for k, v in errors.items()},
             "1_vs_10": across(errors["1"], errors["10"], f"10 个裁剪的 top-1 错误率低于 1 个裁剪（{VARIANT_NAMES_ZH[variant]}）"),
             "1_vs_144": across(errors["1"], errors["144"], f"144 个裁剪的 top-1 错误率低于 1 个裁剪（{VARIANT_NAMES_ZH[variant]}）")}

    pairs = []
    for i, j in ensemble_pairs(len(models)):
        entry = {"models": [seeds[i], seeds[j]]}
        for k in (1, 144):
            entry[f"crops_{k}"] = {"single_error": err([i], k), "ensemble_error": err([i, j], k),
                                   "mcnemar": mcnemar(p([i], k), p([i, j], k), labels)}
        pairs.append(entry)
    ensembles = {"pairs": pairs,
                 "note": "每对的第一个模型单独 vs 两个模型的集成；跨对的配对检验只有几对（3 对时符号翻转检验最小 p = 0.25）"}
    for k in (1, 144):
        if pairs:
            ensembles[f"crops_{k}"] = across([q[f"crops_{k}"]["single_error"] for q in pairs],
                                             [q[f"crops_{k}"]["ensemble_error"] for q in pairs],
                                             f"2 个模型的集成（{k} 个裁剪）的 top-1 错误率低于单个模型（{VARIANT_NAMES_ZH[variant]}）")
    ensembles["all_models"] = {str(k): err(list(range(len(models))), k) for k in names}

    c = by_crops["1_vs_144"]
    log(f"{VARIANT_NAMES_ZH[variant]}，{len(seeds)} 个模型，{len(subset)} 张测试图像：" + "，".join(
        f"{names[k]} {100 * by_crops['errors_mean_sd'][str(k)][0]:.2f}%" for k in names) + f"；{c['verdict']}")
    if "crops_1" in ensembles:
        log(f"  集成（1 个裁剪）：{ensembles['crops_1']['verdict']}")
    return {"network": VARIANT_NAMES_ZH[variant], "seeds": seeds, "images": len(subset), "crop_size": crop,
            "views": {str(k): len(v) for k, v in schemes.items()}, "per_model": per_model, "crops": by_crops,
            "ensembles": ensembles, "eval_time_s": eval_s}


def run(seeds: list[int], scale: dict, out: Path, runs_dir: Path, *, variants=("torchvision",),
        per_class: int = PER_CLASS, log=print) -> dict:
    start = time.perf_counter()
    results = {v: evaluate_variant(v, seeds, scale, runs_dir, per_class, log) for v in variants}
    payload = {
        "experiment": "multicrop_seeds",
        "description": "§7 的多裁剪与集成，在多个种子训练的模型上：每个模型逐图像的 McNemar 检验，跨种子的配对 t 检验",
        "provenance": provenance(), "seeds": seeds, "scale": scale,
        "configs": {v: config_for(v, True, seeds[0], scale).to_dict() for v in variants},
        "setup": {"test_images": f"测试集每类前 {per_class} 张（笔记本 07 的设置）", "weights": "Polyak 平均",
                  "preprocess": "Fashion-MNIST 的均值与标准差，作用在每批视图上", "metric": "top-1 错误率"},
        "variants": results, "wall_time_s": time.perf_counter() - start,
    }
    path = write_json(out / "multicrop.json", payload)
    log(f"已写出 {path}（用时 {payload['wall_time_s'] / 60:.1f} 分钟）")
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="多个种子上的多裁剪与集成（§7，表 3）")
    parser.add_argument("--seeds", type=int, default=None, help="模型（种子）数（默认 5；--smoke 时 2）")
    parser.add_argument("--variants", nargs="+", default=["torchvision"], choices=["torchvision", "paper"],
                        help="评估哪些网络（带辅助分类器训练的；默认 torchvision）")
    parser.add_argument("--smoke", action="store_true", help="极小的配置，写到临时目录")
    parser.add_argument("--out", type=Path, default=None, help="结果目录（默认 googlenet/book/experiment_results）")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds or (2 if args.smoke else 5)))
    out = output_dir(args.out, args.smoke)
    use_paper_recipe(paper_recipe(out))
    run(seeds, SMOKE if args.smoke else FULL, out, out / "runs" if args.smoke else RUNS_DIR,
        variants=tuple(args.variants), per_class=1 if args.smoke else PER_CLASS)


if __name__ == "__main__":
    main()

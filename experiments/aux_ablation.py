"""§5's auxiliary classifiers, ablated where §5's argument applies: with and without them, for the
paper's network (no batch norm) and for torchvision's (batch norm), N seeds per arm, paired by seed.

§5 argues that the heads help the gradient reach the lower layers of a deep network; batch
normalisation (2015) later made that problem far smaller. So the question has two halves:
do the heads help the paper's BN-free network, and do they still help with batch norm?

Pairing: with the same seed both arms of a variant start from identical weights in every layer
they share (`GoogLeNet` builds and initialises the heads last) and see the same images in the
same order with the same augmentation (`experiments.common.SeededAugment`). Both are checked
and recorded, not assumed: `check_init` per seed, data digests per run.

    .venv/bin/python experiments/aux_ablation.py            # 4 arms × 5 seeds, about 35 minutes
    .venv/bin/python experiments/aux_ablation.py --smoke    # seconds, into a temporary directory
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `experiments` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from torch.utils.data import DataLoader, DistributedSampler

from experiments.common import RUNS_DIR, SeededAugment, provenance, verdict, write_json, output_dir
from googlenet.book import stats
from googlenet.book.runs import BOOK_CONFIG
from googlenet.train import TrainConfig, TrainingDivergedError, build_datasets, build_model, evaluate, train

VARIANTS = ("paper", "torchvision")
ARMS = tuple((v, aux) for v in VARIANTS for aux in (True, False))
VARIANT_NAMES_ZH = {"paper": "论文的网络（表 1：LRN、真正的 5×5，无批量归一化）",
                    "torchvision": "torchvision 的网络（带批量归一化）"}

# Sizes. BOOK_CONFIG (700 images per class, 3 epochs, evaluated on all 3,000 test images every
# epoch) costs about 160 s (batch norm) and 220 s (paper) per run on the 2-core reference CPU:
# 20 runs would take over an hour before multi-crop. Measured in lr_probe (one epoch of 500 per
# class: 42 s batch norm, 53-67 s paper), so every arm of both variants trains on 300 images per
# class (3 epochs, BOOK_CONFIG otherwise), which keeps the whole set under 60 minutes; the per-epoch
# curves are evaluated on 1,000 test images, the final accuracies on all 3,000.
FULL = dict(train_per_class=300, test_per_class=100, epochs=3, final_test_per_class=None)
SMOKE = dict(train_per_class=2, test_per_class=1, epochs=1, batch_size=10, final_test_per_class=1)

# The BN-free network's peak lr and warm-up are measured, not chosen: `lr_probe` writes its best
# into results/lr_probe.json and `paper_recipe` reads it (run_all runs the probe first). BOOK_CONFIG's
# lr 0.1 leaves that network at chance level (loss ln 10) for the whole first epoch. PAPER_RECIPE is
# only the fallback before any probe has run; tests/test_experiments.py checks it matches the
# committed probe.
PAPER_RECIPE = dict(lr=0.005, warmup=0.15)


def paper_recipe(results_dir: Path | None = None) -> dict:
    """The paper network's ``lr`` and ``warmup``: the probe's best in ``results_dir``, else PAPER_RECIPE."""
    from experiments.common import RESULTS_DIR
    path = Path(results_dir or RESULTS_DIR) / "lr_probe.json"
    if path.is_file():
        best = json.loads(path.read_text(encoding="utf-8")).get("best")
        if best:
            return {"lr": best["lr"], "warmup": best["warmup"]}
    return dict(PAPER_RECIPE)


RECIPES = {"paper": paper_recipe(), "torchvision": {}}  # torchvision: BOOK_CONFIG's lr 0.1, warm-up 0.15


def use_paper_recipe(recipe: dict) -> None:
    """Train the paper network with ``recipe`` from now on (run_all: what the probe it just ran found)."""
    RECIPES["paper"] = {"lr": recipe["lr"], "warmup": recipe["warmup"]}


PRIMARY = "test_acc_avg_full"  # Polyak-averaged weights (§6 uses them at inference), all test images
HISTORY_KEYS = ("epoch", "lr", "loss", "loss_main", "loss_aux1", "loss_aux2", "train_acc", "test_acc",
                "test_acc_avg", "test_acc_aux1", "test_acc_aux2", "train_time_s", "eval_time_s")


def config_for(variant: str, aux: bool, seed: int, scale: dict | None = None) -> TrainConfig:
    """One arm's recipe: BOOK_CONFIG at ``scale`` (FULL or SMOKE), the variant's lr and warm-up."""
    sizes = {k: v for k, v in (FULL if scale is None else scale).items() if k != "final_test_per_class"}
    return dataclasses.replace(BOOK_CONFIG, variant=variant, aux=aux, seed=seed, **sizes, **RECIPES[variant])


def _relative(path: Path) -> str:
    """``path`` relative to the repository when inside it: results must not name this machine's folders."""
    from experiments.common import REPO
    path = Path(path).resolve()
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name


def run_name(variant: str, aux: bool, seed: int) -> str:
    return f"{variant}_{'aux' if aux else 'noaux'}_seed{seed}"


class Digest(SeededAugment):
    """`SeededAugment` that also hashes what training saw: the indices in order, and the images."""

    def __init__(self, dataset, seed: int):
        super().__init__(dataset, seed)
        self.order, self.pixels = hashlib.sha256(), hashlib.sha256()

    def __getitem__(self, index: int):
        image, label = super().__getitem__(index)
        self.order.update(int(index).to_bytes(8, "little"))
        self.pixels.update(image.numpy().tobytes())
        return image, label


def final_test_set(scale: dict):
    """The test images the final accuracies are measured on (all 3,000 at FULL scale)."""
    cfg = dataclasses.replace(config_for("paper", True, 0, scale), test_per_class=scale["final_test_per_class"])
    return build_datasets(cfg)[1]


def train_arm(config: TrainConfig, out_dir: Path, final_test) -> dict:
    """Train one run and return its record: final accuracies, per-epoch history, wall time, digests."""
    train_set, test_set = build_datasets(config)
    wrapped = Digest(train_set, config.seed)
    start = time.perf_counter()
    record = {"name": out_dir.name, "variant": config.variant, "aux": config.aux, "seed": config.seed,
              "config": config.to_dict(), "checkpoint": _relative(out_dir / "checkpoint.pt")}
    try:
        result = train(config, out_dir, progress=False, overwrite=True, datasets=(wrapped, test_set))
    except TrainingDivergedError as err:  # recorded, never hidden: counted at chance level
        record.update(diverged=True, error=str(err), wall_s=time.perf_counter() - start,
                      history=[], test_acc_full=0.1, test_acc_avg_full=0.1)
        return record
    full_raw, full_avg = evaluate(result.model, final_test), evaluate(result.averaged, final_test)
    record.update(
        diverged=False, wall_s=time.perf_counter() - start,
        train_time_s=result.final["train_time_total_s"],
        history=[{k: e.get(k) for k in HISTORY_KEYS} for e in result.history],
        test_images_per_epoch=len(test_set), test_images_full=len(final_test),
        test_acc_full=full_raw["top1"], test_acc_avg_full=full_avg["top1"],
        test_loss_avg_full=full_avg["loss"],
        order_sha256=wrapped.order.hexdigest(), pixels_sha256=wrapped.pixels.hexdigest())
    return record


# --------------------------------------------------------------------------- pairing checks

def check_init(variant: str, seed: int) -> dict:
    """Do the two arms of a seed start from identical weights in the tensors they share (as `train`
    seeds)? Recorded, not assumed (see the module docstring)."""
    cfg = config_for(variant, True, seed)
    models = []
    for aux in (True, False):
        torch.manual_seed(seed)
        models.append(build_model(dataclasses.replace(cfg, aux=aux)).state_dict())
    shared = [k for k in models[1] if k in models[0]]
    return {"variant": variant, "seed": seed, "shared_tensors": len(shared),
            "aux_only_tensors": len(models[0]) - len(shared),
            "identical": all(torch.equal(models[0][k], models[1][k]) for k in shared)}


def check_default_pipeline(seed: int = 0, batch_size: int = 8) -> dict:
    """Without `SeededAugment`: do the two arms' augmented batches agree? `train`'s loader and
    per-epoch seeding, one training-mode forward pass per batch (the aux heads' dropout draws
    from the same global generator as the augmentation)."""
    batches = {}
    for aux in (True, False):
        cfg = dataclasses.replace(config_for("torchvision", aux, seed), batch_size=batch_size)
        train_set, _ = build_datasets(dataclasses.replace(cfg, train_per_class=10))
        torch.manual_seed(seed)
        model = build_model(cfg).train()
        sampler = DistributedSampler(train_set, num_replicas=1, rank=0, shuffle=True, seed=seed)
        loader = DataLoader(train_set, batch_size=batch_size, sampler=sampler, drop_last=True)
        torch.manual_seed(12345)  # as train() re-seeds at the start of an epoch
        seen = []
        for i, (x, _) in enumerate(loader):
            seen.append(x)
            with torch.no_grad():
                model(x)
            if i == 2:
                break
        batches[aux] = seen
    return {f"batch{i + 1}_identical": bool(torch.equal(a, b))
            for i, (a, b) in enumerate(zip(batches[True], batches[False]))}


# --------------------------------------------------------------------------- summary

def compare(with_aux: list[float], without: list[float], claim: str) -> dict:
    """Mean ± sd per arm, per-seed differences (aux − noaux), paired t-test, sign-flip, verdict."""
    out = {"aux": dict(zip(("mean", "sd"), stats.summary(with_aux))) if len(with_aux) > 1 else
           {"mean": with_aux[0], "sd": None},
           "noaux": dict(zip(("mean", "sd"), stats.summary(without))) if len(without) > 1 else
           {"mean": without[0], "sd": None},
           "diffs": [a - b for a, b in zip(with_aux, without)]}
    if len(with_aux) < 2:
        out.update(t_test=None, sign_flip_p=None, verdict="差异不显著：只有 1 个种子，无法做配对检验")
        return out
    test = stats.paired_t_test(with_aux, without)
    out.update(t_test=test._asdict(), sign_flip_p=stats.sign_flip_p(out["diffs"]),
               verdict=verdict(test.p, test.mean_diff, claim))
    return out


def summarise(runs: list[dict], seeds: list[int]) -> dict:
    by = {(r["variant"], r["aux"], r["seed"]): r for r in runs}
    summary = {}
    for variant in VARIANTS:
        entry = {"network": VARIANT_NAMES_ZH[variant], "seeds": seeds}
        for key, label in ((PRIMARY, "Polyak 平均权重"), ("test_acc_full", "原始权重")):
            a = [by[variant, True, s][key] for s in seeds]
            b = [by[variant, False, s][key] for s in seeds]
            entry[key] = compare(a, b, f"辅助分类器提高了{VARIANT_NAMES_ZH[variant]}的测试准确率（{label}）")
        entry["verdict"] = entry[PRIMARY]["verdict"]
        entry["pairing"] = {
            "same_data_order": all(by[variant, True, s].get("order_sha256") == by[variant, False, s].get("order_sha256")
                                   for s in seeds),
            "same_augmented_images": all(by[variant, True, s].get("pixels_sha256")
                                         == by[variant, False, s].get("pixels_sha256") for s in seeds)}
        entry["diverged_runs"] = [r["name"] for r in runs if r["variant"] == variant and r["diverged"]]
        summary[variant] = entry
    return summary


def run(seeds: list[int], scale: dict, out: Path, runs_dir: Path, *, log=print) -> dict:
    """Train every arm for every seed, check the pairing, write ``out/aux_ablation.json``."""
    start = time.perf_counter()
    log(f"辅助分类器消融：{len(ARMS)} 组 × {len(seeds)} 个种子，每类 {scale['train_per_class']} 张训练图像，"
        f"{scale['epochs']} 轮")
    init = [check_init(v, s) for v in VARIANTS for s in seeds]
    same_init = all(c["identical"] for c in init)
    pairing = {"init": init,
               "default_pipeline_without_seeded_augment": check_default_pipeline(seeds[0]),
               "dropout_masks_identical": False,
               "note": f"同一种子下：共享层的初始权重{'相同' if same_init else '并不相同'}（init 逐个种子检查），"
                       "数据顺序与增强后的图像相同（每次运行的 order_sha256 / pixels_sha256）；dropout 掩码不同"
                       "（带辅助分类器的一组多了两个 dropout 层）。若不用 SeededAugment，从第 2 批起增强后的图像就不同"
                       "（default_pipeline_without_seeded_augment）。"}
    log(f"配对检查：共享层初始权重相同 {all(c['identical'] for c in pairing['init'])}；"
        f"不用 SeededAugment 时各批图像相同 {pairing['default_pipeline_without_seeded_augment']}")
    final_test = final_test_set(scale)
    runs = []
    for seed in seeds:
        for variant, aux in ARMS:
            cfg = config_for(variant, aux, seed, scale)
            record = train_arm(cfg, runs_dir / run_name(variant, aux, seed), final_test)
            runs.append(record)
            log(f"  {record['name']}：Polyak 平均测试准确率 {record[PRIMARY]:.4f}，原始权重 "
                f"{record['test_acc_full']:.4f}，用时 {record['wall_s']:.0f} 秒"
                + ("（发散）" if record["diverged"] else ""))
    summary = summarise(runs, seeds)
    for variant, entry in summary.items():
        s = entry[PRIMARY]
        sd = lambda x: "" if x is None else f" ± {x:.4f}"
        log(f"{entry['network']}：有辅助分类器 {s['aux']['mean']:.4f}{sd(s['aux']['sd'])}，"
            f"无 {s['noaux']['mean']:.4f}{sd(s['noaux']['sd'])}；{entry['verdict']}")
    payload = {
        "experiment": "aux_ablation",
        "description": "§5 的辅助分类器消融：论文的网络（无 BN）与 torchvision 的网络（有 BN），各自有/无辅助分类器，按种子配对",
        "provenance": provenance(), "seeds": seeds, "scale": scale,
        "configs": {f"{v}_{'aux' if a else 'noaux'}": config_for(v, a, seeds[0], scale).to_dict() for v, a in ARMS},
        "metric": "最终测试准确率：Polyak 平均权重（test_acc_avg_full，主指标）与原始权重（test_acc_full），"
                  "在全部测试图像上；history 中逐轮的 test_acc / test_acc_avg 在每类前 test_per_class 张上",
        "pairing": pairing, "runs": runs, "summary": summary,
        "wall_time_s": time.perf_counter() - start,
    }
    path = write_json(out / "aux_ablation.json", payload)
    log(f"已写出 {path}（用时 {payload['wall_time_s'] / 60:.1f} 分钟）")
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="§5 辅助分类器的消融实验（按种子配对）")
    parser.add_argument("--seeds", type=int, default=None, help="种子数（默认 5；--smoke 时 2）")
    parser.add_argument("--smoke", action="store_true", help="极小的配置，写到临时目录（检查脚本能跑通）")
    parser.add_argument("--out", type=Path, default=None, help="结果目录（默认 googlenet/book/experiment_results）")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds or (2 if args.smoke else 5)))
    out = output_dir(args.out, args.smoke)
    use_paper_recipe(paper_recipe(out))
    run(seeds, SMOKE if args.smoke else FULL, out, out / "runs" if args.smoke else RUNS_DIR)


if __name__ == "__main__":
    main()

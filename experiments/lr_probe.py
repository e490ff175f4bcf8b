"""Which peak learning rate and warm-up train the paper's BN-free network from scratch in minutes?

Each probe is the first epoch of the ablation's own recipe (`aux_ablation.config_for`: same
images, same 3-epoch one-cycle schedule, stopped after epoch 1 with ``stop_after=1``), so a
probe shows exactly how the real run starts. The probes train the network *without* auxiliary
heads, the harder case for §5's argument: a recipe chosen for it cannot have been tuned to the
heads' benefit. One probe of torchvision's batch-norm network at BOOK_CONFIG's rate is the
reference. Chosen: the highest Polyak-averaged test accuracy after the epoch (not diverged).

    .venv/bin/python experiments/lr_probe.py            # about 4 minutes
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.aux_ablation import FULL, SMOKE, config_for
from experiments.common import RUNS_DIR, SeededAugment, provenance, write_json, output_dir
from googlenet.train import TrainingDivergedError, build_datasets, train

# (variant, peak lr, warm-up fraction)
GRID = (("paper", 0.1, 0.15), ("paper", 0.05, 0.15), ("paper", 0.02, 0.15), ("paper", 0.01, 0.15),
        ("paper", 0.005, 0.15), ("paper", 0.05, 0.3), ("torchvision", 0.1, 0.15))
SMOKE_GRID = (("paper", 0.1, 0.15), ("paper", 0.02, 0.15))
CHANCE_LOSS = math.log(10)  # cross-entropy of a uniform guess over 10 classes


def probe(variant: str, lr: float, warmup: float, scale: dict, runs_dir: Path) -> dict:
    cfg = dataclasses.replace(config_for(variant, False, 0, scale), lr=lr, warmup=warmup)
    train_set, test_set = build_datasets(cfg)
    start = time.perf_counter()
    record = {"variant": variant, "aux": False, "lr": lr, "warmup": warmup, "config": cfg.to_dict()}
    try:
        result = train(cfg, runs_dir / f"probe_{variant}_lr{lr}_wu{warmup}", progress=False, overwrite=True,
                       stop_after=1, datasets=(SeededAugment(train_set, cfg.seed), test_set))
    except TrainingDivergedError as err:
        record.update(diverged=True, error=str(err), wall_s=time.perf_counter() - start)
        return record
    e = result.history[0]
    record.update(diverged=False, wall_s=time.perf_counter() - start, epochs_run=1, steps=e["images"] // cfg.batch_size,
                  loss_main=e["loss_main"], train_acc=e["train_acc"], test_acc=e["test_acc"],
                  test_acc_avg=e["test_acc_avg"], test_images=len(test_set),
                  at_chance=abs(e["loss_main"] - CHANCE_LOSS) < 0.05)
    return record


def run(scale: dict, out: Path, runs_dir: Path, grid=GRID, *, log=print) -> dict:
    start = time.perf_counter()
    log(f"学习率探测：{len(grid)} 次，每次只训练消融配方的第 1 轮（不带辅助分类器）")
    probes = []
    for variant, lr, warmup in grid:
        r = probe(variant, lr, warmup, scale, runs_dir)
        probes.append(r)
        log(f"  {variant} lr={lr} warmup={warmup}：" + ("发散" if r["diverged"] else
            f"第 1 轮训练损失 {r['loss_main']:.3f}（ln 10 = {CHANCE_LOSS:.3f}），测试准确率 {r['test_acc']:.3f}"
            f"（Polyak {r['test_acc_avg']:.3f}），{r['wall_s']:.0f} 秒"))
    paper = [r for r in probes if r["variant"] == "paper" and not r["diverged"]]
    best = max(paper, key=lambda r: r["test_acc_avg"]) if paper else None
    payload = {
        "experiment": "lr_probe",
        "description": "论文的网络（无批量归一化）需要怎样的学习率和预热才能在几分钟内从头训练起来：每个探测只训练消融配方的第 1 轮",
        "provenance": provenance(), "scale": scale, "seeds": [0], "chance_loss": CHANCE_LOSS,
        "selection_rule": "不发散的论文网络探测中，第 1 轮后 Polyak 平均测试准确率最高者",
        "probes": probes,
        "best": None if best is None else {"lr": best["lr"], "warmup": best["warmup"]},
        "used_by_aux_ablation": "best（aux_ablation.paper_recipe 读取本文件）",
        "wall_time_s": time.perf_counter() - start,
    }
    path = write_json(out / "lr_probe.json", payload)
    log(f"探测结果最好的：{payload['best']}（消融实验使用它）。已写出 {path}")
    return payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="为无批量归一化的论文网络探测学习率与预热")
    parser.add_argument("--smoke", action="store_true", help="极小的配置，写到临时目录")
    parser.add_argument("--out", type=Path, default=None, help="结果目录（默认 googlenet/book/experiment_results）")
    args = parser.parse_args(argv)
    out = output_dir(args.out, args.smoke)
    run(SMOKE if args.smoke else FULL, out, out / "runs" if args.smoke else RUNS_DIR,
        SMOKE_GRID if args.smoke else GRID)


if __name__ == "__main__":
    main()

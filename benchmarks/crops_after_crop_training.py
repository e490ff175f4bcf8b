"""Experiment (not a test): does multi-crop evaluation help once the model was trained with §6's crops?

Notebook 07 finds that the book's models, trained on whole images only ('light' augmentation),
get *worse* with more test crops. This script trains one model like notebook 06's first one but
with §6's crop augmentation ('paper': 8–100 % of the area) for 15 epochs, then builds Table 3
for it on the first 50 test images of every class. One run: an anecdote, not a test. It writes
benchmarks/results/crops_after_crop_training.json (benchmarks/README.md's table is generated from
it). About 9 minutes on the 2-core reference CPU:

    .venv/bin/python benchmarks/crops_after_crop_training.py
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from torchvision.transforms import v2

from googlenet import data
from googlenet import crops
from googlenet import multicrop as mc
from googlenet.book import stats, table3
from googlenet.data import fashion_mnist_subset, normalization
from googlenet.book.runs import BOOK_CONFIG
from googlenet.train import train
from experiments.common import provenance, write_json

RESULT = Path(__file__).resolve().parent / "results" / "crops_after_crop_training.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="按 §6 的裁剪增强训练后，多裁剪评估是否有帮助（实验，约 9 分钟）")
    parser.add_argument("--epochs", type=int, default=15, help="训练轮数（默认 15）")
    parser.add_argument("--out", default="runs/paper_augment", help="检查点目录（默认 runs/paper_augment）")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    config = dataclasses.replace(BOOK_CONFIG, augment="paper", epochs=args.epochs)
    start = time.perf_counter()
    run = train(config, args.out, progress=False)
    train_s = time.perf_counter() - start
    print(f"训练 {config.epochs} 轮（augment=paper）用时 {train_s:.0f} 秒；"
          f"整图测试准确率 {run.final['test_acc']:.4f}（Polyak 平均 {run.final['test_acc_avg']:.4f}）")

    crop = config.image_size
    subset = fashion_mnist_subset("test").subset_per_class(50)
    probs, labels = table3.crop_probabilities(run.averaged, subset, 144, crop,
                                          preprocess=v2.Normalize(*normalization(1)))
    rows = table3.table3(probs, labels, 28, 28, crop)
    print(table3.table3_text(rows))
    c1, _, c144 = (table3.nested_indices(n, 28, 28, crop) for n in crops.N_CROPS)
    fixed, broken = stats.paired_changes(table3.combined_probs(probs, crops=c1), table3.combined_probs(probs, crops=c144), labels)
    print(f"1 → 144 个裁剪：{fixed} 张由错变对，{broken} 张由对变错，McNemar 检验 p = {stats.mcnemar_p(fixed, broken):.3f}")
    whole = [k.index for k in crops.crop_layout(28, 28, 144, crop) if k.position == "whole" and not k.mirrored][:1]
    print(f"整图缩放（笔记本 06 的评估方式）：top-1 错误率 {table3.score(probs, labels, crops=whole).top1_error:.2%}")

    payload = {"benchmark": "crops_after_crop_training", "provenance": provenance(), "config": config.to_dict(),
               "train_s": train_s, "test_images": len(subset),
               "top1_error": {"whole": table3.score(probs, labels, crops=whole).top1_error,
                              **{str(r.crops): r.top1_error for r in rows}},
               "changes_1_vs_144": [fixed, broken], "p_1_vs_144": stats.mcnemar_p(fixed, broken),
               "wall_time_s": time.perf_counter() - start}
    print("已写出", write_json(RESULT, payload))

if __name__ == "__main__":
    main()

"""Experiment (not a test): what each augmentation strength costs in the book's short runs.

Notebook 06 trains for 3 epochs with the 'light' strength (whole image, random interpolation,
mild photometric distortion, flips) instead of §6's crops of 8–100 % of the area ('paper').
This script trains notebook 06's first model (BOOK_CONFIG) once per strength and prints the
test accuracy of each, so the reason for that choice can be re-measured. One run per strength:
an anecdote, not a test. It writes benchmarks/results/augmentation_short_runs.json (with its
provenance; benchmarks/README.md's table is generated from it). About 6 minutes on the 2-core
reference CPU:

    .venv/bin/python benchmarks/augmentation_short_runs.py
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from googlenet.augment import STRENGTHS
from googlenet.book.runs import BOOK_CONFIG
from googlenet.train import train
from experiments.common import provenance, write_json

RESULT = Path(__file__).resolve().parent / "results" / "augmentation_short_runs.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="本书短训练中各种数据增强强度的代价（实验，约 5 分钟）")
    parser.add_argument("--epochs", type=int, default=BOOK_CONFIG.epochs, help=f"训练轮数（默认 {BOOK_CONFIG.epochs}）")
    parser.add_argument("--out", default="runs/augmentation", help="检查点目录（默认 runs/augmentation）")
    args = parser.parse_args(argv)
    print(f"配方：BOOK_CONFIG（每类 {BOOK_CONFIG.train_per_class} 张，{BOOK_CONFIG.image_size} 像素），{args.epochs} 轮；只换数据增强")
    print(f"{'增强':<8}{'训练秒':>8}{'训练准确率':>12}{'测试(原始)':>12}{'测试(Polyak)':>14}")
    start_all, runs = time.perf_counter(), []
    for strength in STRENGTHS:
        config = dataclasses.replace(BOOK_CONFIG, augment=strength, epochs=args.epochs)
        start = time.perf_counter()
        e = train(config, f"{args.out}/{strength}", overwrite=True, progress=False).final
        runs.append({"augment": strength, "seconds": time.perf_counter() - start, "train_acc": e["train_acc"],
                     "test_acc": e["test_acc"], "test_acc_avg": e["test_acc_avg"], "config": config.to_dict()})
        print(f"{strength:<8}{runs[-1]['seconds']:>8.0f}{e['train_acc']:>12.4f}"
              f"{e['test_acc']:>12.4f}{e['test_acc_avg']:>14.4f}")
    payload = {"benchmark": "augmentation_short_runs", "provenance": provenance(), "runs": runs,
               "test_images": 10 * BOOK_CONFIG.test_per_class if BOOK_CONFIG.test_per_class else None,
               "wall_time_s": time.perf_counter() - start_all}
    print("已写出", write_json(RESULT, payload))


if __name__ == "__main__":
    main()

"""Experiment (not a test): what each augmentation strength costs in the book's short runs.

Notebook 06 trains for 3 epochs with the 'light' strength (whole image, random interpolation,
mild photometric distortion, flips) instead of §6's crops of 8–100 % of the area ('paper').
This script trains notebook 06's first model (BOOK_CONFIG) once per strength and prints the
test accuracy of each, so the reason for that choice can be re-measured. About 5 minutes on
the 2-core reference CPU:

    .venv/bin/python benchmarks/augmentation_short_runs.py
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from googlenet.augment import STRENGTHS
from googlenet.book.runs import BOOK_CONFIG
from googlenet.train import train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="本书短训练中各种数据增强强度的代价（实验，约 5 分钟）")
    parser.add_argument("--epochs", type=int, default=BOOK_CONFIG.epochs, help=f"训练轮数（默认 {BOOK_CONFIG.epochs}）")
    parser.add_argument("--out", default="runs/augmentation", help="检查点目录（默认 runs/augmentation）")
    args = parser.parse_args(argv)
    print(f"配方：BOOK_CONFIG（每类 {BOOK_CONFIG.train_per_class} 张，{BOOK_CONFIG.image_size} 像素），{args.epochs} 轮；只换数据增强")
    print(f"{'增强':<8}{'训练秒':>8}{'训练准确率':>12}{'测试(原始)':>12}{'测试(Polyak)':>14}")
    for strength in STRENGTHS:
        config = dataclasses.replace(BOOK_CONFIG, augment=strength, epochs=args.epochs)
        start = time.perf_counter()
        e = train(config, f"{args.out}/{strength}", overwrite=True, progress=False).final
        print(f"{strength:<8}{time.perf_counter() - start:>8.0f}{e['train_acc']:>12.4f}"
              f"{e['test_acc']:>12.4f}{e['test_acc_avg']:>14.4f}")


if __name__ == "__main__":
    main()

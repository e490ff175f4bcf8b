"""Time to accuracy: what test accuracy GoogLeNet reaches on the bundled subset within 5 and 10
minutes of training on this CPU (not a test: the numbers depend on the machine).

Targets (issue 5): ≥ 0.90 within 10 minutes, ≥ 0.87 within 5 minutes, on the bundled
Fashion-MNIST subset's test split (3,000 images). Anchors: d2l's GoogLeNet chapter reaches
0.886 on the full Fashion-MNIST (96 px, 10 epochs, GPU); an earlier probe here (torchvision's
GoogLeNet, a 10k-image subset, 64 px, 3 epochs, batch 32) reached 0.864 in 4.7 minutes.

"Training time" is the sum of the epochs' training time (data augmentation, forward, backward,
update, Polyak average); evaluation after each epoch is timed separately and not counted.
The accuracy "within" a budget is that of the last epoch finished inside it; each recipe's
schedule is sized to end inside its budget on this machine. The Polyak-averaged weights are
what §6 uses at inference, so they decide; the raw weights are printed beside them.

Each budget's summary, with its provenance, goes into benchmarks/results/bench_time_to_accuracy.json
(benchmarks/README.md's table is generated from it). Run one budget at a time, with nothing else
heavy running:

    .venv/bin/python benchmarks/bench_time_to_accuracy.py --budget 5
    .venv/bin/python benchmarks/bench_time_to_accuracy.py --budget 10
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from googlenet.data import fashion_mnist_subset
from googlenet.extras.device import resolve_device, resolve_precision
from googlenet.train import TrainConfig, train
from experiments.common import provenance, write_json

RESULT = Path(__file__).resolve().parent / "results" / "bench_time_to_accuracy.json"

# The recipes: the package's default configuration (googlenet.train.TrainConfig), with the
# number of epochs that fits each budget on this 2-core CPU.
RECIPES = {5: dataclasses.replace(TrainConfig(), epochs=3), 10: TrainConfig()}
TARGETS = {5: 0.87, 10: 0.90}


def describe(config: TrainConfig) -> str:
    n_train = len(fashion_mnist_subset("train")) if config.train_per_class is None else 10 * config.train_per_class
    return (f"{config.image_size}×{config.image_size} 像素，训练集 {n_train} 张（每类 {n_train // 10}），"
            f"{config.variant} 变体，{'带' if config.aux else '不带'}辅助分类器（权重 {config.aux_weight}），"
            f"{config.epochs} 轮，批量 {config.batch_size}，SGD 动量 {config.momentum}，"
            f"学习率 {config.lr}（{config.schedule}），权重衰减 {config.weight_decay}，"
            f"数据增强 {config.augment}，Polyak 衰减 {config.ema_decay}")


def run_budget(minutes: int, out: Path, progress: bool) -> dict:
    config = RECIPES[minutes]
    device = resolve_device(None)
    print(f"\n=== {minutes} 分钟预算 ===")
    print("配方：" + describe(config))
    print(f"设备：{device.type}，精度 {resolve_precision(config.precision, device)}，"
          f"{torch.get_num_threads()} 个线程，{platform.processor() or platform.machine()}")
    result = train(config, out / f"{minutes}min", overwrite=True, progress=progress)
    print(f"{'轮':>3}{'累计训练秒':>10}{'张/秒':>8}{'测试(原始)':>12}{'测试(Polyak)':>14}{'评估秒':>8}")
    for e in result.history:
        print(f"{e['epoch']:>3}{e['train_time_total_s']:>12.0f}{e['images_per_s']:>10.0f}"
              f"{e['test_acc']:>12.4f}{e['test_acc_avg']:>14.4f}{e['eval_time_s']:>10.1f}")
    inside = [e for e in result.history if e["train_time_total_s"] <= minutes * 60]
    final = result.history[-1]
    images = sum(e["images"] for e in result.history)
    summary = {
        "budget_min": minutes, "target": TARGETS[minutes], "config": config.to_dict(),
        "train_time_s": final["train_time_total_s"], "images_per_s": images / final["train_time_total_s"],
        "eval_time_s": sum(e["eval_time_s"] for e in result.history),
        "final_acc_raw": final["test_acc"], "final_acc_avg": final["test_acc_avg"],
        "acc_within_budget": inside[-1]["test_acc_avg"] if inside else None,
        "acc_within_budget_raw": inside[-1]["test_acc"] if inside else None,
        "epochs_within_budget": len(inside),
    }
    met = summary["acc_within_budget"] is not None and summary["acc_within_budget"] >= TARGETS[minutes]
    summary["met"] = met
    print(f"训练用时 {summary['train_time_s']:.0f} 秒（另有评估 {summary['eval_time_s']:.0f} 秒），"
          f"平均 {summary['images_per_s']:.0f} 张/秒")
    if inside:
        print(f"{minutes} 分钟内（{len(inside)} 轮）达到的测试准确率：Polyak 平均 {summary['acc_within_budget']:.4f}，"
              f"原始权重 {summary['acc_within_budget_raw']:.4f}；目标 ≥ {TARGETS[minutes]}："
              f"{'达到' if met else '未达到'}")
    else:
        print(f"{minutes} 分钟内一轮也没有训练完：目标 ≥ {TARGETS[minutes]} 未达到")
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="GoogLeNet 在随包子集上的“达到精度所需时间”基准（本机 CPU）")
    parser.add_argument("--budget", type=int, nargs="+", choices=sorted(RECIPES), default=sorted(RECIPES),
                        help="时间预算，分钟（默认 5 和 10；计时准确起见，请一次只跑一个）")
    parser.add_argument("--out", default="runs/bench", help="输出目录（默认 runs/bench）")
    parser.add_argument("--progress", action="store_true", help="显示进度条")
    args = parser.parse_args(argv)
    out = Path(args.out)
    for minutes in args.budget:
        summary = run_budget(minutes, out, args.progress)
        results = json.loads(RESULT.read_text(encoding="utf-8")) if RESULT.exists() else {"budgets": {}}
        results["budgets"][str(minutes)] = {**summary, "provenance": provenance()}
        results["benchmark"] = "bench_time_to_accuracy"
        print("已写出", write_json(RESULT, results))


if __name__ == "__main__":
    main()

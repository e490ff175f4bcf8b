"""Regenerate the result tables of benchmarks/README.md from benchmarks/results/*.json.

    .venv/bin/python benchmarks/make_readme.py          # rewrite the generated blocks
    .venv/bin/python benchmarks/make_readme.py --check  # exit 1 if README.md is out of date

Each generated block sits between ``<!-- name:begin -->`` and ``<!-- name:end -->``; the text
around the blocks is written by hand and never holds a measured number (tests/test_benchmarks.py
runs --check).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"


def _provenance(p: dict, wall: float) -> str:
    return (f"{p['date'][:10]}，{p['cpu_model']}，{p['cpu_count']} 核，{p['torch_threads']} 个线程，"
            f"torch {p['torch']}，提交 {(p.get('git_commit') or '未知')[:8]}，用时 {wall:.0f} 秒")


def bench_model(r: dict) -> str:
    precisions = r["precisions"]
    lines = [f"测量：{_provenance(r['provenance'], r['wall_time_s'])}；批量 {r['batch']}，"
             f"{r['repeats']} 轮取中位数，fp32 矩阵乘法峰值 {r['matmul_peak_flops_per_s'] / 1e9:.0f} GFLOP/s。", ""]
    keys = list(next(iter(r["sizes"].values()))["images_per_s"])
    lines += ["| 输入 | " + " | ".join(k.replace("|", "，") for k in keys) + " |",
              "|---|" + "---|" * len(keys)]
    for size, e in r["sizes"].items():
        lines.append(f"| {size}×{size} | " + " | ".join(f"{e['images_per_s'][k]:.1f}" for k in keys) + " |")
    ratio_keys = list(next(iter(r["sizes"].values()))["ratios"])
    lines += ["", "| 比值 | " + " | ".join(f"{s}×{s}" for s in r["sizes"]) + " |", "|---|" + "---|" * len(r["sizes"])]
    for k in ratio_keys:
        lines.append(f"| {k} | " + " | ".join(f"{e['ratios'][k]:.2f}" for e in r["sizes"].values()) + " |")
    lines.append("| 训练 FLOP/s ÷ fp32 矩阵乘法峰值（本包，channels_last，fp32） | "
                 + " | ".join(f"{e['fraction_of_matmul_peak']:.2f}" for e in r["sizes"].values()) + " |")
    if "bf16" not in precisions:
        lines += ["", "这台机器没有 bf16 内核，只测了 fp32。"]
    return "\n".join(lines)


def bench_multicrop_compile(r: dict) -> str:
    v = r["views_per_s"]
    even = ("编译后并不更快，不值得" if r["break_even_images"] is None
            else f"一次评估超过约 {r['break_even_images']:,.0f} 张图像（每张 144 个裁剪）时，编译的时间才省得回来")
    return "\n".join([
        f"测量：{_provenance(r['provenance'], r['wall_time_s'])}；{r['variant']} 变体，视图 {r['crop']}×{r['crop']}，"
        f"每批 {r['batch']} 个视图，{r['repeats']} 轮交替计时取中位数。", "",
        "| 推理 | 每秒视图数 | 编译时间 |", "|---|---|---|",
        f"| eager | {v['eager']:.1f} | — |",
        f"| `torch.compile` | {v['compiled']:.1f} | {r['compile_s']:.1f} 秒 |", "",
        f"compiled / eager = {r['speedup']:.2f}；{even}。"
        f"在 {r['images_compared']} 张图像上两者的逐图像预测{'完全相同' if r['same_predictions'] else '不同'}。"])


def bench_multicrop(r: dict) -> str:
    med, best = r["views_per_s_median"], r["views_per_s_best"]
    names = {"plain": "直接把现成的视图送进模型（上限）", "1 crop": "`multicrop.evaluate`，1 个裁剪",
             "144 crops": "`multicrop.evaluate`，144 个裁剪"}
    lines = [f"测量：{_provenance(r['provenance'], r['wall_time_s'])}；{r['variant']} 变体，视图 {r['crop']}×{r['crop']}，"
             f"每批 {r['batch']} 个视图，{r['repeats']} 轮交替计时。", "",
             "| 参赛者 | 每秒视图数（中位数） | 最好的一轮 |", "|---|---|---|"]
    lines += [f"| {names[k]} | {med[k]:.1f} | {best[k]:.1f} |" for k in names]
    lines += ["", f"144 个裁剪 / 直接送入 = {r['ratio_144_vs_plain']:.2f}（目标 ≥ 0.9）：切出视图本身每秒约 "
              f"{r['cut_views_per_s']:,.0f} 个，只占时间的 {100 * r['cut_share_of_time']:.1f}%。", "",
              "| 峰值内存（每项一个新进程） | 视图数 | 运行前 | 峰值 |", "|---|---|---|---|"]
    lines += [f"| {names[m['mode']]} | {m['crops']} | {m['before_mib']:.0f} MiB | {m['peak_mib']:.0f} MiB |"
              for m in r["memory"]]
    return "\n".join(lines)


def bench_time_to_accuracy(r: dict) -> str:
    lines = ["| 预算 | 轮数 | 训练用时 | 张/秒 | 测试准确率（Polyak 平均） | 原始权重 | 目标 | 测量 |",
             "|---|---|---|---|---|---|---|---|"]
    for minutes, b in sorted(r["budgets"].items(), key=lambda kv: int(kv[0])):
        acc = "—" if b["acc_within_budget"] is None else f"{b['acc_within_budget']:.3f}"
        raw = "—" if b["acc_within_budget_raw"] is None else f"{b['acc_within_budget_raw']:.3f}"
        lines.append(f"| {minutes} 分钟 | {b['epochs_within_budget']} | {b['train_time_s']:.0f} 秒 | "
                     f"{b['images_per_s']:.0f} | {acc} | {raw} | ≥ {b['target']}，{'达到' if b['met'] else '未达到'} | "
                     f"{_provenance(b['provenance'], b['train_time_s'] + b['eval_time_s'])} |")
    return "\n".join(lines)


def crops_after_crop_training(r: dict) -> str:
    e, (fixed, broken) = r["top1_error"], r["changes_1_vs_144"]
    return "\n".join([
        f"测量：{_provenance(r['provenance'], r['wall_time_s'])}；训练 {r['config']['epochs']} 轮（{r['train_s']:.0f} 秒），"
        f"{r['test_images']} 张测试图像，一次运行。", "",
        "| 视图 | 整图缩放 | 1 个裁剪 | 10 个裁剪 | 144 个裁剪 |", "|---|---|---|---|---|",
        "| top-1 错误率 | " + " | ".join(f"{100 * e[k]:.1f}%" for k in ("whole", "1", "10", "144")) + " |", "",
        f"1 → 144 个裁剪：{fixed} 张由错变对、{broken} 张由对变错，McNemar 检验 p = {r['p_1_vs_144']:.2g}。"])


def augmentation_short_runs(r: dict) -> str:
    names = {"paper": "`\"paper\"`（§6 原样：面积 8%–100% 的随机图像块）",
             "light": "`\"light\"`（不裁剪；随机插值、轻微光度畸变、翻转）", "none": "`\"none\"`（只缩放）"}
    c = r["runs"][0]["config"]
    lines = [f"测量：{_provenance(r['provenance'], r['wall_time_s'])}；每类 {c['train_per_class']} 张训练图像、"
             f"{c['image_size']} 像素、{c['epochs']} 轮，{r['test_images'] or '全部'} 张测试图像，每种增强一次运行。", "",
             "| 增强 | 训练用时 | 训练准确率 | 测试准确率（原始） | 测试准确率（Polyak 平均） |", "|---|---|---|---|---|"]
    lines += [f"| {names.get(x['augment'], x['augment'])} | {x['seconds']:.0f} 秒 | {x['train_acc']:.3f} | "
              f"{x['test_acc']:.3f} | {x['test_acc_avg']:.3f} |" for x in r["runs"]]
    return "\n".join(lines)


BLOCKS = {"bench_model": bench_model, "bench_multicrop_compile": bench_multicrop_compile,
          "bench_multicrop": bench_multicrop, "bench_time_to_accuracy": bench_time_to_accuracy,
          "crops_after_crop_training": crops_after_crop_training,
          "augmentation_short_runs": augmentation_short_runs}
COMMANDS = {"bench_multicrop": "python benchmarks/bench_multicrop.py",
            "bench_time_to_accuracy": "python benchmarks/bench_time_to_accuracy.py --budget 5（再 --budget 10）",
            "crops_after_crop_training": "python benchmarks/crops_after_crop_training.py",
            "augmentation_short_runs": "python benchmarks/augmentation_short_runs.py"}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        path = HERE / "results" / f"{name}.json"
        block = (make(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else
                 f"尚无提交的结果：在参考机器上运行 `{COMMANDS.get(name, name)}` 生成 `results/{name}.json`，"
                 f"再运行 `python benchmarks/make_readme.py`。")
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"错误：README.md 里没有 <!-- {name}:begin --> … <!-- {name}:end --> 标记")
        text = pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="由 benchmarks/results/*.json 重新生成 README.md 中的结果表")
    parser.add_argument("--check", action="store_true", help="只检查 README.md 是否最新（过期时退出码为 1）")
    args = parser.parse_args(argv)
    old = README.read_text(encoding="utf-8")
    new = render(old)
    if args.check:
        if new != old:
            print("错误：benchmarks/README.md 与 benchmarks/results/ 不一致；运行 python benchmarks/make_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

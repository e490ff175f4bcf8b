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


BLOCKS = {"bench_model": bench_model, "bench_multicrop_compile": bench_multicrop_compile}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        path = HERE / "results" / f"{name}.json"
        if not path.is_file():
            continue
        block = make(json.loads(path.read_text(encoding="utf-8")))
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

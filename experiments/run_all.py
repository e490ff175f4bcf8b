"""Every experiment, in order: the learning-rate probe, the aux-head ablation, multi-crop over seeds.

    .venv/bin/python experiments/run_all.py            # the full set into googlenet/book/experiment_results/
    .venv/bin/python experiments/run_all.py --smoke    # a tiny configuration, into a temporary directory

``--smoke`` (what CI and tests/test_experiments.py run) trains 2 images per class for one epoch
with 2 seeds (the fewest a paired test needs) and evaluates 10 test images: well under a minute.
It never writes to googlenet/book/experiment_results/.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments import aux_ablation, lr_probe, multicrop_seeds
from experiments.common import RESULTS_DIR, RUNS_DIR, provenance, write_json, output_dir


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="重新运行 experiments/ 的全部实验（参考机器上不超过 60 分钟）")
    parser.add_argument("--smoke", action="store_true", help="极小的配置（几十秒），写到临时目录，不覆盖已提交的结果")
    parser.add_argument("--seeds", type=int, default=None, help="种子数（默认 5；--smoke 时 2）")
    parser.add_argument("--out", type=Path, default=None, help="结果目录（默认 googlenet/book/experiment_results；--smoke 时一个临时目录）")
    parser.add_argument("--skip-probe", action="store_true", help="不重跑学习率探测（约 5 分钟）")
    parser.add_argument("--multicrop-variants", nargs="+", default=["torchvision"], choices=["torchvision", "paper"],
                        help="多裁剪评估哪些网络（默认只有 torchvision 的，以守住 60 分钟）")
    args = parser.parse_args(argv)
    if args.smoke and args.out is not None and args.out.resolve() == RESULTS_DIR.resolve():
        parser.error("--smoke 的结果不能写进 googlenet/book/experiment_results（那里是已提交的完整结果）")
    seeds = list(range(args.seeds or (2 if args.smoke else 5)))
    out = output_dir(args.out, args.smoke)
    runs_dir = out / "runs" if args.smoke else RUNS_DIR
    scale = aux_ablation.SMOKE if args.smoke else aux_ablation.FULL

    def log(line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)

    start = time.perf_counter()
    log(f"{'冒烟测试' if args.smoke else '完整实验'}：种子 {seeds}，结果写到 {out}，检查点写到 {runs_dir}")
    timings = {}
    if not args.skip_probe:
        t = time.perf_counter()
        lr_probe.run(scale, out, runs_dir, lr_probe.SMOKE_GRID if args.smoke else lr_probe.GRID, log=log)
        timings["lr_probe"] = time.perf_counter() - t
    aux_ablation.use_paper_recipe(aux_ablation.paper_recipe(out))  # the probe's best (or the committed one)
    t = time.perf_counter()
    aux_ablation.run(seeds, scale, out, runs_dir, log=log)
    timings["aux_ablation"] = time.perf_counter() - t
    t = time.perf_counter()
    multicrop_seeds.run(seeds, scale, out, runs_dir, variants=tuple(args.multicrop_variants),
                        per_class=1 if args.smoke else multicrop_seeds.PER_CLASS, log=log)
    timings["multicrop_seeds"] = time.perf_counter() - t
    total = time.perf_counter() - start
    summary = {"experiment": "run_all", "smoke": args.smoke, "seeds": seeds, "provenance": provenance(),
               "wall_time_s": timings, "total_wall_time_s": total,
               "files": sorted(p.name for p in out.glob("*.json") if p.name != "run_all.json")}
    write_json(out / "run_all.json", summary)
    log(f"全部完成，总用时 {total / 60:.1f} 分钟：" + "，".join(f"{k} {v / 60:.1f} 分钟" for k, v in timings.items()))
    return summary


if __name__ == "__main__":
    main()

"""Training throughput (forward + backward + SGD step) of our GoogLeNet vs torchvision's, fairly.

    .venv/bin/python benchmarks/bench_model.py [--sizes 64 96] [--batch 64] [--repeats 5]

Every contender is measured in one process, in interleaved rounds (A, B, C, ..., A, B, C, ...),
so a noisy machine slows all of them alike; the figures that matter are the ratios. Each
implementation runs in both memory layouts and both precisions, so the three effects are
reported separately, as what they are:

* implementation : ours / torchvision in the *same* layout and precision (target: ≥ 1.0)
* layout         : channels_last / NCHW, for each implementation (fp32)
* precision      : bf16 autocast / fp32, for each implementation (channels_last), where the CPU
                   has bf16 kernels; this is what ``precision="auto"`` measures before it picks

It also counts the training step's floating-point operations (torch's FlopCounterMode) and
reports the achieved FLOP/s against this machine's fp32 matmul peak (a 2048² matmul, measured
here), i.e. how much of the CPU a GoogLeNet training step uses. Results go to
benchmarks/results/bench_model.json with their provenance; benchmarks/README.md shows them
(`python benchmarks/make_readme.py` regenerates its tables from the results files).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from experiments.common import provenance, write_json
from googlenet import GoogLeNet

RESULTS = Path(__file__).resolve().parent / "results"
IMPLEMENTATIONS = {
    "ours": lambda n: GoogLeNet(variant="torchvision", num_classes=n, channels_last=False),
    "torchvision": lambda n: torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True,
                                                          num_classes=n),
}


def bf16_supported() -> bool:
    return bool(getattr(torch.backends, "mkldnn", None) and torch.backends.mkldnn.is_available()
                and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def train_step(model, optimizer, x, y, precision: str) -> None:
    optimizer.zero_grad(set_to_none=True)
    autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext())
    with autocast:
        out = model(x)
        logits, aux = (out[0], out[1:]) if isinstance(out, tuple) else (out, ())
        loss = torch.nn.functional.cross_entropy(logits, y)
        for a in aux:
            loss = loss + 0.3 * torch.nn.functional.cross_entropy(a, y)
    loss.backward()
    optimizer.step()


def matmul_peak(n: int = 2048, seconds: float = 2.0) -> float:
    """Achieved fp32 FLOP/s of a large square matmul: the machine's practical ceiling."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n ** 3 * count / (time.perf_counter() - start)


def step_flops(size: int, batch: int, classes: int) -> int:
    model = IMPLEMENTATIONS["ours"](classes).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, classes, (batch,))
    with FlopCounterMode(display=False) as counter:
        train_step(model, opt, x, y, "fp32")
    return counter.get_total_flops()


def measure(size: int, batch: int, repeats: int, classes: int, precisions: list[str]) -> dict:
    torch.manual_seed(0)
    contenders = {}
    for impl, make in IMPLEMENTATIONS.items():
        for layout in ("nchw", "channels_last"):
            for precision in precisions:
                model = make(classes).train()
                fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
                model = model.to(memory_format=fmt)
                contenders[impl, layout, precision] = (model, torch.optim.SGD(model.parameters(), lr=0.01,
                                                                               momentum=0.9), fmt)
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, classes, (batch,))
    inputs = {fmt: x.contiguous(memory_format=fmt) for _, _, fmt in contenders.values()}
    for (impl, layout, precision), (model, opt, fmt) in contenders.items():  # warm-up: allocator, kernels
        train_step(model, opt, inputs[fmt], y, precision)
    times = {key: [] for key in contenders}
    for _ in range(repeats):
        for key, (model, opt, fmt) in contenders.items():
            start = time.perf_counter()
            train_step(model, opt, inputs[fmt], y, key[2])
            times[key].append(time.perf_counter() - start)
    return {"|".join(k): batch / statistics.median(t) for k, t in times.items()}


def ratios(rate: dict, precisions: list[str]) -> dict:
    r = lambda a, b: rate["|".join(a)] / rate["|".join(b)]
    out = {f"ours/torchvision ({layout}, {p})": r(("ours", layout, p), ("torchvision", layout, p))
           for layout in ("nchw", "channels_last") for p in precisions}
    out.update({f"channels_last/nchw ({impl}, fp32)": r((impl, "channels_last", "fp32"), (impl, "nchw", "fp32"))
                for impl in IMPLEMENTATIONS})
    if "bf16" in precisions:
        out.update({f"bf16/fp32 ({impl}, channels_last)": r((impl, "channels_last", "bf16"),
                                                             (impl, "channels_last", "fp32"))
                    for impl in IMPLEMENTATIONS})
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="GoogLeNet 训练吞吐量：本包 vs torchvision，同一布局、同一精度，交替计时")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 96], help="输入边长（像素）")
    parser.add_argument("--batch", type=int, default=64, help="批量大小")
    parser.add_argument("--repeats", type=int, default=5, help="每个组合计时的轮数（取中位数）")
    parser.add_argument("--classes", type=int, default=10, help="类别数")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_model.json", help="结果文件")
    args = parser.parse_args(argv)
    if min(args.sizes) < 32 or args.batch < 1 or args.repeats < 1:
        parser.error(f"--sizes 应不小于 32、--batch 与 --repeats 应为正整数，收到 {args.sizes}、{args.batch}、{args.repeats}")
    start = time.perf_counter()
    precisions = ["fp32", "bf16"] if bf16_supported() else ["fp32"]
    peak = matmul_peak()
    print(f"torch {torch.__version__}，{torch.get_num_threads()} 个线程，批量 {args.batch}，精度 {precisions}；"
          f"fp32 矩阵乘法峰值 {peak / 1e9:.0f} GFLOP/s")
    sizes = {}
    for size in args.sizes:
        rate = measure(size, args.batch, args.repeats, args.classes, precisions)
        flops = step_flops(size, args.batch, args.classes)
        fp32_rate = rate["ours|channels_last|fp32"]
        entry = {"images_per_s": rate, "ratios": ratios(rate, precisions), "train_flops_per_image": flops / args.batch,
                 "fp32_flops_per_s": flops / args.batch * fp32_rate,
                 "fraction_of_matmul_peak": flops / args.batch * fp32_rate / peak}
        sizes[str(size)] = entry
        print(f"\n{size}×{size} 像素：每秒图像数（{args.repeats} 轮的中位数）")
        for key, value in rate.items():
            print(f"  {key:32s} {value:8.1f}")
        for key, value in entry["ratios"].items():
            print(f"  {key:36s} = {value:.2f}")
        print(f"  训练一步的运算量 {flops / args.batch / 1e9:.2f} GFLOP/张；达到 fp32 矩阵乘法峰值的 "
              f"{entry['fraction_of_matmul_peak']:.2f}")
    payload = {"benchmark": "bench_model", "provenance": provenance(), "batch": args.batch, "repeats": args.repeats,
               "precisions": precisions, "matmul_peak_flops_per_s": peak, "sizes": sizes,
               "wall_time_s": time.perf_counter() - start}
    print("已写出", write_json(args.out, payload))
    return payload


if __name__ == "__main__":
    main()

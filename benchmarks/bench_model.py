"""Training throughput (forward + backward + SGD step) of our GoogLeNet vs torchvision's.

    .venv/bin/python benchmarks/bench_model.py [--sizes 64 96 224] [--batch 32] [--repeats 5]

Everything is measured in one process, side by side, in interleaved rounds (A, B, C, A, B,
C, ...) so that a noisy shared machine slows every contender alike; the figures that matter
are the ratios. Contenders at each resolution:

* torchvision  : torchvision.models.googlenet (NCHW, its default layout)
* ours         : GoogLeNet(variant="torchvision"), the package default (channels_last=True)
* ours NCHW    : the same with channels_last=False, which isolates what the layout buys
* paper        : GoogLeNet(variant="paper"), for reference (LRN, true 5×5, no BN)

Target (issue 2): ours / torchvision ≥ 1.0 at every size.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torchvision

from googlenet import GoogLeNet


def contenders(num_classes: int):
    return {
        "torchvision": lambda: torchvision.models.googlenet(weights=None, aux_logits=True,
                                                            init_weights=True, num_classes=num_classes),
        "ours": lambda: GoogLeNet(variant="torchvision", num_classes=num_classes),
        "ours NCHW": lambda: GoogLeNet(variant="torchvision", num_classes=num_classes, channels_last=False),
        "paper": lambda: GoogLeNet(variant="paper", num_classes=num_classes),
    }


def train_step(model, optimizer, x, y):
    optimizer.zero_grad(set_to_none=True)
    out = model(x)
    logits, aux = (out[0], out[1:]) if isinstance(out, tuple) else (out, ())
    loss = torch.nn.functional.cross_entropy(logits, y)
    for a in aux:
        loss = loss + 0.3 * torch.nn.functional.cross_entropy(a, y)
    loss.backward()
    optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description="GoogLeNet 训练吞吐量对比（本包 vs torchvision）")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 96, 224], help="输入边长（像素）")
    parser.add_argument("--batch", type=int, default=32, help="批量大小")
    parser.add_argument("--repeats", type=int, default=5, help="每个模型计时的轮数")
    parser.add_argument("--classes", type=int, default=10, help="类别数")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}")
    for size in args.sizes:
        models = {}
        for name, make in contenders(args.classes).items():
            model = make().train()
            models[name] = (model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
        x = torch.randn(args.batch, 3, size, size)
        y = torch.randint(0, args.classes, (args.batch,))
        for model, opt in models.values():  # warm-up: allocator, oneDNN kernel selection
            train_step(model, opt, x, y)
        times = {name: [] for name in models}
        for _ in range(args.repeats):
            for name, (model, opt) in models.items():
                start = time.perf_counter()
                train_step(model, opt, x, y)
                times[name].append(time.perf_counter() - start)
        rate = {name: args.batch / statistics.median(t) for name, t in times.items()}
        print(f"\n{size}×{size} px: images/s (median of {args.repeats})")
        for name, r in rate.items():
            print(f"  {name:12s} {r:8.1f}")
        print(f"  ratio ours / torchvision      = {rate['ours'] / rate['torchvision']:.2f}")
        print(f"  ratio ours NCHW / torchvision = {rate['ours NCHW'] / rate['torchvision']:.2f}")
        print(f"  ratio channels_last / NCHW    = {rate['ours'] / rate['ours NCHW']:.2f}")
        print(f"  ratio paper / torchvision     = {rate['paper'] / rate['torchvision']:.2f}")


if __name__ == "__main__":
    main()

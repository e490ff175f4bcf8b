"""Command line: `python -m googlenet <子命令>`. Every help text is Chinese."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shlex
import sys
from pathlib import Path


def _table1(args: argparse.Namespace) -> None:
    from ..cost import table1_report
    from ..model import GoogLeNet

    model = GoogLeNet(variant=args.variant, aux_logits=False)
    print(table1_report(model, image_size=args.image_size).to_text())


def _figures(args: argparse.Namespace) -> None:
    from ..book.diagrams import write_figures

    for path in write_figures(args.out):
        print(path)


def _train(args: argparse.Namespace) -> None:
    from matplotlib.figure import Figure

    from ..book.plots import plot_training_curves
    from ..train import TrainConfig, train
    from .checkpoint import atomic_write

    fields = ("dataset", "train_per_class", "test_per_class", "image_size", "variant", "epochs", "batch_size", "lr",
              "weight_decay", "schedule", "warmup", "augment", "ema_decay", "precision", "seed")  # flag = field
    config = TrainConfig(aux=not args.no_aux, **{name: getattr(args, name) for name in fields})
    out_dir = Path(args.out_dir) if args.out_dir else Path("runs") / args.name
    result = train(config, out_dir, resume=args.resume, overwrite=args.overwrite, stop_after=args.stop_after,
                   progress=not args.no_progress, device=args.device, workers=args.workers,
                   eval_every=args.eval_every, data_root=args.data_root, download=args.download)
    if os.environ.get("RANK", "0") != "0":  # under torchrun only the first process reports
        return
    if result.history:  # curves.png beside the checkpoint (the training loop itself draws nothing)
        fig = Figure(figsize=(12, 3.6), layout="constrained")
        plot_training_curves(result.history, fig=fig, title=result.out_dir.name)
        atomic_write(result.out_dir / "curves.png", lambda f: fig.savefig(f, format="png", dpi=110))
    final = result.final
    if final.get("test_acc") is not None:
        print(f"完成 {final['epoch']}/{config.epochs} 轮：测试准确率 {final['test_acc']:.4f}，"
              f"Polyak 平均 {final['test_acc_avg']:.4f}；训练用时 {final['train_time_total_s']:.0f} 秒")
    print(f"输出目录：{out_dir}（checkpoint.pt、history.json、curves.png）")


def evaluate_checkpoint(path: str | Path, *, device: str = "auto", data_root: str | Path = "data",
                        test_per_class: int | None = None) -> tuple:
    """Evaluate a run's averaged and raw weights on the test split of the data it was trained on.

    ``path`` is a run's output directory or a checkpoint file (that file is evaluated). For the bundled subset the test
    split is the whole bundled one, or its first ``test_per_class`` images of every class.
    Returns (the run, the test set, {"Polyak 平均"/"原始": evaluate()'s dict})."""
    from ..train import build_datasets, evaluate, load_run
    from .device import resolve_device

    device = resolve_device(device)
    run = load_run(path, device)
    cfg = dataclasses.replace(run.config, train_per_class=None, test_per_class=test_per_class)
    _, test_set = build_datasets(cfg, data_root=data_root)
    precision = "fp32" if cfg.precision == "auto" else cfg.precision
    return run, test_set, {name: evaluate(model, test_set, precision=precision)
                           for name, model in (("Polyak 平均", run.averaged), ("原始", run.model))}


def _evaluate(args: argparse.Namespace) -> None:
    from ..tables import format_table

    run, test_set, results = evaluate_checkpoint(args.run, device=args.device, data_root=args.data_root,
                                                 test_per_class=args.test_per_class)
    c = run.config
    checkpoint = Path(args.run) if Path(args.run).is_file() else run.checkpoint
    print(f"检查点：{checkpoint}"
          f"（已训练 {len(run.history)}/{c.epochs} 轮；{c.image_size} 像素，{c.variant} 变体，"
          f"{'带' if c.aux else '不带'}辅助分类器）")
    print(f"测试集：{getattr(test_set, 'name', c.dataset)}，{len(test_set)} 张")
    print(format_table(["权重", "top-1 错误率", "top-5 错误率"],
                       [[name, f"{100 * (1 - r['top1']):.2f}%", f"{100 * (1 - r['top5']):.2f}%"]
                        for name, r in results.items()]))


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors as one Chinese line (exit status 2, as argparse's own)."""

    _MESSAGES = [(r"invalid (\w+) value: (.*)", r"值 \2 无效：应为 \1"),
                 (r"invalid choice: (.*) \(choose from (.*)\)", r"选项 \1 无效：可选 \2"),
                 (r"the following arguments are required: (.*)", r"缺少必需的参数 \1"),
                 (r"unrecognized arguments: (.*)", r"无法识别的参数 \1"),
                 (r"expected one argument", "需要一个值"),
                 (r"argument (\S+): ", r"参数 \1：")]

    def error(self, message: str):
        for pattern, zh in self._MESSAGES:
            message = re.sub(pattern, zh, message)
        self.exit(2, f"错误：{message}（用 {self.prog} --help 查看用法）\n")


def build_parser() -> argparse.ArgumentParser:
    from ..train import TrainConfig

    parser = _Parser(
        prog="python -m googlenet",
        description="《深入卷积》配套命令行：核对表 1、重画论文插图、训练与评估 GoogLeNet。")
    parser.add_argument("--debug", action="store_true", help="出错时显示完整的 Python 回溯（给开发者）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="子命令", parser_class=_Parser)

    p = sub.add_parser("table1", help="逐行重算表 1（输出尺寸、参数量、乘加次数）并与论文对照",
                       description="逐行重算表 1（输出尺寸、参数量、乘加次数）并与论文印刷的数字对照。")
    p.add_argument("--variant", choices=["paper", "torchvision"], default="paper", help="模型变体（默认 paper：忠实于论文）")
    p.add_argument("--image-size", type=int, default=224, help="输入图像边长，像素（默认 224）")
    p.set_defaults(func=_table1)

    p = sub.add_parser("figures", help="由模型重画图 2（Inception 模块）与图 3（整个网络）",
                       description="由 googlenet 包中的模型重画图 2 与图 3，写成 SVG。")
    p.add_argument("--out", default="book/figures", help="输出目录（默认 book/figures）")
    p.set_defaults(func=_figures)

    d = TrainConfig()  # the defaults of `train`
    p = sub.add_parser("train", help="按 §6 的方法训练 GoogLeNet（默认：随包附带的 Fashion-MNIST 子集，CPU）",
                       description="按论文 §6 的方法训练 GoogLeNet：主损失 + 0.3 × 两个辅助分类器的损失，动量 0.9 的 SGD，"
                                   "§6 的随机裁剪、光度畸变与随机插值，Polyak 平均。每轮结束后把检查点、history.json 与 "
                                   "curves.png 原子地写入输出目录；多进程：torchrun --nproc_per_node=N -m googlenet train ...")
    g = p.add_argument_group("数据")
    g.add_argument("--dataset", choices=["subset", "fashion-mnist", "imagenette"], default=d.dataset,
                   help="subset：随包附带的子集（默认，离线可用）；fashion-mnist：完整数据集；imagenette：ImageNet 的 10 类子集")
    g.add_argument("--data-root", default="data",
                   help="fashion-mnist / imagenette 的目录（默认 data）；fashion-mnist 也可指向装有四个 idx 文件的目录")
    g.add_argument("--download", action="store_true", help="数据不在 --data-root 中时联网下载")
    g.add_argument("--train-per-class", type=int, default=d.train_per_class, metavar="N", help="每类只用前 N 张训练图像（默认全部）")
    g.add_argument("--test-per-class", type=int, default=d.test_per_class, metavar="N", help="每类只用前 N 张测试图像（默认全部）")
    g = p.add_argument_group("模型与训练方法")
    g.add_argument("--image-size", type=int, default=d.image_size, help=f"输入边长，像素（默认 {d.image_size}，至少 64）")
    g.add_argument("--variant", choices=["paper", "torchvision"], default=d.variant,
                   help=f"模型变体（默认 {d.variant}：带批量归一化，从头训练快得多）")
    g.add_argument("--no-aux", action="store_true", help="不用辅助分类器训练")
    g.add_argument("--epochs", type=int, default=d.epochs, help=f"训练轮数（默认 {d.epochs}）")
    g.add_argument("--batch-size", type=int, default=d.batch_size, help=f"每个进程的批量大小（默认 {d.batch_size}）")
    g.add_argument("--lr", type=float, default=d.lr, help=f"峰值（onecycle）或初始（paper）学习率（默认 {d.lr}）")
    g.add_argument("--weight-decay", type=float, default=d.weight_decay, help=f"权重衰减（默认 {d.weight_decay}）")
    g.add_argument("--schedule", choices=["onecycle", "paper"], default=d.schedule,
                   help="学习率计划：onecycle（预热后余弦衰减到 0，适合短训练，默认）或 paper（§6：每 8 轮乘 0.96）")
    g.add_argument("--warmup", type=float, default=d.warmup, help=f"onecycle 预热占总步数的比例（默认 {d.warmup}）")
    g.add_argument("--augment", choices=["paper", "light", "none"], default=d.augment,
                   help="数据增强强度：paper（§6 原样：8%%–100%% 面积）、light（默认：不裁剪，整图随机插值缩放、较弱的光度畸变与水平翻转）、none")
    g.add_argument("--ema-decay", type=float, default=d.ema_decay, help=f"Polyak（指数滑动）平均每步的衰减（默认 {d.ema_decay}）")
    g.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], default=d.precision,
                   help="数值精度：auto（默认：GPU 上 fp16 混合精度；支持 bf16 的 CPU 上先各试几步 fp32 与 bf16，用实测更快的一种；否则 fp32）")
    g.add_argument("--seed", type=int, default=d.seed, help=f"随机种子（默认 {d.seed}）")
    g = p.add_argument_group("运行")
    g.add_argument("--name", default="subset", help="运行名：输出目录为 runs/<名字>（默认 subset）")
    g.add_argument("--out-dir", help="输出目录（给出时取代 runs/<名字>）")
    g.add_argument("--resume", action="store_true", help="从输出目录中的检查点接着训练（配置必须相同）")
    g.add_argument("--overwrite", action="store_true", help="输出目录已有检查点时从头覆盖")
    g.add_argument("--stop-after", type=int, metavar="N", help="累计训练满 N 轮就停下（学习率计划仍按 --epochs），以后用 --resume 继续")
    g.add_argument("--eval-every", type=int, default=1, metavar="N", help="每 N 轮在测试集上评估一次（默认 1）")
    g.add_argument("--device", default="auto", help="cpu、cuda 或 auto（默认：有 GPU 就用 GPU）")
    g.add_argument("--workers", type=int, default=0, help="DataLoader 的工作进程数（默认 0：在训练进程里做数据增强）")
    g.add_argument("--no-progress", action="store_true", help="不显示进度条和每轮摘要")
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="在测试集上评估训练好的检查点（top-1 / top-5 错误率）",
                       description="读取 train 写出的检查点，在它训练所用数据的测试集上（默认：随包附带子集的测试集）"
                                   "报告 Polyak 平均权重与原始权重的 top-1、top-5 错误率。")
    p.add_argument("run", help="运行的输出目录（如 runs/subset）或其中的 checkpoint.pt")
    p.add_argument("--device", default="auto", help="cpu、cuda 或 auto（默认）")
    p.add_argument("--data-root", default="data", help="训练用的是 fashion-mnist / imagenette 时，数据所在目录")
    p.add_argument("--test-per-class", type=int, metavar="N", help="每类只评估前 N 张测试图像（默认全部）")
    p.set_defaults(func=_evaluate)

    return parser


def main(argv: list[str] | None = None) -> None:
    """Run a subcommand. A user's mistake ends in one ``错误：`` line on stderr and exit status 2, a run that failed
    (download, divergence, disk) in status 1, Ctrl-C in status 130; ``--debug`` shows the traceback instead."""
    from ..train import TrainingDivergedError, TrainingInterrupted

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (TrainingInterrupted, ValueError, TypeError, OSError, TrainingDivergedError, RuntimeError) as err:
        if args.debug:
            raise
        if isinstance(err, TrainingInterrupted):
            resume = [a for a in argv if a != "--overwrite"] + ([] if "--resume" in argv else ["--resume"])
            _fail(130, f"已中断：{err}。接着训练：python -m googlenet {shlex.join(resume)}", prefix="")
        elif isinstance(err, (ValueError, TypeError, FileExistsError, FileNotFoundError)):  # incl. CheckpointError
            _fail(2, str(err))
        else:
            _fail(1, str(err) or type(err).__name__)


def _fail(status: int, message: str, prefix: str = "错误：") -> None:
    one_line = "；".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"{prefix}{one_line}（加 --debug 可查看完整回溯）" if prefix else one_line, file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()

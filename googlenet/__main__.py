"""Command line: `python -m googlenet <子命令>`. Every help text is Chinese."""

from __future__ import annotations

import argparse
import sys


def _table1(args: argparse.Namespace) -> None:
    from .cost import table1_report
    from .model import GoogLeNet

    model = GoogLeNet(variant=args.variant, aux_logits=False)
    print(table1_report(model, image_size=args.image_size).to_text())


def _figures(args: argparse.Namespace) -> None:
    from .diagrams import write_figures

    for path in write_figures(args.out):
        print(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m googlenet",
        description="《深入卷积》配套命令行：核对表 1、重画论文插图、训练与评估 GoogLeNet。")
    sub = parser.add_subparsers(dest="command", required=True, metavar="子命令")

    p = sub.add_parser("table1", help="逐行重算表 1（输出尺寸、参数量、乘加次数）并与论文对照",
                       description="逐行重算表 1（输出尺寸、参数量、乘加次数）并与论文印刷的数字对照。")
    p.add_argument("--variant", choices=["paper", "torchvision"], default="paper",
                   help="模型变体（默认 paper：忠实于论文）")
    p.add_argument("--image-size", type=int, default=224, help="输入图像边长，像素（默认 224）")
    p.set_defaults(func=_table1)

    p = sub.add_parser("figures", help="由模型重画图 2（Inception 模块）与图 3（整个网络）",
                       description="由 googlenet 包中的模型重画图 2 与图 3，写成 SVG。")
    p.add_argument("--out", default="book/figures", help="输出目录（默认 book/figures）")
    p.set_defaults(func=_figures)

    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])

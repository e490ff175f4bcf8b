"""Figures 2 and 3 of the paper, redrawn from the modules the notebooks actually run.

Kernel sizes and widths are read off the live module's convolutions, output sizes off a forward pass at 224 px,
so the figures follow the model. `python -m googlenet figures` (part of `make book`) writes them to book/figures/."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from torch import nn

from .. import paper
from ..model import ConvBlock, GoogLeNet, Inception, NaiveInception
from .plots import use_chinese_font

COLOURS = {  # one colour per kind of layer, as in the paper's Figure 3
    "conv": "#cfe2f3", "pool": "#f4cccc", "norm": "#fff2cc", "concat": "#d9ead3",
    "fc": "#ead1dc", "io": "#eeeeee", "inception": "#d9ead3", "dropout": "#fce5cd",
}


def layer_label(module: nn.Module) -> tuple[str, str]:
    """(text, colour kind) describing one layer, read from the module itself."""
    if isinstance(module, ConvBlock):
        k, s = module.conv.kernel_size[0], module.conv.stride[0]
        return f"{k}×{k}{f'/{s}' if s > 1 else ''} 卷积, {module.conv.out_channels}", "conv"
    if isinstance(module, nn.MaxPool2d):
        return f"{module.kernel_size}×{module.kernel_size}/{module.stride} 最大池化", "pool"
    if isinstance(module, nn.AdaptiveAvgPool2d):
        return "全局平均池化", "pool"
    if isinstance(module, nn.LocalResponseNorm):
        return "局部响应归一化", "norm"
    if isinstance(module, nn.Dropout):
        return f"dropout ({module.p:.0%})", "dropout"
    if isinstance(module, nn.Linear):
        return f"全连接 {module.in_features}→{module.out_features}", "fc"
    raise ValueError(f"无法为 {type(module).__name__} 生成图中标签")


def branch_layers(branch: nn.Module) -> list[nn.Module]:
    """The layers of one Inception branch, input side first."""
    return list(branch.children()) if isinstance(branch, nn.Sequential) else [branch]


def _branches(module: NaiveInception | Inception) -> list[list[nn.Module]]:
    return [branch_layers(b) for b in (module.branch1, module.branch2, module.branch3, module.branch4)]


def _box(ax, x, y, text, kind, w=1.0, h=0.42, fontsize=8.5):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
                                fc=COLOURS[kind], ec="#555555", lw=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, x0, y0, x1, y1):
    ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=8,
                                 lw=0.7, color="#444444", shrinkA=0, shrinkB=0))


def figure2(module: NaiveInception | Inception, title: str, in_channels: int):
    """One Inception module: previous layer → four branches → filter concatenation."""
    use_chinese_font()
    branches = _branches(module)
    depth = max(len(layers) for layers in branches)
    h_row, box_h, layer_h = 0.9, 0.42, 0.42 + 0.1
    top = depth * h_row  # row of the concatenation
    fig, ax = plt.subplots(figsize=(7.2, 1.4 + 0.9 * depth))
    xs = [0.0, 1.6, 3.2, 4.8]
    centre = sum(xs) / 4
    _box(ax, centre, 0, f"前一层（{in_channels} 通道）", "io", w=2.6)
    _box(ax, centre, top + h_row, f"滤波器拼接（{module.out_channels} 通道）", "concat", w=3.0)
    for x, layers in zip(xs, branches):  # each branch's last layer on the top row, as the paper draws it
        ys = [top - (len(layers) - 1 - i) * h_row for i in range(len(layers))]
        _arrow(ax, centre, box_h / 2, x, ys[0] - box_h / 2)
        for i, (layer, y) in enumerate(zip(layers, ys)):
            text, kind = layer_label(layer)
            _box(ax, x, y, text.replace(", ", "\n"), kind, w=1.35, h=layer_h)
            if i:
                _arrow(ax, x, ys[i - 1] + layer_h / 2, x, y - layer_h / 2)
        _arrow(ax, x, ys[-1] + layer_h / 2, centre, top + h_row - box_h / 2)
    ax.set(xlim=(-0.9, 5.7), ylim=(-0.45, top + h_row + 0.45))
    ax.set_title(title, fontsize=10)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _output_sizes(model: GoogLeNet, image_size: int) -> dict[str, tuple[int, ...]]:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = torch.zeros(1, model.in_channels, image_size, image_size)
            return {n: tuple(t.shape[1:]) for n, t in model.intermediates(x, model.path).items()}
    finally:
        model.train(was_training)


def _size_text(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}×{shape[2]}×{shape[0]}" if len(shape) == 3 else f"{shape[0]}"


def figure3(model: GoogLeNet | None = None, image_size: int = paper.INPUT_SIZE):
    """The whole network, input at the bottom, with the two auxiliary classifiers on the side."""
    use_chinese_font()
    model = model or GoogLeNet(variant="paper")
    sizes = _output_sizes(model, image_size)
    rows: list[tuple[str, str, str]] = [("input", f"输入 {image_size}×{image_size}×{model.in_channels}", "io")]
    for name in model.path:
        module = getattr(model, name)
        if isinstance(module, Inception):
            b1, b2, b3, b4 = _branches(module)
            (r3, n3), (r5, n5) = ([c.conv.out_channels for c in b] for b in (b2, b3))
            k5 = b3[1].conv.kernel_size[0]
            text = (f"Inception ({name[-2:]})  →  {_size_text(sizes[name])}\n"
                    f"1×1: {b1[0].conv.out_channels}  |  1×1: {r3} → 3×3: {n3}  |  "
                    f"1×1: {r5} → {k5}×{k5}: {n5}  |  池化 → 1×1: {b4[1].conv.out_channels}")
            rows.append((name, text, "inception"))
        else:
            text, kind = layer_label(module)
            rows.append((name, f"{text}  →  {_size_text(sizes[name])}", kind))
    rows.append(("softmax", "softmax（主分类器）", "io"))

    step, box_h, w = 0.62, 0.46, 5.4
    heights = [0.7 if kind == "inception" else box_h for _, _, kind in rows]
    ys = [0.0]
    for below, h in zip(heights, heights[1:]):
        ys.append(ys[-1] + ((below + h) / 2 + (step - box_h)))
    fig, ax = plt.subplots(figsize=(11.0, 0.5 + 0.62 * len(rows)))
    for i, ((name, text, kind), y, h) in enumerate(zip(rows, ys, heights)):
        _box(ax, 0, y, text, kind, w=w, h=h, fontsize=8)
        if i:
            _arrow(ax, 0, ys[i - 1] + heights[i - 1] / 2, 0, y - h / 2)
    if model.aux_logits:
        spec = paper.AUX  # aux1 (on 4a) left of the main column, aux2 (on 4d) right: stacks taller than the gap
        for side, head_name, attached in zip((-1, 1), ("aux1", "aux2"), spec.attached_to):
            head = getattr(model, head_name)
            y0 = ys[[r[0] for r in rows].index(attached)]
            aux_rows = [
                (f"{spec.pool_kernel}×{spec.pool_kernel}/{spec.pool_stride} 平均池化 → "
                 f"{spec.pool_output}×{spec.pool_output}×{sizes[attached][0]}", "pool"),
                (layer_label(head.conv)[0], "conv"),
                (layer_label(head.fc1)[0] + "，ReLU", "fc"),
                (layer_label(head.dropout)[0], "dropout"),
                (layer_label(head.fc2)[0], "fc"),
                (f"softmax{spec.attached_to.index(attached)}（辅助分类器，损失权重 {spec.loss_weight}）", "io"),
            ]
            x0 = side * (w / 2 + 2.0)
            _arrow(ax, side * w / 2, y0, x0 - side * 1.6, y0)
            for j, (text, kind) in enumerate(aux_rows):
                yy = y0 + j * 0.5
                _box(ax, x0, yy, text, kind, w=3.2, h=0.38, fontsize=7.5)
                if j:
                    _arrow(ax, x0, yy - 0.5 + 0.19, x0, yy - 0.19)
    ax.set(xlim=(-w / 2 - 3.8, w / 2 + 3.8), ylim=(-0.5, ys[-1] + 0.5))
    ax.axis("off")
    fig.tight_layout()
    return fig


def write_figures(out_dir: str | Path = "book/figures") -> list[Path]:
    """Write fig2a.svg, fig2b.svg and fig3.svg (byte-for-byte reproducible) into ``out_dir``."""
    use_chinese_font()
    matplotlib.rcParams["svg.hashsalt"] = "googlenet"  # stable element ids → no diff on rebuild
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    row = paper.table1_row("inception3a")
    c_in = paper.table1_row("maxpool2").output[2]
    n1, r3, n3, r5, n5, pp = row.inception_args
    torch.manual_seed(0)
    figures = {
        "fig2a.svg": figure2(NaiveInception(c_in, n1, n3, n5), "(a) Inception 模块，朴素版本（以 3a 的宽度为例）", c_in),
        "fig2b.svg": figure2(Inception(c_in, *row.inception_args), "(b) 带降维的 Inception 模块（Inception 3a）", c_in),
        "fig3.svg": figure3(GoogLeNet(variant="paper")),
    }
    for name, fig in figures.items():
        fig.savefig(out / name, metadata={"Date": None})
        plt.close(fig)
    return [out / name for name in figures]

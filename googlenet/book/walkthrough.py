"""Table 1's nine Inception rows, one at a time, on a real forward pass: each module's input (its
predecessor's output) run branch by branch, to show what each branch makes of it before the concatenation."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .. import paper
from ..cost import total_cost
from ..tables import display_width
from ..model import GoogLeNet, Inception

BRANCH_NAMES = ("1×1", "3×3 降维 → 3×3", "5×5 降维 → 5×5", "池化 → 投影")


@dataclass(frozen=True)
class InceptionStep:
    name: str  # e.g. "inception3a"
    input_shape: tuple[int, int, int]  # (C, H, W)
    branch_shapes: tuple[tuple[int, int, int], ...]  # one per branch, in Table 1's column order
    output_shape: tuple[int, int, int]
    params: int  # weights, no biases
    multiply_adds: int
    concat_matches: bool  # torch.cat(branches) equals the module's own forward output

    def to_text(self) -> str:
        row = paper.table1_row(self.name)
        lines = [f"{row.label}：输入 {_shape(self.input_shape)}"]
        width = max(display_width(b) for b in BRANCH_NAMES)
        for label, shape in zip(BRANCH_NAMES, self.branch_shapes):
            lines.append(f"  分支 {label}{' ' * (width - display_width(label))}  输出 {_shape(shape)}")
        total = " + ".join(str(s[0]) for s in self.branch_shapes)
        lines.append(f"  拼接：{total} = {self.output_shape[0]} 通道 → 输出 {_shape(self.output_shape)}"
                     f"（表 1：{'×'.join(map(str, row.output))}）")
        lines.append(f"  权重 {self.params:,}，乘加 {self.multiply_adds:,}"
                     f"（表 1 印刷：{row.params}、{row.ops}）")
        return "\n".join(lines)


def walk_inceptions(model: GoogLeNet, x: Tensor, names: tuple[str, ...] | None = None) -> list[InceptionStep]:
    """One `InceptionStep` per Inception module (all nine, or those in ``names``), for input ``x``."""
    if not isinstance(model, GoogLeNet):
        raise TypeError(f"walk_inceptions 需要 googlenet.GoogLeNet 模型，收到 {type(model).__name__}")
    all_names = tuple(r.name for r in paper.inception_rows())
    names = all_names if names is None else tuple(names)
    unknown = [n for n in names if n not in all_names]
    if unknown:
        raise ValueError(f"未知的 Inception 模块 {unknown}；可用：{', '.join(all_names)}")
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"x 应为一张图像，形状 (1, C, H, W)，收到 {tuple(x.shape)}")
    before = {n: model.path[model.path.index(n) - 1] for n in names}  # a module's input: its predecessor's output
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            inputs = model.intermediates(x, list(dict.fromkeys(before.values())))
            return [_step(n, getattr(model, n), inputs[before[n]]) for n in names]
    finally:
        model.train(was_training)


def _step(name: str, module: Inception, x: Tensor) -> InceptionStep:
    branches, output = module.branches(x), module(x)
    cost = total_cost(module, tuple(x.shape[1:]))
    return InceptionStep(name, tuple(x.shape[1:]), tuple(tuple(b.shape[1:]) for b in branches),
                         tuple(output.shape[1:]), cost.params, cost.multiply_adds,
                         bool(torch.equal(torch.cat(branches, 1), output)))


def _shape(chw: tuple[int, int, int]) -> str:
    c, h, w = chw
    return f"{h}×{w}×{c}"  # as Table 1 writes sizes

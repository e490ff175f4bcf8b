"""What the 1×1 reductions of Figure 2(b) save, counted on real modules (§4). Modules are built on the
"meta" device (shapes, no memory or arithmetic), so `googlenet.cost` counts instantly at any width.
`stack_modules` shows §4's other point: stacked naive modules (Figure 2(a)) "lead to an inevitable
increase in the number of outputs from stage to stage"."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import paper
from ..cost import total_cost
from ..model import ConvBlock, Inception, NaiveInception


class UnreducedInception(nn.Module):
    """Figure 2(b) without its 1×1 reductions: the 3×3 and 5×5 convolutions read the input
    directly. Same output channels as the reduced module, so the next layer's work is the same."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int, pool_proj: int):
        super().__init__()
        self.branch1 = ConvBlock(in_channels, ch1x1, 1)
        self.branch2 = ConvBlock(in_channels, ch3x3, 3, padding=1)
        self.branch3 = ConvBlock(in_channels, ch5x5, 5, padding=2)
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), ConvBlock(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


@dataclass(frozen=True)
class ModuleCost:
    params: int  # weights, no biases
    multiply_adds: int
    output_shape: tuple[int, int, int]  # (C, H, W)


def module_cost(in_channels: int, size: int, ch1x1: int, ch3x3red: int, ch3x3: int,
                ch5x5red: int, ch5x5: int, pool_proj: int, *, reduced: bool = True) -> ModuleCost:
    """Cost of one Inception module on a ``size``×``size`` map of ``in_channels`` channels;
    ``reduced=False`` costs `UnreducedInception` (the reduce widths are then ignored)."""
    args = (in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)
    for name, v in zip(("in_channels", "ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"), args):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} 应为正整数，收到 {v!r}")
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size 应为正整数（特征图边长），收到 {size!r}")
    with torch.device("meta"):
        module = Inception(*args) if reduced else UnreducedInception(in_channels, ch1x1, ch3x3, ch5x5, pool_proj)
    return _cost(module, (in_channels, size, size))


def _cost(module: nn.Module, input_shape: tuple[int, int, int]) -> ModuleCost:
    total = total_cost(module, input_shape)
    with torch.no_grad():  # the output shape, from a (free) forward pass on "meta"
        output = module(torch.zeros(1, *input_shape, device="meta"))
    return ModuleCost(total.params, total.multiply_adds, tuple(output.shape[1:]))


def inception_inputs() -> dict[str, tuple[int, int]]:
    """(input channels, map size) of every Inception row, read from Table 1's rows in order."""
    out, channels = {}, paper.INPUT_CHANNELS
    for row in paper.TABLE1:
        if row.type == "inception":
            out[row.name] = (channels, row.output[0])
        channels = row.output[2]
    return out


@dataclass(frozen=True)
class ReductionSaving:
    name: str  # Table 1 row, e.g. "inception3a"
    in_channels: int
    size: int
    reduced: ModuleCost
    unreduced: ModuleCost

    @property
    def params_ratio(self) -> float:
        """How many times more weights the module would need without its reductions."""
        return self.unreduced.params / self.reduced.params

    @property
    def multiply_adds_ratio(self) -> float:
        return self.unreduced.multiply_adds / self.reduced.multiply_adds


def reduction_savings() -> list[ReductionSaving]:
    """Both forms of each of the nine Inception modules of Table 1 (224 px input)."""
    inputs = inception_inputs()
    return [ReductionSaving(r.name, *inputs[r.name], module_cost(*inputs[r.name], *r.inception_args),
                            module_cost(*inputs[r.name], *r.inception_args, reduced=False))
            for r in paper.inception_rows()]


@dataclass(frozen=True)
class StackStep:
    index: int  # 1 for the first module of the stack
    in_channels: int
    out_channels: int
    params: int
    multiply_adds: int


def stack_modules(n_modules: int, *, naive: bool, in_channels: int = 192, size: int = 28,
                  widths: tuple[int, ...] | None = None) -> list[StackStep]:
    """Stack ``n_modules`` identical modules (``widths``: Table 1's six columns, default 3a's), each reading
    the previous one's output. The naive module uses only #1×1, #3×3, #5×5 and passes its input through the
    pool branch, so its output grows by the input's width at every step; the reduced one's stays fixed."""
    if not isinstance(n_modules, int) or n_modules < 1:
        raise ValueError(f"n_modules 应为正整数，收到 {n_modules!r}")
    n1, r3, n3, r5, n5, pp = widths or paper.table1_row("inception3a").inception_args
    steps, c = [], in_channels
    for i in range(1, n_modules + 1):
        with torch.device("meta"):
            module = NaiveInception(c, n1, n3, n5) if naive else Inception(c, n1, r3, n3, r5, n5, pp)
        cost = _cost(module, (c, size, size))
        steps.append(StackStep(i, c, module.out_channels, cost.params, cost.multiply_adds))
        c = module.out_channels
    return steps

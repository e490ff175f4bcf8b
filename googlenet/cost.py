"""Parameters and multiply-adds, per layer, measured on a real forward pass; Table 1 recomputed.

Counting convention (the paper's, as far as Table 1 lets one check it): *params* are weights without biases, *ops*
are multiply-adds of convolutions and linear layers (a k×k convolution from C_in to C_out channels producing an H×W
map costs H·W·C_in·C_out·k²); pooling, ReLU and normalisation count as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import paper
from .tables import format_table
from .model import ConvBlock, GoogLeNet, Inception, NaiveInception, table1_modules

# Table 1's "K" for params: 1024 makes exact rows land on the printed figures (conv2: 114,688 weights = 112.0 K;
# the linear layer: 1,024,000 = 1000 K); its "M" for ops is 10⁶ (inception 3a: 128,049,152 multiply-adds = 128 M).
PARAMS_UNIT = 1024
OPS_UNIT = 1_000_000
CLOSE, NEAR = 0.01, 0.03  # relative gaps for the verdicts "一致" and "接近"


@dataclass(frozen=True)
class LayerCost:
    """One convolution or linear layer as it ran."""
    name: str  # qualified module name, e.g. "inception3a.branch2.1.conv"
    kind: str  # "Conv2d" or "Linear"
    output_shape: tuple[int, ...]  # without the batch dimension
    params: int  # weights, no bias
    biases: int
    multiply_adds: int  # for one image


def layer_costs(module: nn.Module, input_shape: tuple[int, int, int] = (3, 224, 224)) -> list[LayerCost]:
    """Run ``module`` on one zero image of ``input_shape`` (C, H, W) and cost every conv/linear layer.
    Only layers that run count (a GoogLeNet in eval mode skips its auxiliary heads); the training mode is kept."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module 应为 torch.nn.Module，收到 {type(module).__name__}")
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape 应为 (通道, 高, 宽) 三个正整数的元组，收到 {type(input_shape).__name__}")
    if len(input_shape) != 3 or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(f"input_shape 应为三个正整数 (通道, 高, 宽)，收到 {input_shape!r}")
    costs: list[LayerCost] = []
    hooks = []

    def hook(name):
        def record(mod, inputs, output):
            per_position = mod.weight.numel() // (mod.weight.shape[0] if isinstance(mod, nn.Conv2d) else 1)
            if isinstance(mod, nn.Conv2d):
                positions = output[0].numel()  # every output value is one C_in/g·k² dot product
                macs = positions * per_position
            else:
                macs = output[0].numel() * mod.in_features
            costs.append(LayerCost(name, type(mod).__name__, tuple(output.shape[1:]),
                                   mod.weight.numel(), 0 if mod.bias is None else mod.bias.numel(),
                                   int(macs)))
        return record

    for name, mod in module.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            hooks.append(mod.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            param = next(module.parameters(), None)
            x = torch.zeros(1, *input_shape, device=None if param is None else param.device,
                            dtype=None if param is None else param.dtype)
            module(x)
    finally:
        for h in hooks:
            h.remove()
    return costs


@dataclass(frozen=True)
class Totals:
    params: int
    multiply_adds: int


def total_cost(module: nn.Module, input_shape: tuple[int, int, int] = (3, 224, 224)) -> Totals:
    """Total weights and multiply-adds of one forward pass (see `layer_costs`)."""
    costs = layer_costs(module, input_shape)
    return Totals(sum(c.params for c in costs), sum(c.multiply_adds for c in costs))


def network_depth(model: nn.Module, count_pooling: bool = False) -> int:
    """Convolutions and linear layers (and pooling, with ``count_pooling``) on the main network's longest path.
    An Inception module counts its deepest branch; for GoogLeNet this gives §5's "22 layers deep ... (or 27 layers
    if we also count pooling)"."""
    def depth(m: nn.Module) -> int:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            return 1
        if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
            return int(count_pooling)
        if isinstance(m, (Inception, NaiveInception)):
            return max(depth(b) for b in (m.branch1, m.branch2, m.branch3, m.branch4))
        if isinstance(m, (nn.Sequential, ConvBlock)):
            return sum(depth(c) for c in m.children())
        return 0

    if isinstance(model, GoogLeNet):
        return sum(depth(getattr(model, name)) for name in model.path)
    return depth(model)


@dataclass(frozen=True)
class Table1Comparison:
    """One Table 1 row: the paper's printed figures beside what the model measures."""
    row: paper.Table1Row
    output: tuple[int, int, int]  # measured (H, W, C)
    params: int  # measured weights of the modules that implement the row
    multiply_adds: int

    @property
    def output_matches(self) -> bool:
        return self.output == self.row.output

    @property
    def params_gap(self) -> float | None:
        """(measured − printed) / printed, printed params read with K = 1024; None if not printed."""
        if self.row.params is None:
            return None
        printed = paper.parse_printed(self.row.params) / 1000 * PARAMS_UNIT
        return (self.params - printed) / printed

    @property
    def ops_gap(self) -> float | None:
        if self.row.ops is None:
            return None
        printed = paper.parse_printed(self.row.ops) / 1_000_000 * OPS_UNIT
        return (self.multiply_adds - printed) / printed

    @property
    def verdict(self) -> str:
        """"一致", "接近" or "不符" for the worse of params and ops; "—" for rows with no figures.
        一致: within 1 % or the printed figure's rounding ("1M" is 0.5M to 1.5M); 接近: within 3 %; otherwise 不符."""
        if not self.output_matches:
            return "不符"
        gaps = [(abs(g), _rounding(printed)) for g, printed in
                ((self.params_gap, self.row.params), (self.ops_gap, self.row.ops)) if g is not None]
        if not gaps:
            return "—"
        if all(g <= max(CLOSE, r) for g, r in gaps):
            return "一致"
        return "接近" if all(g <= max(NEAR, r) for g, r in gaps) else "不符"


@dataclass(frozen=True)
class Table1Report:
    rows: tuple[Table1Comparison, ...]
    depth: int  # layers with parameters on the longest path
    depth_with_pooling: int
    image_size: int

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def total_multiply_adds(self) -> int:
        return sum(r.multiply_adds for r in self.rows)

    def discrepancies(self) -> list[Table1Comparison]:
        """Rows whose printed figures or output size disagree with exact arithmetic."""
        return [r for r in self.rows if r.verdict in ("接近", "不符")]

    def to_text(self) -> str:
        """The comparison as an aligned plain-text table (Chinese headers)."""
        head = ("层", "输出（论文）", "输出（实测）", "参数（论文）", "参数（实测）", "差",
                "运算（论文）", "运算（实测）", "差", "结论")
        lines = []
        for r in self.rows:
            lines.append((
                r.row.label, "×".join(map(str, r.row.output)), "×".join(map(str, r.output)),
                r.row.params or "", _k(r.params) if r.params else "", _pct(r.params_gap),
                r.row.ops or "", _m(r.multiply_adds) if r.multiply_adds else "", _pct(r.ops_gap),
                r.verdict,
            ))
        lines.append(("合计", "", "", "", _k(self.total_params), "", "", _m(self.total_multiply_adds), "", ""))
        out = [format_table(head, lines)]
        out.append(f"深度：含参数的层 {self.depth} 层，计入池化层 {self.depth_with_pooling} 层"
                   f"（论文：{paper.DEPTH_WITH_PARAMETERS} / {paper.DEPTH_WITH_POOLING}）")
        out.append(f"参数单位 K = {PARAMS_UNIT}，运算单位 M = 10^6；差 = (实测 − 论文) / 论文；"
                   f"结论：|差| ≤ {CLOSE:.0%} 一致，≤ {NEAR:.0%} 接近，否则不符")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()


def table1_report(model: GoogLeNet | None = None, image_size: int = paper.INPUT_SIZE) -> Table1Report:
    """Recompute every Table 1 row on ``model`` (default: a fresh ``GoogLeNet(variant="paper")``).
    A row's output size is measured (`GoogLeNet.intermediates`) at the last of its modules
    (`googlenet.model.table1_modules`; softmax keeps the size before it), its params and multiply-adds summed over
    their convolutions and linear layers. The auxiliary heads, not in Table 1, are not run (eval mode)."""
    if model is None:
        model = GoogLeNet(variant="paper", aux_logits=False)
    if not isinstance(model, GoogLeNet):
        raise TypeError(f"table1_report 需要 googlenet.GoogLeNet 模型，收到 {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        weight = next(model.parameters())
        x = torch.zeros(1, model.in_channels, image_size, image_size, device=weight.device, dtype=weight.dtype)
        with torch.no_grad():
            outputs = {n: tuple(t.shape[1:]) for n, t in model.intermediates(x, model.path).items()}
        costs = layer_costs(model, (model.in_channels, image_size, image_size))
    finally:
        model.train(was_training)

    rows = []
    for row in paper.TABLE1:
        names = table1_modules(row.name)
        if names:  # a row without modules (softmax) keeps the previous row's size
            shape = outputs[names[-1]]
        hwc = (shape[1], shape[2], shape[0]) if len(shape) == 3 else (1, 1, shape[0])
        mine = [c for c in costs if c.name.split(".")[0] in names]
        rows.append(Table1Comparison(row, hwc, sum(c.params for c in mine),
                                     sum(c.multiply_adds for c in mine)))
    return Table1Report(tuple(rows), network_depth(model), network_depth(model, count_pooling=True),
                        image_size)


def _rounding(printed: str) -> float:
    """Half a unit of the printed figure's last digit, relative to it: "1M" → 0.5, "2.7K" → 0.019."""
    digits = printed[:-1]
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return 0.5 * 10 ** -decimals / float(digits)


def _k(n: int) -> str:
    return f"{n / PARAMS_UNIT:.1f}K"


def _m(n: int) -> str:
    return f"{n / OPS_UNIT:.1f}M"


def _pct(gap: float | None) -> str:
    return "" if gap is None else f"{gap:+.1%}"

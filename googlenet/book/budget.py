"""§1's budget claims, measured: where GoogLeNet's weights and multiply-adds go (by stage), and the
network it is compared with, AlexNet as published in 2012. Every number comes from
`googlenet.cost.layer_costs` (a real forward pass with hooks)."""

from __future__ import annotations

from torch import nn

from ..cost import Totals, layer_costs
from ..model import GoogLeNet

# Stages of Table 1, by the first part of a layer's qualified name.
GOOGLENET_STAGES: dict[str, tuple[str, ...]] = {
    "主干（conv1–conv3）": ("conv1", "conv2", "conv3"),
    "阶段 3（3a–3b）": ("inception3a", "inception3b"),
    "阶段 4（4a–4e）": tuple(f"inception4{c}" for c in "abcde"),
    "阶段 5（5a–5b）": ("inception5a", "inception5b"),
    "分类器（fc）": ("fc",),
    "辅助分类器（训练时）": ("aux1", "aux2"),
}

ALEXNET_2012_INPUT = (3, 227, 227)  # 227, not the paper's "224": only 227 gives its 55×55 maps


def stage_costs(model: GoogLeNet, image_size: int = 224) -> dict[str, Totals]:
    """Weights and multiply-adds of each stage of ``model`` for one ``image_size`` image. The auxiliary
    heads count only in training mode (if the model has them); stages that did not run are left out."""
    if not isinstance(model, GoogLeNet):
        raise TypeError(f"stage_costs 需要 googlenet.GoogLeNet 模型，收到 {type(model).__name__}")
    costs = layer_costs(model, (model.in_channels, image_size, image_size))
    known = {p for prefixes in GOOGLENET_STAGES.values() for p in prefixes}
    unassigned = sorted(c.name for c in costs if c.name.split(".")[0] not in known)
    if unassigned:  # a new layer in the model must not silently vanish from the budget
        raise RuntimeError(f"这些层没有归入任何阶段：{unassigned}")
    out: dict[str, Totals] = {}
    for label, prefixes in GOOGLENET_STAGES.items():
        mine = [c for c in costs if c.name.split(".")[0] in prefixes]
        if mine:
            out[label] = Totals(sum(c.params for c in mine), sum(c.multiply_adds for c in mine))
    return out


def alexnet_2012(num_classes: int = 1000) -> nn.Sequential:
    """Krizhevsky et al. (2012) as published, untrained, for counting: 96-256-384-384-256 filters, 227×227 input.
    Layers 2, 4 and 5 see only the half of the previous maps on the same GPU (``groups=2``): fewer weights
    than torchvision's ``alexnet`` (the "one weird trick" variant, 64-192-384-256-256 filters, no groups)."""
    lrn = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)  # the paper's §3.3 values
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), nn.LocalResponseNorm(**lrn), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(**lrn),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


def layer_table(module: nn.Module, input_shape: tuple[int, int, int]) -> dict[str, Totals]:
    """Weights and multiply-adds per convolution/linear layer, named "卷积 1"… and "全连接 1"…"""
    out: dict[str, Totals] = {}
    counts = {"Conv2d": 0, "Linear": 0}
    for c in layer_costs(module, input_shape):
        counts[c.kind] += 1
        out[f"{'卷积' if c.kind == 'Conv2d' else '全连接'} {counts[c.kind]}"] = Totals(c.params, c.multiply_adds)
    return out

"""GoogLeNet built by reading Table 1 (`googlenet.paper.TABLE1`).

Two variants share one builder:

* ``variant="paper"``: what Figure 3 and §5 describe. ReLU after every convolution (the
  reductions and projections included), local response normalisation after the first max
  pool and after the stem's 3×3 convolution, true 5×5 convolutions, 3×3/2 max pools with
  "same" padding (Figure 3's "(S)") so that 224 px gives exactly Table 1's 112/56/28/14/7,
  dropout 40 %, and the auxiliary heads of §5 on 4a and 4d.
* ``variant="torchvision"``: the layers, names and quirks of ``torchvision.models.googlenet``
  (batch normalisation, a 3×3 convolution in the "5×5" branch, ceil-mode pools, a 2×2 pool
  before stage 5, dropout 20 %), so that its ``state_dict`` loads with ``strict=True`` and the
  outputs agree.

Module names follow torchvision (``conv1``, ``maxpool1``, ``inception3a`` ...) in both variants.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import paper

MIN_INPUT_SIZE = 64  # smallest height/width the network accepts (see `_check_input`)
VARIANTS = ("paper", "torchvision")


class GoogLeNetOutputs(NamedTuple):
    """Training-mode output: main logits, then the heads on 4a (aux1) and 4d (aux2).

    torchvision returns ``(logits, aux_logits2, aux_logits1)``; we keep the paper's order.
    """

    logits: Tensor
    aux1: Tensor
    aux2: Tensor


class ConvBlock(nn.Module):
    """Convolution → (batch norm) → ReLU. Attribute names match torchvision's BasicConv2d."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, batch_norm: bool = False):
        super().__init__()
        # With batch norm the bias is redundant (BN's shift replaces it), as in torchvision.
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                              bias=not batch_norm)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001) if batch_norm else None

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x, inplace=True)


class NaiveInception(nn.Module):
    """Figure 2(a): 1×1, 3×3 and 5×5 convolutions and a 3×3 max pool side by side.

    The pool branch passes all ``in_channels`` through, which is what makes stacked naive
    modules grow: ``out_channels = ch1x1 + ch3x3 + ch5x5 + in_channels``.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int):
        super().__init__()
        self.branch1 = ConvBlock(in_channels, ch1x1, 1)
        self.branch2 = ConvBlock(in_channels, ch3x3, 3, padding=1)
        self.branch3 = ConvBlock(in_channels, ch5x5, 5, padding=2)
        self.branch4 = nn.MaxPool2d(3, stride=1, padding=1)
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + in_channels

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class Inception(nn.Module):
    """Figure 2(b): the Inception module with dimension reductions.

    Arguments are Table 1's columns in order. ``large_kernel`` is the kernel of the "5×5"
    branch: 5 in the paper, 3 in torchvision's port.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int,
                 ch5x5red: int, ch5x5: int, pool_proj: int, *,
                 batch_norm: bool = False, large_kernel: int = 5):
        super().__init__()
        self.branch1 = ConvBlock(in_channels, ch1x1, 1, batch_norm=batch_norm)
        self.branch2 = nn.Sequential(
            ConvBlock(in_channels, ch3x3red, 1, batch_norm=batch_norm),
            ConvBlock(ch3x3red, ch3x3, 3, padding=1, batch_norm=batch_norm),
        )
        self.branch3 = nn.Sequential(
            ConvBlock(in_channels, ch5x5red, 1, batch_norm=batch_norm),
            ConvBlock(ch5x5red, ch5x5, large_kernel, padding=large_kernel // 2,
                      batch_norm=batch_norm),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            ConvBlock(in_channels, pool_proj, 1, batch_norm=batch_norm),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def branches(self, x: Tensor) -> list[Tensor]:
        """The four branch outputs before concatenation (for step-by-step notebooks)."""
        return [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat(self.branches(x), 1)


class InceptionAux(nn.Module):
    """§5's auxiliary classifier: avg pool 5×5/3 → 1×1 conv 128 → FC 1024 → dropout → linear.

    The 5×5/3 pool turns a 14×14 map (224 px input) into the 4×4 the FC layer expects. On
    other input sizes it would not (a 64 px input gives 4×4 maps at 4a, 96 px gives 6×6), so
    when the fixed pool does not land on 4×4 we pool adaptively to 4×4 instead: the one
    deviation from §5, and what torchvision does at every size (``fixed_pool=False``).
    """

    def __init__(self, in_channels: int, num_classes: int, *, dropout: float = paper.AUX.dropout,
                 batch_norm: bool = False, fixed_pool: bool = True):
        super().__init__()
        spec = paper.AUX
        self.fixed_pool = fixed_pool
        self.conv = ConvBlock(in_channels, spec.conv_channels, 1, batch_norm=batch_norm)
        self.fc1 = nn.Linear(spec.conv_channels * spec.pool_output ** 2, spec.fc_units)
        self.fc2 = nn.Linear(spec.fc_units, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def pool(self, x: Tensor) -> Tensor:
        k, s, out = paper.AUX.pool_kernel, paper.AUX.pool_stride, paper.AUX.pool_output
        h, w = x.shape[-2:]
        if self.fixed_pool and (h - k) // s + 1 == out and (w - k) // s + 1 == out and min(h, w) >= k:
            return F.avg_pool2d(x, k, s)
        return F.adaptive_avg_pool2d(x, out)

    def forward(self, x: Tensor) -> Tensor:
        x = torch.flatten(self.conv(self.pool(x)), 1)
        x = self.dropout(F.relu(self.fc1(x), inplace=True))
        return self.fc2(x)


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1), its layers read from Table 1.

    Args:
        num_classes: size of the classifier (1000 for ImageNet).
        in_channels: 3 for RGB, 1 for Fashion-MNIST.
        aux_logits: build the two auxiliary classifiers. In training mode the forward pass then
            returns ``GoogLeNetOutputs(logits, aux1, aux2)``; in eval mode always the logits.
        variant: ``"paper"`` or ``"torchvision"`` (see the module docstring).
        dropout: dropout before the final linear layer; ``None`` means the variant's own
            (0.4 as Table 1 for ``"paper"``, 0.2 as torchvision for ``"torchvision"``).
        aux_dropout: dropout inside the auxiliary heads (§5: 70 %).
        transform_input: re-normalise ImageNet-normalised RGB input to the [-1, 1] scaling the
            ported torchvision weights expect (torchvision's ``transform_input``).
        channels_last: run convolutions in NHWC memory layout; measured faster for training on
            CPU here (``benchmarks/bench_model.py``), identical results up to float rounding.

    Initialisation (for training from scratch): every convolution and hidden linear layer is
    He/Kaiming-normal with fan-in (each is followed by a ReLU, so this keeps activations at
    unit scale through 22 layers without batch norm); the classifiers (``fc``, ``aux*.fc2``)
    start at N(0, 0.01²) so initial predictions are near uniform; biases and BN shifts 0.
    """

    def __init__(self, num_classes: int = paper.NUM_CLASSES, in_channels: int = paper.INPUT_CHANNELS,
                 aux_logits: bool = True, variant: str = "paper", dropout: float | None = None,
                 aux_dropout: float = paper.AUX.dropout, transform_input: bool = False,
                 channels_last: bool = True):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant 应为 {' 或 '.join(map(repr, VARIANTS))}，收到 {variant!r}")
        _check_positive_int("num_classes", num_classes)
        _check_positive_int("in_channels", in_channels)
        if transform_input and in_channels != 3:
            raise ValueError(f"transform_input=True 只适用于 3 通道 RGB 输入，收到 in_channels={in_channels}")
        if dropout is None:
            dropout = paper.TRAINING.main_dropout if variant == "paper" else 0.2
        self.variant = variant
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.channels_last = channels_last

        torchvision_like = variant == "torchvision"
        self._path: list[str] = []  # the main path, in order (Table 1's rows, LRN added)
        channels = in_channels
        for row in paper.TABLE1:
            for name, module in _modules_for_row(row, channels, num_classes, dropout,
                                                 torchvision_like):
                setattr(self, name, module)
                self._path.append(name)
            channels = row.output[2]

        if aux_logits:
            aux_in = [paper.table1_row(n).output[2] for n in paper.AUX.attached_to]
            self.aux1 = InceptionAux(aux_in[0], num_classes, dropout=aux_dropout,
                                     batch_norm=torchvision_like, fixed_pool=not torchvision_like)
            self.aux2 = InceptionAux(aux_in[1], num_classes, dropout=aux_dropout,
                                     batch_norm=torchvision_like, fixed_pool=not torchvision_like)
        else:
            self.aux1 = self.aux2 = None
        self._init_weights()
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for classifier in (self.fc, getattr(self.aux1, "fc2", None), getattr(self.aux2, "fc2", None)):
            if classifier is not None:
                nn.init.normal_(classifier.weight, std=0.01)

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            raise ValueError(f"输入应为 torch.Tensor，收到的是 {type(x).__name__}")
        if x.dim() != 4:
            raise ValueError(f"输入应为 4 维张量 (批量, 通道, 高, 宽)，"
                             f"收到 {x.dim()} 维张量，形状 {tuple(x.shape)}")
        if not x.is_floating_point():
            raise ValueError(f"输入应为浮点张量（例如 float32，取值已归一化），收到 dtype={x.dtype}")
        n, c, h, w = x.shape
        if c != self.in_channels:
            raise ValueError(f"输入应有 {self.in_channels} 个通道，收到 {c} 个（形状 {tuple(x.shape)}）")
        if h < MIN_INPUT_SIZE or w < MIN_INPUT_SIZE:
            raise ValueError(f"输入的高和宽都应至少为 {MIN_INPUT_SIZE} 像素，收到 {h}×{w}"
                             f"（更小的输入在第五阶段之前就被池化到 1×1 以下）")

    def _transform(self, x: Tensor) -> Tensor:
        # ImageNet mean/std normalisation → the (x - 0.5) / 0.5 scaling of the ported weights.
        mean = x.new_tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = x.new_tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        return x * (std / 0.5) + (mean - 0.5) / 0.5

    def features(self, x: Tensor, until: str | None = None) -> Tensor:
        """Run the main path up to and including the module named ``until`` (e.g. "inception4a")."""
        self._check_input(x)
        if until is not None and until not in self._path:
            raise ValueError(f"until 应为主干上的层名之一：{', '.join(self._path)}；收到 {until!r}")
        x = self._prepare(x)
        for name in self._path:
            x = getattr(self, name)(x)
            if name == until:
                break
        return x

    def _prepare(self, x: Tensor) -> Tensor:
        if self.transform_input:
            x = self._transform(x)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutputs:
        self._check_input(x)
        x = self._prepare(x)
        want_aux = self.training and self.aux_logits
        aux = []
        for name in self._path:
            if name == "fc":
                x = torch.flatten(x, 1)
            x = getattr(self, name)(x)
            if want_aux and name in paper.AUX.attached_to:
                head = self.aux1 if name == paper.AUX.attached_to[0] else self.aux2
                aux.append(head(x))
        if want_aux:
            return GoogLeNetOutputs(x, *aux)
        return x

    @property
    def path(self) -> tuple[str, ...]:
        """Names of the main-path modules in order."""
        return tuple(self._path)


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} 应为正整数，收到 {value!r}")


def _modules_for_row(row: paper.Table1Row, channels: int, num_classes: int, dropout: float,
                     torchvision_like: bool):
    """The (name, module) pairs that implement one Table 1 row."""
    bn = torchvision_like
    out = row.output[2]
    if row.type == "convolution" and row.n3x3 is None:  # conv1: 7×7/2
        yield row.name, ConvBlock(channels, out, row.patch, row.stride, row.patch // 2, batch_norm=bn)
    elif row.type == "convolution":  # "3×3/1, depth 2": 1×1 reduce, then 3×3 (torchvision: conv2, conv3)
        yield "conv2", ConvBlock(channels, row.n3x3red, 1, batch_norm=bn)
        yield "conv3", ConvBlock(row.n3x3red, row.n3x3, row.patch, row.stride, row.patch // 2, batch_norm=bn)
    elif row.type == "max pool":
        if torchvision_like:  # ceil mode; torchvision (from TF-slim) pools 2×2 before stage 5
            kernel = 2 if row.name == "maxpool4" else row.patch
            yield row.name, nn.MaxPool2d(kernel, row.stride, ceil_mode=True)
        else:  # Figure 3's "3x3+2(S)": same padding, output = ceil(input / 2)
            yield row.name, nn.MaxPool2d(row.patch, row.stride, padding=row.patch // 2)
    elif row.type == "inception":
        yield row.name, Inception(channels, *row.inception_args, batch_norm=bn,
                                  large_kernel=3 if torchvision_like else 5)
    elif row.type == "avg pool":
        # Global average: equals Table 1's 7×7/1 pool at 224 px and still works at 64-352 px.
        yield row.name, nn.AdaptiveAvgPool2d(1)
    elif row.type == "dropout":
        yield row.name, nn.Dropout(p=dropout)
    elif row.type == "linear":
        yield row.name, nn.Linear(channels, num_classes)
    elif row.type == "softmax":
        return  # part of the loss (cross-entropy) or of evaluation, not a layer
    else:
        raise ValueError(f"表 1 中未知的层类型 {row.type!r}")
    if not torchvision_like and row.name in paper.LRN_AFTER:
        yield f"lrn{paper.LRN_AFTER.index(row.name) + 1}", nn.LocalResponseNorm(**paper.LRN)

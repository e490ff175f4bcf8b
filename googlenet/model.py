"""GoogLeNet written out from Table 1 (`googlenet.paper.TABLE1`), the way torchvision writes it.

`GoogLeNet.__init__` declares the layers one per line in Table 1's order, reading their numbers by row
name; `_forward` runs them in straight-line code with the 224-px shape after each step. Module names are
torchvision's, so its ``state_dict`` loads with ``strict=True``. Where the paper and torchvision's port
differ, a named argument decides; ``variant`` presets those left at ``None`` (paper / torchvision):
``batch_norm`` False / True; ``large_kernel`` of the "5×5" branch 5 / 3 (a slip torchvision keeps for its
weights); ``lrn`` (Figure 3) True / False; ``ceil_mode`` False ("same" padding, Figure 3's "(S)") / True;
``maxpool4_kernel`` 3 / 2 (from TF-slim); ``aux_pool`` "fixed" (§5's 5×5/3) / "adaptive"; ``dropout``
0.4 / 0.2. Mixing is allowed: ``GoogLeNet(batch_norm=True)`` is Table 1's network with batch norm.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import paper

MIN_INPUT_SIZE = 64  # smallest height/width the network accepts (see `_check_input`)
# ImageNet's RGB mean and std, which torchvision's weights were trained with; the package's one copy.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

PRESETS = {
    "paper": dict(batch_norm=False, large_kernel=5, lrn=True, ceil_mode=False, maxpool4_kernel=3,
                  aux_pool="fixed", dropout=paper.table1_row("dropout").dropout),
    "torchvision": dict(batch_norm=True, large_kernel=3, lrn=False, ceil_mode=True,
                        maxpool4_kernel=2, aux_pool="adaptive", dropout=0.2),
}
VARIANTS = tuple(PRESETS)


def table1_modules(row_name: str) -> tuple[str, ...]:
    """The modules implementing Table 1's row ``row_name`` (LRN, absent from Table 1, is not counted).
    Row "conv2" ("convolution 3×3/1, depth 2") is the 1×1 reduce ``conv2`` then the 3×3 ``conv3``; softmax
    is part of the loss, not a layer; every other row is the one module of its name."""
    paper.table1_row(row_name)  # KeyError for a row Table 1 does not have
    return {"conv2": ("conv2", "conv3"), "softmax": ()}.get(row_name, (row_name,))


class GoogLeNetOutputs(NamedTuple):
    """Main logits, then the heads on 4a and 4d (torchvision's order is logits, aux2, aux1)."""
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
    """Figure 2(a): 1×1, 3×3 and 5×5 convolutions and a 3×3 max pool side by side. The pool branch passes
    all ``in_channels`` through, which is what makes stacked naive modules grow (see ``out_channels``)."""

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
    """Figure 2(b): the Inception module with dimension reductions. Arguments are Table 1's columns in
    order; ``large_kernel`` is the kernel of the "5×5" branch: 5 in the paper, 3 in torchvision's port."""

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
    The pool turns 4a's 14×14 map (224-px input) into the 4×4 the FC layer expects; where it would not
    (smaller inputs) it pools adaptively to 4×4, as torchvision always does (``fixed_pool=False``)."""

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
    """GoogLeNet (Inception v1), Table 1 written out; ``variant`` and the keyword-only options: see the
    module docstring. ``num_classes``, ``in_channels``: 1000, 3 for ImageNet; 10, 1 for Fashion-MNIST.
    ``aux_dropout``: inside §5's heads (70 %). ``transform_input``: map ImageNet-normalised RGB to the
    [-1, 1] scaling of torchvision's weights. ``channels_last``: NHWC, faster to train on CPU
    (``benchmarks/bench_model.py``).

    Input: float N×C×H×W, H and W ≥ 64, of the model's dtype and device (any float under autocast);
    anything else is an error rather than a silent per-batch conversion. `forward` gives logits, or
    ``GoogLeNetOutputs`` in training mode with heads; `heads` all three in any mode.

    Init: Kaiming-normal (fan-in) for convolutions and hidden linear layers, so activations keep their
    scale through 22 ReLU layers without batch norm; classifiers N(0, 0.01²), so initial predictions are
    near uniform; biases 0; the heads last, off the global generator (see `_init_weights`).
    """

    def __init__(self, num_classes: int = paper.NUM_CLASSES, in_channels: int = paper.INPUT_CHANNELS,
                 aux_logits: bool = True, variant: str = "paper", dropout: float | None = None,
                 aux_dropout: float = paper.AUX.dropout, transform_input: bool = False,
                 channels_last: bool = True, *, batch_norm: bool | None = None,
                 large_kernel: int | None = None, lrn: bool | None = None, ceil_mode: bool | None = None,
                 maxpool4_kernel: int | None = None, aux_pool: str | None = None):
        super().__init__()
        _expect(variant in PRESETS, "variant", f"应为 {' 或 '.join(map(repr, PRESETS))}", variant)
        given = dict(batch_norm=batch_norm, large_kernel=large_kernel, lrn=lrn, ceil_mode=ceil_mode,
                     maxpool4_kernel=maxpool4_kernel, aux_pool=aux_pool, dropout=dropout)
        self.options = {k: PRESETS[variant][k] if v is None else v for k, v in given.items()}
        _check_options(num_classes=num_classes, in_channels=in_channels, aux_logits=aux_logits,
                       transform_input=transform_input, channels_last=channels_last, aux_dropout=aux_dropout,
                       **self.options)
        batch_norm, large_kernel, lrn, ceil_mode, maxpool4_kernel, aux_pool, dropout = self.options.values()
        self.variant, self.num_classes, self.in_channels = variant, num_classes, in_channels
        self.aux_logits, self.transform_input, self.channels_last = aux_logits, transform_input, channels_last

        row = paper.table1_row

        def conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> ConvBlock:
            return ConvBlock(c_in, c_out, kernel, stride, kernel // 2, batch_norm=batch_norm)

        def maxpool(name: str, kernel: int | None = None) -> nn.MaxPool2d:
            kernel, stride = kernel or row(name).patch, row(name).stride
            if ceil_mode:  # torchvision: no padding, output size rounded up
                return nn.MaxPool2d(kernel, stride, ceil_mode=True)
            return nn.MaxPool2d(kernel, stride, padding=(kernel - 1) // 2)  # "same": ⌈input / 2⌉

        def inception(c_in: int, name: str) -> Inception:
            return Inception(c_in, *row(name).inception_args, batch_norm=batch_norm, large_kernel=large_kernel)

        self.conv1 = conv(in_channels, row("conv1").output[2], row("conv1").patch, row("conv1").stride)
        self.maxpool1 = maxpool("maxpool1")
        self.lrn1 = nn.LocalResponseNorm(**paper.LRN) if lrn else None  # Figure 3, not Table 1
        self.conv2 = conv(64, row("conv2").n3x3red, 1)  # Table 1's "3×3 reduce" column
        self.conv3 = conv(row("conv2").n3x3red, row("conv2").n3x3, row("conv2").patch)
        self.lrn2 = nn.LocalResponseNorm(**paper.LRN) if lrn else None
        self.maxpool2 = maxpool("maxpool2")
        self.inception3a = inception(192, "inception3a")
        self.inception3b = inception(256, "inception3b")
        self.maxpool3 = maxpool("maxpool3")
        self.inception4a = inception(480, "inception4a")
        self.inception4b = inception(512, "inception4b")
        self.inception4c = inception(512, "inception4c")
        self.inception4d = inception(512, "inception4d")
        self.inception4e = inception(528, "inception4e")
        self.maxpool4 = maxpool("maxpool4", maxpool4_kernel)
        self.inception5a = inception(832, "inception5a")
        self.inception5b = inception(832, "inception5b")
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # Table 1's 7×7/1 at 224 px, global at any size
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if aux_logits:  # §5: one head on 4a (512 channels), one on 4d (528)
            aux = dict(dropout=aux_dropout, batch_norm=batch_norm, fixed_pool=aux_pool == "fixed")
            with torch.random.fork_rng(devices=[]):  # their default init would shift the trunk's RNG
                self.aux1 = InceptionAux(512, num_classes, **aux)
                self.aux2 = InceptionAux(528, num_classes, **aux)
        else:
            self.aux1 = self.aux2 = None
        self._init_weights()
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def _init_weights(self) -> None:
        # Heads last: with one seed, models with and without heads share identical weights (§5's ablation pairs them).
        heads = [h for h in (self.aux1, self.aux2) if h is not None]
        in_heads = {id(m) for h in heads for m in h.modules()}
        trunk = [m for m in self.modules() if id(m) not in in_heads]
        for modules, classifier in [(trunk, self.fc)] + [(list(h.modules()), h.fc2) for h in heads]:
            for m in modules:
                if isinstance(m, (nn.Conv2d, nn.Linear)) and m is not classifier:
                    nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
            nn.init.normal_(classifier.weight, std=0.01)
            nn.init.zeros_(classifier.bias)

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutputs:
        self._check_input(x)
        with_aux = self.training and self.aux_logits
        logits, aux1, aux2 = self._forward(self._prepare(x), with_aux)
        return GoogLeNetOutputs(logits, aux1, aux2) if with_aux else logits

    def heads(self, x: Tensor) -> GoogLeNetOutputs:
        """All three classifiers from one pass, each layer in its current mode (after ``eval()``:
        dropout off, batch norm on running statistics; how the aux heads are scored at test time)."""
        if not self.aux_logits:
            raise ValueError("heads() 需要辅助分类器，而这个模型是用 aux_logits=False 构造的")
        self._check_input(x)
        return GoogLeNetOutputs(*self._forward(self._prepare(x), with_aux=True))

    def _forward(self, x: Tensor, with_aux: bool) -> tuple[Tensor, Tensor | None, Tensor | None]:
        # x: N × 3 × 224 × 224; the shape after each step is for that input
        x = self.conv1(x)  # N × 64 × 112 × 112
        x = self.maxpool1(x)  # N × 64 × 56 × 56
        if self.lrn1 is not None:
            x = self.lrn1(x)
        x = self.conv2(x)  # N × 64 × 56 × 56
        x = self.conv3(x)  # N × 192 × 56 × 56
        if self.lrn2 is not None:
            x = self.lrn2(x)
        x = self.maxpool2(x)  # N × 192 × 28 × 28
        x = self.inception3a(x)  # N × 256 × 28 × 28
        x = self.inception3b(x)  # N × 480 × 28 × 28
        x = self.maxpool3(x)  # N × 480 × 14 × 14
        x = self.inception4a(x)  # N × 512 × 14 × 14
        aux1 = self.aux1(x) if with_aux else None  # N × num_classes
        x = self.inception4b(x)  # N × 512 × 14 × 14
        x = self.inception4c(x)  # N × 512 × 14 × 14
        x = self.inception4d(x)  # N × 528 × 14 × 14
        aux2 = self.aux2(x) if with_aux else None  # N × num_classes
        x = self.inception4e(x)  # N × 832 × 14 × 14
        x = self.maxpool4(x)  # N × 832 × 7 × 7
        x = self.inception5a(x)  # N × 832 × 7 × 7
        x = self.inception5b(x)  # N × 1024 × 7 × 7
        x = self.avgpool(x)  # N × 1024 × 1 × 1
        x = self.dropout(x)
        x = torch.flatten(x, 1)  # N × 1024
        x = self.fc(x)  # N × num_classes
        return x, aux1, aux2

    def intermediates(self, x: Tensor, names: Iterable[str]) -> dict[str, Tensor]:
        """Outputs of the named main-path modules (`path`), stopping after the last one asked for; each is
        the module's own output (``"avgpool"`` and ``"dropout"`` give N×1024×1×1)."""
        names = self._check_names("names", names)
        self._check_input(x)
        found, x = {}, self._prepare(x)
        for name in self.path:
            if name == "fc":
                x = torch.flatten(x, 1)  # as in `_forward`
            x = found[name] = getattr(self, name)(x)
            if all(n in found for n in names):
                break
        return {n: found[n] for n in names}

    def features(self, x: Tensor, until: str | None = None) -> Tensor:
        """The main path up to and including module ``until`` (e.g. ``"inception4a"``); by default the N×1024
        vector after global average pooling that the classifier (``dropout``, ``fc``) sees."""
        if until is None:
            return torch.flatten(self.intermediates(x, ["avgpool"])["avgpool"], 1)
        return self.intermediates(x, self._check_names("until", [until]))[until]

    @property
    def path(self) -> tuple[str, ...]:
        """Names of the main-path modules in order: as declared in ``__init__``, heads aside."""
        return tuple(name for name, _ in self.named_children() if name not in ("aux1", "aux2"))

    def _check_names(self, argument: str, names: Iterable[str]) -> list[str]:
        if isinstance(names, str):
            raise TypeError(f"{argument} 应为层名的列表或元组，例如 [{names!r}]，收到字符串 {names!r}")
        names = list(names)
        unknown = [n for n in names if n not in self.path]
        if unknown or not names:
            raise ValueError(f"{argument} 应为主干上的层名（{', '.join(self.path)}），"
                             f"收到 {unknown[0] if unknown else names!r}")
        return names

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"输入应为 torch.Tensor，收到的是 {type(x).__name__}")
        if x.dim() != 4:
            raise ValueError(f"输入应为 4 维张量 (批量, 通道, 高, 宽)，收到 {x.dim()} 维张量，形状 {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"输入应为浮点张量（例如 float32，按均值和标准差归一化），收到 dtype={x.dtype}；"
                            f"整数像素请先转成浮点并归一化，例如 x.float() / 255 再标准化")
        n, c, h, w = x.shape
        if c != self.in_channels:
            raise ValueError(f"输入应有 {self.in_channels} 个通道，收到 {c} 个（形状 {tuple(x.shape)}）")
        if h < MIN_INPUT_SIZE or w < MIN_INPUT_SIZE:
            raise ValueError(f"输入的高和宽都应至少为 {MIN_INPUT_SIZE} 像素，收到 {h}×{w}"
                             f"（更小的输入在第五阶段之前就被池化到 1×1 以下）")
        weight = self.conv1.conv.weight
        if x.device != weight.device:
            raise ValueError(f"输入在 {x.device} 上，模型在 {weight.device} 上：请先把输入移过去，"
                             f"x = x.to({str(weight.device)!r})")
        t = x.device.type  # under autocast each layer picks its dtype, so any float input will do
        if x.dtype != weight.dtype and not (torch.amp.is_autocast_available(t) and torch.is_autocast_enabled(t)):
            raise TypeError(f"输入的 dtype 是 {x.dtype}，模型参数是 {weight.dtype}，模型不会自动转换："
                            f"请先 x = x.to({weight.dtype})，即 x.to(模型的dtype)"
                            + ("，或写 x.float()" if weight.dtype == torch.float32 else ""))

    def _prepare(self, x: Tensor) -> Tensor:
        if self.transform_input:  # ImageNet mean/std → the (x - 0.5) / 0.5 of the ported weights
            mean = x.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
            std = x.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
            x = x * (std / 0.5) + (mean - 0.5) / 0.5
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


def _check_options(*, num_classes, in_channels, aux_logits, transform_input, channels_last, aux_dropout, batch_norm,
                   large_kernel, lrn, ceil_mode, maxpool4_kernel, aux_pool, dropout) -> None:
    for name, value in dict(num_classes=num_classes, in_channels=in_channels).items():
        _expect(_is_int(value) and value >= 1, name, "应为正整数", value)
    for name, value in dict(aux_logits=aux_logits, transform_input=transform_input, lrn=lrn,
                            channels_last=channels_last, batch_norm=batch_norm, ceil_mode=ceil_mode).items():
        _expect(isinstance(value, bool), name, "应为 True 或 False", value)
    for name, value in dict(dropout=dropout, aux_dropout=aux_dropout).items():
        _expect(isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1,
                name, "应为 [0, 1) 之间的数", value)
    _expect(_is_int(large_kernel) and large_kernel in (3, 5), "large_kernel", "应为 3 或 5", large_kernel)
    _expect(_is_int(maxpool4_kernel) and maxpool4_kernel in (2, 3), "maxpool4_kernel", "应为 2 或 3",
            maxpool4_kernel)
    _expect(aux_pool in ("fixed", "adaptive"), "aux_pool", "应为 'fixed' 或 'adaptive'", aux_pool)
    if transform_input and in_channels != 3:
        raise ValueError(f"transform_input=True 只适用于 3 通道 RGB 输入，收到 in_channels={in_channels}")


def _expect(ok: bool, name: str, expected: str, value) -> None:
    if not ok:
        raise ValueError(f"{name} {expected}，收到 {value!r}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

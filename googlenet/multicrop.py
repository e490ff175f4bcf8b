"""§7's multi-crop testing: 1, 10 or 144 views of an image, and the average of their softmax.

``n_crops`` picks the scheme, for a square ``crop_size`` crop (224 in the paper):

* **1**: resize the shorter side to ``S₀`` (256 for 224), take the centre crop.
* **10**: Krizhevsky et al.'s: the central ``S₀×S₀`` square's four corner crops and centre crop,
  and their mirrors.
* **144** (§7 item 2): shorter side resized to each of 256, 288, 320, 352; the left, centre and
  right squares (top, centre, bottom for portrait images); in each the 4 corners, the centre and
  the whole square resized; and their mirrors: 4 × 3 × 6 × 2.

Other crop sizes keep the paper's proportions: ``S = round(crop_size·s/224)`` (64 px: 73…101).

**Crop order.** The second half of the views mirrors the first, view ``i + n/2`` being view ``i``
flipped (torchvision's ``TenCrop`` crops the mirrored image instead). In the first half: 10 crops
are top-left, top-right, bottom-left, bottom-right, centre; 144-crop view ``i < 72`` is scale
``i // 18``, square ``(i // 6) % 3`` and position ``i % 6`` (the five crops, then the whole square).
Resizing and centring follow torchvision's ``Resize`` (bilinear, antialiased, longer side
``int(S·long/short)``) and ``CenterCrop`` (offset ``round(margin/2)``), so the tests compare our
views with torchvision's own.

`evaluate` averages the softmax over views and over classifiers (§7 item 3; ``reduce="max"`` is
the max pooling the paper rejected), a few images at a time, so memory stays bounded. On a square
image the three squares coincide and only 48 of the 144 views differ (`distinct_views`); each is
run once. `googlenet.book.table3` keeps every view's softmax to score all of Table 3 from one run.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from . import paper
from .model import GoogLeNet

N_CROPS = (1, 10, 144)
HEADS = ("main", "all")
REDUCTIONS = ("mean", "max")

# The six views of one square, in order; "whole" is the whole square resized to the crop size.
POSITIONS = ("top_left", "top_right", "bottom_left", "bottom_right", "centre", "whole")
POSITION_NAMES_ZH = {"top_left": "左上角", "top_right": "右上角", "bottom_left": "左下角",
                     "bottom_right": "右下角", "centre": "中心", "whole": "整个正方形缩放"}
SQUARE_NAMES_ZH = {"left": "左", "right": "右", "top": "上", "bottom": "下", "centre": "中"}


# --------------------------------------------------------------------------- geometry

def scales(crop_size: int = paper.TESTING.crop_size) -> tuple[int, ...]:
    """§7's four shorter-side lengths, kept in proportion to ``crop_size`` (224 → 256…352)."""
    _check_positive("crop_size", crop_size, "裁剪的边长，像素")
    base = paper.TESTING.crop_size
    out = tuple(int(math.floor(crop_size * s / base + 0.5)) for s in paper.TESTING.scales)
    if out[0] <= crop_size or any(a >= b for a, b in zip(out, out[1:])):
        raise ValueError(f"crop_size={crop_size} 太小：按论文比例得到的尺度 {out} 应逐个增大且都大于裁剪边长，"
                         f"请用至少 8 像素的裁剪")
    return out


def min_image_side(n_crops: int, crop_size: int = paper.TESTING.crop_size) -> int:
    """The shortest image side whose views are distinct: neighbouring corner crops lie
    ``short·(S₀ - crop_size)/S₀`` source pixels apart, which must be at least one (8 px at 256/224)."""
    _check_n_crops(n_crops)
    if n_crops == 1:
        _check_positive("crop_size", crop_size, "裁剪的边长，像素")
        return 1
    s0 = scales(crop_size)[0]
    return math.ceil(s0 / (s0 - crop_size))


@dataclass(frozen=True)
class Crop:
    """Where one view comes from: ``box = (x0, y0, size)`` in the image resized to ``resized``
    (height, width); for ``position == "whole"``, the square that is resized to the crop size."""

    index: int
    scale: int  # shorter side of the resized image
    resized: tuple[int, int]  # (height, width) of the resized image
    square: str  # "left"/"centre"/"right", "top"/"centre"/"bottom"
    position: str  # one of POSITIONS
    box: tuple[int, int, int]
    mirrored: bool

    def source_box(self, height: int, width: int) -> tuple[float, float, float, float]:
        """The view's region in the original ``height×width`` image: (x0, y0, x1, y1), pixels."""
        fy, fx = self.resized[0] / height, self.resized[1] / width
        x0, y0, s = self.box
        return (x0 / fx, y0 / fy, (x0 + s) / fx, (y0 + s) / fy)

    def label(self) -> str:
        """A short Chinese description, e.g. "尺度 320 · 右正方形 · 左上角 · 镜像"."""
        parts = [f"尺度 {self.scale}", f"{SQUARE_NAMES_ZH[self.square]}正方形",
                 POSITION_NAMES_ZH[self.position]]
        if self.mirrored:
            parts.append("镜像")
        return " · ".join(parts)

    @property
    def place(self) -> tuple:
        """What makes two views equal: where they are cut, at which scale, mirrored or not."""
        return self.scale, self.position, self.box, self.mirrored


def resized_size(height: int, width: int, short: int) -> tuple[int, int]:
    """(height, width) after resizing the shorter side to ``short`` (torchvision's rule)."""
    if width <= height:
        return int(short * height / width), short
    return short, int(short * width / height)


def crop_layout(height: int, width: int, n_crops: int,
                crop_size: int = paper.TESTING.crop_size) -> tuple[Crop, ...]:
    """Every view of an ``height×width`` image under the ``n_crops`` scheme, in crop order."""
    need = min_image_side(n_crops, crop_size)
    if min(height, width) < need:
        raise ValueError(f"图像 {height}×{width} 太小：{n_crops} 个裁剪（边长 {crop_size}）的方案要求短边至少 "
                         f"{need} 像素，否则相邻的角上裁剪在原图上相距不到 1 个像素")
    c = crop_size
    if n_crops == 1:
        s = scales(c)[0]
        h, w = resized_size(height, width, s)
        box = (_centre(w - c), _centre(h - c), c)
        return (Crop(0, s, (h, w), "centre", "centre", box, False),)
    if n_crops == 10:
        plan = [(scales(c)[0], ("centre",))]
    else:
        plan = [(s, None) for s in scales(c)]
    crops = []
    for s, only in plan:
        h, w = resized_size(height, width, s)
        for square, (qx, qy) in _squares(h, w, s):
            if only is not None and square not in only:
                continue
            for position in POSITIONS[:5] if n_crops == 10 else POSITIONS:
                if position == "whole":
                    box = (qx, qy, s)
                else:
                    dx, dy = _offset(position, s - c)
                    box = (qx + dx, qy + dy, c)
                crops.append(Crop(len(crops), s, (h, w), square, position, box, False))
    half = len(crops)
    crops += [Crop(half + k.index, k.scale, k.resized, k.square, k.position, k.box, True)
              for k in crops]
    assert len(crops) == n_crops
    return tuple(crops)


def _centre(margin: int) -> int:
    return int(round(margin / 2.0))  # torchvision's CenterCrop


def _offset(position: str, margin: int) -> tuple[int, int]:
    """(dx, dy) of a crop inside a square whose side exceeds the crop by ``margin``."""
    return {"top_left": (0, 0), "top_right": (margin, 0), "bottom_left": (0, margin),
            "bottom_right": (margin, margin), "centre": (_centre(margin), _centre(margin))}[position]


def _squares(h: int, w: int, s: int):
    """§7's three squares of a resized image, with their top-left corners."""
    if w >= h:  # landscape (or square): left, centre, right
        return [("left", (0, 0)), ("centre", (_centre(w - s), 0)), ("right", (w - s, 0))]
    return [("top", (0, 0)), ("centre", (0, _centre(h - s))), ("bottom", (0, h - s))]


def distinct_views(height: int, width: int, n_crops: int,
                   crop_size: int = paper.TESTING.crop_size) -> tuple[list[int], list[int]]:
    """``(keep, inverse)``: the views that differ, and which of them each view equals
    (``views[keep][inverse] == views``). On a square image 48 of the 144."""
    first: dict[tuple, int] = {}
    keep, inverse = [], []
    for k in crop_layout(height, width, n_crops, crop_size):
        if k.place not in first:
            first[k.place] = len(keep)
            keep.append(k.index)
        inverse.append(first[k.place])
    return keep, inverse


# --------------------------------------------------------------------------- views

def views(image, n_crops: int, crop_size: int = paper.TESTING.crop_size) -> Tensor:
    """The ``n_crops`` views of a float ``(C, H, W)`` tensor or a PIL image, in crop order:
    ``(n_crops, C, crop_size, crop_size)``."""
    image = as_image_tensor(image)
    if image.dim() != 3:
        raise ValueError(f"image 应为 3 维张量 (通道, 高, 宽)，收到 {image.dim()} 维，形状 {tuple(image.shape)}；"
                         f"一批图像请用 batch_views")
    return batch_views(image.unsqueeze(0), n_crops, crop_size)[0]


def batch_views(images: Tensor, n_crops: int, crop_size: int = paper.TESTING.crop_size) -> Tensor:
    """Views of equally sized images, ``(N, C, H, W)`` → ``(N, n_crops, C, c, c)``: one resize per
    scale for the whole batch, crops are slices of it, and the mirrors are one flip."""
    if not isinstance(images, Tensor):
        raise TypeError(f"images 应为 torch.Tensor，收到 {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(f"images 应为 4 维张量 (批量, 通道, 高, 宽)，收到 {images.dim()} 维，形状 {tuple(images.shape)}")
    _check_float(images)
    n, ch, height, width = images.shape
    c = crop_size
    layout = crop_layout(height, width, n_crops, c)
    unmirrored = layout if n_crops == 1 else layout[: n_crops // 2]
    resized = {s: _resize(images, resized_size(height, width, s)) for s in {k.scale for k in unmirrored}}
    out = images.new_empty((n, len(unmirrored), ch, c, c))
    for k in unmirrored:
        if k.position != "whole":
            out[:, k.index] = _cut(resized[k.scale], k.box)
    wholes = [k for k in unmirrored if k.position == "whole"]
    for s in dict.fromkeys(k.scale for k in wholes):  # a scale's three whole squares: one resize call
        ks = [k for k in wholes if k.scale == s]
        squares = torch.stack([_cut(resized[s], k.box) for k in ks], 1).flatten(0, 1)
        out[:, [k.index for k in ks]] = _resize(squares, (c, c)).unflatten(0, (n, len(ks)))
    return out if n_crops == 1 else torch.cat([out, out.flip(-1)], 1)


def _cut(x: Tensor, box: tuple[int, int, int]) -> Tensor:
    x0, y0, size = box
    return x[:, :, y0:y0 + size, x0:x0 + size]


def _resize(x: Tensor, size: tuple[int, int]) -> Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)


def as_image_tensor(image) -> Tensor:
    """A float tensor (C, H, W) as given, or a PIL image as floats in [0, 1]."""
    if isinstance(image, Image.Image):
        from torchvision.transforms.functional import pil_to_tensor
        return pil_to_tensor(image).float().div_(255)
    if not isinstance(image, Tensor):
        raise TypeError(f"image 应为 (通道, 高, 宽) 浮点张量或 PIL 图像，收到 {type(image).__name__}")
    _check_float(image)
    return image


# --------------------------------------------------------------------------- classifiers

def classifier_logits(model: nn.Module, x: Tensor, heads: str = "main") -> list[Tensor]:
    """``[model(x)]`` (``heads="main"``, any classifier) or a GoogLeNet's ``[logits, aux1, aux2]``
    (``"all"``), in eval mode; the model's mode is restored afterwards."""
    _check_choice("heads", heads, HEADS)
    if heads == "all" and not (isinstance(model, GoogLeNet) and model.aux_logits):
        raise ValueError(f"heads='all' 需要带辅助分类器的 GoogLeNet（aux_logits=True），"
                         f"收到的 {type(model).__name__} 没有辅助分类器")
    was_training = model.training
    model.eval()
    try:
        return [model(x)] if heads == "main" else list(model.heads(x))
    finally:
        model.train(was_training)


def topk_error(probs: Tensor, labels: Tensor, k: int) -> float:
    """Fraction of rows whose label is not among the ``k`` highest scores (top-k error)."""
    if probs.dim() != 2:
        raise ValueError(f"probs 应为 (图像数, 类别数) 的 2 维张量，收到形状 {tuple(probs.shape)}")
    labels = torch.as_tensor(labels)
    if labels.shape != probs.shape[:1]:
        raise ValueError(f"labels 应有 {probs.shape[0]} 个元素（每张图像一个），收到形状 {tuple(labels.shape)}")
    if not 1 <= k <= probs.shape[1]:
        raise ValueError(f"k 应在 1 到类别数 {probs.shape[1]} 之间，收到 {k}")
    if probs.shape[0] == 0:
        raise ValueError("没有图像：无法计算错误率")
    hit = (probs.topk(k, dim=1).indices == labels.view(-1, 1).to(probs.device)).any(dim=1)
    return 1.0 - hit.float().mean().item()


def combine(crop_probs: Tensor, reduce: str = "mean") -> Tensor:
    """§7's rule: ``(classifiers, images, crops, classes)`` → ``(images, classes)``, the mean (or
    ``"max"``, the rejected alternative) over crops, then the mean over classifiers."""
    _check_choice("reduce", reduce, REDUCTIONS)
    if crop_probs.dim() != 4:
        raise ValueError(f"crop_probs 应为 (分类器, 图像, 裁剪, 类别) 的 4 维张量，收到形状 {tuple(crop_probs.shape)}")
    per_classifier = crop_probs.mean(2) if reduce == "mean" else crop_probs.amax(2)
    return per_classifier.mean(0)


# --------------------------------------------------------------------------- evaluation

@dataclass
class EvalResult:
    """What ``evaluate`` measured. Errors are fractions (0.1 = 10 %)."""

    n_models: int
    n_crops: int
    crop_size: int
    heads: str
    reduce: str
    n_images: int
    n_classifiers: int
    top1_error: float
    top5_error: float
    seconds: float
    probs: Tensor | None = None  # (images, classes), combined as §7 says; if asked for
    labels: Tensor | None = None

    @property
    def cost(self) -> int:
        """Table 3's "cost": forward passes per image, models × crops."""
        return self.n_models * self.n_crops


def evaluate(models, dataset, n_crops: int = 1, crop_size: int = paper.TESTING.crop_size, *,
             chunk_size: int = 256, heads: str = "main", reduce: str = "mean",
             preprocess: Callable[[Tensor], Tensor] | None = None,
             return_probs: bool = False, limit: int | None = None, dedupe: bool = True,
             compile: bool = False) -> EvalResult:
    """Evaluate one model or an ensemble (a sequence of models) with ``n_crops`` views per image.

    Args:
        dataset: ``(images, labels)`` tensors, or a sequence/iterable of ``(image, label)`` pairs
            (images may differ in size). A label outside the models' outputs is an error; labels
            all in the first tenth of them (Imagenette's 0–9 on a 1000-class model) warn.
        chunk_size: views per forward pass; at most about ``3 × chunk_size + n_crops`` are held.
        heads: ``"main"`` or ``"all"`` (with both auxiliary heads of each model).
        preprocess: applied to every chunk of views (e.g. normalisation).
        return_probs: keep the combined per-image probabilities and the labels.
        limit: only the first ``limit`` images.
        dedupe: run each distinct view once (`distinct_views`); ``False`` runs all, as Table 3's
            cost counts. Same answer up to float rounding.
        compile: ``torch.compile`` the models (main heads only); it pays only for long runs,
            a few hundred images at 144 crops (``benchmarks/bench_multicrop.py --compile``).
    """
    _check_choice("reduce", reduce, REDUCTIONS)
    start = time.perf_counter()
    combined, labels = [], []
    for probs, ys in view_probabilities(models, dataset, n_crops, crop_size, chunk_size=chunk_size, heads=heads,
                                        preprocess=preprocess, limit=limit, dedupe=dedupe, compile=compile):
        combined.append(combine(probs, reduce))  # per group: the views' probabilities are not kept
        labels.append(ys)
    seconds = time.perf_counter() - start
    probs, y = torch.cat(combined), torch.cat(labels)
    n_models = len(_as_models(models))
    return EvalResult(
        n_models=n_models, n_crops=n_crops, crop_size=crop_size, heads=heads, reduce=reduce,
        n_images=probs.shape[0], n_classifiers=n_models * (3 if heads == "all" else 1),
        top1_error=topk_error(probs, y, 1), top5_error=topk_error(probs, y, min(5, probs.shape[1])),
        seconds=seconds, probs=probs if return_probs else None, labels=y if return_probs else None)


def view_probabilities(models, dataset, n_crops: int = 1, crop_size: int = paper.TESTING.crop_size, *,
                       chunk_size: int = 256, heads: str = "main", preprocess: Callable[[Tensor], Tensor] | None = None,
                       limit: int | None = None, dedupe: bool = True,
                       compile: bool = False) -> Iterator[tuple[Tensor, Tensor]]:
    """`evaluate`'s engine (same arguments): for one group of images after another, ``(probs, labels)``
    with the softmax of every classifier on every view, ``(classifiers, images, n_crops, classes)``."""
    models = _compiled(_as_models(models), compile, heads)
    min_image_side(n_crops, crop_size)  # checks n_crops, and crop_size against §7's scales
    _check_choice("heads", heads, HEADS)
    _check_positive("chunk_size", chunk_size, "每次前向计算的视图数")
    if limit is not None:
        _check_positive("limit", limit, "只评估前 limit 张图像；None 表示全部")
    top_label = -1
    # Groups are sized for the views actually run (48 per square image at 144 crops), so forward
    # passes stay full; a non-square image holds up to 3 × chunk_size views, run chunk_size at a time.
    per_image = n_crops // 3 if dedupe and n_crops == 144 else n_crops
    for images, labels in _image_groups(dataset, max(1, chunk_size // per_image), limit):
        keep, inverse = distinct_views(*images.shape[-2:], n_crops, crop_size)
        if not dedupe or len(keep) == n_crops:
            keep = inverse = slice(None)  # run every view (a slice, not a copy)
        crops = batch_views(images, n_crops, crop_size)[:, keep]  # (images, views run, C, c, c)
        parts = []
        with torch.inference_mode():
            for chunk in crops.flatten(0, 1).split(chunk_size):
                if preprocess is not None:
                    chunk = preprocess(chunk)
                parts.append(torch.stack([logits.float().softmax(1).cpu() for m in models
                                          for logits in classifier_logits(m, chunk.to(_device(m)), heads)]))
        probs = torch.cat(parts, 1).unflatten(1, crops.shape[:2])
        n_classes = probs.shape[-1]
        bad = labels[(labels < 0) | (labels >= n_classes)]
        if bad.numel():
            raise ValueError(f"标签 {int(bad[0])} 不是模型的类别编号：模型有 {n_classes} 个输出，"
                             f"标签应在 0 到 {n_classes - 1} 之间")
        top_label = max(top_label, int(labels.max()))
        yield probs[:, :, inverse], labels  # duplicate views share one result
    if top_label < 0:
        raise ValueError(f"数据集是空的：没有可评估的图像（收到 {type(dataset).__name__}，共 0 项）")
    if top_label + 1 < n_classes // 10:
        warnings.warn(f"标签都小于 {top_label + 1}，而模型有 {n_classes} 个输出：标签像是没有换成模型的类别编号"
                      f"（例如 Imagenette 的 0–9 不是 ImageNet 的类别编号），错误率会接近 100%。"
                      f"请用 googlenet.data.Relabelled 映射标签；如果它们本来就是模型的类别编号，可以忽略这条警告",
                      stacklevel=3)  # the caller of evaluate / crop_probabilities


def _image_groups(dataset, group: int, limit: int | None) -> Iterator[tuple[Tensor, Tensor]]:
    """Batches of at most ``group`` equally sized images and their labels, in dataset order."""
    batch, ys = [], []
    for count, item in enumerate(itertools.islice(_items(dataset), limit)):
        try:
            image, label = item
        except (TypeError, ValueError):
            raise ValueError(f"数据集的每一项应为 (图像, 标签) 二元组，第 {count} 项是 {type(item).__name__}") from None
        image = as_image_tensor(image)
        if image.dim() != 3:
            raise ValueError(f"第 {count} 张图像应为 (通道, 高, 宽) 3 维张量，收到形状 {tuple(image.shape)}")
        if batch and (image.shape != batch[0].shape or len(batch) == group):
            yield torch.stack(batch), torch.tensor(ys)
            batch, ys = [], []
        batch.append(image)
        ys.append(int(label))
    if batch:
        yield torch.stack(batch), torch.tensor(ys)


def _items(dataset) -> Iterator:
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2 and isinstance(dataset[0], Tensor) \
            and dataset[0].dim() == 4:
        images, labels = dataset[0], torch.as_tensor(dataset[1])
        if labels.shape != images.shape[:1]:
            raise ValueError(f"labels 应有 {images.shape[0]} 个元素，收到形状 {tuple(labels.shape)}")
        return zip(images, labels.tolist())
    if isinstance(dataset, Tensor):
        raise TypeError(f"dataset 是一个形状为 {tuple(dataset.shape)} 的张量，没有标签：请传 (images, labels) 二元组")
    if hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__"):
        return (dataset[i] for i in range(len(dataset)))  # map-style datasets need not define __iter__
    try:
        return iter(dataset)
    except TypeError:
        raise TypeError(f"dataset 应为 (images, labels) 张量二元组，或 (图像, 标签) 对的序列或可迭代对象，"
                        f"收到 {type(dataset).__name__}") from None


def _as_models(models) -> list[nn.Module]:
    if isinstance(models, nn.Module):
        return [models]
    if isinstance(models, str) or not isinstance(models, Sequence) or not models:
        raise TypeError(f"models 应为一个 nn.Module 或非空的 nn.Module 列表，收到 {type(models).__name__} {models!r:.60}")
    for i, m in enumerate(models):
        if not isinstance(m, nn.Module):
            raise TypeError(f"models 的第 {i} 项应为 nn.Module，收到 {type(m).__name__} {m!r:.60}")
    return list(models)


def _compiled(models: list[nn.Module], compile: bool, heads: str) -> list[nn.Module]:
    if not isinstance(compile, bool):
        raise ValueError(f"compile 应为 True 或 False，收到 {compile!r}")
    if compile and heads != "main":
        raise ValueError("compile=True 只编译主分类器的前向计算，不能与 heads='all' 同用")
    return [torch.compile(m) for m in models] if compile else models


def _device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


# --------------------------------------------------------------------------- checks

def _check_n_crops(n_crops) -> None:
    if n_crops not in N_CROPS or isinstance(n_crops, bool):
        raise ValueError(f"n_crops 应为 {'、'.join(map(str, N_CROPS))} 之一，收到 {n_crops!r}")


def _check_positive(name: str, value, meaning: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} 应为正整数（{meaning}），收到 {value!r}")


def _check_choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} 应为 {' 或 '.join(map(repr, choices))}，收到 {value!r}")


def _check_float(images: Tensor) -> None:
    if not images.is_floating_point():
        raise ValueError(f"图像应为浮点张量（例如取值在 [0, 1] 的 float32），收到 dtype={images.dtype}；"
                         f"uint8 图像请先除以 255")

"""§7's test-time views: 1, 10 or 144 square ``crop_size`` crops (224 in the paper) of an image.

* **1**: shorter side resized to ``S₀`` (256 for 224), centre crop.
* **10** (Krizhevsky et al.): the four corner crops and the centre crop of the central ``S₀×S₀`` square, and mirrors.
* **144** (§7 item 2): shorter side resized to each of 256, 288, 320, 352; the left, centre and right squares (top,
  centre, bottom if portrait); in each the 4 corners, the centre and the whole square resized; and mirrors: 4×3×6×2.

Other crop sizes keep the proportions: ``S = round(crop_size·s/224)`` (64 px: 73…101).

**Crop order.** View ``i + n/2`` is view ``i`` flipped (torchvision's ``TenCrop`` crops the mirrored image instead).
First half: 10 crops are top-left, top-right, bottom-left, bottom-right, centre; 144-crop view ``i < 72`` is scale
``i // 18``, square ``(i // 6) % 3``, position ``i % 6`` (the five crops, then the whole square). Resizing and
centring follow torchvision's ``Resize`` (bilinear, antialiased, longer side ``int(S·long/short)``) and ``CenterCrop``
(offset ``round(margin/2)``), so tests compare our views with torchvision's; `googlenet.multicrop` evaluates on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from . import paper

N_CROPS = (1, 10, 144)
# The six views of one square, in order; "whole" is the whole square resized to the crop size.
POSITIONS = ("top_left", "top_right", "bottom_left", "bottom_right", "centre", "whole")
POSITION_NAMES_ZH = {"top_left": "左上角", "top_right": "右上角", "bottom_left": "左下角",
                     "bottom_right": "右下角", "centre": "中心", "whole": "整个正方形缩放"}
SQUARE_NAMES_ZH = {"left": "左", "right": "右", "top": "上", "bottom": "下", "centre": "中"}


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
    """Shortest image side with distinct views: neighbouring corner crops lie ``short·(S₀ - crop_size)/S₀``
    source pixels apart, which must be at least one (8 px at 256/224)."""
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


def views(image, n_crops: int, crop_size: int = paper.TESTING.crop_size) -> Tensor:
    """The views of a float ``(C, H, W)`` tensor or PIL image, ``(n_crops, C, crop_size, crop_size)``, in crop order."""
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


def _check_n_crops(n_crops) -> None:
    if n_crops not in N_CROPS or isinstance(n_crops, bool):
        raise ValueError(f"n_crops 应为 {'、'.join(map(str, N_CROPS))} 之一，收到 {n_crops!r}")


def _check_positive(name: str, value, meaning: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} 应为正整数（{meaning}），收到 {value!r}")


def _check_float(images: Tensor) -> None:
    if not images.is_floating_point():
        raise ValueError(f"图像应为浮点张量（例如取值在 [0, 1] 的 float32），收到 dtype={images.dtype}；"
                         f"uint8 图像请先除以 255")

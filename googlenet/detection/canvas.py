"""§8's test images in miniature: grey canvases of several Fashion-MNIST objects, from tiny to large.

Each canvas (reproducible from a seed) has a faint gradient, sensor noise, 3–5 objects scaled log-uniformly
to 28–96 px squares (small objects as common as large; neighbours may touch) and a few distractors: strokes
and blobs of no class, which a detector must call background. An object's ground truth box is the tight box
of its pixels brighter than ``box_threshold``, as an annotator would draw it, in `googlenet.detection`'s
``(x1, y1, x2, y2)`` convention. Evaluate on canvases from the test split, so no object was seen in training."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class CanvasSpec:
    """How canvases are drawn. Ranges are inclusive ``(low, high)``."""
    size: int = 192  # canvas side in pixels
    objects: tuple[int, int] = (3, 5)  # objects per canvas
    object_size: tuple[int, int] = (28, 96)  # side of the square an object's 28×28 image is scaled to
    gap: int = -6  # minimum free pixels between two objects' squares (negative: they may overlap so much)
    distractors: tuple[int, int] = (1, 3)  # strokes and blobs that are no object
    background: float = 0.12  # brightest point of the background gradient
    noise: float = 0.03  # standard deviation of the added Gaussian noise
    box_threshold: float = 0.1  # pixels brighter than this make up an object's ground truth box
    max_tries: int = 200  # placement attempts per object before the canvas takes fewer objects

    def __post_init__(self):
        if not isinstance(self.size, int) or self.size < 32:
            raise ValueError(f"size（画布边长）应为不小于 32 的整数，收到 {self.size!r}")
        for name, lo_min in (("objects", 0), ("object_size", 4), ("distractors", 0)):
            value = getattr(self, name)
            if (not isinstance(value, tuple) or len(value) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                    or value[0] < lo_min or value[0] > value[1]):
                raise ValueError(f"{name} 应为两个整数 (最小, 最大)，且 {lo_min} ≤ 最小 ≤ 最大，收到 {value!r}")
        if self.object_size[1] > self.size:
            raise ValueError(f"object_size 的最大值 {self.object_size[1]} 超过了画布边长 {self.size}")
        for name in ("background", "noise", "box_threshold"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise ValueError(f"{name} 应为 [0, 1) 内的数，收到 {v!r}")


@dataclass
class Canvas:
    """One canvas and its annotation."""
    image: Tensor  # 1×H×W float in [0, 1]
    boxes: Tensor  # N×4 float: ground truth boxes (x1, y1, x2, y2)
    labels: Tensor  # N long: class of each object
    sources: Tensor  # N long: index of each object's image in the dataset it came from
    frames: Tensor  # N×4 float: the square each object's image was scaled into
    distractor_boxes: Tensor  # K×4 float: where the distractors are (not objects; for analysis)

    def target(self) -> dict[str, Tensor]:
        """The annotation in torchvision's detection format, for `googlenet.detection.evaluate_detections`."""
        return {"boxes": self.boxes, "labels": self.labels}

    def __repr__(self) -> str:
        h, w = self.image.shape[-2:]
        return f"Canvas({h}×{w}, {len(self.boxes)} 个目标, 类别 {self.labels.tolist()}, {len(self.distractor_boxes)} 个干扰物)"


def _overlaps(frame, frames, gap) -> bool:
    x1, y1, x2, y2 = frame
    return any(x1 < fx2 + gap and fx1 < x2 + gap and y1 < fy2 + gap and fy1 < y2 + gap
               for fx1, fy1, fx2, fy2 in frames)


def _place(rng, side, canvas, frames, gap, tries):
    """A free square of ``side`` pixels (integer corner) or None."""
    for _ in range(tries):
        x, y = (int(v) for v in rng.integers(0, canvas - side + 1, size=2))
        frame = (x, y, x + side, y + side)
        if not _overlaps(frame, frames, gap):
            return frame
    return None


def tight_box(sprite: Tensor, threshold: float) -> tuple[int, int, int, int] | None:
    """(x1, y1, x2, y2) of the pixels of a 2-D image brighter than ``threshold``; None if there are none."""
    mask = sprite > threshold
    if not mask.any():
        return None
    rows, cols = torch.nonzero(mask.any(1)).flatten(), torch.nonzero(mask.any(0)).flatten()
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _grid(size, offset=0.0) -> tuple[Tensor, Tensor]:
    """(ys, xs): the row and column coordinate of every pixel of a size×size image."""
    r = torch.arange(size, dtype=torch.float32) + offset
    return torch.meshgrid(r, r, indexing="ij")


def _background(rng, size, brightness) -> Tensor:
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = _grid(size)
    ramp = xs * math.cos(angle) + ys * math.sin(angle)
    return (ramp - ramp.min()) / (ramp.max() - ramp.min()) * brightness


def _distractor(rng, size) -> tuple[Tensor, float]:
    """A soft mask (H×W in [0, 1]) of a stroke or a blob, and its brightness."""
    ys, xs = _grid(size, 0.5)  # pixel centres
    cx, cy = rng.uniform(8, size - 8, size=2)
    if rng.random() < 0.5:  # a stroke: points within half its thickness of a segment
        length, angle, thick = rng.uniform(12, 40), rng.uniform(0, math.pi), rng.uniform(1.5, 3.5)
        dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
        ax, ay, bx, by = cx - dx, cy - dy, cx + dx, cy + dy
        t = (((xs - ax) * (bx - ax) + (ys - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)).clamp(0, 1)
        dist = torch.hypot(xs - (ax + t * (bx - ax)), ys - (ay + t * (by - ay)))
        mask = (thick / 2 + 0.5 - dist).clamp(0, 1)
    else:  # a blob: a filled ellipse
        a, b, angle = rng.uniform(3, 10), rng.uniform(3, 10), rng.uniform(0, math.pi)
        u = (xs - cx) * math.cos(angle) + (ys - cy) * math.sin(angle)
        v = -(xs - cx) * math.sin(angle) + (ys - cy) * math.cos(angle)
        r = torch.sqrt((u / a) ** 2 + (v / b) ** 2)
        mask = ((1 - r) * min(a, b) + 0.5).clamp(0, 1)
    return mask, float(rng.uniform(0.35, 0.9))


def make_canvas(dataset, seed: int | tuple[int, ...], spec: CanvasSpec = CanvasSpec()) -> Canvas:
    """One canvas drawn from ``dataset`` (grey 28×28 images), fully determined by ``seed``."""
    if not hasattr(dataset, "image") or not hasattr(dataset, "targets") or len(dataset) == 0:
        raise TypeError(f"dataset 应为非空的 googlenet.data.ImageDataset（有 image(i) 与 targets），"
                        f"收到 {type(dataset).__name__}")
    if getattr(dataset, "channels", 1) != 1:
        raise ValueError(f"画布是灰度的：dataset 应为单通道图像，收到 {dataset.channels} 通道")
    if not isinstance(spec, CanvasSpec):
        raise TypeError(f"spec 应为 CanvasSpec，收到 {type(spec).__name__}")
    rng, size, (lo, hi) = np.random.default_rng(seed), spec.size, spec.object_size
    image = _background(rng, size, spec.background)
    frames, boxes, labels, sources = [], [], [], []
    for _ in range(int(rng.integers(spec.objects[0], spec.objects[1] + 1))):
        side = int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))
        frame = _place(rng, side, size, frames, spec.gap, spec.max_tries)
        if frame is None:
            continue
        index = int(rng.integers(len(dataset)))
        sprite = F.interpolate(dataset.image(index)[None], size=(side, side), mode="bilinear",
                               align_corners=False)[0, 0].clamp(0, 1)
        box = tight_box(sprite, spec.box_threshold)
        if box is None:  # an empty image: nothing to annotate
            continue
        x, y = frame[:2]
        alpha = (sprite / 0.1).clamp(0, 1)  # opaque wherever the object is visible
        image[y:y + side, x:x + side] = image[y:y + side, x:x + side] * (1 - alpha) + sprite * alpha
        frames.append(frame)
        boxes.append((x + box[0], y + box[1], x + box[2], y + box[3]))
        labels.append(int(dataset.targets[index]))
        sources.append(index)
    distractor_boxes = []
    for _ in range(int(rng.integers(spec.distractors[0], spec.distractors[1] + 1))):
        for _ in range(20):  # distractors stay clear of objects, so the annotation stays true
            mask, brightness = _distractor(rng, size)
            box = tight_box(mask, 0.5)
            if box is not None and not _overlaps(box, frames, max(spec.gap, 2)):
                image = image * (1 - mask) + brightness * mask
                distractor_boxes.append(box)
                break
    if spec.noise > 0:
        image = image + torch.from_numpy(rng.standard_normal((size, size)).astype(np.float32)) * spec.noise
    as_float = lambda rows: torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)  # noqa: E731
    return Canvas(image.clamp(0, 1)[None].contiguous(), as_float(boxes),
                  torch.tensor(labels, dtype=torch.long), torch.tensor(sources, dtype=torch.long),
                  as_float(frames), as_float(distractor_boxes))


def make_canvases(dataset, n: int, seed: int = 0, spec: CanvasSpec = CanvasSpec()) -> list[Canvas]:
    """``n`` canvases; canvas i is ``make_canvas(dataset, (seed, i), spec)``, so any one can be redrawn alone."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n（画布数）应为非负整数，收到 {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed 应为非负整数，收到 {seed!r}")
    return [make_canvas(dataset, (seed, i), spec) for i in range(n)]


def ground_truths(canvases: list[Canvas]) -> list[dict[str, Tensor]]:
    """The annotations of ``canvases`` in torchvision's detection format."""
    return [c.target() for c in canvases]

"""Category-agnostic region proposals (§8): a tiny selective search, and sliding windows for multi-box.

§8 proposed regions that might hold *some* object with selective search [20] (grouping superpixels bottom-up)
and added back 200 from multi-box [5] (a network that predicts boxes). Our stand-ins:

* `selective_search`: (1) `superpixels`, the canvas's bright pixels cut along a grid of ``superpixel_size``-px
  cells (the paper starts from Felzenszwalb–Huttenlocher segments); (2) `hierarchical_grouping` merges the most
  similar touching regions until one is left, each region ever formed giving a box, so K superpixels give about
  2K proposals and doubling the superpixel size (as §8 did) cuts their number; (3) diversify over thresholds.
* `objectness_windows`: windows of several sizes and shapes, scored by how much brighter they are inside than
  in a ring around them (a hand-made "objectness" where multi-box learns one)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .metrics import nms


def _min_pool(x: Tensor) -> Tensor:
    """Minimum over each pixel's 3×3 neighbourhood of a 2-D tensor."""
    return -F.max_pool2d(-x[None, None], 3, stride=1, padding=1)[0, 0]


def _check_image(image) -> Tensor:
    if not isinstance(image, Tensor):
        raise TypeError(f"image 应为 torch.Tensor（灰度画布），收到 {type(image).__name__}")
    if image.dim() == 3 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 2:
        raise ValueError(f"image 应为 H×W 或 1×H×W 的灰度图，收到形状 {tuple(image.shape)}")
    if not image.is_floating_point():
        raise ValueError(f"image 应为取值在 [0, 1] 的浮点张量，收到 dtype={image.dtype}")
    return image.float()


def connected_components(mask: Tensor) -> Tensor:
    """Label 8-connected pieces of a boolean H×W mask: 0 for background, 1..K in reading order.
    Vectorised union–find: each foreground pixel starts as a group named by its pixel number; each round every
    group adopts the smallest name in the 3×3 neighbourhood (min pool) of any of its pixels, then names are
    followed to their end (pointer jumping) so chains collapse quickly."""
    if not isinstance(mask, Tensor) or mask.dim() != 2 or mask.dtype != torch.bool:
        got = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"mask 应为 H×W 的布尔张量，收到 {got}"
                         + (f"，dtype={mask.dtype}" if isinstance(mask, Tensor) else ""))
    h, w = mask.shape
    n, fg = h * w, mask.flatten()
    # Names are pixel numbers held as floats (for max_pool2d): float32 is exact below 2**24 pixels.
    dtype = torch.float32 if n < 2 ** 24 else torch.float64
    parent = torch.where(fg, torch.arange(n, dtype=dtype), torch.tensor(n + 1.0, dtype=dtype))  # bg: n + 1
    fg_idx = torch.nonzero(fg).flatten()
    while True:
        neighbour_min = _min_pool(parent.view(h, w)).flatten()
        new = parent.clone()
        new.scatter_reduce_(0, parent[fg_idx].long(), neighbour_min[fg_idx], "amin")
        while True:  # pointer jumping: name = name[name] until nothing changes
            jumped = torch.where(fg, new[new.long().clamp(max=n - 1)], new)
            if torch.equal(jumped, new):
                break
            new = jumped
        if torch.equal(new, parent):
            break
        parent = new
    labels = torch.zeros(n, dtype=torch.long)
    if len(fg_idx):
        _, inverse = torch.unique(parent[fg_idx], return_inverse=True)
        labels[fg_idx] = inverse + 1
    return labels.view(h, w)


def region_boxes(labels: Tensor) -> tuple[Tensor, Tensor]:
    """(boxes K×4, pixel counts K) of the labelled regions 1..K of `connected_components`."""
    k = int(labels.max())
    if k == 0:
        return torch.zeros(0, 4), torch.zeros(0)
    h, w = labels.shape
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    fg = labels.flatten() > 0
    idx = labels.flatten()[fg] - 1
    xy, rows = torch.stack([xs.flatten()[fg], ys.flatten()[fg]], 1), idx[:, None].expand(-1, 2)
    lo = torch.full((k, 2), h + w).scatter_reduce(0, rows, xy, "amin")
    hi = torch.full((k, 2), -1).scatter_reduce(0, rows, xy, "amax") + 1
    return torch.cat([lo, hi], 1).float(), torch.bincount(idx, minlength=k).float()


def smooth(image: Tensor, size: int) -> Tensor:
    """Box-filter average over ``size``×``size`` pixels (same size out; edges padded by replication)."""
    image = _check_image(image)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"平滑窗口 size 应为正整数，收到 {size!r}")
    if size == 1:
        return image
    lo, hi = (size - 1) // 2, size // 2
    padded = F.pad(image[None, None], (lo, hi, lo, hi), mode="replicate")
    return F.avg_pool2d(padded, size, stride=1)[0, 0]


def superpixels(image: Tensor, threshold: float, superpixel_size: int = 16, *, smoothing: int = 3,
                min_pixels: int = 12) -> Tensor:
    """Step 1: label image (H×W, 0 = background, 1..K) of the superpixels. A pixel is bright if it and the
    mean of its ``smoothing``×``smoothing`` neighbourhood (against noise) exceed ``threshold``; bright pieces
    under ``min_pixels`` are dropped; each connected part of a piece in one grid cell is one superpixel."""
    image = _check_image(image)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        raise ValueError(f"threshold 应为 (0, 1) 内的亮度阈值，收到 {threshold!r}")
    if isinstance(superpixel_size, bool) or not isinstance(superpixel_size, int) or superpixel_size < 2:
        raise ValueError(f"superpixel_size（超像素边长，像素）应为不小于 2 的整数，收到 {superpixel_size!r}")
    # Smoothing joins and denoises; requiring the pixel itself to be bright keeps edges in place.
    mask = (smooth(image, smoothing) > threshold) & (image > threshold)
    pieces = connected_components(mask)
    mask &= torch.bincount(pieces.flatten())[pieces] >= min_pixels
    h, w = mask.shape
    rows, cols = torch.arange(h) // superpixel_size, torch.arange(w) // superpixel_size
    # Cutting the mask along cell borders, then labelling, splits every piece cell by cell.
    border = torch.zeros_like(mask)
    border[:, 1:] |= cols[1:] != cols[:-1]
    border[1:, :] |= (rows[1:] != rows[:-1])[:, None]
    labels = connected_components(mask & ~border)
    # Give border pixels to the superpixel of their cell that they touch (or their own piece).
    grown = _min_pool(torch.where(labels > 0, labels.float(), torch.tensor(float(h * w + 1))))
    fill = mask & border & (grown <= h * w)
    labels[fill] = grown[fill].long()
    return labels


def region_stats(labels: Tensor, image: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(boxes K×4, pixel counts K, mean brightness K) of the regions 1..K of a label image."""
    boxes, counts = region_boxes(labels)
    flat = labels.flatten()
    fg = flat > 0
    sums = torch.zeros(len(boxes), dtype=torch.float64).index_add_(0, flat[fg] - 1,
                                                                   _check_image(image).flatten()[fg].double())
    return boxes, counts, (sums / counts.clamp(min=1)).float()


def adjacent_pairs(labels: Tensor) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of regions (0-based) that touch (8-connected)."""
    pairs = set()
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :]),
                 (labels[:-1, :-1], labels[1:, 1:]), (labels[:-1, 1:], labels[1:, :-1])):
        touch = (a > 0) & (b > 0) & (a != b)
        if touch.any():
            ab = torch.stack([a[touch], b[touch]], 1)
            ab = torch.unique(torch.sort(ab, 1).values, dim=0) - 1
            pairs.update(map(tuple, ab.tolist()))
    return pairs


def hierarchical_grouping(boxes: Tensor, sizes: Tensor, brightness: Tensor, pairs: set[tuple[int, int]],
                          image_area: float) -> Tensor:
    """Step 2: every box of the grouping hierarchy, the K initial regions' first, then each merge's.
    The most similar touching pair merges first, by selective search's similarities (brightness for colour):
    ``s_size = 1 − (size_i + size_j) / image_area`` (small regions first, so groups grow evenly)
    + ``s_fill = 1 − (area(box_i ∪ box_j) − size_i − size_j) / image_area`` (fill their common box early)
    + ``s_bright = 1 − |brightness_i − brightness_j|``."""
    box = [tuple(b) for b in boxes.tolist()]
    size, bright = sizes.tolist(), brightness.tolist()
    neighbours = {i: set() for i in range(len(box))}
    for i, j in pairs:
        neighbours[i].add(j)
        neighbours[j].add(i)

    def union(i, j):
        return (*map(min, box[i][:2], box[j][:2]), *map(max, box[i][2:], box[j][2:]))

    def similarity(i, j):
        u, s = union(i, j), size[i] + size[j]
        fill = (u[2] - u[0]) * (u[3] - u[1]) - s
        return (1 - s / image_area) + (1 - fill / image_area) + (1 - abs(bright[i] - bright[j]))

    sims = {(i, j): similarity(i, j) for i, j in pairs}
    while sims:
        i, j = max(sims, key=sims.get)
        k = len(box)
        box.append(union(i, j))
        size.append(size[i] + size[j])
        bright.append((bright[i] * size[i] + bright[j] * size[j]) / (size[i] + size[j]))
        neighbours[k] = (neighbours.pop(i) | neighbours.pop(j)) - {i, j}  # touches what either part touched
        for n in neighbours[k]:
            neighbours[n] -= {i, j}
            neighbours[n].add(k)
        sims = {p: v for p, v in sims.items() if i not in p and j not in p}
        sims.update({(n, k): similarity(n, k) for n in neighbours[k]})
    return torch.tensor(box, dtype=torch.float32).reshape(-1, 4)


def dedupe(boxes: Tensor, iou_threshold: float = 0.9) -> Tensor:
    """Drop near-duplicate boxes (IoU above the threshold with a box kept earlier); order kept."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    # Earlier boxes win: give them higher "scores" for NMS, then restore the original order.
    order = torch.arange(len(boxes), 0, -1, dtype=torch.float32)
    keep = nms(boxes, order, iou_threshold=iou_threshold).sort().values
    return boxes[keep]


@dataclass(frozen=True)
class SelectiveSearchSettings:
    """The knobs of `selective_search` (and of `superpixels`, which it calls once per threshold)."""
    thresholds: tuple[float, ...] = (0.15, 0.3)  # one grouping per threshold (diversification)
    superpixel_size: int = 16  # grid cell side: §8 doubled superpixel size to halve proposals
    smoothing: int = 3
    min_pixels: int = 12
    min_box: int = 6  # proposals narrower or shorter than this (pixels) are dropped
    dedupe_iou: float = 0.9


def selective_search(image: Tensor, settings: SelectiveSearchSettings = SelectiveSearchSettings()) -> Tensor:
    """Proposals (K×4 boxes) of the tiny selective search described in the module docstring."""
    image = _check_image(image)
    if not isinstance(settings, SelectiveSearchSettings):
        raise TypeError(f"settings 应为 SelectiveSearchSettings，收到 {type(settings).__name__}")
    h, w = image.shape
    found = []
    for t in settings.thresholds:
        labels = superpixels(image, t, settings.superpixel_size, smoothing=settings.smoothing,
                             min_pixels=settings.min_pixels)
        boxes, sizes, bright = region_stats(labels, image)
        if len(boxes):
            found.append(hierarchical_grouping(boxes, sizes, bright, adjacent_pairs(labels), float(h * w)))
    if not found:
        return torch.zeros(0, 4)
    boxes = torch.cat(found)
    big_enough = ((boxes[:, 2] - boxes[:, 0]) >= settings.min_box) & ((boxes[:, 3] - boxes[:, 1]) >= settings.min_box)
    return dedupe(boxes[big_enough], settings.dedupe_iou)


def objectness_windows(image: Tensor, top_k: int = 10, sizes: tuple[int, ...] = (24, 34, 48, 68, 96),
                       aspects: tuple[float, ...] = (0.5, 1.0, 2.0), stride_fraction: float = 0.25,
                       nms_threshold: float = 0.5) -> Tensor:
    """The ``top_k`` sliding windows with the highest centre–surround objectness (after NMS): mean brightness
    inside minus that of a ring a quarter of the window wide around it, high for a well-framed bright object.
    Windows (``aspects`` = width / height, area ``size²``) slide by ``stride_fraction`` of their size; all
    are scored at once with an integral image."""
    image = _check_image(image)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k 应为非负整数，收到 {top_k!r}")
    h, w = image.shape
    integral = F.pad(image.double().cumsum(0).cumsum(1), (1, 0, 1, 0))

    def box_sum(x1, y1, x2, y2):
        x1, x2 = x1.clamp(0, w), x2.clamp(0, w)
        y1, y2 = y1.clamp(0, h), y2.clamp(0, h)
        return integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1], (x2 - x1) * (y2 - y1)

    all_boxes, all_scores = [], []
    for ww, hh in [(max(4, round(s * a ** 0.5)), max(4, round(s / a ** 0.5))) for s in sizes for a in aspects]:
        if ww > w or hh > h:
            continue
        sx, sy = max(1, round(ww * stride_fraction)), max(1, round(hh * stride_fraction))
        xs, ys = torch.arange(0, w - ww + 1, sx), torch.arange(0, h - hh + 1, sy)
        y1, x1 = (v.flatten() for v in torch.meshgrid(ys, xs, indexing="ij"))
        x2, y2 = x1 + ww, y1 + hh
        inside, n_in = box_sum(x1, y1, x2, y2)
        mx, my = max(1, ww // 4), max(1, hh // 4)
        outer, n_out = box_sum(x1 - mx, y1 - my, x2 + mx, y2 + my)
        ring = (outer - inside) / (n_out - n_in).clamp(min=1)
        all_scores.append((inside / n_in - ring).float())
        all_boxes.append(torch.stack([x1, y1, x2, y2], 1).float())
    if not all_boxes or top_k == 0:
        return torch.zeros(0, 4)
    boxes, scores = torch.cat(all_boxes), torch.cat(all_scores)
    keep = nms(boxes, scores, iou_threshold=nms_threshold)[:top_k]
    return boxes[keep]


def propose(image: Tensor, settings: SelectiveSearchSettings = SelectiveSearchSettings(),
            windows: int = 0) -> Tensor:
    """Selective-search proposals, plus the ``windows`` best objectness windows (§8's recipe in miniature)."""
    boxes = selective_search(image, settings)
    if windows:
        boxes = dedupe(torch.cat([boxes, objectness_windows(image, top_k=windows)]))
    return boxes

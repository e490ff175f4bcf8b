"""Category-agnostic region proposals: a tiny selective search, and a sliding-window stand-in for multi-box.

R-CNN, and GoogLeNet's entry after it (§8), first proposes regions that might hold *some*
object, without knowing which class, and only then classifies each region. §8 combined two
sources: selective search [20] (grouping superpixels bottom-up) and multi-box [5] (a network
that predicts boxes). At classroom scale we build one simple stand-in for each.

**A tiny selective search** (`selective_search`), for a grey canvas of bright objects:

1. *Superpixels* (`superpixels`): smooth the image a little, keep the pixels brighter than
   a threshold, drop specks, and cut what remains along a grid of ``superpixel_size``-pixel
   cells; each connected part inside a cell is one superpixel (selective search starts from
   Felzenszwalb–Huttenlocher segments instead; grid cells keep ours easy to see and to size).
2. *Hierarchical grouping* (`hierarchical_grouping`): repeatedly merge the two *touching*
   regions that are most similar, with selective search's size and fill similarities and
   brightness in place of colour. Every region ever formed, superpixel or merged group, gives
   one proposal: its bounding box. So K superpixels give about 2K proposals, and doubling
   the superpixel size (as §8 did) cuts the number of proposals.
3. *Diversification*: repeat for a few thresholds (selective search repeats for several
   colour spaces and scales), drop tiny and near-duplicate boxes.

**Objectness windows** (`objectness_windows`), a stand-in for multi-box: square and oblong
windows of several sizes slide over the image; each is scored by how much brighter it is
inside than in a ring around it (a hand-made "objectness", where multi-box learns one), and
the best ``top_k`` after non-maximum suppression are kept. §8 "added back 200 region
proposals coming from multi-box" to selective search; `propose` can do the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .metrics import nms


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
    """Label 8-connected pieces of a boolean H×W mask: 0 for background, 1..K for the pieces.

    Union–find, vectorised: every foreground pixel starts as its own group, named by its
    pixel number. Each round, every group adopts the smallest name found in the 3×3
    neighbourhood of any of its pixels (a min pool), and then names are followed to their
    end ("pointer jumping", ``name = name[name]``) so chains collapse. When a round changes
    nothing, each piece carries one name (its smallest pixel number); pieces are then
    renumbered 1..K in reading order. A handful of rounds suffice even for long, thin pieces.
    """
    if not isinstance(mask, Tensor) or mask.dim() != 2 or mask.dtype != torch.bool:
        got = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"mask 应为 H×W 的布尔张量，收到 {got}"
                         + (f"，dtype={mask.dtype}" if isinstance(mask, Tensor) else ""))
    h, w = mask.shape
    n = h * w
    fg = mask.flatten()
    # Names are pixel numbers held as floats (for max_pool2d): float32 is exact below 2**24 pixels.
    dtype = torch.float32 if n < 2 ** 24 else torch.float64
    parent = torch.where(fg, torch.arange(n, dtype=dtype), torch.tensor(n + 1.0, dtype=dtype))  # bg: n + 1
    fg_idx = torch.nonzero(fg).flatten()
    while True:
        # Name of each pixel's group, then the smallest group name among its neighbours.
        name = parent
        neighbour_min = -F.max_pool2d(-name.view(1, 1, h, w), 3, stride=1, padding=1).flatten()
        new = parent.clone()
        new.scatter_reduce_(0, name[fg_idx].long(), neighbour_min[fg_idx], "amin")
        while True:  # pointer jumping: follow names to their end
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
    flat, fg = labels.flatten(), labels.flatten() > 0
    idx = flat[fg] - 1
    big = h + w
    x1 = torch.full((k,), big).scatter_reduce(0, idx, xs.flatten()[fg], "amin")
    y1 = torch.full((k,), big).scatter_reduce(0, idx, ys.flatten()[fg], "amin")
    x2 = torch.full((k,), -1).scatter_reduce(0, idx, xs.flatten()[fg], "amax") + 1
    y2 = torch.full((k,), -1).scatter_reduce(0, idx, ys.flatten()[fg], "amax") + 1
    counts = torch.bincount(idx, minlength=k)
    return torch.stack([x1, y1, x2, y2], 1).float(), counts.float()


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
    """Step 1: label image (H×W, 0 = background, 1..K) of the superpixels.

    A pixel is bright if it and the average of its ``smoothing``×``smoothing`` neighbourhood
    (a box filter, against noise) both exceed ``threshold``; connected pieces with fewer than ``min_pixels`` pixels are dropped as noise;
    the rest are cut along a grid of ``superpixel_size``-pixel cells. Each connected part of
    a piece inside one cell is one superpixel: a small region of similar, bright pixels.
    """
    image = _check_image(image)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
        raise ValueError(f"threshold 应为 (0, 1) 内的亮度阈值，收到 {threshold!r}")
    if isinstance(superpixel_size, bool) or not isinstance(superpixel_size, int) or superpixel_size < 2:
        raise ValueError(f"superpixel_size（超像素边长，像素）应为不小于 2 的整数，收到 {superpixel_size!r}")
    # Smoothing joins and denoises; requiring the pixel itself to be bright keeps edges in place.
    mask = (smooth(image, smoothing) > threshold) & (image > threshold)
    pieces = connected_components(mask)
    counts = torch.bincount(pieces.flatten())
    mask &= counts[pieces] >= min_pixels
    h, w = mask.shape
    rows = torch.arange(h) // superpixel_size
    cols = torch.arange(w) // superpixel_size
    # Cutting the mask along cell borders, then labelling, splits every piece cell by cell.
    border = torch.zeros_like(mask)
    border[:, 1:] |= cols[1:] != cols[:-1]
    border[1:, :] |= (rows[1:] != rows[:-1])[:, None]
    labels = connected_components(mask & ~border)
    # Give border pixels to the superpixel of their cell that they touch (or their own piece).
    grown = -F.max_pool2d(-torch.where(labels > 0, labels.float(), torch.tensor(float(h * w + 1)))[None, None],
                          3, stride=1, padding=1)[0, 0]
    fill = mask & border & (grown <= h * w)
    labels[fill] = grown[fill].long()
    return labels


def region_stats(labels: Tensor, image: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(boxes K×4, pixel counts K, mean brightness K) of the regions 1..K of a label image."""
    boxes, counts = region_boxes(labels)
    k = len(boxes)
    flat = labels.flatten()
    fg = flat > 0
    sums = torch.zeros(k, dtype=torch.float64).index_add_(0, flat[fg] - 1, _check_image(image).flatten()[fg].double())
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

    Only touching regions merge. Of all touching pairs, the most similar merges first, with
    selective search's similarities (Uijlings et al.), brightness standing in for colour:
    ``s_size = 1 − (size_i + size_j) / image_area`` (small regions merge first, so groups grow
    evenly), ``s_fill = 1 − (area(box_i ∪ box_j) − size_i − size_j) / image_area`` (regions that
    fill their common box merge early) and ``s_bright = 1 − |brightness_i − brightness_j|``.
    The merged region touches whatever either part touched.
    """
    box = [tuple(b) for b in boxes.tolist()]
    size, bright = sizes.tolist(), brightness.tolist()
    neighbours = {i: set() for i in range(len(box))}
    for i, j in pairs:
        neighbours[i].add(j)
        neighbours[j].add(i)

    def similarity(i, j):
        u = (min(box[i][0], box[j][0]), min(box[i][1], box[j][1]), max(box[i][2], box[j][2]), max(box[i][3], box[j][3]))
        s = size[i] + size[j]
        fill = (u[2] - u[0]) * (u[3] - u[1]) - s
        return (1 - s / image_area) + (1 - fill / image_area) + (1 - abs(bright[i] - bright[j]))

    sims = {(i, j): similarity(i, j) for i, j in pairs}
    while sims:
        i, j = max(sims, key=sims.get)
        k = len(box)
        box.append((min(box[i][0], box[j][0]), min(box[i][1], box[j][1]),
                    max(box[i][2], box[j][2]), max(box[i][3], box[j][3])))
        size.append(size[i] + size[j])
        bright.append((bright[i] * size[i] + bright[j] * size[j]) / (size[i] + size[j]))
        neighbours[k] = (neighbours.pop(i) | neighbours.pop(j)) - {i, j}
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
    """The knobs of `selective_search`."""

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


def _window_shapes(sizes: tuple[int, ...], aspects: tuple[float, ...]) -> list[tuple[int, int]]:
    shapes = []
    for s in sizes:
        for a in aspects:  # a = width / height, same area as s × s
            shapes.append((max(4, round(s * a ** 0.5)), max(4, round(s / a ** 0.5))))
    return shapes


def objectness_windows(image: Tensor, top_k: int = 10, sizes: tuple[int, ...] = (24, 34, 48, 68, 96),
                       aspects: tuple[float, ...] = (0.5, 1.0, 2.0), stride_fraction: float = 0.25,
                       nms_threshold: float = 0.5) -> Tensor:
    """The ``top_k`` sliding windows with the highest centre–surround objectness, after NMS.

    Objectness of a window = mean brightness inside minus mean brightness of the ring of
    width one quarter of the window around it: high when a bright thing sits in the window
    and dark space around it, as for a well-framed object. Windows slide with a stride of
    ``stride_fraction`` of their size. Computed for all windows at once with an integral image.
    """
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
    for ww, hh in _window_shapes(sizes, aspects):
        if ww > w or hh > h:
            continue
        sx, sy = max(1, round(ww * stride_fraction)), max(1, round(hh * stride_fraction))
        xs, ys = torch.arange(0, w - ww + 1, sx), torch.arange(0, h - hh + 1, sy)
        y1, x1 = torch.meshgrid(ys, xs, indexing="ij")
        x1, y1 = x1.flatten(), y1.flatten()
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

"""Figures for notebook 08 (§8): IoU, precision–recall, detections, proposals, region crops."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from ._style import (_figure, _grid, _style, _finish, _as_images, _imshow,
                     _draw_box, BLUE, ORANGE, GREEN, RED, GREY)


def plot_iou(gt_box, boxes, ious, *, names=None, title: str = "交并比（IoU）：交集面积 / 并集面积"):
    """A ground truth box beside each predicted box, the intersection shaded, IoU and the ≥ 0.5 verdict as title."""
    names = names or [f"预测框 {i + 1}" for i in range(len(boxes))]
    fig, axes = _figure(1, len(boxes), figsize=(3.1 * len(boxes), 3.3), squeeze=False)
    all_boxes = np.array([gt_box, *boxes], dtype=float)
    lo, hi = all_boxes[:, :2].min(0) - 8, all_boxes[:, 2:].max(0) + 8
    for ax, box, value, name in zip(axes[0], boxes, ious, names):
        _draw_box(ax, gt_box, GREEN, text="真实框", linewidth=2)
        _draw_box(ax, box, BLUE, text=name, linewidth=2, linestyle="--")
        ix1, iy1 = max(gt_box[0], box[0]), max(gt_box[1], box[1])
        ix2, iy2 = min(gt_box[2], box[2]), min(gt_box[3], box[3])
        if ix2 > ix1 and iy2 > iy1:
            ax.add_patch(Rectangle((ix1 - 0.5, iy1 - 0.5), ix2 - ix1, iy2 - iy1, color=ORANGE, alpha=0.45, linewidth=0))
        ax.set(xlim=(lo[0], hi[0]), ylim=(hi[1], lo[1]), aspect="equal")  # image coordinates: y grows downwards
        verdict = "≥ 0.5：算作正确" if value >= 0.5 else "< 0.5：不算"
        ax.set_title(f"IoU = {value:.3f}（{verdict}）", fontsize=9.5)
    return _finish(fig, title, fontsize=10.5)


def plot_precision_recall(curves, *, title: str = "精度–召回率曲线"):
    """Precision against recall, raw (points) and interpolated (the envelope whose area is AP).
    ``curves``: {label: (precision, recall, ap)}, precision/recall after each ranked detection."""
    fig, ax = _figure(figsize=(5.6, 3.8))
    for (label, (precision, recall, ap)), color in zip(curves.items(), [BLUE, RED, GREEN, ORANGE, GREY]):
        p, r = _as_images([precision, recall])
        envelope = np.maximum.accumulate(p[::-1])[::-1]
        # The step curve: from recall r_{k-1} to r_k the interpolated precision is envelope_k.
        xs = np.concatenate([[0.0], np.repeat(r, 2)])[:-1]
        ys = np.repeat(envelope, 2)
        ax.plot(xs, ys, color=color, linewidth=1.8, label=f"{label}（AP = {ap:.3f}）")
        ax.fill_between(xs, ys, color=color, alpha=0.12)
        ax.plot(r, p, "o", color=color, markersize=5)
    _style(ax, loc="lower left", xlim=(0, 1.02), ylim=(0, 1.05), xlabel="召回率（recall）",
           ylabel="精度（precision）", title=title)
    return _finish(fig)


def show_detections(canvases, class_names, *, detections=None, correct=None, proposals=None, ncols: int = 3,
                    titles=None, suptitle: str = "", min_score: float = 0.0, size: float = 3.4,
                    show_truth: bool = True):
    """Canvases with ground truth (dashed green), optionally proposals (thin) and detections scoring ≥ ``min_score``
    (``detections[i]``: {"boxes", "scores", "labels"}): blue, or red where ``correct[i]`` (a bool each) is False."""
    fig, axes = _grid(len(canvases), ncols, (size, size), 0.4 if suptitle else 0, titles)
    for i, (c, ax) in enumerate(zip(canvases, axes)):
        _imshow(ax, c.image)
        if proposals is not None:
            for box in _as_images([proposals[i]])[0].reshape(-1, 4):
                _draw_box(ax, box, ORANGE, linewidth=0.6)
        if detections is not None:
            d = detections[i]
            ok = correct[i].tolist() if correct is not None else [True] * len(d["boxes"])
            for box, score, label, good in zip(d["boxes"].tolist(), d["scores"].tolist(), d["labels"].tolist(), ok):
                if score >= min_score:
                    _draw_box(ax, box, BLUE if good else RED, text=f"{class_names[label]} {score:.2f}", linewidth=1.6)
        if show_truth:  # drawn last, so a detection exactly on its object leaves the dashes visible
            for box, label in zip(_as_images([c.boxes])[0].reshape(-1, 4), c.labels.tolist()):
                _draw_box(ax, box, GREEN, linestyle="--", linewidth=1.3,
                          text="" if detections is not None else class_names[label])
                if detections is not None:  # the true class under the box, to read wrong labels against
                    ax.text(box[0] - 0.5, box[3] + 0.5, class_names[label], color=GREEN, fontsize=7, va="top")
    return _finish(fig, suptitle, fontsize=11)


def show_selective_search(image, superpixel_labels, proposals, *, title: str = ""):
    """Three panels: the canvas, its superpixels (random colours), and the proposals they group into."""
    labels = _as_images([superpixel_labels])[0].astype(int)
    n = max(1, labels.max())
    colors = np.vstack([[0.0, 0.0, 0.0, 1.0], np.c_[np.random.default_rng(0).uniform(0.25, 1.0, (n, 3)), np.ones(n)]])
    fig, axes = _figure(1, 3, figsize=(10.5, 3.8))
    _imshow(axes[0], image)
    axes[0].set_title("画布", fontsize=10)
    axes[1].imshow(labels, cmap=ListedColormap(colors), vmin=0, vmax=len(colors) - 1, interpolation="nearest")
    axes[1].set(xticks=[], yticks=[])
    axes[1].set_title(f"第 1 步：{labels.max()} 个超像素", fontsize=10)
    _imshow(axes[2], image)
    for box in _as_images([proposals])[0].reshape(-1, 4):
        _draw_box(axes[2], box, ORANGE, linewidth=0.7)
    axes[2].set_title(f"第 2 步：分层合并得到 {len(proposals)} 个候选区域", fontsize=10)
    return _finish(fig, title, fontsize=11)


def show_region_crops(crops, titles, *, ncols: int = 8, suptitle: str = "", size: float = 1.25):
    """Normalised region crops (K×1×S×S, as fed to the classifier) shown back in [0, 1]."""
    from ...data import FASHION_MNIST_MEAN, FASHION_MNIST_STD

    # Extra height per row for the titles, so that they never run into the row above.
    fig, axes = _grid(len(crops), ncols, (size, size + 0.35), 0.4 if suptitle else 0, titles, fontsize=8.5)
    for c, ax in zip(crops, axes):
        _imshow(ax, c * FASHION_MNIST_STD[0] + FASHION_MNIST_MEAN[0])
    return _finish(fig, suptitle, fontsize=11)

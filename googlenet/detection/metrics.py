"""How §8 scores a detector: the Jaccard index (IoU), the ≥ 50 % rule, AP and mAP, and NMS.

Boxes are ``(x1, y1, x2, y2)`` in continuous pixel coordinates, as in torchvision: pixel (row i, column j)
covers ``[j, j+1) × [i, i+1)``, so area = ``(x2 - x1) * (y2 - y1)``. `iou` and `greedy_nms` spell out the
definitions; the pipeline uses torchvision's `box_iou` and `nms` (tests check each pair agrees). Matching
and AP are written here because benchmarks differ: a detection is a true positive when its IoU with the best
still-unmatched object of its class is ≥ the threshold (ILSVRC's and COCO's rule); AP is "all-point"
(PASCAL VOC 2010 on), or VOC 2007's 11 points on request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torchvision
from torch import Tensor

from .. import paper

INTERPOLATIONS = ("all-point", "11-point")


# --- Boxes and the Jaccard index ---------------------------------------------------------------
def as_boxes(boxes, name: str = "boxes") -> Tensor:
    """``boxes`` as a float tensor N×4 of valid ``(x1, y1, x2, y2)`` boxes, or a Chinese ValueError."""
    if isinstance(boxes, Tensor):
        t = boxes
    else:
        try:
            t = torch.as_tensor(boxes, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} 应为 N×4 的张量或嵌套列表 (x1, y1, x2, y2)，"
                            f"收到 {type(boxes).__name__}：{err}") from err
    if t.numel() == 0:
        return t.reshape(0, 4).float()
    if t.dim() != 2 or t.shape[1] != 4:
        raise ValueError(f"{name} 应为 N×4 的张量（每行 x1, y1, x2, y2），收到形状 {tuple(t.shape)}")
    t = t.float()
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} 含有 NaN 或无穷大：{t[~torch.isfinite(t).all(1)][:3].tolist()}")
    bad = (t[:, 2] < t[:, 0]) | (t[:, 3] < t[:, 1])
    if bad.any():
        raise ValueError(f"{name} 中有 {int(bad.sum())} 个框的右下角在左上角之前（应有 x2 ≥ x1、y2 ≥ y1），"
                         f"例如 {t[bad][0].tolist()}")
    return t


def iou(box_a: Sequence[float], box_b: Sequence[float]) -> float:
    """Jaccard index |A ∩ B| / |A ∪ B| of two boxes: the definition, for one pair."""
    a, b = as_boxes([list(box_a)], "box_a")[0].tolist(), as_boxes([list(box_b)], "box_b")[0].tolist()
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box_iou(boxes_a, boxes_b) -> Tensor:
    """IoU of every box in ``boxes_a`` (N×4) with every box in ``boxes_b`` (M×4): an N×M tensor."""
    a, b = as_boxes(boxes_a, "boxes_a"), as_boxes(boxes_b, "boxes_b")
    if len(a) == 0 or len(b) == 0:
        return torch.zeros(len(a), len(b))
    return torchvision.ops.box_iou(a, b).nan_to_num(0.0)  # two empty boxes: 0/0 → 0


def ilsvrc_iou_threshold(gt_boxes, base: float = paper.DETECTION_IOU_THRESHOLD) -> Tensor:
    """ILSVRC's per-object threshold ``min(0.5, wh / ((w + 10)(h + 10)))``: about 5 pixels of slack
    on each side for tiny objects, simply 0.5 from about 25 × 25 pixels up."""
    g = as_boxes(gt_boxes, "gt_boxes")
    w, h = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
    return torch.clamp(w * h / ((w + 10) * (h + 10)), max=base)


# --- Matching detections to ground truth, precision / recall, AP, mAP --------------------------
def _check_threshold(value, name: str = "iou_threshold") -> None:
    for v in value.flatten().tolist() if isinstance(value, Tensor) else [value]:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} 应为 0 到 1 之间的数，收到 {v!r}")


def _as_scores(scores, n: int, name: str = "scores") -> Tensor:
    s = torch.as_tensor(scores, dtype=torch.float32).flatten()
    if len(s) != n:
        raise ValueError(f"{name} 的长度应与框的个数 {n} 相同，收到 {len(s)}")
    if not torch.isfinite(s).all():
        raise ValueError(f"{name} 含有 NaN 或无穷大")
    return s


def score_order(scores: Tensor) -> Tensor:
    """Indices that sort ``scores`` from high to low; ties keep their given order (stable sort)."""
    return torch.sort(scores, descending=True, stable=True).indices


class Matching(NamedTuple):
    """`match_detections`' answer, in the order of the detections as given."""
    is_tp: Tensor  # bool N: true positive?
    gt_index: Tensor  # long N: the matched ground truth box, −1 for a false positive
    best_iou: Tensor  # float N: the detection's best IoU with any ground truth box of the image


def match_detections(boxes, scores, gt_boxes,
                     iou_threshold: float | Tensor = paper.DETECTION_IOU_THRESHOLD) -> Matching:
    """Mark each detection (of one class, in one image) true or false positive: §8's ≥ 50 % rule.
    From the highest score down, each takes the still-unmatched ground truth box it overlaps most; at
    IoU ≥ the threshold (per box if a tensor, e.g. `ilsvrc_iou_threshold`) it is a true positive and uses
    the box up, so a second detection of an object is false ("extraneous detections ... are penalized")."""
    b, g = as_boxes(boxes, "boxes"), as_boxes(gt_boxes, "gt_boxes")
    s = _as_scores(scores, len(b))
    _check_threshold(iou_threshold)
    thr = torch.as_tensor(iou_threshold, dtype=torch.float32)
    if thr.dim() > 0 and thr.shape != (len(g),):
        raise ValueError(f"逐框的 iou_threshold 应有 {len(g)} 个（每个真实框一个），收到形状 {tuple(thr.shape)}")
    thr = thr.expand(len(g))
    overlaps = box_iou(b, g)  # N×M
    is_tp = torch.zeros(len(b), dtype=torch.bool)
    gt_index = torch.full((len(b),), -1, dtype=torch.long)
    best_iou = overlaps.max(1).values if len(g) else torch.zeros(len(b))
    taken = torch.zeros(len(g), dtype=torch.bool)
    for i in score_order(s).tolist() if len(g) else []:
        candidates = overlaps[i].masked_fill(taken, -1.0)
        j = int(candidates.argmax())
        if candidates[j] >= thr[j]:
            is_tp[i], gt_index[i], taken[j] = True, j, True
    return Matching(is_tp, gt_index, best_iou)


def precision_recall(is_tp, num_gt: int) -> tuple[Tensor, Tensor]:
    """Precision TP_k / k and recall TP_k / num_gt after each of the first k detections (sorted by score)."""
    tp = torch.as_tensor(is_tp, dtype=torch.bool).flatten()
    if isinstance(num_gt, bool) or not isinstance(num_gt, int) or num_gt < 1:
        raise ValueError(f"num_gt（真实目标的个数）应为正整数，收到 {num_gt!r}：没有真实目标时召回率无定义")
    cum_tp = torch.cumsum(tp.double(), 0)
    if len(tp) and cum_tp[-1] > num_gt:
        raise ValueError(f"真阳性个数 {int(cum_tp[-1])} 超过了真实目标的个数 num_gt={num_gt}")
    return cum_tp / torch.arange(1, len(tp) + 1, dtype=torch.float64), cum_tp / num_gt


def average_precision(scores, is_tp, num_gt: int, interpolation: str = "all-point") -> float:
    """AP of one class (every detection over the test set, any order): area under the precision–recall curve.
    ``"all-point"`` makes precision non-increasing (best precision at any higher recall), then sums precision ×
    recall step; ``"11-point"`` averages that at recall 0, 0.1, …, 1. Undetected objects add zero: AP ≤ recall."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation 应为 {' 或 '.join(map(repr, INTERPOLATIONS))}，收到 {interpolation!r}")
    tp = torch.as_tensor(is_tp, dtype=torch.bool).flatten()
    s = _as_scores(scores, len(tp))
    precision, recall = precision_recall(tp[score_order(s)], num_gt)
    if len(tp) == 0:
        return 0.0
    if interpolation == "11-point":
        levels = torch.linspace(0, 1, 11, dtype=torch.float64)
        best = [precision[recall >= r - 1e-12].max() if (recall >= r - 1e-12).any() else torch.tensor(0.0)
                for r in levels]
        return float(torch.stack(best).mean())
    envelope = torch.flip(torch.cummax(torch.flip(precision, [0]), 0).values, [0])  # max precision at ≥ recall
    steps = torch.diff(recall, prepend=recall.new_zeros(1))
    return float((steps * envelope).sum())


def _image_arrays(det, gt, i: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """(boxes, scores, labels) of image i's detections and (boxes, labels) of its ground truth, checked."""
    for d, keys, what in ((det, ("boxes", "scores", "labels"), "检测结果"), (gt, ("boxes", "labels"), "真实标注")):
        if not isinstance(d, dict) or any(k not in d for k in keys):
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ValueError(f"第 {i} 张图的{what}应为含键 {keys} 的字典，收到 {got}")
    d_boxes, g_boxes = as_boxes(det["boxes"], "boxes"), as_boxes(gt["boxes"], "gt boxes")
    d_labels = torch.as_tensor(det["labels"]).long().flatten()
    g_labels = torch.as_tensor(gt["labels"]).long().flatten()
    return d_boxes, _as_scores(det["scores"], len(d_boxes)), d_labels, g_boxes, g_labels


def image_true_positives(detection: dict, ground_truth: dict,
                         iou_threshold: float = paper.DETECTION_IOU_THRESHOLD) -> Tensor:
    """For one image in torchvision's format: which detections are true positives (per-class matching)."""
    d_boxes, d_scores, d_labels, g_boxes, g_labels = _image_arrays(detection, ground_truth, 0)
    is_tp = torch.zeros(len(d_boxes), dtype=torch.bool)
    for c in set(d_labels.tolist()):
        dm, gm = d_labels == c, g_labels == c
        is_tp[dm] = match_detections(d_boxes[dm], d_scores[dm], g_boxes[gm], iou_threshold).is_tp
    return is_tp


@dataclass
class DetectionEvaluation:
    """mAP and what it is made of, per class (`evaluate_detections`' answer)."""
    ap: list[float]  # per class; NaN for a class with no ground truth object (left out of mAP)
    num_gt: list[int]
    num_detections: list[int]
    num_tp: list[int]
    iou_threshold: float | str
    curves: dict[int, tuple[Tensor, Tensor]] = field(default_factory=dict, repr=False)  # class → (P, R)

    @property
    def mean_ap(self) -> float:
        """Mean of AP over the classes that have ground truth objects."""
        values = [a for a, n in zip(self.ap, self.num_gt) if n > 0]
        if not values:
            raise ValueError("没有任何真实目标，mAP 无定义")
        return sum(values) / len(values)

    @property
    def recall(self) -> float:
        """Fraction of all ground truth objects found by some detection (any score)."""
        return sum(self.num_tp) / max(1, sum(self.num_gt))


def evaluate_detections(detections: Sequence[dict], ground_truths: Sequence[dict], num_classes: int,
                        iou_threshold: float | str = paper.DETECTION_IOU_THRESHOLD,
                        interpolation: str = "all-point") -> DetectionEvaluation:
    """Per-class AP and mAP over a test set: ``detections[i]`` = ``{"boxes": N×4, "scores": N, "labels": N}``,
    ``ground_truths[i]`` = ``{"boxes": M×4, "labels": M}`` (torchvision's format). Matching is per image and
    class (`match_detections`); ``iou_threshold="ilsvrc"`` uses `ilsvrc_iou_threshold`."""
    if len(detections) != len(ground_truths):
        raise ValueError(f"detections 与 ground_truths 的图像数应相同，收到 {len(detections)} 和 {len(ground_truths)}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes 应为正整数，收到 {num_classes!r}")
    if iou_threshold != "ilsvrc":
        _check_threshold(iou_threshold)
    scores = [[torch.zeros(0)] for _ in range(num_classes)]  # per class, one tensor per image
    tps = [[torch.zeros(0, dtype=torch.bool)] for _ in range(num_classes)]
    num_gt = [0] * num_classes
    for i, (det, gt) in enumerate(zip(detections, ground_truths)):
        d_boxes, d_scores, d_labels, g_boxes, g_labels = _image_arrays(det, gt, i)
        if len(d_labels) != len(d_boxes) or len(g_labels) != len(g_boxes):
            raise ValueError(f"第 {i} 张图的 labels 与 boxes 个数不同")
        for labels in (d_labels, g_labels):
            if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
                raise ValueError(f"第 {i} 张图的类别编号应在 0 到 {num_classes - 1} 之间，收到 {labels.tolist()}")
        for c in set(d_labels.tolist()) | set(g_labels.tolist()):
            dm, gm = d_labels == c, g_labels == c
            thr = ilsvrc_iou_threshold(g_boxes[gm]) if iou_threshold == "ilsvrc" else iou_threshold
            scores[c].append(d_scores[dm])
            tps[c].append(match_detections(d_boxes[dm], d_scores[dm], g_boxes[gm], thr).is_tp)
            num_gt[c] += int(gm.sum())
    ap, num_det, num_tp, curves = [], [], [], {}
    for c in range(num_classes):
        s, tp = torch.cat(scores[c]), torch.cat(tps[c])
        num_det.append(len(s))
        num_tp.append(int(tp.sum()))
        ap.append(average_precision(s, tp, num_gt[c], interpolation) if num_gt[c] else float("nan"))
        if num_gt[c]:
            curves[c] = precision_recall(tp[score_order(s)], num_gt[c])
    return DetectionEvaluation(ap, num_gt, num_det, num_tp, iou_threshold, curves)


# --- Non-maximum suppression and proposal coverage ---------------------------------------------
def greedy_nms(boxes, scores, iou_threshold: float = 0.5) -> Tensor:
    """Non-maximum suppression as the textbook loop (indices kept, by decreasing score): keep the
    best box, drop the rest that overlap it by IoU > the threshold, repeat. `nms` is the fast one."""
    b = as_boxes(boxes)
    s = _as_scores(scores, len(b))
    _check_threshold(iou_threshold)
    remaining, keep = score_order(s).tolist(), []
    while remaining:
        best = remaining.pop(0)
        keep.append(best)
        if remaining:
            overlaps = box_iou(b[best:best + 1], b[remaining])[0]
            remaining = [r for r, o in zip(remaining, overlaps.tolist()) if o <= iou_threshold]
    return torch.tensor(keep, dtype=torch.long)


def nms(boxes, scores, labels=None, iou_threshold: float = 0.5) -> Tensor:
    """Indices kept by per-class NMS (``torchvision.ops.batched_nms``), by decreasing score: boxes of
    different ``labels`` never suppress each other; without labels all are one class."""
    b = as_boxes(boxes)
    s = _as_scores(scores, len(b))
    _check_threshold(iou_threshold)
    lab = torch.zeros(len(b), dtype=torch.long) if labels is None else torch.as_tensor(labels).long().flatten()
    if len(lab) != len(b):
        raise ValueError(f"labels 的长度应与框的个数 {len(b)} 相同，收到 {len(lab)}")
    if len(b) == 0:
        return torch.zeros(0, dtype=torch.long)
    return torchvision.ops.batched_nms(b, s, lab, float(iou_threshold))


def proposal_coverage(proposals: Sequence, gt_boxes: Sequence,
                      iou_threshold: float = paper.DETECTION_IOU_THRESHOLD) -> float:
    """§8's "coverage": fraction of ground truth boxes (``gt_boxes[i]``: image i's) that some proposal of
    their image overlaps with IoU ≥ threshold; it bounds the recall of any region classifier."""
    return float(best_overlaps(proposals, gt_boxes).ge(iou_threshold).float().mean())


def best_overlaps(proposals: Sequence, gt_boxes: Sequence) -> Tensor:
    """For every ground truth box (all images, in order) its best IoU with a proposal of its image."""
    if len(proposals) != len(gt_boxes):
        raise ValueError(f"proposals 与 gt_boxes 的图像数应相同，收到 {len(proposals)} 和 {len(gt_boxes)}")
    best = [box_iou(g, p).max(1).values if len(as_boxes(p)) else torch.zeros(len(as_boxes(g)))
            for p, g in zip(proposals, gt_boxes)]
    best = torch.cat(best) if best else torch.zeros(0)
    if len(best) == 0:
        raise ValueError("没有任何真实框，覆盖率无定义")
    return best

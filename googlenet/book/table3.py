"""Our Table 3 from one run: keep every classifier's softmax on all 144 views (`crop_probabilities`), then score
any of §7's choices without running a model again: fewer crops (`nested_indices`), fewer models or heads, mean or
max (`combined_probs`, `score`). `table3` builds the paper's rows, `table3_text` prints them beside the paper's;
`compare_crops` runs `multicrop.evaluate` per scheme, for images whose 1- and 10-crop views are not among the 144."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .. import paper
from ..crops import N_CROPS, crop_layout
from ..multicrop import HEADS, combine, evaluate, topk_error, view_probabilities
from ..tables import format_table


def crop_probabilities(models, dataset, n_crops: int = 144, crop_size: int = paper.TESTING.crop_size, *,
                       chunk_size: int = 256, heads: str = "main", preprocess=None, limit: int | None = None,
                       dedupe: bool = True, compile: bool = False) -> tuple[Tensor, Tensor]:
    """Every classifier's softmax on every view, kept: ``(probs, labels)``, ``probs`` of shape ``(models, heads,
    images, n_crops, classes)`` (heads 1, or 3 with ``heads="all"``). Memory grows with the dataset, unlike
    `evaluate`. Arguments as for `multicrop.evaluate`."""
    parts, labels = [], []
    for probs, ys in view_probabilities(models, dataset, n_crops, crop_size, chunk_size=chunk_size, heads=heads,
                                        preprocess=preprocess, limit=limit, dedupe=dedupe, compile=compile):
        parts.append(probs.unflatten(0, (-1, 3 if heads == "all" else 1)))  # classifiers → (models, heads)
        labels.append(ys)
    return torch.cat(parts, 2), torch.cat(labels)


def nested_indices(n_crops: int, height: int, width: int,
                   crop_size: int = paper.TESTING.crop_size) -> list[int]:
    """Positions among the 144 views of the ``n_crops`` scheme's views, so that one 144-crop run also scores 10 crops
    (always among them) and 1 (on square images; elsewhere rounding can move it a pixel, and this raises)."""
    where = {k.place: k.index for k in crop_layout(height, width, 144, crop_size) if k.square == "centre"}
    out = []
    for k in crop_layout(height, width, n_crops, crop_size):
        if k.place not in where:
            raise ValueError(f"{height}×{width} 的图像上，{n_crops} 个裁剪方案的第 {k.index} 个视图"
                             f"（{k.label()}）不在 144 个视图之中（取整差了一个像素）；请直接用 evaluate 计算")
        out.append(where[k.place])
    return out


def combined_probs(probs: Tensor, *, models: Sequence[int] | None = None,
                   crops: Sequence[int] | None = None, heads: str = "main",
                   reduce: str = "mean") -> Tensor:
    """§7's combination (`multicrop.combine`) over a selection of kept probabilities: ``(images, classes)``.
    ``models``/``crops`` are indices (default all); ``heads="all"`` uses every head."""
    if heads not in HEADS:
        raise ValueError(f"heads 应为 {' 或 '.join(map(repr, HEADS))}，收到 {heads!r}")
    if not isinstance(probs, Tensor) or probs.dim() != 5:
        raise ValueError(f"probs 应为 crop_probabilities 返回的 (模型, 分类器, 图像, 裁剪, 类别) 5 维张量，"
                         f"收到形状 {tuple(getattr(probs, 'shape', ()))}")
    if heads == "all" and probs.shape[1] != 3:
        raise ValueError(f"heads='all' 需要用 heads='all' 得到的概率（每个模型 3 个分类器），收到 {probs.shape[1]} 个")
    m = _indices("models", models, probs.shape[0], "模型")
    c = _indices("crops", crops, probs.shape[3], "裁剪")
    sel = probs[m][:, : (1 if heads == "main" else 3)][:, :, :, c]
    return combine(sel.flatten(0, 1), reduce)  # (classifiers, images, crops, classes)


def _indices(name: str, chosen, n: int, what: str) -> list[int]:
    """``chosen`` (None: all ``n``) as indices into ``range(n)``; empty would average over nothing."""
    if chosen is None:
        return list(range(n))
    try:
        chosen = [operator.index(i) for i in chosen]
    except TypeError:
        raise TypeError(f"{name} 应为整数下标的序列（例如 [0] 或 range(3)），收到 {chosen!r:.60}") from None
    if not chosen:
        raise ValueError(f"{name} 不能为空：至少选一个{what}（下标 0 到 {n - 1}），收到 []")
    for i in chosen:
        if not -n <= i < n:  # negative indices count from the end, as in Python
            raise ValueError(f"{name} 中的下标 {i} 超出范围：probs 有 {n} 个{what}，下标应在 0 到 {n - 1} 之间")
    return chosen


@dataclass(frozen=True)
class Score:
    """One way of combining kept crop probabilities, and its errors (fractions)."""
    models: int
    crops: int
    heads: str
    reduce: str
    top1_error: float
    top5_error: float

    @property
    def cost(self) -> int:
        return self.models * self.crops


def score(probs: Tensor, labels: Tensor, *, models: Sequence[int] | None = None,
          crops: Sequence[int] | None = None, heads: str = "main", reduce: str = "mean") -> Score:
    """Top-1/top-5 error of `combined_probs` (same arguments) against ``labels``."""
    combined = combined_probs(probs, models=models, crops=crops, heads=heads, reduce=reduce)
    n_models = probs.shape[0] if models is None else len(models)
    n_crops = probs.shape[3] if crops is None else len(crops)
    k5 = min(5, combined.shape[1])
    return Score(n_models, n_crops, heads, reduce, topk_error(combined, labels, 1),
                 topk_error(combined, labels, k5))


def table3(probs: Tensor, labels: Tensor, height: int, width: int,
           crop_size: int = paper.TESTING.crop_size, *,
           model_counts: Sequence[int] | None = None) -> list[Score]:
    """Our Table 3 from one 144-crop run: rows (models, crops) for ``model_counts`` (default: 1 and all) × 1, 10,
    144 crops, the paper's order. The single model is model 0."""
    if probs.dim() != 5 or probs.shape[3] != 144:
        raise ValueError(f"probs 应为 144 个裁剪的 crop_probabilities 结果，收到形状 {tuple(probs.shape)}")
    counts = sorted({1, probs.shape[0]}) if model_counts is None else list(model_counts)
    for n in counts:
        if not isinstance(n, int) or not 1 <= n <= probs.shape[0]:
            raise ValueError(f"model_counts 中的模型数应在 1 到 {probs.shape[0]} 之间，收到 {n!r}")
    return [score(probs, labels, models=range(n), crops=nested_indices(c, height, width, crop_size))
            for n in counts for c in N_CROPS]


def table3_text(rows: Sequence[Score], paper_rows=paper.TABLE3) -> str:
    """Our rows beside the paper's Table 3, matched by position (1 model / the ensemble × crops).
    "相对基线" is each row's error minus the first row's, in percentage points: top-1 for ours (with 10 classes
    top-5 error is close to 0 and says little), top-5 for the paper's."""
    header = ["模型数", "裁剪数", "代价", "top-1 错误率", "top-5 错误率", "相对基线",
              "│", "论文：模型数", "代价", "top-5 错误率", "相对基线"]
    table = []
    base = rows[0] if rows else None
    for i, row in enumerate(rows):
        delta = "基线" if i == 0 else f"{100 * (row.top1_error - base.top1_error):+.2f}%"
        cells = [row.models, row.crops, row.cost, f"{100 * row.top1_error:.2f}%",
                 f"{100 * row.top5_error:.2f}%", delta, "│"]
        p = paper_rows[i] if i < len(paper_rows) else None
        cells += ["", "", "", ""] if p is None else [
            p.models, p.cost, f"{p.top5_error:.2f}%", "基线" if p.vs_base is None else f"{p.vs_base:+.2f}%"]
        table.append(cells)
    return format_table(header, table)


def compare_crops(models, dataset, crop_size: int = paper.TESTING.crop_size, **kwargs) -> list[Score]:
    """`evaluate` with 1, 10 and 144 crops, one run each: Table 3's rows for images of any size (where the 1- and
    10-crop views need not be among the 144). ``kwargs`` go to `evaluate`."""
    rows = []
    for n in N_CROPS:
        r = evaluate(models, dataset, n, crop_size, **kwargs)
        rows.append(Score(r.n_models, n, r.heads, r.reduce, r.top1_error, r.top5_error))
    return rows

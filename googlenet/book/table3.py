"""Our Table 3: scoring kept crop probabilities the way §7's table does (book code).

`googlenet.multicrop.crop_probabilities` runs the models once on all 144 views and keeps every
softmax; here `score` combines a selection of them (`multicrop.combined_probs`) into top-1/top-5
errors, `table3` builds the paper's rows (1 model / the ensemble × 1, 10, 144 crops) from one
such run, `table3_text` prints them beside the paper's, and `compare_crops` runs
`multicrop.evaluate` once per scheme for images whose 1- and 10-crop views are not among the 144.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from .. import paper
from ..multicrop import N_CROPS, combined_probs, evaluate, nested_indices, topk_error
from ..tables import format_table


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
    """Our Table 3 from one 144-crop run: rows (models, crops) for ``model_counts`` (default: 1 and
    all) × 1, 10, 144 crops, the paper's order. The single model is model 0."""
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

    "相对基线" is each row's error minus the first row's, in percentage points: top-1 for ours
    (with 10 classes top-5 error is close to 0 and says little), top-5 for the paper's.
    """
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
    """`evaluate` with 1, 10 and 144 crops, one run each: Table 3's rows for images of any size
    (where the 1- and 10-crop views need not be among the 144). ``kwargs`` go to `evaluate`."""
    rows = []
    for n in N_CROPS:
        r = evaluate(models, dataset, n, crop_size, **kwargs)
        rows.append(Score(r.n_models, n, r.heads, r.reduce, r.top1_error, r.top5_error))
    return rows

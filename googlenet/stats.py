"""Statistics for the book's own findings: paired comparisons on the same images.

A difference of two error rates on a few hundred test images is noisy. Two ways of predicting the
*same* images (one crop vs 144, one model vs an ensemble) differ only on the images whose verdict
changed, so the honest test counts those (`paired_changes`) and asks how lopsided the split is
(`mcnemar_p`, exact, so no scipy).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def paired_changes(before: Tensor, after: Tensor, labels: Tensor) -> tuple[int, int]:
    """(fixed, broken): images whose top-1 prediction went from wrong to right, and right to
    wrong, between two ways of predicting the same images. On a small test set the difference
    of two error rates is noisy; these counts say how many images it rests on."""
    if before.shape != after.shape or before.dim() != 2:
        raise ValueError(f"before 与 after 应为形状相同的 (图像, 类别) 张量，收到 {tuple(before.shape)} 和 {tuple(after.shape)}")
    labels = torch.as_tensor(labels)
    right_before, right_after = before.argmax(1) == labels, after.argmax(1) == labels
    return int((~right_before & right_after).sum()), int((right_before & ~right_after).sum())


def mcnemar_p(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value for two ways of predicting the same images.

    Only the images whose verdict changed carry information: if neither way were better,
    each of the ``fixed + broken`` changes would go either way with probability 1/2. The
    p-value is the binomial probability of a split at least as lopsided as the one seen;
    above 0.05 the difference of the two error rates is within what chance alone produces."""
    for name, value in (("fixed", fixed), ("broken", broken)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} 应为非负整数（图像数），收到 {value!r}")
    n = fixed + broken
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(fixed, broken) + 1)) / 2 ** n
    return min(1.0, 2 * tail)

"""Paired tests for the book's own findings, written without scipy.

Two ways of predicting the *same* images (1 crop vs 144, one model vs an ensemble) differ only on the images whose
verdict changed: `paired_changes` counts them, `mcnemar_p` asks how lopsided the split is. Two training recipes run
once per seed (the same seed gives both the same initialisation and data order) are compared per seed: `summary`,
`paired_t_test` (its t distribution via the regularised incomplete beta function) and the exact `sign_flip_p`."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor


def paired_changes(before: Tensor, after: Tensor, labels: Tensor) -> tuple[int, int]:
    """(fixed, broken): images whose top-1 prediction went wrong → right and right → wrong between two ways of
    predicting the same images: how many images a difference of errors rests on."""
    if before.shape != after.shape or before.dim() != 2:
        raise ValueError(f"before 与 after 应为形状相同的 (图像, 类别) 张量，收到 {tuple(before.shape)} 和 {tuple(after.shape)}")
    labels = torch.as_tensor(labels)
    right_before, right_after = before.argmax(1) == labels, after.argmax(1) == labels
    return int((~right_before & right_after).sum()), int((right_before & ~right_after).sum())


def mcnemar_p(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value: if neither way were better, each of the ``fixed + broken`` changes would go
    either way with probability 1/2; p is the binomial probability of a split at least as lopsided as the one seen."""
    for name, value in (("fixed", fixed), ("broken", broken)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} 应为非负整数（图像数），收到 {value!r}")
    n = fixed + broken
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(fixed, broken) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


# --------------------------------------------------------------------------- per-seed comparisons
class PairedTest(NamedTuple):
    """Student's paired t-test of ``a - b``: t = mean / (sd / √n), n − 1 degrees of freedom, two-sided p."""
    n: int
    mean_diff: float
    sd_diff: float
    t: float
    p: float


def _numbers(name: str, values, minimum: int = 2) -> list[float]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} 应为一列数，收到 {values!r}")
    values = list(values.tolist() if isinstance(values, Tensor) else values)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{name} 的第 {i} 个元素应为数，收到 {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"{name} 的第 {i} 个元素应为有限数，收到 {v!r}")
    if len(values) < minimum:
        raise ValueError(f"{name} 至少要有 {minimum} 个数（样本标准差需要 n ≥ 2），收到 {len(values)} 个：{values!r}")
    return [float(v) for v in values]


def summary(values: Sequence[float]) -> tuple[float, float]:
    """(mean, sample sd): the sd divides by n − 1, as the mean comes from the same few runs."""
    xs = _numbers("values", values)
    mean = math.fsum(xs) / len(xs)
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            return h
    raise ArithmeticError(f"不完全贝塔函数的连分式没有收敛（a={a}, b={b}, x={x}）")  # pragma: no cover


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the CDF of a Beta(a, b) variable. The continued fraction converges fast for x < (a + 1)/(a + b + 2);
    above, I_x(a, b) = 1 − I_{1−x}(b, a) (Numerical Recipes §6.4)."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x 应在 [0, 1] 之间，收到 {x!r}")
    if x in (0.0, 1.0):
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for Student's t with ``df`` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2)."""
    if isinstance(t, bool) or not isinstance(t, (int, float)) or math.isnan(t):
        raise TypeError(f"t 应为数，收到 {t!r}")
    if isinstance(df, bool) or not isinstance(df, (int, float)) or not (df > 0 and math.isfinite(df)):
        raise ValueError(f"df（自由度）应为有限正数，收到 {df!r}")
    if math.isinf(t):
        return 0.0
    return min(1.0, regularized_beta(df / (df + t * t), df / 2, 0.5))


def paired_t_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Student's paired t-test of ``a[i] - b[i]`` (e.g. accuracy with − without aux heads, per seed).
    Pairing removes what the two arms share (the seed) from the noise. Equal differences give sd = 0:
    t = ±inf and p = 0 if they are non-zero, t = 0 and p = 1 if they are all zero."""
    xs, ys = _numbers("a", a), _numbers("b", b)
    if len(xs) != len(ys):
        raise ValueError(f"a 与 b 应一样长（每个种子一对），收到 {len(xs)} 个和 {len(ys)} 个")
    n = len(xs)
    mean, sd = summary([x - y for x, y in zip(xs, ys)])
    if sd == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    else:
        t = mean / (sd / math.sqrt(n))
    return PairedTest(n, mean, sd, t, 1.0 if t == 0.0 else t_two_sided_p(t, n - 1))


MAX_SIGN_FLIP_N = 20  # 2^20 ≈ a million sign patterns: a second or two


def sign_flip_p(diffs: Sequence[float]) -> float:
    """Exact two-sided sign-flip (permutation) test of paired differences: of all 2^n sign patterns, the fraction
    whose |sum| is at least the observed one. It assumes only that each difference could as well have had the
    other sign, but is coarse: p ≥ 2/2^n (0.0625 for n = 5)."""
    xs = _numbers("diffs", diffs, minimum=1)
    if len(xs) > MAX_SIGN_FLIP_N:
        raise ValueError(f"diffs 最多 {MAX_SIGN_FLIP_N} 个（要枚举 2^n 种符号），收到 {len(xs)} 个")
    observed = abs(math.fsum(xs))
    tol = 1e-12 * max(1.0, math.fsum(abs(x) for x in xs))  # patterns equal to the observed up to rounding count
    hits = sum(abs(math.fsum(s * x for s, x in zip(signs, xs))) >= observed - tol
               for signs in itertools.product((1.0, -1.0), repeat=len(xs)))
    return hits / 2 ** len(xs)

"""Figures for notebook 03 (§3): the cost of widening layers, dense vs sparse matrix timings."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter

from ._style import _figure, _style, _finish, BLUE, ORANGE, GREEN, RED, GREY


def plot_widening(costs):
    """Multiply-adds of two chained convolutions as they widen, relative to the first (`sparse.ChainCost` items)."""
    base = costs[0]
    k = np.array([c.width / base.width for c in costs])
    fig, ax = _figure(figsize=(6.4, 4.2))
    # the references first and wide, so that the measured curves lying on them stay visible
    ax.plot(k, k, "-", color=GREY, lw=6, alpha=0.3, label="k 倍（线性）")
    ax.plot(k, k**2, "-", color=ORANGE, lw=6, alpha=0.3, label="k² 倍（二次）")
    ax.plot(k, [c.first / base.first for c in costs], "o-", color=BLUE, label="第一层（输入通道数不变）")
    ax.plot(k, [c.second / base.second for c in costs], "s-", color=RED, label="第二层（两侧通道同时加宽）")
    ax.plot(k, [c.total / base.total for c in costs], "^-", color=GREEN, label="两层合计")
    _style(ax, xlabel="宽度倍数 k（两层的滤波器数同时乘以 k）", ylabel="乘加次数，相对于 k = 1",
           title="均匀加宽两个相连的卷积层：代价按二次方增长")
    return _finish(fig)


def _label_2_and_5(value: float, _pos=None) -> str:
    """Minor-tick labels on a log axis: only 2·10ⁿ and 5·10ⁿ, so that they do not crowd."""
    if value <= 0:
        return ""
    leading = round(value / 10 ** np.floor(np.log10(value)))
    return f"{value:g}" if leading in (2, 5) else ""


def plot_sparse_timings(timings, paper_reduction: float = 100):
    """Left: time of the product against density; right: sparse speed-up against the reduction in multiply-adds,
    with §3's "100× fewer operations" marked."""
    d = np.array([t.density for t in timings])
    r = np.array([t.op_reduction for t in timings])
    fig, (ax1, ax2) = _figure(1, 2, figsize=(12, 4.4))
    ax1.loglog(d, [t.dense_s * 1e3 for t in timings], "o-", color=BLUE, label="稠密（dense）")
    for fmt, style, colour in (("csr", "s-", RED), ("coo", "^-", ORANGE)):
        ax1.loglog(d, [getattr(t, f"{fmt}_s") * 1e3 for t in timings], style, color=colour,
                   label=f"稀疏 {fmt.upper()}")
        ax2.loglog(r, [getattr(t, f"{fmt}_speedup") for t in timings], style, color=colour,
                   label=f"稀疏 {fmt.upper()} 相对稠密的加速比")
    ax2.loglog(r, r, ":", color=GREY, label="理想：运算少几倍就快几倍")
    ax2.axhline(1, color="black", lw=1)
    ax2.axvline(paper_reduction, color=GREEN, ls="--", lw=1.2)
    ax2.text(paper_reduction, ax2.get_ylim()[0], f" 论文：运算减少 {paper_reduction:g} 倍\n 也“得不偿失”",
             color=GREEN, va="bottom", fontsize=8.5)
    ax1.invert_xaxis()
    ax1.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:g}%"))
    ax1.yaxis.set_minor_formatter(FuncFormatter(_label_2_and_5))
    for axis in (ax1.yaxis, ax2.xaxis, ax2.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    _style(ax1, grid="both", xlabel="密度（非零权重所占比例，向右递减）", ylabel="耗时（毫秒，取多次中最快）",
           title="同一个矩阵乘法的耗时")
    _style(ax2, grid="both", loc="upper left", xlabel="乘加次数减少的倍数（1 / 密度）",
           ylabel="加速比（> 1：稀疏更快）", title="稀疏乘法从什么时候开始划算")
    return _finish(fig)

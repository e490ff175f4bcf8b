"""Figures for notebooks 04 and 04b (§4): stacking Inception modules, what 1×1 reductions save."""

from __future__ import annotations

import numpy as np

from ._style import _figure, _style, _finish, BLUE, ORANGE, RED, GREY


def plot_stacking(naive, reduced):
    """Channels and multiply-adds of stacked naive (Figure 2a) vs reduced (2b) modules (`reduction.StackStep` items)."""
    fig, (ax1, ax2) = _figure(1, 2, figsize=(11.5, 4.2))
    for steps, colour, marker, label in ((naive, RED, "o", "朴素模块（图 2a）"),
                                         (reduced, BLUE, "s", "带降维的模块（图 2b）")):
        i = [s.index for s in steps]
        ax1.plot(i, [s.out_channels for s in steps], marker + "-", color=colour, label=label)
        ax2.plot(i, np.cumsum([s.multiply_adds for s in steps]) / 1e9, marker + "-", color=colour, label=label)
    for ax, title, ylabel in ((ax1, "输出通道数", "通道数"), (ax2, "累计乘加次数（28×28 特征图）", "十亿次乘加")):
        _style(ax, legend=9, title=title, ylabel=ylabel, xlabel="堆叠的模块个数", xticks=[s.index for s in naive])
    return _finish(fig)


def plot_reduction_savings(savings):
    """Weights and multiply-adds of every Inception row with and without its 1×1 reductions
    (``savings``: `googlenet.book.reduction.ReductionSaving` items)."""
    names = [s.name.replace("inception", "") for s in savings]
    x = np.arange(len(savings))
    fig, axes = _figure(1, 2, figsize=(12.5, 4.4))
    for ax, attr, unit, title in ((axes[0], "params", "百万个权重", "参数量（柱上数字：去掉降维后是原来的几倍）"),
                                  (axes[1], "multiply_adds", "百万次乘加", "乘加次数（224×224 输入）")):
        without = np.array([getattr(s.unreduced, attr) for s in savings]) / 1e6
        with_ = np.array([getattr(s.reduced, attr) for s in savings]) / 1e6
        ax.bar(x - 0.2, without, 0.4, color=RED, label="去掉 1×1 降维")
        ax.bar(x + 0.2, with_, 0.4, color=BLUE, label="表 1 的模块（带降维）")
        for xi, a, b in zip(x, without, with_):
            ax.text(xi, a, f"{a / b:.1f}×", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, names)
        _style(ax, grid=None, xlabel="Inception 模块", ylabel=unit, title=title)
        ax.grid(alpha=0.3, axis="y")
    return _finish(fig)


def plot_reduce_sweep(widths, reduced, unreduced, chosen: int, *, title: str, what: str):
    """The static companion of the reduction explorer: a module's multiply-adds as one
    reduce width varies (``reduced``: list of `ModuleCost`; ``unreduced``: one `ModuleCost`)."""
    fig, ax = _figure(figsize=(6.8, 4.2))
    ax.plot(widths, [c.multiply_adds / 1e6 for c in reduced], "o-", color=BLUE, ms=3.5, label="带降维")
    ax.axhline(unreduced.multiply_adds / 1e6, color=RED, ls="--", label="去掉降维")
    chosen_cost = reduced[list(widths).index(chosen)]
    ax.plot([chosen], [chosen_cost.multiply_adds / 1e6], "*", color=ORANGE, ms=14, label=f"表 1 的选择：{chosen}")
    _style(ax, xlabel=what, ylabel="整个模块的乘加次数（百万）", title=title, ylim=(0, None))
    return _finish(fig)


def plot_variance_kept(pca, marks=(16,), random_kept: dict | None = None):
    """Cumulative variance kept by the first k principal directions of a map's channels (`projection.ChannelPCA`)."""
    v = pca.variances.numpy()
    cumulative = np.cumsum(v) / v.sum()
    fig, ax = _figure(figsize=(6.8, 4.2))
    ax.plot(np.arange(1, len(v) + 1), cumulative * 100, color=BLUE, label="最优的 1×1 降维（主成分）")
    if random_kept:
        ax.plot(list(random_kept), [f * 100 for f in random_kept.values()], "o--", color=GREY,
                label="随机的 1×1 降维")
    for m in marks:
        ax.axvline(m, color=ORANGE, ls=":")
        ax.text(m, 3, f" k = {m}: {cumulative[m - 1]:.0%}", color=ORANGE, fontsize=8.5)
    _style(ax, grid="both", loc="lower right", xscale="log", xlabel=f"保留的通道数 k（共 {len(v)} 个）",
           ylabel="保留的方差（%）", ylim=(0, 100), title="把每个像素的通道向量投影到 k 维，还剩多少方差")
    return _finish(fig)

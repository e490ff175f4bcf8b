"""Figures for the book, with Chinese labels that render everywhere.

`use_chinese_font()` registers Noto Sans CJK SC (shipped by the `mplfonts` wheel, so it
works on a fresh machine and in Colab without apt) and makes it matplotlib's sans-serif
font, with DejaVu Sans as per-glyph fallback for symbols. Every plotting helper here
calls it, so a notebook never has to.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
import matplotlib.font_manager as font_manager

CJK_FONT = "Noto Sans CJK SC"
_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def _font_path() -> Path:
    import mplfonts  # imported lazily: only its font file is needed

    path = Path(mplfonts.__file__).parent / "fonts" / _FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"找不到中文字体文件 {path}：请重新安装 mplfonts（pip install --force-reinstall mplfonts）")
    return path


@functools.cache
def use_chinese_font() -> str:
    """Register the CJK font with matplotlib (once) and make it the default; returns its name."""
    font_manager.fontManager.addfont(str(_font_path()))
    # A list of families (not the "sans-serif" alias) makes matplotlib fall back glyph by glyph.
    matplotlib.rcParams["font.family"] = [CJK_FONT, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # "−" from the CJK font, not a box
    matplotlib.rcParams["svg.fonttype"] = "path"  # SVGs keep their glyphs in any browser
    return CJK_FONT


# Every helper below returns a matplotlib Figure; a notebook shows it with plt.show().
# Sections follow the book's chapters; other topics add their own section at the end.

import matplotlib.pyplot as plt  # noqa: E402  (after the font set-up above, on purpose)
import numpy as np  # noqa: E402

BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def _figure(nrows: int = 1, ncols: int = 1, **kwargs):
    use_chinese_font()
    return plt.subplots(nrows, ncols, **kwargs)


def _as_images(items) -> list[np.ndarray]:
    """Tensors or arrays → float arrays (tensors detached and moved to the CPU)."""
    return [np.asarray(i.detach().cpu().numpy() if hasattr(i, "detach") else i, dtype=float) for i in items]


# ---- 笔记本 01：计算预算与参数量 ---------------------------------------------------------

def plot_budget(googlenet: dict, alexnet: dict, budget: float):
    """Weights and multiply-adds per stage (GoogLeNet) and per layer (AlexNet), side by side.

    ``googlenet`` / ``alexnet``: label → object with ``params`` and ``multiply_adds`` (e.g.
    `googlenet.budget.stage_costs` and `googlenet.budget.layer_table`); ``budget``: §1's
    1.5e9 multiply-adds, drawn as a line on the totals.
    """
    fig, axes = _figure(1, 3, figsize=(13, 4.6), gridspec_kw={"width_ratios": [3, 3, 1.6]})
    labels = [f"GoogLeNet {k}" for k in googlenet] + [f"AlexNet {k}" for k in alexnet]
    colours = [BLUE] * len(googlenet) + [ORANGE] * len(alexnet)
    values = list(googlenet.values()) + list(alexnet.values())
    y = np.arange(len(labels))[::-1]
    for ax, attr, scale, unit in ((axes[0], "params", 1e6, "百万个权重"),
                                  (axes[1], "multiply_adds", 1e9, "十亿次乘加")):
        v = np.array([getattr(t, attr) for t in values]) / scale
        ax.barh(y, v, color=colours)
        for yi, vi in zip(y, v):
            ax.text(vi, yi, f" {vi:.2f}", va="center", fontsize=8)
        ax.set_xlabel(unit)
        ax.set_xlim(0, v.max() * 1.25)
    axes[0].set_yticks(y, labels, fontsize=8.5)
    axes[1].set_yticks(y, [""] * len(y))
    axes[0].set_title("参数量：AlexNet 的大头在全连接层")
    axes[1].set_title("乘加次数（一张图像）")
    # totals (inference only: the auxiliary heads are dropped at test time)
    g = [t for k, t in googlenet.items() if "辅助" not in k]
    totals = {"GoogLeNet": sum(t.multiply_adds for t in g) / 1e9,
              "AlexNet": sum(t.multiply_adds for t in alexnet.values()) / 1e9}
    ax = axes[2]
    ax.bar(list(totals), list(totals.values()), color=[BLUE, ORANGE])
    ax.axhline(budget / 1e9, color=RED, ls="--", lw=1.2)
    ax.text(0.5, budget / 1e9 * 1.02, f"§1 的预算 {budget / 1e9:g}×10⁹", color=RED, va="bottom", ha="center",
            fontsize=8.5)
    for i, v in enumerate(totals.values()):
        ax.text(i, v / 2, f"{v:.2f}", ha="center", va="center", color="white", fontsize=9)
    ax.set_ylabel("十亿次乘加（推理）")
    ax.set_title("推理总计")
    fig.tight_layout()
    return fig


# ---- 笔记本 02：网中网、1×1 卷积与滤波器 -----------------------------------------------

def show_filters(kernels, *, ncols: int, titles=None, suptitle: str = "", pad_to_largest: bool = True,
                 cmap: str = "gray"):
    """A grid of 2-D filters. With ``pad_to_largest`` every filter is drawn at the scale of
    the largest one (zero-padded), so that sizes can be compared by eye."""
    images = _as_images(kernels)
    if not images:
        raise ValueError("kernels 不能为空")
    if pad_to_largest:
        side = max(max(i.shape) for i in images)
        images = [np.pad(i, [((side - s) // 2, side - s - (side - s) // 2) for s in i.shape]) for i in images]
    nrows = -(-len(images) // ncols)
    fig, axes = _figure(nrows, ncols, figsize=(1.3 * ncols, 1.3 * nrows + (0.5 if suptitle else 0)),
                        squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(images):
            lim = np.abs(images[k]).max() or 1.0
            ax.imshow(images[k], cmap=cmap, vmin=-lim, vmax=lim)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_maps(maps, *, ncols: int, titles=None, suptitle: str = "", cmap: str = "viridis",
              share_scale: bool = False, size: float = 1.9):
    """A grid of 2-D maps (feature maps, filter responses, gray images); an RGB image may be
    given as an (H, W, 3) array."""
    images = _as_images(maps)
    nrows = -(-len(images) // ncols)
    fig, axes = _figure(nrows, ncols, figsize=(size * ncols, size * nrows + (0.45 if suptitle else 0)),
                        squeeze=False)
    vmin = min(i.min() for i in images) if share_scale else None
    vmax = max(i.max() for i in images) if share_scale else None
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(images):
            rgb = images[k].ndim == 3
            ax.imshow(np.clip(images[k], 0, 1) if rgb else images[k], cmap=None if rgb else cmap,
                      vmin=None if rgb else vmin, vmax=None if rgb else vmax)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8.5)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# ---- 笔记本 03：稠密与稀疏 ---------------------------------------------------------------

def plot_widening(costs):
    """Relative multiply-adds of two chained convolutions as their width grows.

    ``costs``: `googlenet.sparse.ChainCost` items, the first one the baseline width.
    """
    base = costs[0]
    k = np.array([c.width / base.width for c in costs])
    fig, ax = _figure(figsize=(6.4, 4.2))
    # the references first and wide, so that the measured curves lying on them stay visible
    ax.plot(k, k, "-", color=GREY, lw=6, alpha=0.3, label="k 倍（线性）")
    ax.plot(k, k**2, "-", color=ORANGE, lw=6, alpha=0.3, label="k² 倍（二次）")
    ax.plot(k, [c.first / base.first for c in costs], "o-", color=BLUE, label="第一层（输入通道数不变）")
    ax.plot(k, [c.second / base.second for c in costs], "s-", color=RED, label="第二层（两侧通道同时加宽）")
    ax.plot(k, [c.total / base.total for c in costs], "^-", color=GREEN, label="两层合计")
    ax.set_xlabel("宽度倍数 k（两层的滤波器数同时乘以 k）")
    ax.set_ylabel("乘加次数，相对于 k = 1")
    ax.set_title("均匀加宽两个相连的卷积层：代价按二次方增长")
    ax.legend(fontsize=8.5)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_sparse_timings(timings, paper_reduction: float = 100):
    """Left: time of the product against density; right: sparse speed-up against the
    reduction in multiply-adds, with §3's "100× fewer operations" marked."""
    d = np.array([t.density for t in timings])
    fig, (ax1, ax2) = _figure(1, 2, figsize=(12, 4.4))
    ax1.loglog(d, [t.dense_s * 1e3 for t in timings], "o-", color=BLUE, label="稠密 (dense)")
    ax1.loglog(d, [t.csr_s * 1e3 for t in timings], "s-", color=RED, label="稀疏 CSR")
    ax1.loglog(d, [t.coo_s * 1e3 for t in timings], "^-", color=ORANGE, label="稀疏 COO")
    ax1.invert_xaxis()
    ax1.set_xlabel("密度（非零权重所占比例，向右递减）")
    ax1.set_ylabel("耗时（毫秒，取多次中最快）")
    ax1.set_title("同一个矩阵乘法的耗时")
    ax1.legend(fontsize=8.5)
    ax1.grid(alpha=0.3, which="both")
    r = np.array([t.op_reduction for t in timings])
    ax2.loglog(r, [t.csr_speedup for t in timings], "s-", color=RED, label="稀疏 CSR 相对稠密的加速比")
    ax2.loglog(r, [t.coo_speedup for t in timings], "^-", color=ORANGE, label="稀疏 COO 相对稠密的加速比")
    ax2.loglog(r, r, ":", color=GREY, label="理想：运算少几倍就快几倍")
    ax2.axhline(1, color="black", lw=1)
    ax2.axvline(paper_reduction, color=GREEN, ls="--", lw=1.2)
    ax2.text(paper_reduction, ax2.get_ylim()[0], f" 论文：运算减少 {paper_reduction:g} 倍\n 也“得不偿失”",
             color=GREEN, va="bottom", fontsize=8.5)
    ax2.set_xlabel("乘加次数减少的倍数（1 / 密度）")
    ax2.set_ylabel("加速比（> 1：稀疏更快）")
    ax2.set_title("稀疏乘法从什么时候开始划算")
    ax2.legend(fontsize=8.5, loc="upper left")
    ax2.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


# ---- 笔记本 04：一步步搭建 Inception 模块 ---------------------------------------------

def plot_stacking(naive, reduced):
    """Output channels and multiply-adds of stacked modules: naive (Figure 2a) against the
    module with reductions (Figure 2b). Items: `googlenet.reduction.StackStep`."""
    fig, (ax1, ax2) = _figure(1, 2, figsize=(11.5, 4.2))
    for steps, colour, marker, label in ((naive, RED, "o", "朴素模块（图 2a）"),
                                         (reduced, BLUE, "s", "带降维的模块（图 2b）")):
        i = [s.index for s in steps]
        ax1.plot(i, [s.out_channels for s in steps], marker + "-", color=colour, label=label)
        ax2.plot(i, np.cumsum([s.multiply_adds for s in steps]) / 1e9, marker + "-", color=colour, label=label)
    ax1.set_title("输出通道数")
    ax1.set_ylabel("通道数")
    ax2.set_title("累计乘加次数（28×28 特征图）")
    ax2.set_ylabel("十亿次乘加")
    for ax in (ax1, ax2):
        ax.set_xlabel("堆叠的模块个数")
        ax.legend(fontsize=9)
        ax.grid(alpha=0.3)
        ax.set_xticks([s.index for s in naive])
    fig.tight_layout()
    return fig


# ---- 笔记本 04b：1×1 卷积降维 -------------------------------------------------------------

def plot_reduction_savings(savings):
    """Weights and multiply-adds of every Inception row with and without its 1×1 reductions.

    ``savings``: `googlenet.reduction.ReductionSaving` items."""
    names = [s.name.replace("inception", "") for s in savings]
    x = np.arange(len(savings))
    fig, (ax1, ax2) = _figure(1, 2, figsize=(12.5, 4.4))
    for ax, attr, scale, unit in ((ax1, "params", 1e6, "百万个权重"), (ax2, "multiply_adds", 1e6, "百万次乘加")):
        without = np.array([getattr(s.unreduced, attr) for s in savings]) / scale
        with_ = np.array([getattr(s.reduced, attr) for s in savings]) / scale
        ax.bar(x - 0.2, without, 0.4, color=RED, label="去掉 1×1 降维")
        ax.bar(x + 0.2, with_, 0.4, color=BLUE, label="表 1 的模块（带降维）")
        for xi, a, b in zip(x, without, with_):
            ax.text(xi, a, f"{a / b:.1f}×", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, names)
        ax.set_xlabel("Inception 模块")
        ax.set_ylabel(unit)
        ax.legend(fontsize=8.5)
        ax.grid(alpha=0.3, axis="y")
    ax1.set_title("参数量（柱上数字：去掉降维后是原来的几倍）")
    ax2.set_title("乘加次数（224×224 输入）")
    fig.tight_layout()
    return fig


def plot_reduce_sweep(widths, reduced, unreduced, chosen: int, *, title: str, what: str):
    """The static companion of the reduction explorer: a module's multiply-adds as one
    reduce width varies (``reduced``: list of `ModuleCost`; ``unreduced``: one `ModuleCost`)."""
    fig, ax = _figure(figsize=(6.8, 4.2))
    ax.plot(widths, [c.multiply_adds / 1e6 for c in reduced], "o-", color=BLUE, ms=3.5, label="带降维")
    ax.axhline(unreduced.multiply_adds / 1e6, color=RED, ls="--", label="去掉降维")
    chosen_cost = reduced[list(widths).index(chosen)]
    ax.plot([chosen], [chosen_cost.multiply_adds / 1e6], "*", color=ORANGE, ms=14, label=f"表 1 的选择：{chosen}")
    ax.set_xlabel(what)
    ax.set_ylabel("整个模块的乘加次数（百万）")
    ax.set_title(title)
    ax.set_ylim(0, None)
    ax.legend(fontsize=8.5)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_variance_kept(pca, marks=(16,), random_kept: dict | None = None):
    """Cumulative fraction of variance kept by the first k principal directions of a
    feature map's channels (``pca``: `googlenet.projection.ChannelPCA`)."""
    v = pca.variances.numpy()
    cumulative = np.cumsum(v) / v.sum()
    k = np.arange(1, len(v) + 1)
    fig, ax = _figure(figsize=(6.8, 4.2))
    ax.plot(k, cumulative * 100, color=BLUE, label="最优的 1×1 降维（主成分）")
    if random_kept:
        ax.plot(list(random_kept), [f * 100 for f in random_kept.values()], "o--", color=GREY,
                label="随机的 1×1 降维")
    for m in marks:
        ax.axvline(m, color=ORANGE, ls=":")
        ax.text(m, 3, f" k = {m}: {cumulative[m - 1]:.0%}", color=ORANGE, fontsize=8.5)
    ax.set_xscale("log")
    ax.set_xlabel(f"保留的通道数 k（共 {len(v)} 个）")
    ax.set_ylabel("保留的方差（%）")
    ax.set_ylim(0, 100)
    ax.set_title("把每个像素的通道向量投影到 k 维，还剩多少方差")
    ax.legend(fontsize=8.5, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


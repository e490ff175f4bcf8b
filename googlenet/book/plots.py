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

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


def _figure(nrows: int = 1, ncols: int = 1, **kwargs):
    use_chinese_font()
    return plt.subplots(nrows, ncols, **kwargs)


def _grid(n: int, ncols: int, cell: tuple[float, float], top: float = 0.0):
    """A figure of ceil(n / ncols) rows of ``ncols`` image cells (``cell`` = inches wide, high),
    ``top`` inches added for a suptitle; every axis off. Returns the figure and the first n axes."""
    nrows = -(-n // ncols)
    fig, axes = _figure(nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows + top), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, list(axes.flat)[:n]


def _finish(fig, suptitle: str = "", **kwargs):
    if suptitle:
        fig.suptitle(suptitle, **kwargs)
    fig.tight_layout()
    return fig


def _as_images(items) -> list[np.ndarray]:
    """Tensors or arrays → float arrays (tensors detached and moved to the CPU)."""
    return [np.asarray(i.detach().cpu().numpy() if hasattr(i, "detach") else i, dtype=float) for i in items]


# ---- 笔记本 01：计算预算与参数量 ---------------------------------------------------------

def plot_budget(googlenet: dict, alexnet: dict, budget: float):
    """Weights and multiply-adds per stage (GoogLeNet) and per layer (AlexNet), side by side.

    ``googlenet`` / ``alexnet``: label → object with ``params`` and ``multiply_adds`` (e.g.
    `googlenet.book.budget.stage_costs` and `googlenet.book.budget.layer_table`); ``budget``: §1's
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
    ax.text(1, budget / 1e9 * 1.02, f"§1 的预算\n{budget / 1e9:g}×10⁹", color=RED, va="bottom", ha="center",
            fontsize=8.5)
    ax.set_ylim(0, max(totals.values()) * 1.2)
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
    fig, axes = _grid(len(images), ncols, (1.3, 1.3), 0.5 if suptitle else 0)
    for k, ax in enumerate(axes):
        lim = np.abs(images[k]).max() or 1.0
        ax.imshow(images[k], cmap=cmap, vmin=-lim, vmax=lim)
        if titles is not None:
            ax.set_title(titles[k], fontsize=8)
    return _finish(fig, suptitle)


def show_maps(maps, *, ncols: int, titles=None, suptitle: str = "", cmap: str = "viridis",
              share_scale: bool = False, size: float = 1.9):
    """A grid of 2-D maps (feature maps, filter responses, gray images); an RGB image may be
    given as an (H, W, 3) array."""
    images = _as_images(maps)
    fig, axes = _grid(len(images), ncols, (size, size), 0.45 if suptitle else 0)
    vmin = min(i.min() for i in images) if share_scale else None
    vmax = max(i.max() for i in images) if share_scale else None
    for k, ax in enumerate(axes):
        rgb = images[k].ndim == 3
        ax.imshow(np.clip(images[k], 0, 1) if rgb else images[k], cmap=None if rgb else cmap,
                  vmin=None if rgb else vmin, vmax=None if rgb else vmax)
        if titles is not None:
            ax.set_title(titles[k], fontsize=8.5)
    return _finish(fig, suptitle)


# ---- 笔记本 03：稠密与稀疏 ---------------------------------------------------------------

def plot_widening(costs):
    """Relative multiply-adds of two chained convolutions as their width grows.

    ``costs``: `googlenet.book.sparse.ChainCost` items, the first one the baseline width.
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


def _label_2_and_5(value: float, _pos=None) -> str:
    """Minor-tick labels on a log axis: only 2·10ⁿ and 5·10ⁿ, so that they do not crowd."""
    if value <= 0:
        return ""
    leading = round(value / 10 ** np.floor(np.log10(value)))
    return f"{value:g}" if leading in (2, 5) else ""


def plot_sparse_timings(timings, paper_reduction: float = 100):
    """Left: time of the product against density; right: sparse speed-up against the
    reduction in multiply-adds, with §3's "100× fewer operations" marked."""
    d = np.array([t.density for t in timings])
    fig, (ax1, ax2) = _figure(1, 2, figsize=(12, 4.4))
    ax1.loglog(d, [t.dense_s * 1e3 for t in timings], "o-", color=BLUE, label="稠密（dense）")
    ax1.loglog(d, [t.csr_s * 1e3 for t in timings], "s-", color=RED, label="稀疏 CSR")
    ax1.loglog(d, [t.coo_s * 1e3 for t in timings], "^-", color=ORANGE, label="稀疏 COO")
    ax1.invert_xaxis()
    ax1.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:g}%"))
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax1.yaxis.set_minor_formatter(FuncFormatter(_label_2_and_5))
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
    for axis in (ax2.xaxis, ax2.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
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
    module with reductions (Figure 2b). Items: `googlenet.book.reduction.StackStep`."""
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

    ``savings``: `googlenet.book.reduction.ReductionSaving` items."""
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
    feature map's channels (``pca``: `googlenet.book.projection.ChannelPCA`)."""
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


# ---- 笔记本 06：在子集上训练（§6 的训练方法） ---------------------------------------------

def _history_series(history, key):
    """(epochs, values) of the entries of a training history that have ``key``."""
    pts = [(e["epoch"], e[key]) for e in history if e.get(key) is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_training_curves(history, *, fig=None, title: str = ""):
    """Three panels: training loss of each head, test accuracy (heads, Polyak average), learning rate.

    ``history`` is the list of per-epoch dicts of `googlenet.train`. ``fig``: draw into this
    Figure (the trainer passes a pyplot-free one); by default a new pyplot figure.
    """
    use_chinese_font()
    if fig is None:
        fig = plt.figure(figsize=(12, 3.6), layout="constrained")
    ax_loss, ax_acc, ax_lr = fig.subplots(1, 3)
    for key, label, color in (("loss_main", "主分类器", BLUE), ("loss_aux1", "辅助分类器 1（4a）", ORANGE),
                              ("loss_aux2", "辅助分类器 2（4d）", GREEN)):
        x, y = _history_series(history, key)
        if x:
            ax_loss.plot(x, y, "o-", color=color, label=label)
    ax_loss.set(title="训练损失（交叉熵）", xlabel="轮（epoch）", ylabel="损失")
    for key, label, color, style in (("train_acc", "主分类器（训练，增强后）", BLUE, "o:"),
                                     ("test_acc", "主分类器（测试）", BLUE, "o-"),
                                     ("test_acc_avg", "Polyak 平均（测试）", RED, "s-"),
                                     ("test_acc_aux1", "辅助分类器 1（测试）", ORANGE, "o--"),
                                     ("test_acc_aux2", "辅助分类器 2（测试）", GREEN, "o--")):
        x, y = _history_series(history, key)
        if x:
            ax_acc.plot(x, y, style, color=color, label=label)
    ax_acc.set(title="准确率", xlabel="轮（epoch）", ylabel="top-1 准确率")
    x, y = _history_series(history, "lr")
    ax_lr.plot(x, y, "o-", color=GREY)
    ax_lr.set(title="每轮最后一步的学习率", xlabel="轮（epoch）", ylabel="学习率")
    for ax in (ax_loss, ax_acc, ax_lr):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_ablation(ablation: dict, key: str = "test_acc_avg", metric: str = "test_acc_avg_full"):
    """The aux-head ablation (`googlenet.book.experiments`): per network, every seed's test curve
    with and without the heads (left), and the final accuracies paired by seed (right)."""
    variants = list(ablation["summary"])
    fig, axes = _figure(len(variants), 2, figsize=(11, 3.3 * len(variants)), squeeze=False)
    arms = ((True, "有辅助分类器", BLUE), (False, "无辅助分类器", RED))
    for (ax_curve, ax_final), variant in zip(axes, variants):
        runs = [r for r in ablation["runs"] if r["variant"] == variant]
        for aux, label, color in arms:
            for i, r in enumerate(x for x in runs if x["aux"] == aux):
                epochs, values = _history_series(r["history"], key)
                ax_curve.plot(epochs, values, "o-", color=color, alpha=0.6, lw=1, ms=3,
                              label=label if i == 0 else None)
        name = ablation["summary"][variant]["network"]
        ax_curve.set(title=name, xlabel="轮（epoch）", ylabel="测试准确率（Polyak 平均）")
        ax_curve.xaxis.get_major_locator().set_params(integer=True)
        by = {(r["seed"], r["aux"]): r[metric] for r in runs}
        for seed in ablation["seeds"]:
            ax_final.plot([0, 1], [by[seed, True], by[seed, False]], "-", color=GREY, lw=1)
        for x, (aux, label, color) in enumerate(arms):
            ax_final.plot([x] * len(ablation["seeds"]), [by[s, aux] for s in ablation["seeds"]], "o", color=color)
        ax_final.set(xticks=[0, 1], xticklabels=[a[1] for a in arms], xlim=(-0.5, 1.5),
                     title="最终测试准确率（每条灰线是一个种子）", ylabel="测试准确率（全部测试图像）")
        for ax in (ax_curve, ax_final):
            ax.grid(alpha=0.3)
        ax_curve.legend(fontsize=8)
    return _finish(fig)


def plot_lr_schedules(panels):
    """Learning-rate schedules side by side. ``panels``: list of (title, {label: (epochs, lrs)})."""
    fig, axes = _figure(1, len(panels), figsize=(5.5 * len(panels), 3.4), squeeze=False)
    colors = [RED, BLUE, GREEN, ORANGE]
    for ax, (title, curves) in zip(axes[0], panels):
        for (label, (x, y)), color in zip(curves.items(), colors):
            ax.plot(x, y, color=color, label=label)
        ax.set(title=title, xlabel="轮（epoch）", ylabel="学习率")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8.5)
    fig.tight_layout()
    return fig


def show_image_grid(images, *, ncols: int, titles=None, suptitle: str = "", boxes=None, size: float = 1.6):
    """Grey (H×W or 1×H×W) or RGB (3×H×W) images in [0, 1] or uint8, in a grid.

    ``boxes``: optional list (one per image) of (top, left, height, width) rectangles to draw,
    e.g. the patches a random crop sampled.
    """
    from matplotlib.patches import Rectangle

    imgs = []
    for img in _as_images(images):
        if img.ndim == 3 and img.shape[0] in (1, 3):
            img = img.transpose(1, 2, 0)
        if img.max() > 1.0:
            img = img / 255.0
        imgs.append(img.squeeze(-1) if img.ndim == 3 and img.shape[-1] == 1 else img)
    fig, axes = _grid(len(imgs), ncols, (size, size), 0.5 if suptitle else 0)
    for i, ax in enumerate(axes):
        ax.imshow(np.clip(imgs[i], 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        for top, left, h, w in ((boxes[i] or ()) if boxes is not None else ()):
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, edgecolor=RED, linewidth=1.2))
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return _finish(fig, suptitle)


def plot_runs(runs, key: str = "test_acc", *, ylabel: str = "测试准确率", title: str = ""):
    """One metric of several training histories against the epoch. ``runs``: {label: history}."""
    fig, ax = _figure(figsize=(6, 3.6))
    for (label, history), color in zip(runs.items(), [BLUE, RED, GREEN, ORANGE, GREY]):
        x, y = _history_series(history, key)
        ax.plot(x, y, "o-", color=color, label=label)
    ax.set(title=title, xlabel="轮（epoch）", ylabel=ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


# ---- 笔记本 07：多裁剪评估（§7） ---------------------------------------------------------------

def _to_hwc(img) -> np.ndarray:
    """C×H×W (or H×W) tensor/array in [0, 1] → H×W or H×W×3 array for imshow."""
    a = _as_images([img])[0]
    if a.ndim == 3 and a.shape[0] in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    return np.clip(a, 0, 1)


def _imshow(ax, img) -> None:
    a = _to_hwc(img)
    ax.imshow(a, cmap="gray" if a.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_top5(image, probs, class_names, *, true_label: int | None = None, title: str = ""):
    """One image and its five most probable classes, named, beside it (the classic demo)."""
    p = _as_images([probs])[0].ravel()
    if len(p) != len(class_names):
        raise ValueError(f"probs 有 {len(p)} 个类别，class_names 却有 {len(class_names)} 个")
    top = np.argsort(-p)[:5]
    fig, (a0, a1) = _figure(1, 2, figsize=(7.6, 2.9), gridspec_kw={"width_ratios": [1, 1.6]})
    _imshow(a0, image)
    if true_label is not None:
        a0.set_title(f"真实类别：{class_names[true_label]}", fontsize=10)
    colors = [GREEN if true_label is not None and i == true_label else BLUE for i in top]
    a1.barh(range(5)[::-1], p[top] * 100, color=colors)
    a1.set_yticks(range(5)[::-1], [class_names[i] for i in top])
    for y, v in zip(range(5)[::-1], p[top] * 100):
        a1.text(v + 1, y, f"{v:.1f}%", va="center", fontsize=9)
    a1.set_xlim(0, 115)
    a1.set_xlabel("softmax 概率（%）")
    a1.set_title(title or "前 5 个预测", fontsize=10)
    a1.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


_POSITION_SHORT = {"top_left": "左上", "top_right": "右上", "bottom_left": "左下",
                   "bottom_right": "右下", "centre": "中心", "whole": "整个"}
_SQUARE_SHORT = {"left": "左", "right": "右", "top": "上", "bottom": "下", "centre": "中"}


def plot_crop_grid(views, layout, *, title: str = "", size: float = 0.62):
    """All views of one image in a grid: a row per (scale, square), a column per view; the
    mirrored views fill the right half. ``layout`` is ``multicrop.crop_layout(...)``."""
    if len(views) != len(layout):
        raise ValueError(f"views 有 {len(views)} 个，layout 却有 {len(layout)} 个")
    rows = list(dict.fromkeys((k.scale, k.square) for k in layout))
    cols = list(dict.fromkeys((k.mirrored, k.position) for k in layout))
    fig, axes = _figure(len(rows), len(cols), squeeze=False,
                        figsize=(size * len(cols) + 0.9, size * len(rows) + 0.6 + (0.3 if title else 0)))
    for k, v in zip(layout, views):
        ax = axes[rows.index((k.scale, k.square)), cols.index((k.mirrored, k.position))]
        _imshow(ax, v)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    for j, (mirrored, position) in enumerate(cols):
        axes[0, j].set_title(_POSITION_SHORT[position] + ("\n镜像" if mirrored else "\n原样"), fontsize=7.5)
    for i, (scale, square) in enumerate(rows):
        axes[i, 0].set_ylabel(f"{scale} {_SQUARE_SHORT[square]}", rotation=0, ha="right", va="center", fontsize=7.5)
    if title:
        fig.suptitle(title, fontsize=11)
    top = 1 - 0.45 / fig.get_figheight() if title else 1  # room for the title above the headers
    fig.tight_layout(pad=0.3, w_pad=0.1, h_pad=0.1, rect=(0, 0, 1, top))
    return fig


def plot_crop_boxes(image, layout, views, indices, *, title: str = ""):
    """The original image with the regions of the chosen views outlined, and those views.

    The static twin of `googlenet.book.widgets.crop_viewer`."""
    from matplotlib.patches import Rectangle

    colors = [RED, BLUE, GREEN, ORANGE, "#9467bd", "#8c564b", "#e377c2", GREY]
    height, width = _to_hwc(image).shape[:2]
    n = len(indices)
    fig, axes = _figure(1, n + 1, figsize=(2.1 * (n + 1) + 0.6, 2.7 + (0.3 if title else 0)),
                        gridspec_kw={"width_ratios": [1.6 * width / height] + [1] * n})
    _imshow(axes[0], image)
    axes[0].set_title("原图与各视图的区域", fontsize=9)
    for j, i in enumerate(indices):
        k, color = layout[i], colors[j % len(colors)]
        x0, y0, x1, y1 = k.source_box(height, width)
        axes[0].add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                    edgecolor=color, linewidth=1.6, linestyle="--" if k.mirrored else "-"))
        _imshow(axes[j + 1], views[i])
        for spine in axes[j + 1].spines.values():
            spine.set(edgecolor=color, linewidth=2.5)
        axes[j + 1].set_title(f"第 {i} 个\n" + k.label().replace(" · ", "\n", 1), fontsize=8)
    return _finish(fig, title, fontsize=11)


def plot_crop_probs(crop_probs, class_names, *, true_label: int | None = None, title: str = ""):
    """Per-view softmax of one image (a heat map, views × classes) and what averaging and
    max-pooling over the views make of it."""
    p = _as_images([crop_probs])[0]
    fig, (a0, a1) = _figure(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.25, 1]})
    im = a0.imshow(p.T, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    a0.set_yticks(range(len(class_names)), class_names, fontsize=8)
    a0.set_xlabel("视图编号")
    a0.set_title("每个视图的 softmax 概率", fontsize=10)
    fig.colorbar(im, ax=a0, fraction=0.04, pad=0.02)
    x = np.arange(len(class_names))
    a1.bar(x - 0.2, p.mean(0), 0.4, color=BLUE, label="平均（§7 的做法）")
    a1.bar(x + 0.2, p.max(0), 0.4, color=ORANGE, label="最大池化（论文弃用）")
    a1.set_xticks(x, class_names, rotation=60, ha="right", fontsize=8)
    if true_label is not None:
        a1.get_xticklabels()[true_label].set_color(GREEN)
    a1.set_ylim(0, 1.05)
    a1.set_ylabel("合并后的得分")
    a1.legend(fontsize=8)
    a1.set_title("在视图上合并", fontsize=10)
    return _finish(fig, title, fontsize=11)


def plot_table2(rows):
    """Table 2 as a bar chart: top-5 error of the best ILSVRC 2012–2014 entries."""
    fig, ax = _figure(figsize=(7, 3.4))
    labels = [f"{r.team}（{r.year}，{'外部数据' if r.external_data != 'no' else '无外部数据'}）" for r in rows]
    colors = [RED if r.team == "GoogLeNet" else (GREY if r.external_data != "no" else BLUE) for r in rows]
    y = np.arange(len(rows))[::-1]
    ax.barh(y, [r.top5_error for r in rows], color=colors)
    for yi, r in zip(y, rows):
        ax.text(r.top5_error + 0.2, yi, f"{r.top5_error:.2f}%", va="center", fontsize=9)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlabel("top-5 错误率（%）")
    ax.set_xlim(0, max(r.top5_error for r in rows) * 1.15)
    ax.set_title("表 2：ILSVRC 分类挑战赛的最好成绩（灰色：使用了外部数据）", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_cost_vs_error(paper_rows, our_rows, *, our_label: str = "本书：Fashion-MNIST 子集"):
    """Table 3's cost against error: the paper's (top-5, ImageNet) beside ours (top-1).

    ``paper_rows``: ``paper.TABLE3``; ``our_rows``: objects with ``models``, ``crops``, ``cost``,
    ``top1_error`` (a fraction), e.g. `googlenet.book.table3.Score`.
    """
    fig, axes = _figure(1, 2, figsize=(9.5, 3.6))
    panels = [(axes[0], [(r.models, r.crops, r.cost, r.top5_error) for r in paper_rows],
               "论文：ImageNet 验证集", "top-5 错误率（%）"),
              (axes[1], [(r.models, r.crops, r.cost, 100 * r.top1_error) for r in our_rows],
               our_label, "top-1 错误率（%）")]
    for ax, rows, title, ylabel in panels:
        for (m, color) in zip(sorted({r[0] for r in rows}), [BLUE, RED, GREEN]):
            pts = sorted((r for r in rows if r[0] == m), key=lambda r: r[2])
            ax.plot([r[2] for r in pts], [r[3] for r in pts], "o-", color=color, label=f"{m} 个模型")
            for r in pts:
                ax.annotate(f"{r[1]} 个裁剪", (r[2], r[3]), textcoords="offset points", xytext=(4, 5), fontsize=8)
        ax.set_xscale("log")
        ax.margins(x=0.12, y=0.15)  # room for the labels beside the points
        ax.set(title=title, xlabel="代价（每张图像的前向计算次数，对数坐标）", ylabel=ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8.5)
    fig.tight_layout()
    return fig


# ---- 笔记本 08：目标检测（§8） ---------------------------------------------------------------

def _draw_box(ax, box, color, *, text: str = "", linestyle: str = "-", linewidth: float = 1.5, fontsize: float = 7.5):
    from matplotlib.patches import Rectangle

    x1, y1, x2, y2 = (float(v) for v in box)
    # Boxes are in continuous pixel coordinates; imshow centres pixel (i, j) at (j, i), hence −0.5.
    ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor=color,
                           linewidth=linewidth, linestyle=linestyle))
    if text:
        ax.text(x1 - 0.5, y1 - 1.5, text, color="white", fontsize=fontsize, va="bottom",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 1.0, "alpha": 0.85})


def plot_iou(gt_box, boxes, ious, *, names=None, title: str = "交并比（IoU）：交集面积 / 并集面积"):
    """A ground truth box beside each predicted box, the intersection shaded, IoU and the ≥ 0.5 verdict as title."""
    from matplotlib.patches import Rectangle

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
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(hi[1], lo[1])  # image coordinates: y grows downwards
        ax.set_aspect("equal")
        verdict = "≥ 0.5：算作正确" if value >= 0.5 else "< 0.5：不算"
        ax.set_title(f"IoU = {value:.3f}（{verdict}）", fontsize=9.5)
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def plot_precision_recall(curves, *, title: str = "精度–召回率曲线"):
    """Precision against recall, raw (points) and interpolated (the envelope whose area is AP).

    ``curves``: {label: (precision, recall, ap)}, precision/recall after each ranked detection.
    """
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
    ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="召回率（recall）", ylabel="精度（precision）", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8.5, loc="lower left")
    fig.tight_layout()
    return fig


def show_detections(canvases, class_names, *, detections=None, correct=None, proposals=None, ncols: int = 3,
                    titles=None, suptitle: str = "", min_score: float = 0.0, size: float = 3.4,
                    show_truth: bool = True):
    """Canvases with their ground truth (dashed green) and, optionally, proposals (thin) and detections.

    ``detections[i]``: {"boxes", "scores", "labels"}; ``correct[i]``: bool per detection (true
    positives drawn blue, false positives red); only detections scoring ≥ ``min_score`` are drawn.
    """
    fig, axes = _grid(len(canvases), ncols, (size, size), 0.4 if suptitle else 0)
    for i, ax in enumerate(axes):
        c = canvases[i]
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
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return _finish(fig, suptitle, fontsize=11)


def show_selective_search(image, superpixel_labels, proposals, *, title: str = ""):
    """Three panels: the canvas, its superpixels (random colours), and the proposals they group into."""
    from matplotlib.colors import ListedColormap

    labels = _as_images([superpixel_labels])[0].astype(int)
    rng = np.random.default_rng(0)
    colors = np.vstack([[0.0, 0.0, 0.0, 1.0], np.c_[rng.uniform(0.25, 1.0, (max(1, labels.max()), 3)), np.ones(max(1, labels.max()))]])
    fig, axes = _figure(1, 3, figsize=(10.5, 3.8))
    _imshow(axes[0], image)
    axes[0].set_title("画布", fontsize=10)
    axes[1].imshow(labels, cmap=ListedColormap(colors), vmin=0, vmax=len(colors) - 1, interpolation="nearest")
    axes[1].set_xticks([])
    axes[1].set_yticks([])
    axes[1].set_title(f"第 1 步：{labels.max()} 个超像素", fontsize=10)
    _imshow(axes[2], image)
    for box in _as_images([proposals])[0].reshape(-1, 4):
        _draw_box(axes[2], box, ORANGE, linewidth=0.7)
    axes[2].set_title(f"第 2 步：分层合并得到 {len(proposals)} 个候选区域", fontsize=10)
    return _finish(fig, title, fontsize=11)


def show_region_crops(crops, titles, *, ncols: int = 8, suptitle: str = "", size: float = 1.25):
    """Normalised region crops (K×1×S×S, as fed to the classifier) shown back in [0, 1]."""
    from ..data import FASHION_MNIST_MEAN, FASHION_MNIST_STD

    raw = [c * FASHION_MNIST_STD[0] + FASHION_MNIST_MEAN[0] for c in crops]
    # Extra height per row for the titles, so that they never run into the row above.
    fig, axes = _grid(len(raw), ncols, (size, size + 0.35), 0.4 if suptitle else 0)
    for i, ax in enumerate(axes):
        _imshow(ax, raw[i])
        ax.set_title(titles[i], fontsize=8.5)
    return _finish(fig, suptitle, fontsize=11)

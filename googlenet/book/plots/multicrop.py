"""Figures for notebook 07 (§7): the 1/10/144 views, their predictions, Tables 2 and 3."""

from __future__ import annotations

import numpy as np

from ._style import (_figure, _style, _finish, _as_images, _to_hwc, _imshow,
                     _draw_box, BLUE, ORANGE, GREEN, RED, GREY)


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
    y = range(5)[::-1]
    a1.barh(y, p[top] * 100, color=[GREEN if true_label is not None and i == true_label else BLUE for i in top])
    a1.set_yticks(y, [class_names[i] for i in top])
    for yi, v in zip(y, p[top] * 100):
        a1.text(v + 1, yi, f"{v:.1f}%", va="center", fontsize=9)
    a1.set(xlim=(0, 115), xlabel="softmax 概率（%）")
    a1.set_title(title or "前 5 个预测", fontsize=10)
    a1.spines[["top", "right"]].set_visible(False)
    return _finish(fig)


_POSITION_SHORT = {"top_left": "左上", "top_right": "右上", "bottom_left": "左下",
                   "bottom_right": "右下", "centre": "中心", "whole": "整个"}
_SQUARE_SHORT = {"left": "左", "right": "右", "top": "上", "bottom": "下", "centre": "中"}


def plot_crop_grid(views, layout, *, title: str = "", size: float = 0.62):
    """All views of one image in a grid: a row per (scale, square), a column per view; the mirrored views fill the
    right half. ``layout`` is ``crops.crop_layout(...)``."""
    if len(views) != len(layout):
        raise ValueError(f"views 有 {len(views)} 个，layout 却有 {len(layout)} 个")
    rows = list(dict.fromkeys((k.scale, k.square) for k in layout))
    cols = list(dict.fromkeys((k.mirrored, k.position) for k in layout))
    fig, axes = _figure(len(rows), len(cols), squeeze=False,
                        figsize=(size * len(cols) + 0.9, size * len(rows) + 0.6 + (0.3 if title else 0)))
    for k, v in zip(layout, views):
        _imshow(axes[rows.index((k.scale, k.square)), cols.index((k.mirrored, k.position))], v)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
        ax.spines[:].set_visible(False)
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
    """The image with the chosen views' regions outlined, and those views (static twin of `widgets.crop_viewer`)."""
    colors = [RED, BLUE, GREEN, ORANGE, "#9467bd", "#8c564b", "#e377c2", GREY]
    height, width = _to_hwc(image).shape[:2]
    n = len(indices)
    fig, axes = _figure(1, n + 1, figsize=(2.1 * (n + 1) + 0.6, 2.7 + (0.3 if title else 0)),
                        gridspec_kw={"width_ratios": [1.6 * width / height] + [1] * n})
    _imshow(axes[0], image)
    axes[0].set_title("原图与各视图的区域", fontsize=9)
    for ax, (j, i) in zip(axes[1:], enumerate(indices)):
        k, color = layout[i], colors[j % len(colors)]
        _draw_box(axes[0], k.source_box(height, width), color, linewidth=1.6, linestyle="--" if k.mirrored else "-")
        _imshow(ax, views[i])
        ax.spines[:].set(edgecolor=color, linewidth=2.5)
        ax.set_title(f"第 {i} 个\n" + k.label().replace(" · ", "\n", 1), fontsize=8)
    return _finish(fig, title, fontsize=11)


def plot_crop_probs(crop_probs, class_names, *, true_label: int | None = None, title: str = ""):
    """Per-view softmax of an image (heat map, views × classes) and what averaging or max-pooling them makes of it."""
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
    _style(a1, legend=8, grid=None, ylim=(0, 1.05), ylabel="合并后的得分")
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
    ax.set(xlabel="top-5 错误率（%）", xlim=(0, max(r.top5_error for r in rows) * 1.15))
    ax.set_title("表 2：ILSVRC 分类挑战赛的最好成绩（灰色：使用了外部数据）", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _finish(fig)


def plot_cost_vs_error(paper_rows, our_rows, *, our_label: str = "本书：Fashion-MNIST 子集"):
    """Table 3's cost against error: the paper's (``paper.TABLE3``: top-5, ImageNet) beside ours
    (``models``, ``crops``, ``cost``, ``top1_error`` as a fraction: `googlenet.book.table3.Score`)."""
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
        _style(ax, grid="both", title=title, xlabel="代价（每张图像的前向计算次数，对数坐标）", ylabel=ylabel)
    return _finish(fig)

"""Figures for notebook 06 (§5–§6): training curves, the aux-head ablation, schedules, sample images."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ._style import (_figure, _grid, _style, _finish, _as_images, _imshow,
                     _draw_box, use_chinese_font, BLUE, ORANGE, GREEN, RED, GREY)


def _history_series(history, key):
    """(epochs, values) of the entries of a training history that have ``key``."""
    pts = [(e["epoch"], e[key]) for e in history if e.get(key) is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_training_curves(history, *, fig=None, title: str = ""):
    """Three panels: training loss of each head, test accuracy (heads, Polyak average), learning rate.
    ``history``: `googlenet.train`'s per-epoch dicts; ``fig``: a Figure to draw into (the trainer's is pyplot-free)."""
    use_chinese_font()
    if fig is None:
        fig = plt.figure(figsize=(12, 3.6), layout="constrained")
    ax_loss, ax_acc, ax_lr = fig.subplots(1, 3)
    for ax, key, label, color, style in ((ax_loss, "loss_main", "主分类器", BLUE, "o-"),
                                         (ax_loss, "loss_aux1", "辅助分类器 1（4a）", ORANGE, "o-"),
                                         (ax_loss, "loss_aux2", "辅助分类器 2（4d）", GREEN, "o-"),
                                         (ax_acc, "train_acc", "主分类器（训练，增强后）", BLUE, "o:"),
                                         (ax_acc, "test_acc", "主分类器（测试）", BLUE, "o-"),
                                         (ax_acc, "test_acc_avg", "Polyak 平均（测试）", RED, "s-"),
                                         (ax_acc, "test_acc_aux1", "辅助分类器 1（测试）", ORANGE, "o--"),
                                         (ax_acc, "test_acc_aux2", "辅助分类器 2（测试）", GREEN, "o--")):
        x, y = _history_series(history, key)
        if x:
            ax.plot(x, y, style, color=color, label=label)
    ax_lr.plot(*_history_series(history, "lr"), "o-", color=GREY)
    for ax, panel, ylabel in ((ax_loss, "训练损失（交叉熵）", "损失"), (ax_acc, "准确率", "top-1 准确率"),
                              (ax_lr, "每轮最后一步的学习率", "学习率")):
        _style(ax, legend=None, title=panel, xlabel="轮（epoch）", ylabel=ylabel)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_ablation(ablation: dict, key: str = "test_acc_avg", metric: str = "test_acc_avg_full"):
    """The aux-head ablation (`googlenet.book.experiments`): per network, every seed's test curve with and without
    the heads (left), and the final accuracies paired by seed (right)."""
    variants, seeds = list(ablation["summary"]), ablation["seeds"]
    fig, axes = _figure(len(variants), 2, figsize=(11, 3.3 * len(variants)), squeeze=False)
    arms = ((True, "有辅助分类器", BLUE), (False, "无辅助分类器", RED))
    for (ax_curve, ax_final), variant in zip(axes, variants):
        runs = [r for r in ablation["runs"] if r["variant"] == variant]
        for aux, label, color in arms:
            for i, r in enumerate(x for x in runs if x["aux"] == aux):
                epochs, values = _history_series(r["history"], key)
                ax_curve.plot(epochs, values, "o-", color=color, alpha=0.6, lw=1, ms=3,
                              label=label if i == 0 else None)
        ax_curve.xaxis.get_major_locator().set_params(integer=True)
        _style(ax_curve, legend=8, title=ablation["summary"][variant]["network"], xlabel="轮（epoch）",
               ylabel="测试准确率（Polyak 平均）")
        by = {(r["seed"], r["aux"]): r[metric] for r in runs}
        for seed in seeds:
            ax_final.plot([0, 1], [by[seed, True], by[seed, False]], "-", color=GREY, lw=1)
        for x, (aux, label, color) in enumerate(arms):
            ax_final.plot([x] * len(seeds), [by[s, aux] for s in seeds], "o", color=color)
        _style(ax_final, legend=None, xticks=[0, 1], xticklabels=[a[1] for a in arms], xlim=(-0.5, 1.5),
               title="最终测试准确率（每条灰线是一个种子）", ylabel="测试准确率（全部测试图像）")
    return _finish(fig)


def plot_lr_schedules(panels):
    """Learning-rate schedules side by side. ``panels``: list of (title, {label: (epochs, lrs)})."""
    fig, axes = _figure(1, len(panels), figsize=(5.5 * len(panels), 3.4), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels):
        for (label, (x, y)), color in zip(curves.items(), [RED, BLUE, GREEN, ORANGE]):
            ax.plot(x, y, color=color, label=label)
        _style(ax, title=title, xlabel="轮（epoch）", ylabel="学习率", ylim=(0, None))
    return _finish(fig)


def show_image_grid(images, *, ncols: int, titles=None, suptitle: str = "", boxes=None, size: float = 1.6):
    """Grey (H×W or 1×H×W) or RGB (3×H×W) images in [0, 1] or uint8, in a grid. ``boxes``: per image,
    (top, left, height, width) rectangles to outline, e.g. the patches a random crop sampled."""
    imgs = _as_images(images)
    fig, axes = _grid(len(imgs), ncols, (size, size), 0.5 if suptitle else 0, titles)
    for i, ax in enumerate(axes):
        _imshow(ax, imgs[i] / 255.0 if imgs[i].max() > 1.0 else imgs[i])
        for top, left, h, w in ((boxes[i] or ()) if boxes is not None else ()):
            _draw_box(ax, (left, top, left + w, top + h), RED, linewidth=1.2)
    return _finish(fig, suptitle)


def plot_runs(runs, key: str = "test_acc", *, ylabel: str = "测试准确率", title: str = ""):
    """One metric of several training histories against the epoch. ``runs``: {label: history}."""
    fig, ax = _figure(figsize=(6, 3.6))
    for (label, history), color in zip(runs.items(), [BLUE, RED, GREEN, ORANGE, GREY]):
        ax.plot(*_history_series(history, key), "o-", color=color, label=label)
    ax.xaxis.get_major_locator().set_params(integer=True)
    _style(ax, legend=9, title=title, xlabel="轮（epoch）", ylabel=ylabel)
    return _finish(fig)

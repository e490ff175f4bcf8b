"""Figures for notebook 01 (§1's compute budget): GoogLeNet's and AlexNet's multiply-adds by stage."""

from __future__ import annotations

import numpy as np

from ._style import _figure, _finish, BLUE, ORANGE, RED


def plot_budget(googlenet: dict, alexnet: dict, budget: float):
    """Weights and multiply-adds per GoogLeNet stage and AlexNet layer (label → object with ``params`` and
    ``multiply_adds``: `budget.stage_costs`, `budget.layer_table`); ``budget``: §1's 1.5e9, a line on the totals."""
    fig, axes = _figure(1, 3, figsize=(13, 4.6), gridspec_kw={"width_ratios": [3, 3, 1.6]})
    labels = [f"GoogLeNet {k}" for k in googlenet] + [f"AlexNet {k}" for k in alexnet]
    colours = [BLUE] * len(googlenet) + [ORANGE] * len(alexnet)
    values = list(googlenet.values()) + list(alexnet.values())
    y = np.arange(len(labels))[::-1]
    for ax, attr, scale, unit, title in ((axes[0], "params", 1e6, "百万个权重", "参数量：AlexNet 的大头在全连接层"),
                                         (axes[1], "multiply_adds", 1e9, "十亿次乘加", "乘加次数（一张图像）")):
        v = np.array([getattr(t, attr) for t in values]) / scale
        ax.barh(y, v, color=colours)
        for yi, vi in zip(y, v):
            ax.text(vi, yi, f" {vi:.2f}", va="center", fontsize=8)
        ax.set(xlabel=unit, xlim=(0, v.max() * 1.25), title=title)
    axes[0].set_yticks(y, labels, fontsize=8.5)
    axes[1].set_yticks(y, [""] * len(y))
    # totals (inference only: the auxiliary heads are dropped at test time)
    totals = {"GoogLeNet": sum(t.multiply_adds for k, t in googlenet.items() if "辅助" not in k) / 1e9,
              "AlexNet": sum(t.multiply_adds for t in alexnet.values()) / 1e9}
    ax = axes[2]
    ax.bar(list(totals), list(totals.values()), color=[BLUE, ORANGE])
    ax.axhline(budget / 1e9, color=RED, ls="--", lw=1.2)
    ax.text(1, budget / 1e9 * 1.02, f"§1 的预算\n{budget / 1e9:g}×10⁹", color=RED, va="bottom", ha="center",
            fontsize=8.5)
    for i, v in enumerate(totals.values()):
        ax.text(i, v / 2, f"{v:.2f}", ha="center", va="center", color="white", fontsize=9)
    ax.set(ylim=(0, max(totals.values()) * 1.2), ylabel="十亿次乘加（推理）", title="推理总计")
    return _finish(fig)

"""Interactive explorers for the notebooks (ipywidgets).

Only core widgets that behave alike on ipywidgets 7.7 (Colab) and 8.x are used. Results go into an HTML widget,
never printed: where printed text lands depends on the runner, while an HTML widget's value is plain state that
nbval can compare. The text comes from pure ``describe_*`` functions that tests call without a kernel; each
explorer has a static figure beside it in the notebooks, because nbval and the static book do not run widgets."""

from __future__ import annotations

import base64
import html
import io

import ipywidgets as w
import numpy as np
from PIL import Image, ImageDraw

from .. import crops, paper
from .reduction import inception_inputs, module_cost
from .sparse import chain_cost

_STYLE = {"description_width": "initial"}


def _slider(**kwargs) -> w.IntSlider:
    # a Layout per slider: a shared one would tie the sliders' layouts together
    return w.IntSlider(style=_STYLE, continuous_update=False, layout=w.Layout(width="420px"), **kwargs)


def _wire(result: w.HTML, controls, describe, figure=lambda: "") -> None:
    """Write ``figure()`` (HTML) and ``describe()`` (text) into ``result`` now and whenever a control changes."""
    def update(change=None) -> None:
        result.value = f"{figure()}<pre>{html.escape(describe())}</pre>"

    for control in controls:
        control.observe(update, names="value")
    update()


# ---- 笔记本 03：加宽两个相连的卷积层 -----------------------------------------------------
def describe_widening(c1: int, c2: int, in_channels: int = 64, size: int = 28) -> str:
    """Multiply-adds of two chained 3×3 convolutions with c1 and c2 filters (exercise 3.1)."""
    cost = chain_cost(c1, c2, in_channels, size)
    return (f"第一层 3×3 卷积 {in_channels}→{c1}：{cost.first:,} 次乘加\n"
            f"第二层 3×3 卷积 {c1}→{c2}：{cost.second:,} 次乘加\n"
            f"两层合计：{cost.total:,} 次乘加（{size}×{size} 特征图）")


def widening_explorer(in_channels: int = 64, size: int = 28) -> w.VBox:
    """Sliders for the widths of two chained 3×3 convolutions → their multiply-adds."""
    c1 = _slider(value=128, min=16, max=1024, step=16, description="第一层滤波器数 C₁")
    c2 = _slider(value=128, min=16, max=1024, step=16, description="第二层滤波器数 C₂")
    out = w.HTML()
    _wire(out, (c1, c2), lambda: describe_widening(c1.value, c2.value, in_channels, size))
    title = w.HTML(f"<b>两个相连的 3×3 卷积</b>（输入 {size}×{size}×{in_channels}）")
    return w.VBox([title, c1, c2, out])


# ---- 笔记本 04b：1×1 降维的代价计算器 -----------------------------------------------------
def describe_reduction(row: str, ch3x3red: int, ch5x5red: int) -> str:
    """One Inception row of Table 1 with the two reduce widths replaced: cost and output."""
    spec = paper.table1_row(row)
    n1, _, n3, _, n5, pp = spec.inception_args
    c, size = inception_inputs()[row]
    mine = module_cost(c, size, n1, ch3x3red, n3, ch5x5red, n5, pp)
    table = module_cost(c, size, *spec.inception_args)
    bare = module_cost(c, size, *spec.inception_args, reduced=False)
    out_c, out_h, out_w = mine.output_shape
    return "\n".join([
        f"{spec.label}：输入 {size}×{size}×{c}，输出 {out_h}×{out_w}×{out_c}（降维宽度不改变输出形状）",
        f"  你的选择（#3×3 降维 {ch3x3red}，#5×5 降维 {ch5x5red}）："
        f"{mine.params:,} 个权重，{mine.multiply_adds:,} 次乘加",
        f"  表 1 的选择（{spec.n3x3red}，{spec.n5x5red}）：{table.params:,} 个权重，{table.multiply_adds:,} 次乘加",
        f"  去掉降维：{bare.params:,} 个权重，{bare.multiply_adds:,} 次乘加"
        f"（是你的选择的 {bare.multiply_adds / mine.multiply_adds:.2f} 倍）",
    ])


def reduction_explorer(row: str = "inception3a") -> w.VBox:
    """Pick an Inception row, move its two reduce widths, read the cost and output shape."""
    pick = w.Dropdown(options=[(r.label, r.name) for r in paper.inception_rows()], value=row,
                      description="Inception 模块", style=_STYLE)
    r3 = _slider(min=1, description="#3×3 降维")
    r5 = _slider(min=1, description="#5×5 降维")

    def reset(change=None) -> None:
        spec = paper.table1_row(pick.value)
        c, _ = inception_inputs()[pick.value]
        # max before value, so that the new value is never clipped by the old maximum
        r3.max, r5.max = c, c
        r3.value, r5.value = spec.n3x3red, spec.n5x5red

    reset()
    pick.observe(reset, names="value")  # registered first: sliders are reset before the text
    out = w.HTML()
    _wire(out, (pick, r3, r5), lambda: describe_reduction(pick.value, r3.value, r5.value))
    note = w.HTML("拖动滑块改变两个 1×1 降维层的宽度；输出通道数只由 #1×1、#3×3、#5×5 和池化投影决定。")
    return w.VBox([pick, r3, r5, note, out])


# ---- 笔记本 07：多裁剪评估的视图查看器 -------------------------------------------------------
def describe_crop(crop, height: int, width: int) -> str:
    """One view of the multi-crop scheme in words (`googlenet.multicrop.Crop`)."""
    x0, y0, x1, y1 = crop.source_box(height, width)
    rh, rw = crop.resized
    what = "整个正方形缩放到裁剪大小" if crop.position == "whole" else f"{crop.box[2]}×{crop.box[2]} 裁剪"
    return (f"第 {crop.index} 个视图：{crop.label()}\n"
            f"先把 {height}×{width} 的原图缩放到 {rh}×{rw}（短边 {crop.scale}），"
            f"再取左上角在 ({crop.box[0]}, {crop.box[1]}) 的 {what}\n"
            f"对应原图的区域：x ∈ [{x0:.1f}, {x1:.1f})，y ∈ [{y0:.1f}, {y1:.1f})"
            + ("，再左右翻转" if crop.mirrored else ""))


def _png_html(image, box=None, *, display: int = 200) -> str:
    """A C×H×W image in [0, 1] as an inline <img>, enlarged to ``display`` px (longer side)."""
    a = image.detach().cpu().clamp(0, 1).mul(255).round().byte().numpy()
    a = a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)
    pil = Image.fromarray(np.ascontiguousarray(a)).convert("RGB")
    scale = display / max(pil.size)
    pil = pil.resize((max(1, round(pil.width * scale)), max(1, round(pil.height * scale))), Image.NEAREST)
    if box is not None:
        x0, y0, x1, y1 = (v * scale for v in box)
        ImageDraw.Draw(pil).rectangle([x0, y0, x1 - 1, y1 - 1], outline=(214, 39, 40), width=3)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}" style="margin:4px">'


def crop_viewer(image, n_crops: int = 144, crop_size: int = paper.TESTING.crop_size) -> w.VBox:
    """A slider over the views of ``image`` (C×H×W in [0, 1], or PIL): each view, where it comes from in the
    original (red box), and its description. Static twin: `googlenet.book.plots.plot_crop_boxes`."""
    image = crops.as_image_tensor(image)
    views = crops.views(image, n_crops, crop_size)
    height, width = image.shape[-2:]
    layout = crops.crop_layout(height, width, n_crops, crop_size)
    index = _slider(value=0, min=0, max=n_crops - 1, description="视图编号")
    out = w.HTML()

    def figure() -> str:
        k = layout[index.value]
        return _png_html(image, k.source_box(height, width)) + _png_html(views[k.index], display=160)

    _wire(out, (index,), lambda: describe_crop(layout[index.value], height, width), figure)
    title = w.HTML(f"<b>{n_crops} 个裁剪的查看器</b>（{height}×{width} 的图像，裁剪边长 {crop_size}）")
    return w.VBox([title, index, out])

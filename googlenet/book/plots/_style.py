"""Shared look of the book's figures: the CJK font (`use_chinese_font`), colours, and layout helpers."""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
import matplotlib.font_manager as font_manager
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

CJK_FONT = "Noto Sans CJK SC"
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


@functools.cache
def use_chinese_font() -> str:
    """Register the CJK font with matplotlib (once) and make it the default; returns its name."""
    import mplfonts  # imported lazily: only its font file is needed

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise FileNotFoundError(f"找不到中文字体文件 {path}：请重新安装 mplfonts（pip install --force-reinstall mplfonts）")
    font_manager.fontManager.addfont(str(path))
    # A list of families (not the "sans-serif" alias) makes matplotlib fall back glyph by glyph.
    matplotlib.rcParams["font.family"] = [CJK_FONT, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # "−" from the CJK font, not a box
    matplotlib.rcParams["svg.fonttype"] = "path"  # SVGs keep their glyphs in any browser
    return CJK_FONT


def _figure(nrows: int = 1, ncols: int = 1, **kwargs):
    use_chinese_font()
    return plt.subplots(nrows, ncols, **kwargs)


def _grid(n: int, ncols: int, cell: tuple[float, float], top: float = 0.0, titles=None, fontsize: float = 9):
    """ceil(n / ncols) rows of axis-less cells (``cell``: w, h; ``top``: suptitle; inches): (fig, first n axes)."""
    nrows = -(-n // ncols)
    fig, axes = _figure(nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows + top), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    axes = list(axes.flat)[:n]
    for ax, title in zip(axes, titles if titles is not None else ()):
        ax.set_title(title, fontsize=fontsize)
    return fig, axes


def _style(ax, *, legend: float | None = 8.5, loc=None, grid: str | None = "major", **props):
    """``ax.set(**props)``, a faint grid (``which=grid``) and a legend in ``legend``-point type."""
    ax.set(**props)
    if grid:
        ax.grid(alpha=0.3, which=grid)
    if legend:
        ax.legend(fontsize=legend, loc=loc)


def _finish(fig, suptitle: str = "", **kwargs):
    if suptitle:
        fig.suptitle(suptitle, **kwargs)
    fig.tight_layout()
    return fig


def _as_images(items) -> list[np.ndarray]:
    """Tensors or arrays → float arrays (tensors detached and moved to the CPU)."""
    return [np.asarray(i.detach().cpu().numpy() if hasattr(i, "detach") else i, dtype=float) for i in items]


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
    ax.set(xticks=[], yticks=[])


def _draw_box(ax, box, color, *, text: str = "", linestyle: str = "-", linewidth: float = 1.5, fontsize: float = 7.5):
    """Outline an (x1, y1, x2, y2) box given in continuous pixel coordinates, ``text`` on a tag above it."""
    x1, y1, x2, y2 = (float(v) for v in box)
    # imshow centres pixel (i, j) at (j, i), hence −0.5.
    ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor=color,
                           linewidth=linewidth, linestyle=linestyle))
    if text:
        ax.text(x1 - 0.5, y1 - 1.5, text, color="white", fontsize=fontsize, va="bottom",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 1.0, "alpha": 0.85})

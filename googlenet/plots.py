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

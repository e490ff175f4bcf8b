"""Figure helpers of googlenet.book.plots: they draw what they are given, in Chinese, without
missing glyphs. Each figure is rendered to PNG so that every glyph is actually looked up."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from googlenet import GoogLeNet, paper
from googlenet.book import plots  # noqa: E402
from googlenet.book.budget import ALEXNET_2012_INPUT, alexnet_2012, layer_table, stage_costs  # noqa: E402
from googlenet.book.filters import gabor_bank  # noqa: E402
from googlenet.book.projection import channel_pca  # noqa: E402
from googlenet.book.reduction import module_cost, reduction_savings, stack_modules  # noqa: E402
from googlenet.book.sparse import SparseTiming, widening_costs  # noqa: E402


def render(fig) -> str:
    """Draw ``fig`` to PNG with warnings as errors; return all its text for checks."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    plt.close(fig)
    return "\n".join(texts)


def test_font_is_registered():
    assert plots.use_chinese_font() == plots.CJK_FONT
    assert matplotlib.rcParams["font.family"][0] == plots.CJK_FONT


def test_plot_budget():
    model = GoogLeNet(variant="paper", aux_logits=True).train()
    fig = plots.plot_budget(stage_costs(model), layer_table(alexnet_2012(), ALEXNET_2012_INPUT),
                            paper.INFERENCE_BUDGET_MULTIPLY_ADDS)
    assert len(fig.axes) == 3
    bars = fig.axes[0].patches
    assert len(bars) == 6 + 8  # six GoogLeNet stages (aux included), eight AlexNet layers
    text = render(fig)
    assert "参数量" in text and "1.5×10⁹" in text and "AlexNet 全连接 1" in text


def test_show_filters_pads_to_the_largest():
    bank = gabor_bank((7, 11))
    fig = plots.show_filters(bank.kernels, ncols=4, titles=[str(i) for i in range(8)], suptitle="滤波器")
    shapes = {ax.images[0].get_array().shape for ax in fig.axes if ax.images}
    assert shapes == {(11, 11)}
    assert "滤波器" in render(fig)


def test_show_maps_rgb_and_gray():
    fig = plots.show_maps([torch.rand(8, 8, 3), torch.rand(8, 8)], ncols=2, titles=["彩色", "灰度"])
    assert fig.axes[0].images[0].get_array().shape == (8, 8, 3)
    assert "灰度" in render(fig)
    with pytest.raises(ValueError):
        plots.show_filters([], ncols=1)


def test_plot_widening_shows_measured_ratios():
    costs = widening_costs([64, 128, 256])
    fig = plots.plot_widening(costs)
    second = [line for line in fig.axes[0].lines if "第二层" in line.get_label()][0]
    assert list(second.get_ydata()) == [1, 4, 16]
    assert "二次方" in render(fig)


def test_plot_sparse_timings():
    timings = [SparseTiming(d, int(d * 1024 * 1024), 784, 1.0, 0.5 / d ** 0.5, 0.6 / d ** 0.5)
               for d in (1.0, 0.1, 0.01)]
    fig = plots.plot_sparse_timings(timings)
    assert len(fig.axes) == 2
    assert "100 倍" in render(fig)


def test_plot_stacking_and_reduction_figures():
    fig = plots.plot_stacking(stack_modules(3, naive=True), stack_modules(3, naive=False))
    channels = fig.axes[0].lines[0].get_ydata()
    assert list(channels) == [416, 640, 864]
    assert "朴素模块" in render(fig)

    fig = plots.plot_reduction_savings(reduction_savings())
    assert len(fig.axes[0].patches) == 18  # nine rows, two bars each
    assert "去掉 1×1 降维" in render(fig)

    args = paper.table1_row("inception3a").inception_args
    widths = [8, 16, 32]
    sweep = [module_cost(192, 28, args[0], args[1], args[2], w, args[4], args[5]) for w in widths]
    fig = plots.plot_reduce_sweep(widths, sweep, module_cost(192, 28, *args, reduced=False), 16,
                                  title="扫描", what="宽度")
    assert "表 1 的选择：16" in render(fig)


def test_plot_variance_kept():
    g = torch.Generator().manual_seed(0)
    pca = channel_pca(torch.randn(32, 6, 6, generator=g))
    fig = plots.plot_variance_kept(pca, marks=(4,), random_kept={1: 0.1, 4: 0.3})
    assert fig.axes[0].lines[0].get_ydata()[-1] == pytest.approx(100)
    assert "k = 4" in render(fig)

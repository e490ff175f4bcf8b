"""Figures 2 and 3 are drawn from the model: sizes from a real forward pass, files written as SVG."""

import matplotlib

matplotlib.use("Agg")

from googlenet import GoogLeNet, paper  # noqa: E402
from googlenet.book import diagrams  # noqa: E402


def test_figure3_sizes_are_table1s_output_sizes():
    model = GoogLeNet(variant="paper", aux_logits=False)
    sizes = diagrams._output_sizes(model, 224)
    for row in paper.TABLE1:
        name = "conv3" if row.name == "conv2" else row.name  # Table 1's conv2 row ends in module conv3
        if name in sizes and len(sizes[name]) == 3:
            c, h, w = sizes[name]
            assert (h, w, c) == tuple(row.output), row.name


def test_write_figures_writes_three_svgs_with_chinese_labels(tmp_path):
    paths = diagrams.write_figures(tmp_path)
    assert sorted(p.name for p in paths) == ["fig2a.svg", "fig2b.svg", "fig3.svg"]
    fig3 = (tmp_path / "fig3.svg").read_text(encoding="utf-8")
    assert "<svg" in fig3 and "inception" in fig3.lower()

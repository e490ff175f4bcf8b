"""Parameter and multiply-add accounting, checked against arithmetic done by hand from Table 1."""

import pytest
import torch
import torchinfo

from googlenet import GoogLeNet, Inception, paper
from googlenet.cost import layer_costs, network_depth, table1_report, total_cost


def _inception_by_hand(c_in, n1, r3, n3, r5, n5, pp, size):
    weights = c_in * n1 + c_in * r3 + r3 * 9 * n3 + c_in * r5 + r5 * 25 * n5 + c_in * pp
    return weights, weights * size * size


def _network_by_hand(size=224):
    """Independent arithmetic from Table 1's channel numbers (not from the model)."""
    params = 7 * 7 * 3 * 64 + 64 * 64 + 3 * 3 * 64 * 192 + 1024 * 1000
    ops = 112 * 112 * 7 * 7 * 3 * 64 + 56 * 56 * (64 * 64 + 9 * 64 * 192) + 1024 * 1000
    c_in = {"3a": 192, "3b": 256, "4a": 480, "4b": 512, "4c": 512, "4d": 512, "4e": 528,
            "5a": 832, "5b": 832}
    for row in paper.inception_rows():
        w, o = _inception_by_hand(c_in[row.name[-2:]], *row.inception_args, row.output[0])
        params += w
        ops += o
    return params, ops


def test_paper_totals_equal_hand_arithmetic():
    model = GoogLeNet(variant="paper", aux_logits=False)
    totals = total_cost(model)
    assert (totals.params, totals.multiply_adds) == _network_by_hand()
    assert (totals.params, totals.multiply_adds) == (6_990_272, 1_582_671_872)


def test_budget_is_about_one_and_a_half_billion():
    ops = total_cost(GoogLeNet(variant="paper", aux_logits=False)).multiply_adds
    assert 1.5e9 <= ops <= 1.6e9


def test_inception_3a_by_hand():
    costs = layer_costs(Inception(192, 64, 96, 128, 16, 32, 32), (192, 28, 28))
    assert sum(c.params for c in costs) == 163_328
    assert sum(c.multiply_adds for c in costs) == 163_328 * 28 * 28
    assert sum(c.biases for c in costs) == 64 + 96 + 128 + 16 + 32 + 32


def test_layer_costs_agree_with_torchinfo():
    model = GoogLeNet(variant="paper", aux_logits=False, channels_last=False).eval()
    ours = total_cost(model)
    info = torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)
    # torchinfo counts biases in both params and mult-adds; ours are weights only
    biases = sum(m.bias.numel() for m in model.modules() if getattr(m, "bias", None) is not None
                 and isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))
    assert info.total_params == ours.params + biases
    assert abs(info.total_mult_adds - ours.multiply_adds) / ours.multiply_adds < 0.01


def test_eval_mode_skips_aux_heads_training_mode_counts_them():
    model = GoogLeNet(variant="paper", num_classes=1000)
    eval_cost = total_cost(model.eval())
    train_cost = total_cost(model.train())
    aux_weights = 2 * (2048 * 1024 + 1024 * 1000) + 128 * (512 + 528)
    assert train_cost.params - eval_cost.params == aux_weights


def test_depth_is_22_and_27():
    model = GoogLeNet(variant="paper")
    assert network_depth(model) == paper.DEPTH_WITH_PARAMETERS == 22
    assert network_depth(model, count_pooling=True) == paper.DEPTH_WITH_POOLING == 27


def test_table1_report_rows():
    report = table1_report()
    rows = {r.row.name: r for r in report.rows}
    assert len(report.rows) == len(paper.TABLE1)
    assert all(r.output_matches for r in report.rows)
    assert rows["inception3a"].params == 163_328 and rows["inception3a"].verdict == "一致"
    assert rows["conv2"].params == 64 * 64 + 9 * 64 * 192 and rows["conv2"].verdict == "一致"
    assert rows["fc"].params == 1_024_000 and rows["fc"].verdict == "一致"
    # the rows whose printed figures exact arithmetic does not reproduce
    assert rows["conv1"].params == 9408 and rows["conv1"].verdict == "不符"
    assert rows["inception4c"].params == 509_440 and rows["inception4c"].verdict == "不符"
    assert rows["inception5a"].multiply_adds == 1_042_432 * 49 and rows["inception5a"].verdict == "不符"
    assert {r.row.name for r in report.discrepancies()} == {
        "conv1", "inception4c", "inception4d", "inception5a", "inception5b"}
    assert report.total_params == _network_by_hand()[0]
    assert (report.depth, report.depth_with_pooling) == (22, 27)
    text = report.to_text()
    assert "inception (4c)" in text and "不符" in text and "22" in text


def test_table1_report_measures_output_sizes_not_copies_them():
    small = table1_report(GoogLeNet(variant="paper", aux_logits=False), image_size=96)
    sizes = {r.row.name: r.output for r in small.rows}
    assert sizes["conv1"] == (48, 48, 64) and sizes["inception5b"] == (3, 3, 1024)
    assert not small.rows[0].output_matches


def test_table1_report_follows_the_models_dtype():
    model = GoogLeNet(variant="paper", aux_logits=False).double()
    report = table1_report(model, image_size=64)
    assert report.total_params == _network_by_hand()[0] and model.conv1.conv.weight.dtype == torch.float64


def test_bad_arguments():
    with pytest.raises(ValueError, match="input_shape"):
        layer_costs(GoogLeNet(), (224, 224))
    with pytest.raises(TypeError, match="input_shape.*int"):
        layer_costs(GoogLeNet(), 224)
    with pytest.raises(TypeError, match="nn.Module.*str"):
        layer_costs("GoogLeNet")
    with pytest.raises(TypeError, match="GoogLeNet.*Linear"):
        table1_report(torch.nn.Linear(2, 2))

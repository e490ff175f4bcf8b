"""Stage budget of GoogLeNet and the AlexNet of 2012, counted with googlenet.cost."""

import pytest
import torch

from googlenet import GoogLeNet
from googlenet.book.budget import ALEXNET_2012_INPUT, alexnet_2012, layer_table, stage_costs
from googlenet.cost import total_cost


def test_stages_sum_to_the_whole_network():
    model = GoogLeNet(variant="paper", aux_logits=False)
    stages = stage_costs(model)
    assert "辅助分类器（训练时）" not in stages  # eval/no heads: they do not run
    assert sum(t.params for t in stages.values()) == 6_990_272
    assert sum(t.multiply_adds for t in stages.values()) == 1_582_671_872
    assert stages["分类器（fc）"].params == 1024 * 1000


def test_auxiliary_heads_counted_in_training_mode():
    model = GoogLeNet(variant="paper", aux_logits=True).train()
    aux = stage_costs(model)["辅助分类器（训练时）"]
    # by hand from §5: 1×1 conv to 128, FC 2048→1024, linear 1024→1000, on 4a (512) and 4d (528)
    assert aux.params == (512 + 528) * 128 + 2 * (2048 * 1024 + 1024 * 1000)
    assert model.training


def test_alexnet_2012_counts_by_hand():
    net = alexnet_2012()
    weights = (11 * 11 * 3 * 96 + 5 * 5 * 48 * 256 + 3 * 3 * 256 * 384 + 3 * 3 * 192 * 384
               + 3 * 3 * 192 * 256 + 9216 * 4096 + 4096 * 4096 + 4096 * 1000)
    assert total_cost(net, ALEXNET_2012_INPUT).params == weights == 60_954_656
    assert sum(p.numel() for p in net.parameters()) == 60_965_224
    with torch.no_grad():
        assert net(torch.zeros(1, *ALEXNET_2012_INPUT)).shape == (1, 1000)


def test_layer_table_names_and_first_layer():
    table = layer_table(alexnet_2012(), ALEXNET_2012_INPUT)
    assert list(table) == [f"卷积 {i}" for i in range(1, 6)] + [f"全连接 {i}" for i in range(1, 4)]
    assert table["卷积 1"].multiply_adds == 55 * 55 * 11 * 11 * 3 * 96


def test_stage_costs_rejects_other_models():
    with pytest.raises(TypeError, match="GoogLeNet"):
        stage_costs(alexnet_2012())

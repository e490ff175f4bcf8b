"""Walking Table 1's Inception rows on a real forward pass."""

import pytest
import torch

from googlenet import GoogLeNet, paper
from googlenet.book.walkthrough import walk_inceptions


@pytest.fixture(scope="module")
def steps():
    torch.manual_seed(0)
    model = GoogLeNet(variant="paper", aux_logits=False)
    return walk_inceptions(model, torch.randn(1, 3, 224, 224))


def test_all_nine_rows_match_table1(steps):
    assert [s.name for s in steps] == [r.name for r in paper.inception_rows()]
    for s, row in zip(steps, paper.inception_rows()):
        h, w, c = row.output
        assert s.output_shape == (c, h, w)
        assert [b[0] for b in s.branch_shapes] == [row.n1x1, row.n3x3, row.n5x5, row.pool_proj]
        assert s.concat_matches


def test_inputs_chain(steps):
    assert steps[0].input_shape == (192, 28, 28)
    assert steps[1].input_shape == steps[0].output_shape
    assert steps[2].input_shape == (480, 14, 14)  # after maxpool3
    assert steps[7].input_shape == (832, 7, 7)


def test_costs_and_text(steps):
    s = steps[0]
    assert (s.params, s.multiply_adds) == (163_328, 128_049_152)
    text = s.to_text()
    assert "inception (3a)" in text and "28×28×256" in text and "163,328" in text and "159K" in text


def test_mode_restored_and_subset():
    model = GoogLeNet(variant="paper", aux_logits=True).train()
    (s,) = walk_inceptions(model, torch.zeros(1, 3, 96, 96), names=("inception5b",))
    assert model.training and s.output_shape == (1024, 3, 3)


def test_bad_input():
    model = GoogLeNet(variant="paper", aux_logits=False)
    with pytest.raises(ValueError, match="inception9z"):
        walk_inceptions(model, torch.zeros(1, 3, 224, 224), names=("inception9z",))
    with pytest.raises(ValueError, match="一张图像"):
        walk_inceptions(model, torch.zeros(2, 3, 224, 224))
    with pytest.raises(TypeError, match="GoogLeNet"):
        walk_inceptions(torch.nn.Identity(), torch.zeros(1, 3, 224, 224))

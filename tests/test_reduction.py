"""What 1×1 reductions save: hand arithmetic from Table 1 against the measured modules."""

import pytest

from googlenet import paper
from googlenet.book.reduction import inception_inputs, module_cost, reduction_savings, stack_modules


def test_inception_inputs_follow_table1():
    inputs = inception_inputs()
    assert inputs["inception3a"] == (192, 28)
    assert inputs["inception4a"] == (480, 14)
    assert inputs["inception5a"] == (832, 7)
    assert len(inputs) == 9


def test_3a_with_and_without_reduction_by_hand():
    reduced = module_cost(192, 28, 64, 96, 128, 16, 32, 32)
    bare = module_cost(192, 28, 64, 96, 128, 16, 32, 32, reduced=False)
    assert reduced.params == 192 * 64 + 192 * 96 + 96 * 9 * 128 + 192 * 16 + 16 * 25 * 32 + 192 * 32
    assert bare.params == 192 * 64 + 192 * 9 * 128 + 192 * 25 * 32 + 192 * 32
    assert reduced.multiply_adds == reduced.params * 28 * 28
    assert reduced.output_shape == bare.output_shape == (256, 28, 28)


def test_savings_for_every_row():
    savings = reduction_savings()
    assert [s.name for s in savings] == [r.name for r in paper.inception_rows()]
    for s in savings:
        assert s.unreduced.multiply_adds > 2 * s.reduced.multiply_adds
        assert s.reduced.output_shape == s.unreduced.output_shape
        assert s.params_ratio == pytest.approx(s.multiply_adds_ratio)  # one map size per module
    assert savings[0].reduced.multiply_adds == 128_049_152


def test_naive_stack_grows_and_reduced_stack_does_not():
    naive = stack_modules(3, naive=True)
    reduced = stack_modules(3, naive=False)
    assert [s.out_channels for s in naive] == [416, 640, 864]  # + (64 + 128 + 32) each time
    assert [s.in_channels for s in naive] == [192, 416, 640]
    assert [s.out_channels for s in reduced] == [256, 256, 256]
    assert naive[0].multiply_adds == 28 * 28 * 192 * (64 + 9 * 128 + 25 * 32)


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_bad_widths(bad):
    with pytest.raises(ValueError, match="正整数"):
        module_cost(192, 28, 64, bad, 128, 16, 32, 32)
    with pytest.raises(ValueError, match="n_modules"):
        stack_modules(bad, naive=True)

"""The paper's facts as data: internal consistency checks that do not restate the numbers."""

import pytest

from googlenet import paper


def test_table1_channels_chain():
    rows = paper.inception_rows()
    assert [r.name[-2:] for r in rows] == ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"]
    for r in rows:  # a module's output depth is the sum of its four branches
        n1, _, n3, _, n5, pp = r.inception_args
        assert n1 + n3 + n5 + pp == r.output[2]


def test_table1_depth_column_sums_to_22():
    assert sum(r.depth for r in paper.TABLE1) == paper.DEPTH_WITH_PARAMETERS
    pools = sum(1 for r in paper.TABLE1 if r.type in ("max pool", "avg pool"))
    assert sum(r.depth for r in paper.TABLE1) + pools == paper.DEPTH_WITH_POOLING


def test_section7_crop_count():
    assert paper.TESTING.crops_per_image == 4 * 3 * 6 * 2 == 144


def test_table3_cost_is_models_times_crops():
    for row in paper.TABLE3:
        assert row.cost == row.models * row.crops


def test_parse_printed():
    assert paper.parse_printed("2.7K") == 2700
    assert paper.parse_printed("1388K") == 1_388_000
    assert paper.parse_printed("34M") == 34e6
    with pytest.raises(ValueError, match="无法解析"):
        paper.parse_printed("12")


def test_row_lookup_and_labels():
    assert paper.table1_row("inception4a").label == "inception (4a)"
    assert paper.table1_row("dropout").label == "dropout (40%)"
    assert paper.TRAINING.main_dropout == paper.table1_row("dropout").dropout  # one number, not two
    with pytest.raises(KeyError, match="表 1"):
        paper.table1_row("inception6a")
    with pytest.raises(ValueError, match="不是 Inception"):
        paper.table1_row("conv1").inception_args

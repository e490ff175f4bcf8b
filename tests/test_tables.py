"""CJK-aware plain-text tables."""

import pytest

from googlenet.tables import display_width, format_table


def test_display_width_counts_cjk_twice():
    assert display_width("abc") == 3
    assert display_width("权重") == 4
    assert display_width("3×3 降维") == 8  # × is narrow, 降维 wide


def test_columns_line_up_by_display_width():
    text = format_table(["模块", "权重", "倍数"], [["3a", 163_328, "2.41×"], ["阶段 4", 2_805_504, "4.25×"]])
    lines = text.splitlines()
    assert lines[2].startswith("3a    ") and "163,328" in lines[2]
    # numbers are right-aligned: every row ends its number column at the same display column
    ends = [display_width(line[: line.index(num) + len(num)]) for line, num in
            zip(lines[2:], ("163,328", "2,805,504"))]
    assert ends[0] == ends[1]
    assert display_width(lines[0]) == display_width(lines[1])  # header and rule agree


def test_blank_cells_keep_a_column_numeric():
    text = format_table(["层", "占比"], [["a", "3.2%"], ["b", "57.1%"], ["合计", ""]])
    assert text.splitlines()[2].endswith(" 3.2%")


def test_bad_row_length():
    with pytest.raises(ValueError, match="列数"):
        format_table(["a", "b"], [[1]])

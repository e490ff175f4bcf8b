"""Explorers: their text is right, and they only use widgets that exist in ipywidgets 7.7."""

import ast
from pathlib import Path

import ipywidgets as w

import googlenet.book.widgets as widgets
from googlenet.book.widgets import describe_reduction, describe_widening, reduction_explorer, widening_explorer

# Core widgets whose constructors and traits used here are the same on 7.7 and 8.x.
ALLOWED = {"IntSlider", "Dropdown", "HBox", "VBox", "Output", "HTML", "Layout", "interactive_output"}
# The result goes to an HTML widget, never printed (see the module docstring).
assert "print(" not in Path(widgets.__file__).read_text(encoding="utf-8")


def test_only_portable_widgets_are_used():
    tree = ast.parse(Path(widgets.__file__).read_text(encoding="utf-8"))
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "w"}
    assert used <= ALLOWED, used - ALLOWED


def test_describe_widening_by_hand():
    text = describe_widening(128, 256)
    assert f"{28 * 28 * 64 * 128 * 9:,}" in text
    assert f"{28 * 28 * 128 * 256 * 9:,}" in text


def test_describe_reduction_table_choice_matches_table1_row():
    text = describe_reduction("inception3a", 96, 16)
    assert "163,328 个权重" in text and "128,049,152 次乘加" in text
    assert "28×28×256" in text
    assert "2.41 倍" in text


def test_reduction_explorer_resets_sliders_for_each_row():
    box = reduction_explorer("inception3a")
    pick, r3, r5 = box.children[:3]
    assert isinstance(pick, w.Dropdown) and (r3.value, r5.value) == (96, 16)
    result = box.children[-1]
    assert isinstance(result, w.HTML) and "163,328 个权重" in result.value
    r5.value = 32
    assert "#5×5 降维 32" in result.value and "179,200 个权重" in result.value
    pick.value = "inception5b"
    assert (r3.value, r5.value, r3.max) == (192, 48, 832)
    assert "inception (5b)" in result.value and "7×7×1024" in result.value


def test_widening_explorer_builds():
    box = widening_explorer()
    sliders = [c for c in box.children if isinstance(c, w.IntSlider)]
    assert [s.value for s in sliders] == [128, 128]
    sliders[1].value = 256
    assert f"{28 * 28 * 128 * 256 * 9:,}" in box.children[-1].value
    assert sliders[0].layout is not sliders[1].layout

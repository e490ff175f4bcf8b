"""Results handed between notebooks: atomic JSON, clear errors."""

import json

import pytest

from googlenet.book.results import load_result, save_result


def test_round_trip_and_missing(tmp_path):
    assert load_result("training", tmp_path) is None
    path = save_result("training", {"accuracy": 0.91, "epochs": [1, 2], "名称": "主模型"}, tmp_path)
    assert path.name == "training.json"
    assert load_result("training", tmp_path) == {"accuracy": 0.91, "epochs": [1, 2], "名称": "主模型"}
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_overwrite_is_whole(tmp_path):
    save_result("x", {"a": 1}, tmp_path)
    save_result("x", {"b": 2}, tmp_path)
    assert json.loads((tmp_path / "x.json").read_text()) == {"b": 2}


@pytest.mark.parametrize("name, payload, fragment", [
    ("", {}, "结果名"),
    ("../evil", {}, "结果名"),
    ("ok", [1, 2], "dict"),
    ("ok", {"v": float("nan")}, "NaN"),
    ("ok", {"v": [1.0, float("inf")]}, "NaN"),
])
def test_bad_input(tmp_path, name, payload, fragment):
    with pytest.raises(ValueError, match=fragment):
        save_result(name, payload, tmp_path)


def test_corrupt_file_says_what_to_do(tmp_path):
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="重新运行"):
        load_result("broken", tmp_path)

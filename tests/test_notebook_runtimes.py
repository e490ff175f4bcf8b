"""`python -m tools.notebook_tools runtimes`: a notebook's runtime from its cell timing metadata."""

import nbformat
import pytest

from tools import notebook_tools


def _cell(source, start=None, end=None):
    cell = nbformat.v4.new_code_cell(source)
    if start is not None:
        cell.metadata["execution"] = {
            "iopub.execute_input": start, "iopub.status.busy": start,
            "iopub.status.idle": end, "shell.execute_reply": end}
    return cell


def _write(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 计时"), *cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def timed(tmp_path):
    # the install cell (not timed), then three cells: 12:00:00.25 → 12:03:23.75 is 203.5 s
    return _write(tmp_path / "06_timed.ipynb", [
        _cell("%pip install ..."),
        _cell("import torch", "2026-11-27T12:00:00.250000Z", "2026-11-27T12:00:02.000000Z"),
        _cell("train()", "2026-11-27T12:00:02.100000Z", "2026-11-27T12:03:20.000000Z"),
        _cell("plot()", "2026-11-27T12:03:20.100000Z", "2026-11-27T12:03:23.750000Z"),
    ])


@pytest.fixture
def untimed(tmp_path):
    return _write(tmp_path / "09_untimed.ipynb", [_cell("print(1)"), _cell("print(2)")])


def test_runtime_spans_first_input_to_last_reply(timed):
    assert notebook_tools.recorded_runtime(timed) == pytest.approx(203.5)
    assert notebook_tools.recorded_runtime(str(timed)) == pytest.approx(203.5)
    assert notebook_tools.recorded_runtime(nbformat.read(timed, as_version=4)) == pytest.approx(203.5)


def test_notebook_without_timing_is_none(untimed):
    assert notebook_tools.recorded_runtime(untimed) is None


def test_cells_run_out_of_order_give_no_figure(tmp_path):
    path = _write(tmp_path / "rerun.ipynb", [
        _cell("a", "2026-11-27T12:05:00Z", "2026-11-27T12:05:01Z"),
        _cell("b", "2026-11-27T12:00:00Z", "2026-11-27T12:00:01Z")])
    assert notebook_tools.recorded_runtime(path) is None


def test_table_lists_seconds_rounded_figure_and_unrecorded(timed, untimed):
    text = notebook_tools.runtimes_table([timed, untimed])
    lines = text.splitlines()
    assert lines[0].split() == ["笔记本", "运行时间（秒）", "约合"]
    row = next(line for line in lines if line.startswith("06_timed.ipynb"))
    assert "203.5" in row and "约 3.5 分钟" in row
    row = next(line for line in lines if line.startswith("09_untimed.ipynb"))
    assert row.split() == ["09_untimed.ipynb", "未记录"]
    assert lines[-1].split()[:2] == ["合计（不含", "1"] and "203.5" in lines[-1]


@pytest.mark.parametrize("seconds, text", [(0.2, "约 1 秒"), (5.8, "约 6 秒"), (74.2, "约 75 秒"),
                                           (102.9, "约 105 秒"), (203.1, "约 3.5 分钟"), (417.6, "约 7 分钟")])
def test_rounded_figures(seconds, text):
    assert notebook_tools._about(seconds) == text


def test_command_line(timed, untimed, capsys):
    notebook_tools.main(["runtimes", str(timed), str(untimed)])
    out = capsys.readouterr().out
    assert "06_timed.ipynb" in out and "203.5" in out and "未记录" in out


def test_no_notebooks_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="没有笔记本"):
        notebook_tools.runtimes_table()

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


# ---- the teacher guide quotes what the notebooks record ----------------------------------------

import re  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "book" / "appendix_teaching.md"
_QUOTE = re.compile(r"(不到|约)\s*([\d.]+)\s*(秒|分钟)")


def quoted_runtimes(text: str) -> list[tuple[str, str, float]]:
    """(notebook id, "不到" or "约", seconds) for every table row that names notebooks and a time."""
    found = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2 or not (m := _QUOTE.search(cells[-1])):
            continue
        ids = re.findall(r"notebooks/(\d\db?)_", line) or re.findall(r"(?<![\d.])(\d\db?)(?=、|\s*$)", cells[0])
        seconds = float(m.group(2)) * (60 if m.group(3) == "分钟" else 1)
        found += [(i, m.group(1), seconds) for i in ids]
    return found


def check_quotes(quotes, recorded: dict[str, float]) -> list[str]:
    problems = []
    for nb, kind, seconds in quotes:
        actual = recorded.get(nb)
        if actual is None:
            problems.append(f"{nb}：笔记本没有记录运行时间")
        elif kind == "不到" and not actual < seconds:
            problems.append(f"{nb}：写着不到 {seconds:g} 秒，记录为 {actual:.0f} 秒")
        elif kind == "约" and not 0.75 * actual <= seconds <= 1.25 * actual:
            problems.append(f"{nb}：写着约 {seconds:g} 秒，记录为 {actual:.0f} 秒（差距超过 25 %）")
    return problems


def test_the_teacher_guide_quotes_the_recorded_runtimes():
    recorded = {p.name.split("_")[0]: notebook_tools.recorded_runtime(p)
                for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    quotes = quoted_runtimes(GUIDE.read_text(encoding="utf-8"))
    assert {nb for nb, _, _ in quotes} == set(recorded)  # every notebook is quoted
    assert check_quotes(quotes, recorded) == []


def test_the_runtime_check_can_fail():
    text = "| 06 | 训练 | 约 4 分钟 |\n| [07](../notebooks/07_multicrop.ipynb) | x | 约 100 秒 |\n| 01、02 | y | 每个不到 10 秒 |"
    quotes = quoted_runtimes(text)
    assert quotes == [("06", "约", 240.0), ("07", "约", 100.0), ("01", "不到", 10.0), ("02", "不到", 10.0)]
    assert check_quotes(quotes, {"06": 230, "07": 614, "01": 3, "02": 12}) == [
        "07：写着约 100 秒，记录为 614 秒（差距超过 25 %）", "02：写着不到 10 秒，记录为 12 秒"]


def _printed(path, text):
    cell = nbformat.v4.new_code_cell("print(rate)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    nbformat.write(nb, path)


def test_recorded_throughput_far_below_todays_is_flagged(tmp_path):
    _printed(tmp_path / "06_train_on_subset.ipynb", "带辅助分类器：训练 95 秒，40 张/秒\n不带：训练 85 秒，140 张/秒\n")
    _printed(tmp_path / "07_multicrop.ipynb", "48000 次前向计算，用时 102 秒，每秒 472 个视图\n")
    recorded = notebook_tools.recorded_rates(tmp_path)
    assert recorded == [("06_train_on_subset.ipynb", "train", 40.0), ("06_train_on_subset.ipynb", "train", 140.0),
                        ("07_multicrop.ipynb", "inference", 472.0)]
    warnings = notebook_tools.throughput_warnings(recorded, {"train": 150.0, "inference": 500.0})
    assert len(warnings) == 1 and "06_train_on_subset.ipynb" in warnings[0] and "40" in warnings[0]
    assert notebook_tools.throughput_warnings(recorded, {"train": 60.0, "inference": 500.0}) == []


def test_committed_notebooks_print_their_speed():
    kinds = {(name, kind) for name, kind, _ in notebook_tools.recorded_rates()}
    assert kinds == {(n, k) for n, _, k in notebook_tools.RECORDED_RATES}  # the patterns still match

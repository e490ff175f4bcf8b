"""`python -m googlenet`: Chinese help, defaults, a tiny run end to end, and every user mistake
ending in one `错误：` line (exit status 2 for bad input, 1 for a failed run), never a traceback."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from googlenet.extras.cli import build_parser, main
from googlenet.train import TrainConfig

TINY_ARGS = ["--train-per-class", "2", "--test-per-class", "1", "--batch-size", "5", "--precision", "fp32",
             "--lr", "0.05", "--no-progress"]
ROOT = Path(__file__).resolve().parent.parent

# every test here trains on tiny batches: use the one-thread fixture from conftest.py
pytestmark = pytest.mark.usefixtures("one_thread")


def cli(*args, code: str | None = None, cwd=None, timeout=180) -> subprocess.CompletedProcess:
    """`python -m googlenet ARGS` in a subprocess (or ``python -c CODE`` that patches, then calls main)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "googlenet", *args] if code is None else [sys.executable, "-c", code, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def assert_polite(result, status: int, *words: str) -> None:
    """One `错误：` line on stderr naming ``words``, the given exit status, no Python traceback."""
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("command, words", [
    ("train", ["训练", "辅助分类器", "学习率", "--resume", "torchrun"]),
    ("evaluate", ["top-1", "top-5", "检查点"]),
])
def test_help_is_chinese(command, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in words:
        assert word in text, word


def test_train_defaults_are_the_bundled_subset_and_the_config_defaults():
    args = build_parser().parse_args(["train"])
    d = TrainConfig()
    assert args.dataset == "subset" and args.name == "subset" and args.out_dir is None
    assert (args.epochs, args.batch_size, args.lr, args.image_size, args.variant, args.schedule) == (
        d.epochs, d.batch_size, d.lr, d.image_size, d.variant, d.schedule)
    assert not args.no_aux and not args.download


def test_train_then_resume_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    main(["train", *TINY_ARGS, "--epochs", "2", "--stop-after", "1", "--out-dir", str(out)])
    assert json.loads((out / "history.json").read_text(encoding="utf-8"))["history"][-1]["epoch"] == 1
    main(["train", *TINY_ARGS, "--epochs", "2", "--out-dir", str(out), "--resume"])
    printed = capsys.readouterr().out
    assert "完成 2/2 轮" in printed and "curves.png" in printed and (out / "curves.png").stat().st_size > 0
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 2 and state["config"]["batch_size"] == 5

    main(["evaluate", str(out), "--device", "cpu", "--test-per-class", "5"])
    printed = capsys.readouterr().out
    assert "50 张" in printed and "Polyak 平均" in printed and "原始" in printed and "top-5 错误率" in printed


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A 1-epoch tiny run on disk, shared by the subprocess tests below."""
    out = tmp_path_factory.mktemp("cli") / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    main(["train", *TINY_ARGS, "--epochs", "1", "--out-dir", str(out)])
    torch.set_num_threads(threads)
    return out


# ---- user mistakes, each as a subprocess -------------------------------------------------------


def test_missing_checkpoint(tmp_path):
    assert_polite(cli("evaluate", str(tmp_path / "nowhere"), "--device", "cpu"), 2, "找不到检查点文件", "nowhere")


def test_corrupt_checkpoint(finished_run, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes((finished_run / "checkpoint.pt").read_bytes()[:1000])
    assert_polite(cli("evaluate", str(bad), "--device", "cpu"), 2, "已损坏", "bad.pt")


def test_evaluate_a_named_checkpoint_file_evaluates_that_file(finished_run, tmp_path):
    other = tmp_path / "other.pt"
    other.write_bytes((finished_run / "checkpoint.pt").read_bytes())
    (finished_run / "checkpoint.pt").rename(finished_run / "moved.pt")  # no checkpoint.pt beside it
    try:
        result = cli("evaluate", str(other), "--device", "cpu", "--test-per-class", "2")
    finally:
        (finished_run / "moved.pt").rename(finished_run / "checkpoint.pt")
    assert result.returncode == 0, result.stderr
    assert f"检查点：{other}" in result.stdout and "20 张" in result.stdout


def test_checkpoint_from_another_config(finished_run):
    result = cli("train", *TINY_ARGS, "--epochs", "1", "--seed", "3", "--out-dir", str(finished_run), "--resume")
    assert_polite(result, 2, "训练配置与本次不同", "seed")


def test_existing_checkpoint_is_not_overwritten(finished_run):
    assert_polite(cli("train", *TINY_ARGS, "--epochs", "1", "--out-dir", str(finished_run)), 2,
                  "已有检查点", "--resume", "--overwrite")


@pytest.mark.parametrize("args, words", [
    (["--epochs", "0"], ["epochs 应为正整数", "收到 0"]),
    (["--image-size", "32"], ["image_size 应为不小于 64", "收到 32"]),
    (["--workers", "-1"], ["workers 应为非负整数", "收到 -1"]),
    (["--epochs", "x"], ["--epochs", "'x'", "int"]),
    (["--schedule", "linear"], ["--schedule", "'linear'", "onecycle"]),
    (["--colour", "red"], ["无法识别的参数", "--colour"]),
])
def test_bad_argument_values(tmp_path, args, words):
    assert_polite(cli("train", *TINY_ARGS, "--out-dir", str(tmp_path / "x"), *args), 2, *words)


def test_missing_data_offline(tmp_path):
    result = cli("train", *TINY_ARGS, "--dataset", "fashion-mnist", "--data-root", str(tmp_path / "nothing"),
                 "--out-dir", str(tmp_path / "x"))
    assert_polite(result, 2, "找不到 Fashion-MNIST", "--download")


def test_failed_download_is_a_failed_run(tmp_path):
    code = ("import sys, googlenet.extras.downloads as d\n"
            "def offline(*a, **k): raise d._download_error('Fashion-MNIST', d.Path('data'), OSError('network is unreachable'))\n"
            "d.fashion_mnist_full = offline\n"
            "from googlenet.extras.cli import main; main(sys.argv[1:])")
    result = cli("train", *TINY_ARGS, "--dataset", "fashion-mnist", "--download", "--out-dir", str(tmp_path / "x"),
                 code=code)
    assert_polite(result, 1, "下载 Fashion-MNIST 失败", "联网")


def test_diverged_training_is_a_failed_run(tmp_path):
    result = cli("train", *TINY_ARGS, "--epochs", "3", "--lr", "1e12", "--schedule", "paper", "--batch-size", "10",
                 "--out-dir", str(tmp_path / "x"))
    assert_polite(result, 1, "训练发散", "lr=1000000000000.0")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_gpu_that_is_not_there(tmp_path):
    assert_polite(cli("train", *TINY_ARGS, "--device", "cuda", "--out-dir", str(tmp_path / "x")), 2,
                  "没有可用的 CUDA GPU", "--device cpu")


def test_debug_shows_the_traceback(tmp_path):
    result = cli("--debug", "evaluate", str(tmp_path / "nowhere"), "--device", "cpu")
    assert result.returncode != 0 and "Traceback" in result.stderr and "FileNotFoundError" in result.stderr


def test_ctrl_c_names_the_checkpoint_and_the_command_that_resumes(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    args = ["train", *TINY_ARGS, "--epochs", "200", "--out-dir", str(out)]
    # As from a terminal: a shell's background job (nohup … &, how CI may run) inherits SIGINT
    # ignored, and Python then never raises KeyboardInterrupt; restore the default in the child.
    proc = subprocess.Popen([sys.executable, "-m", "googlenet", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / "history.json").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    try:  # generous: a loaded 2-core CI machine; a swallowed Ctrl-C would run 200 epochs and exit 0
        _, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("Ctrl-C 之后训练进程 180 秒内没有退出")
    assert proc.returncode == 130 and "Traceback" not in err, err
    line = err.strip().splitlines()[-1]
    done = torch.load(out / "checkpoint.pt", weights_only=True)["epoch"]
    assert line.startswith("已中断：") and f"第 {done} 轮结束时" in line and str(out / "checkpoint.pt") in line
    command = line.split("接着训练：")[1]
    assert command.startswith("python -m googlenet train") and command.endswith("--resume")
    assert f"--out-dir {out}" in command and "--epochs 200" in command


def test_make_subset_tool_from_local_files(tmp_path, capsys):
    from test_data import tiny_fashion_mnist
    from tools import make_subset

    tiny_fashion_mnist(tmp_path / "src")
    make_subset.main(["--source", str(tmp_path / "src"), "--out", str(tmp_path / "out"),
                      "--train-per-class", "3", "--test-per-class", "1"])
    printed = capsys.readouterr().out
    assert "训练 30 张、测试 10 张" in printed and "sha256" in printed
    manifest = json.loads((tmp_path / "out" / "fashion_mnist_subset.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["train"] == {"total": 30, "per_class": 3}
    with pytest.raises(SystemExit, match="错误：.*找不到"):
        make_subset.main(["--source", str(tmp_path / "nothing"), "--out", str(tmp_path / "o2")])

"""`python -m googlenet train / evaluate / make-subset`: Chinese help, defaults, a tiny run end to end."""

import json
import subprocess
import sys

import pytest
import torch

from googlenet.__main__ import build_parser, main
from googlenet.train import TrainConfig

TINY_ARGS = ["--train-per-class", "2", "--test-per-class", "1", "--batch-size", "5", "--precision", "fp32",
             "--lr", "0.05", "--no-progress"]


# every test here trains on tiny batches: use the one-thread fixture from conftest.py
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("command, words", [
    ("train", ["训练", "辅助分类器", "学习率", "--resume", "torchrun"]),
    ("evaluate", ["top-1", "top-5", "检查点"]),
    ("make-subset", ["类别均衡", "sha256", "/usr/share/datasets/fashion-mnist"]),
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
    with pytest.raises(FileExistsError, match="--resume"):
        main(["train", *TINY_ARGS, "--epochs", "2", "--out-dir", str(out)])
    main(["train", *TINY_ARGS, "--epochs", "2", "--out-dir", str(out), "--resume"])
    printed = capsys.readouterr().out
    assert "完成 2/2 轮" in printed and "curves.png" in printed
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 2 and state["config"]["batch_size"] == 5

    main(["evaluate", str(out), "--device", "cpu", "--test-per-class", "5"])
    printed = capsys.readouterr().out
    assert "50 张" in printed and "Polyak 平均" in printed and "原始" in printed and "top-5 错误率" in printed


def test_train_rejects_bad_values_in_chinese(tmp_path):
    with pytest.raises(ValueError, match="image_size 应为不小于 64"):
        main(["train", *TINY_ARGS, "--image-size", "32", "--out-dir", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        main(["train", "--schedule", "linear"])


def test_make_subset_from_local_files(tmp_path, capsys):
    from test_data import tiny_fashion_mnist

    tiny_fashion_mnist(tmp_path / "src")
    main(["make-subset", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "out"),
          "--train-per-class", "3", "--test-per-class", "1"])
    printed = capsys.readouterr().out
    assert "训练 30 张、测试 10 张" in printed and "sha256" in printed
    manifest = json.loads((tmp_path / "out" / "fashion_mnist_subset.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["train"] == {"total": 30, "per_class": 3}


@pytest.mark.slow
def test_module_entry_point_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "googlenet", "train", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "随包附带" in result.stdout and result.stderr == ""

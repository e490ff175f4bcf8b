"""The trainer: schedules, loss, evaluation, checkpoints, exact resume, divergence, the book's API."""

import dataclasses
import json
import math

import pytest
import torch

from googlenet import paper, train
from googlenet.extras.checkpoint import CheckpointError, load_checkpoint
from googlenet.extras import cli
from googlenet.model import GoogLeNetOutputs

# 20 training images (2 per class), 10 test images, 64 px, batches of 5: 4 steps per epoch.
TINY = train.TrainConfig(train_per_class=2, test_per_class=1, epochs=2, batch_size=5, lr=0.05,
                         precision="fp32", ema_decay=0.5)


# every test here trains on tiny batches: use the one-thread fixture from conftest.py
pytestmark = pytest.mark.usefixtures("one_thread")


def run(tmp_path, name="run", config=TINY, **kwargs):
    return train.train(config, tmp_path / name, progress=False, **kwargs)


def same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---- schedules -------------------------------------------------------------------------------


def test_paper_schedule_is_4_percent_every_8_epochs():
    f = lambda step: train.lr_factor(step, schedule="paper", total_steps=10_000, steps_per_epoch=10)
    assert f(0) == f(79) == 1.0
    assert f(80) == pytest.approx(paper.TRAINING.lr_decay) == pytest.approx(0.96)
    assert f(160) == pytest.approx(0.96 ** 2)
    assert f(8 * 10 * 25) == pytest.approx(0.96 ** 25)


def test_onecycle_warms_up_then_decays_to_zero():
    total = 200
    f = [train.lr_factor(s, schedule="onecycle", total_steps=total, steps_per_epoch=20, warmup=0.1)
         for s in range(total + 1)]
    assert f[0] == pytest.approx(0.04)
    assert max(f) == pytest.approx(1.0) and f.index(max(f)) == 20
    assert all(a <= b for a, b in zip(f[:20], f[1:21]))  # rising
    assert all(a >= b for a, b in zip(f[20:], f[21:]))  # then falling
    assert f[total] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="schedule 应为"):
        train.lr_factor(0, schedule="step", total_steps=1, steps_per_epoch=1)


def test_lr_curve_for_plots():
    x, lrs = train.lr_curve(dataclasses.replace(TINY, schedule="paper", lr=0.01), steps_per_epoch=4, epochs=24)
    assert len(x) == len(lrs) == 96 and x[-1] == pytest.approx(23.75)
    assert lrs[0] == 0.01 and lrs[-1] == pytest.approx(0.01 * 0.96 ** 2)


# ---- config, loss, evaluation ----------------------------------------------------------------


def test_config_validation_names_the_value():
    with pytest.raises(ValueError, match="image_size 应为不小于 64 的整数.*收到 32"):
        train.TrainConfig(image_size=32)
    with pytest.raises(ValueError, match="schedule 应为.*收到 'linear'"):
        train.TrainConfig(schedule="linear")
    with pytest.raises(ValueError, match="lr 应为有限正数"):
        train.TrainConfig(lr=float("nan"))
    with pytest.raises(ValueError, match="未知的训练配置字段"):
        train.TrainConfig.from_dict({**TINY.to_dict(), "colour": 1})
    assert train.TrainConfig.from_dict(TINY.to_dict()) == TINY


def test_default_recipe_follows_the_paper_where_it_speaks():
    c = train.TrainConfig()
    assert c.aux_weight == paper.AUX.loss_weight == 0.3
    assert c.momentum == paper.TRAINING.momentum == 0.9
    assert c.dataset == "subset"


def test_loss_is_main_plus_0_3_times_the_aux_losses():
    torch.manual_seed(0)
    y = torch.tensor([0, 1, 2])
    out = GoogLeNetOutputs(torch.randn(3, 10), torch.randn(3, 10), torch.randn(3, 10))
    total, parts = train.loss_terms(out, y)
    ce = torch.nn.functional.cross_entropy
    expected = ce(out.logits, y) + 0.3 * (ce(out.aux1, y) + ce(out.aux2, y))
    torch.testing.assert_close(total, expected)
    assert set(parts) == {"logits", "aux1", "aux2"}
    total, parts = train.loss_terms(out.logits, y)
    torch.testing.assert_close(total, ce(out.logits, y))


def test_evaluate_scores_every_head_in_eval_mode():
    from googlenet import GoogLeNet
    from googlenet.data import ImageDataset

    torch.manual_seed(0)
    model = GoogLeNet(num_classes=10, in_channels=1, variant="torchvision").train()
    ds = ImageDataset(torch.randint(0, 256, (12, 64, 64), dtype=torch.uint8), torch.arange(12) % 10,
                      tuple("abcdefghij"))
    a = train.evaluate(model, ds, batch_size=5, heads=True)
    b = train.evaluate(model, ds, batch_size=12, heads=True)
    assert model.training  # restored
    assert set(a) == {"top1", "top5", "loss", "aux1_top1", "aux2_top1"}
    for k in a:  # dropout off and running statistics used: batching does not matter
        assert a[k] == pytest.approx(b[k], abs=1e-6)
    assert 0 <= a["top1"] <= a["top5"] <= 1
    # consistency with a plain eval-mode forward
    model.eval()
    with torch.no_grad():
        logits = model(torch.stack([ds[i][0] for i in range(12)]))
    assert a["top1"] == pytest.approx((logits.argmax(1) == ds.targets).float().mean().item())


# ---- the trainer ----------------------------------------------------------------------------


def test_a_tiny_run_writes_checkpoint_and_history(tmp_path):
    r = run(tmp_path)
    out = tmp_path / "run"
    assert {p.name for p in out.iterdir()} == {"checkpoint.pt", "history.json"}  # curves.png: the CLI draws it
    assert len(r.history) == 2 and r.history[-1]["epoch"] == 2
    e = r.history[-1]
    for key in ("loss_main", "loss_aux1", "loss_aux2", "train_acc", "lr", "train_time_s", "images_per_s",
                "test_acc", "test_top5", "test_acc_avg", "test_acc_aux1", "test_acc_aux2"):
        assert e[key] is not None and math.isfinite(e[key]), key
    assert e["images"] == 20 and e["precision"] == "fp32"
    assert json.loads((out / "history.json").read_text(encoding="utf-8"))["history"] == r.history
    state = torch.load(out / "checkpoint.pt", weights_only=True)  # only tensors and plain containers
    assert state["epoch"] == 2 and state["config"] == TINY.to_dict()
    assert not r.model.training and not r.averaged.training


def test_same_seed_same_weights_and_averaged_batch_norm(tmp_path):
    a, b = run(tmp_path, "a"), run(tmp_path, "b")
    assert same_state(a.model.state_dict(), b.model.state_dict())
    assert same_state(a.averaged.state_dict(), b.averaged.state_dict())
    # use_buffers=True: the batch-norm statistics are averaged, not copied from the raw model
    raw, avg = a.model.conv1.bn.running_mean, a.averaged.conv1.bn.running_mean
    assert not torch.equal(raw, avg)


@pytest.mark.slow
def test_interrupted_and_resumed_run_ends_bit_identical(tmp_path):
    config = dataclasses.replace(TINY, epochs=3)
    whole = run(tmp_path, "whole", config)
    part = run(tmp_path, "parts", config, stop_after=1)
    assert len(part.history) == 1
    part = run(tmp_path, "parts", config, stop_after=2, resume=True)
    part = run(tmp_path, "parts", config, resume=True)
    assert same_state(whole.model.state_dict(), part.model.state_dict())
    assert same_state(whole.averaged.state_dict(), part.averaged.state_dict())
    strip = lambda h: [{k: v for k, v in e.items() if "time" not in k and k != "images_per_s"} for e in h]
    assert strip(whole.history) == strip(part.history)
    # a finished run is loaded, not retrained
    again = run(tmp_path, "parts", config, resume=True)
    assert len(again.history) == 3 and same_state(again.model.state_dict(), whole.model.state_dict())


def test_existing_checkpoint_is_never_overwritten_by_accident(tmp_path):
    run(tmp_path, config=dataclasses.replace(TINY, epochs=1))
    with pytest.raises(FileExistsError, match="已有检查点.*resume"):
        run(tmp_path, config=dataclasses.replace(TINY, epochs=1))
    r = run(tmp_path, config=dataclasses.replace(TINY, epochs=1, seed=3), overwrite=True)
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["config"]["seed"] == 3 and len(r.history) == 1


def test_resume_with_another_config_is_refused(tmp_path):
    run(tmp_path, stop_after=1)
    with pytest.raises(CheckpointError, match="(?s)训练配置与本次不同.*lr：检查点中为 0.05，本次为 0.1"):
        run(tmp_path, config=dataclasses.replace(TINY, lr=0.1), resume=True)


def test_corrupt_checkpoint_gives_a_clear_error(tmp_path):
    run(tmp_path, stop_after=1)
    path = tmp_path / "run" / "checkpoint.pt"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(CheckpointError, match="已损坏或不是本包写出的文件"):
        run(tmp_path, resume=True)
    torch.save({"format": "something else"}, path)
    with pytest.raises(CheckpointError, match="格式为 'something else'"):
        train.load_run(tmp_path / "run")
    with pytest.raises(FileNotFoundError, match="找不到检查点文件"):
        train.load_run(tmp_path / "nowhere")


def test_a_pickled_object_is_refused_by_weights_only(tmp_path):
    path = tmp_path / "run" / "checkpoint.pt"
    path.parent.mkdir()
    torch.save({"format": "googlenet-train/1", "config": dataclasses.replace(TINY)}, path)  # a dataclass, not plain data
    with pytest.raises(CheckpointError, match="无法读取"):
        load_checkpoint(path)


def test_nan_loss_stops_with_the_last_good_checkpoint_intact(tmp_path, monkeypatch):
    run(tmp_path, stop_after=1)
    path = tmp_path / "run" / "checkpoint.pt"
    before = path.read_bytes()
    real = train.loss_terms
    calls = {"n": 0}

    def poisoned(outputs, targets, aux_weight=0.3):
        calls["n"] += 1
        total, parts = real(outputs, targets, aux_weight)
        return (total * float("nan") if calls["n"] == 3 else total), parts

    monkeypatch.setattr(train, "loss_terms", poisoned)
    with pytest.raises(train.TrainingDivergedError, match="(?s)第 2 轮第 3 步的损失为 nan.*第 1 轮结束时.*没有被改动"):
        run(tmp_path, resume=True)
    assert path.read_bytes() == before
    assert not list(path.parent.glob(".*.tmp"))  # no half-written file left behind


def test_absurd_learning_rate_diverges_cleanly(tmp_path):
    config = dataclasses.replace(TINY, lr=1e12, epochs=3, schedule="paper", batch_size=10)
    with pytest.raises(train.TrainingDivergedError, match="不是有限数.*学习率过大"):
        run(tmp_path, config=config)


def test_batch_larger_than_the_data_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="batch_size=64 大于每个进程的训练样本数 20"):
        run(tmp_path, config=dataclasses.replace(TINY, batch_size=64))


def test_evaluate_checkpoint_evaluates_the_file_it_is_given(tmp_path):
    run(tmp_path, config=dataclasses.replace(TINY, epochs=2))
    out = tmp_path / "run"
    (out / "epoch1.pt").write_bytes((out / "checkpoint.pt").read_bytes())
    run(tmp_path, config=dataclasses.replace(TINY, epochs=3), overwrite=True)  # checkpoint.pt moves on
    first, test_set, results = cli.evaluate_checkpoint(out / "epoch1.pt", device="cpu", test_per_class=20)
    assert len(first.history) == 2  # the file named, not checkpoint.pt (3 epochs)
    assert len(cli.evaluate_checkpoint(out, device="cpu", test_per_class=20)[0].history) == 3
    assert len(test_set) == 200 and set(results) == {"Polyak 平均", "原始"}  # not the config's 1 per class
    # the numbers are the independent evaluate() of the same weights on the same images
    assert results["原始"] == train.evaluate(first.model, test_set)
    assert results["Polyak 平均"] == train.evaluate(first.averaged, test_set)


def test_load_run_rejects_weights_that_do_not_fit_their_config(tmp_path):
    run(tmp_path, config=dataclasses.replace(TINY, epochs=1))
    path = tmp_path / "run" / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["num_classes"] = 7
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="权重与其训练配置不符"):
        train.load_run(path)
    del state["num_classes"]
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="不完整"):
        train.load_run(path)


def test_keyboard_interrupt_names_the_checkpoint_on_disk(tmp_path, monkeypatch):
    run(tmp_path, stop_after=1)
    real, calls = train.loss_terms, {"n": 0}

    def interrupt(outputs, targets, aux_weight=0.3):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(outputs, targets, aux_weight)

    monkeypatch.setattr(train, "loss_terms", interrupt)
    with pytest.raises(train.TrainingInterrupted, match="第 2 轮中途被中断.*第 1 轮结束时写出"):
        run(tmp_path, resume=True)
    assert isinstance(train.TrainingInterrupted("x"), KeyboardInterrupt)  # notebooks still stop as on Ctrl-C


def test_training_and_evaluation_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="workers 应为非负整数.*收到 -1"):
        run(tmp_path, workers=-1)
    with pytest.raises(ValueError, match="eval_every 应为正整数.*收到 0"):
        run(tmp_path, eval_every=0)
    with pytest.raises(TypeError, match="config 应为 TrainConfig"):
        train.train({"epochs": 1}, tmp_path)
    with pytest.raises(ValueError, match="dataset 是空的"):
        from googlenet import GoogLeNet
        train.evaluate(GoogLeNet(num_classes=10, in_channels=1), [])


def test_keyboard_interrupt_during_evaluation_also_names_the_checkpoint(tmp_path, monkeypatch):
    """Ctrl-C after the steps (evaluating or saving) used to escape as a bare KeyboardInterrupt."""
    run(tmp_path, stop_after=1)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_test_entry", interrupt)
    with pytest.raises(train.TrainingInterrupted, match="第 2 轮中途被中断.*第 1 轮结束时写出"):
        run(tmp_path, resume=True)

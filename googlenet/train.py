"""The loop that trains GoogLeNet with §6's recipe (`googlenet.recipe`: loss main + 0.3 × (aux1 + aux2),
SGD with momentum 0.9, §6's image sampling, Polyak averaging).

`train` writes it out: per epoch re-seed, then per batch forward → loss → finite check → backward → SGD
step → schedule → Polyak update; then evaluate both weight sets and write a checkpoint (atomically,
`googlenet.extras.checkpoint`). Data order and random generator are functions of (seed, epoch, rank), so
``resume=True`` ends bit-identical to an uninterrupted run on CPU. A NaN loss (`TrainingDivergedError`) or
Ctrl-C (`TrainingInterrupted`) leaves the last checkpoint untouched. Device, precision and torchrun (DDP)
live in `googlenet.extras`, off the reader's path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .augment import eval_transform, train_transform
from .extras.checkpoint import (CheckpointError, load_checkpoint, restore_training_state,
                               save_training_state)
from .extras.device import autocast, resolve_device, resolve_precision
from .extras import distributed
from .model import GoogLeNet, GoogLeNetOutputs
from .recipe import TrainConfig, loss_terms, lr_curve, lr_factor, polyak_average  # noqa: F401 (re-exported)

CHECKPOINT_NAME = "checkpoint.pt"


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite; training stopped before taking the bad step."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; the message says which checkpoint is on disk."""


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, *, batch_size: int = 100, precision: str = "fp32",
             heads: bool = False, workers: int = 0) -> dict[str, float]:
    """Top-1/top-5 accuracy and loss of ``model`` (in eval mode, on its own device) on ``dataset``;
    ``heads=True`` also scores the auxiliary classifiers (`GoogLeNet.heads`)."""
    if len(dataset) == 0:
        raise ValueError("dataset 是空的：没有可评估的图像")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    want_heads = heads and getattr(model, "aux_logits", False)
    n, top1, top5, loss, aux1, aux2 = 0, 0, 0, 0.0, 0, 0
    try:
        for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers):
            x, y = x.to(device), y.to(device)
            with autocast(device, precision):
                out = model.heads(x) if want_heads else model(x)
            logits = (out.logits if want_heads else out).float()
            topk = logits.topk(min(5, logits.shape[1]), dim=1).indices
            n += len(y)
            top1 += int((topk[:, 0] == y).sum())
            top5 += int((topk == y[:, None]).any(dim=1).sum())
            loss += float(F.cross_entropy(logits, y, reduction="sum"))
            if want_heads:
                aux1 += int((out.aux1.argmax(1) == y).sum())
                aux2 += int((out.aux2.argmax(1) == y).sum())
    finally:
        model.train(was_training)
    result = {"top1": top1 / n, "top5": top5 / n, "loss": loss / n}
    if want_heads:
        result["aux1_top1"], result["aux2_top1"] = aux1 / n, aux2 / n
    return result


def build_datasets(config: TrainConfig, *, data_root: str | Path = "data",
                   download: bool = False) -> tuple[Dataset, Dataset]:
    """(training set with the §6 transform, test set with the evaluation transform)."""
    from . import data
    if config.dataset == "subset":
        train_set, test_set = data.fashion_mnist_subset("train"), data.fashion_mnist_subset("test")
    else:
        from .extras import downloads
        load = downloads.fashion_mnist_full if config.dataset == "fashion-mnist" else downloads.imagenette
        train_set = load("train", data_root, download=download)
        test_set = load("test", data_root, download=download)
    for name in ("train_per_class", "test_per_class"):
        per_class = getattr(config, name)
        if per_class is None:
            continue
        if config.dataset == "imagenette":
            raise ValueError(f"{name} 只适用于 Fashion-MNIST（子集或完整数据集），本次 dataset={config.dataset!r}")
        if name == "train_per_class":
            train_set = train_set.subset_per_class(per_class)
        else:
            test_set = test_set.subset_per_class(per_class)
    train_set.transform = train_transform(config.image_size, train_set.channels, config.augment)
    test_set.transform = eval_transform(config.image_size, test_set.channels)
    return train_set, test_set


def build_model(config: TrainConfig, num_classes: int = 10, in_channels: int = 1) -> GoogLeNet:
    return GoogLeNet(num_classes=num_classes, in_channels=in_channels, aux_logits=config.aux,
                     variant=config.variant)


@dataclass
class TrainResult:
    """What `train` returns: the config, both sets of weights (in eval mode), the history."""
    config: TrainConfig
    model: GoogLeNet  # raw weights after the last step
    averaged: GoogLeNet  # Polyak (EMA) average: the weights §6 uses at inference
    history: list[dict]
    out_dir: Path
    classes: tuple[str, ...] = ()

    @property
    def checkpoint(self) -> Path:
        return self.out_dir / CHECKPOINT_NAME

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def train(config: TrainConfig, out_dir: str | Path, *, resume: bool = False, overwrite: bool = False,
          stop_after: int | None = None, progress: bool = True, device: str | torch.device | None = None,
          workers: int = 0, eval_every: int = 1, data_root: str | Path = "data", download: bool = False,
          datasets: tuple[Dataset, Dataset] | None = None) -> TrainResult:
    """Train ``config``, keeping ``out_dir/checkpoint.pt`` and ``history.json`` up to date.

    ``resume`` continues from the checkpoint in ``out_dir`` (same config; a finished run is just loaded),
    ``overwrite`` starts afresh; with neither, an existing checkpoint is an error (no lost work).
    ``stop_after``: stop after this many epochs in total, on ``config.epochs``' schedule (train in pieces);
    ``eval_every``: test every this many epochs and at the end; ``device`` None: the GPU if there is one;
    ``datasets``: (train, test) datasets of ready inputs, instead of ``config.dataset``.
    """
    _check_arguments(config, stop_after, eval_every, workers)
    out_dir, cfg = Path(out_dir), config
    ckpt_path = out_dir / CHECKPOINT_NAME
    if ckpt_path.exists() and not (resume or overwrite):
        raise FileExistsError(f"{out_dir} 中已有检查点 {CHECKPOINT_NAME}：要接着训练请用 resume=True"
                              f"（命令行 --resume），要从头覆盖请用 overwrite=True（--overwrite），或换一个输出目录")
    device = resolve_device(device)
    ctx = distributed.setup(device.type)
    if ctx.distributed and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    try:
        train_set, test_set = datasets or build_datasets(cfg, data_root=data_root, download=download)
        classes = tuple(getattr(train_set, "classes", range(10)))
        torch.manual_seed(cfg.seed)
        model = build_model(cfg, len(classes), getattr(train_set, "channels", 1)).to(device)
        ema = AveragedModel(model, multi_avg_fn=polyak_average(cfg.ema_decay), use_buffers=True)
        sampler, loader = _loader(train_set, cfg, ctx, workers, device)
        optimizer, scheduler = _sgd(model, cfg, steps_per_epoch=len(loader))
        example = next(iter(loader))[0] if cfg.precision == "auto" else None  # for the precision probe
        precision = resolve_precision(cfg.precision, device, model, example)
        scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")  # fp16 on a GPU only
        net = distributed.wrap(model, ctx, device)  # DistributedDataParallel under torchrun
        history: list[dict] = []
        if ckpt_path.exists() and resume:
            history = restore_training_state(ckpt_path, cfg, device, model, ema, optimizer, scheduler, scaler)
        elif ckpt_path.exists() and overwrite and ctx.is_main:
            ckpt_path.unlink()
        distributed.barrier(ctx)

        from tqdm.auto import tqdm
        end = cfg.epochs if stop_after is None else min(cfg.epochs, stop_after)
        saved = len(history)  # epochs whose checkpoint is on disk
        for epoch in range(len(history), end):
            sampler.set_epoch(epoch)
            torch.manual_seed(_epoch_seed(cfg.seed, epoch, ctx.rank))
            net.train()
            sums = torch.zeros(5, dtype=torch.float64, device=device)  # loss main, aux1, aux2; correct; images
            start = time.perf_counter()
            bar = tqdm(loader, desc=f"第 {epoch + 1}/{cfg.epochs} 轮", unit="批", leave=True,
                       disable=not (progress and ctx.is_main), dynamic_ncols=True)
            try:  # Ctrl-C anywhere in the epoch (steps, evaluation, saving) names what is on disk
                for step, (x, y) in enumerate(bar):
                    x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                    with autocast(device, precision):
                        out = net(x)
                        loss, parts = loss_terms(out, y, cfg.aux_weight)
                    if distributed.any_true(ctx, not bool(torch.isfinite(loss)), device):
                        _diverged(cfg, epoch, step, loss, ckpt_path, len(history))
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    lr = optimizer.param_groups[0]["lr"]  # the rate this step used
                    scheduler.step()
                    ema.update_parameters(model)
                    sums += _batch_sums(out, parts, y)
                    if step % 10 == 0:
                        bar.set_postfix(loss=f"{parts['logits'].item():.3f}", lr=f"{lr:.3g}")
                bar.close()
                distributed.all_reduce_sum(ctx, sums)
                entry = _history_entry(cfg, epoch + 1, sums.cpu(), lr, time.perf_counter() - start, history,
                                       precision, device, ctx.world_size)
                if ctx.is_main and ((epoch + 1) % eval_every == 0 or epoch + 1 == cfg.epochs):
                    entry.update(_test_entry(model, ema.module, test_set, precision, cfg.aux, workers))
                history.append(entry)
                if ctx.is_main:
                    save_training_state(ckpt_path, cfg, model, ema, optimizer, scheduler, scaler, history, classes)
                    saved = len(history)
                    if progress:
                        tqdm.write(_summary_line(entry, cfg.epochs))
            except KeyboardInterrupt:
                bar.close()
                raise TrainingInterrupted(_interrupted_message(epoch, ckpt_path, saved)) from None
            distributed.barrier(ctx)
        return TrainResult(cfg, model.eval(), ema.module.eval(), history, out_dir, classes)
    finally:
        distributed.teardown(ctx)


def _check_arguments(config, stop_after, eval_every, workers) -> None:
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config 应为 TrainConfig，收到 {type(config).__name__}")
    if stop_after is not None and not (isinstance(stop_after, int) and stop_after > 0):
        raise ValueError(f"stop_after 应为正整数或 None，收到 {stop_after!r}")
    if not (isinstance(eval_every, int) and eval_every > 0):
        raise ValueError(f"eval_every 应为正整数，收到 {eval_every!r}")
    if not (isinstance(workers, int) and workers >= 0):
        raise ValueError(f"workers 应为非负整数（DataLoader 的工作进程数），收到 {workers!r}")


def _loader(train_set, cfg, ctx, workers, device) -> tuple[DistributedSampler, DataLoader]:
    """Shuffled batches; the sampler's order is a function of (seed, epoch), and splits the data under torchrun."""
    sampler = DistributedSampler(train_set, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=cfg.seed)
    loader = DataLoader(train_set, batch_size=cfg.batch_size, sampler=sampler, drop_last=True,
                        num_workers=workers, pin_memory=device.type == "cuda")
    if len(loader) == 0:
        raise ValueError(f"batch_size={cfg.batch_size} 大于每个进程的训练样本数 {len(sampler)}：一步也训练不了")
    return sampler, loader


def _sgd(model, cfg, steps_per_epoch: int):
    """§6's SGD with momentum, and the learning-rate schedule (`lr_factor`) stepped once per batch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    total_steps = cfg.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(
        s, schedule=cfg.schedule, total_steps=total_steps, steps_per_epoch=steps_per_epoch, warmup=cfg.warmup))
    return optimizer, scheduler


def _batch_sums(out, parts: dict, y) -> torch.Tensor:
    """One batch's (loss main, aux1, aux2) × images, correct predictions and images, summed on the device."""
    logits = out.logits if isinstance(out, GoogLeNetOutputs) else out
    zero = torch.zeros((), dtype=torch.float64, device=y.device)
    losses = [parts[h].detach().double() * len(y) if h in parts else zero for h in ("logits", "aux1", "aux2")]
    return torch.stack(losses + [(logits.argmax(1) == y).sum().double(), zero + len(y)])


def _epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0])


def _history_entry(cfg, epoch, sums, lr, seconds, history, precision, device, world_size) -> dict:
    count = max(1.0, float(sums[4]))
    entry = {
        "epoch": epoch, "lr": lr,
        "loss_main": float(sums[0]) / count,
        "loss_aux1": float(sums[1]) / count if cfg.aux else None,
        "loss_aux2": float(sums[2]) / count if cfg.aux else None,
        "train_acc": float(sums[3]) / count,
        "train_time_s": seconds,
        "train_time_total_s": (history[-1]["train_time_total_s"] if history else 0.0) + seconds,
        "images": int(sums[4]), "images_per_s": float(sums[4]) / seconds,
        "precision": precision, "device": device.type, "world_size": world_size,
    }
    entry["loss"] = entry["loss_main"] + (cfg.aux_weight * (entry["loss_aux1"] + entry["loss_aux2"])
                                          if cfg.aux else 0.0)
    return entry


def _test_entry(model, averaged, test_set, precision, heads, workers) -> dict:
    start = time.perf_counter()
    raw = evaluate(model, test_set, precision=precision, heads=heads, workers=workers)
    avg = evaluate(averaged, test_set, precision=precision, workers=workers)
    return {"test_acc": raw["top1"], "test_top5": raw["top5"], "test_loss": raw["loss"],
            "test_acc_aux1": raw.get("aux1_top1"), "test_acc_aux2": raw.get("aux2_top1"),
            "test_acc_avg": avg["top1"], "test_top5_avg": avg["top5"], "test_loss_avg": avg["loss"],
            "eval_time_s": time.perf_counter() - start}


def _on_disk(ckpt_path: Path, done: int) -> str:
    if ckpt_path.exists() and done:
        return f"磁盘上的检查点 {ckpt_path} 是第 {done} 轮结束时写出的，没有被改动"
    return "此前还没有写出任何检查点"


def _diverged(cfg, epoch, step, loss, ckpt_path, done):
    raise TrainingDivergedError(
        f"第 {epoch + 1} 轮第 {step + 1} 步的损失为 {loss.item()}（不是有限数）：训练发散，已在这一步之前停止。"
        f"{_on_disk(ckpt_path, done)}。常见原因是学习率过大（本次 lr={cfg.lr}，schedule={cfg.schedule!r}）")


def _interrupted_message(epoch, ckpt_path, done) -> str:
    return f"训练在第 {epoch + 1} 轮中途被中断（Ctrl-C）；{_on_disk(ckpt_path, done)}"


def _summary_line(e: dict, epochs: int) -> str:
    line = (f"第 {e['epoch']}/{epochs} 轮：训练损失 {e['loss']:.3f}，训练准确率 {e['train_acc']:.3f}，"
            f"{e['images_per_s']:.0f} 张/秒，用时 {e['train_time_s']:.0f} 秒")
    if "test_acc" in e:
        line += f"；测试准确率 {e['test_acc']:.4f}（Polyak 平均 {e['test_acc_avg']:.4f}）"
    return line


def load_run(path: str | Path, device: str | torch.device = "cpu") -> TrainResult:
    """A finished (or interrupted) run from its output directory or checkpoint file, both weights in eval mode."""
    path = Path(path)
    ckpt = path if path.suffix == ".pt" or path.is_file() else path / CHECKPOINT_NAME
    state = load_checkpoint(ckpt, map_location="cpu")
    try:
        config = TrainConfig.from_dict(state["config"])
        shape = dict(num_classes=int(state["num_classes"]), in_channels=int(state["channels"]))
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"检查点 {ckpt} 中的训练配置无效或不完整（{err}）") from err
    model = build_model(config, **shape)
    ema = AveragedModel(build_model(config, **shape), use_buffers=True)
    try:
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
    except RuntimeError as err:
        raise CheckpointError(f"检查点 {ckpt} 的权重与其训练配置不符（{str(err).splitlines()[0][:200]}）") from err
    device = resolve_device(device)
    return TrainResult(config, model.to(device).eval(), ema.module.to(device).eval(), list(state["history"]),
                       ckpt.parent, tuple(state.get("classes", ())))


def load_model(path: str | Path, device: str | torch.device = "cpu", *, averaged: bool = True) -> GoogLeNet:
    """The trained network of a run, in eval mode: Polyak-averaged weights unless ``averaged=False``."""
    result = load_run(path, device)
    return result.averaged if averaged else result.model

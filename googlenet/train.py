"""§6's training recipe and a trainer that never loses work.

The recipe (``TrainConfig``): loss = main + 0.3 × (aux1 + aux2) (§5), SGD with momentum 0.9,
the §6 image sampling (`googlenet.augment`), and Polyak averaging of the weights used at test
time. Constants come from `googlenet.paper`.

**Learning-rate schedules** (`lr_factor`). ``"paper"`` is §6's: the rate falls 4 % every 8
epochs (×0.96), a schedule for runs of hundreds of epochs on 1.2 million images, in which the
rate stays almost constant and Polyak averaging smooths out the noise of the constant-rate
steps. Over the few epochs a CPU can afford on the bundled subset, that schedule never
decays at all. ``"onecycle"`` (the default here) is a short-run schedule: a linear warm-up
to a high peak (stable thanks to batch normalisation) then a cosine decay to zero, which
anneals the weights within the run; measured to reach the benchmark's accuracy targets in
minutes (``benchmarks/bench_time_to_accuracy.py``).

**Polyak averaging**: an exponential moving average of the weights (``ema_decay`` per step),
``torch.optim.swa_utils.AveragedModel`` with ``use_buffers=True`` so that the batch-norm
statistics are averaged too (without it they would be copied from the raw model and not match
the averaged weights). Both the raw and the averaged weights are evaluated after every epoch.

**The trainer** (`train`): seeded (the same config gives the same weights); ``tqdm.auto``
progress bars; after every epoch a history entry (loss of every head, accuracies, learning
rate, time, images/s) and a checkpoint (model, averaged model, optimiser, scheduler, scaler,
RNG state, epoch, history, config) written atomically (`googlenet.checkpoint`). ``resume=True``
continues from the last checkpoint and ends bit-identical to an uninterrupted run on CPU: the
data order is a function of (seed, epoch) and the random generator is re-seeded from
(seed, epoch, rank) at the start of every epoch, so an epoch boundary carries no hidden state.
A NaN/inf loss stops training with `TrainingDivergedError` before the bad step is taken; the
last checkpoint on disk, written after the last good epoch, is untouched.

**Hardware**: one code path. On a GPU, ``torch.autocast`` in float16 with a ``GradScaler``
(mixed precision); on a CPU with native bfloat16 (AVX512-BF16/AMX) autocast in bfloat16,
measured about 2× faster than float32 here at batch 64 (`resolve_precision`); otherwise float32. Under
``torchrun`` the same function trains with DistributedDataParallel (`googlenet.distributed`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from . import distributed, paper
from .augment import eval_transform, train_transform, STRENGTHS
from .checkpoint import (FORMAT, CheckpointError, atomic_write, atomic_write_json, config_differences,
                         load_checkpoint, save_checkpoint)
from .model import MIN_INPUT_SIZE, VARIANTS, GoogLeNet, GoogLeNetOutputs

CHECKPOINT_NAME = "checkpoint.pt"
HISTORY_NAME = "history.json"
CURVES_NAME = "curves.png"
SCHEDULES = ("onecycle", "paper")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DATASETS = ("subset", "fashion-mnist", "imagenette")


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite; training stopped before taking the bad step."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run's result (saved in, and checked against, checkpoints).

    Defaults: the bundled Fashion-MNIST subset at 64 px, torchvision's GoogLeNet variant (with
    batch normalisation: the paper's variant has none and trains far more slowly from scratch),
    the one-cycle schedule and ``"light"`` augmentation, i.e. the recipe that
    ``benchmarks/bench_time_to_accuracy.py`` measured to reach ≥ 0.90 test accuracy within
    10 minutes on a 2-core CPU.
    """

    dataset: str = "subset"  # "subset" (bundled), "fashion-mnist" (full), "imagenette"
    train_per_class: int | None = None  # use only the first N training images of each class
    test_per_class: int | None = None  # and of the test split (None: all)
    image_size: int = 64
    variant: str = "torchvision"
    aux: bool = True  # train with §5's auxiliary classifiers
    aux_weight: float = paper.AUX.loss_weight  # 0.3
    epochs: int = 7
    batch_size: int = 64
    lr: float = 0.1  # peak (onecycle) or initial (paper) learning rate
    momentum: float = paper.TRAINING.momentum  # 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"
    warmup: float = 0.15  # fraction of all steps spent warming up (onecycle)
    augment: str = "light"  # "paper" (§6 as written), "light", "none"
    ema_decay: float = 0.995  # per step (after a warm-up, see polyak_average)
    precision: str = "auto"
    seed: int = 0

    def __post_init__(self):
        def check(ok, name, expected):
            if not ok:
                raise ValueError(f"{name} 应为{expected}，收到 {getattr(self, name)!r}")

        def pos_int(v):
            return isinstance(v, int) and not isinstance(v, bool) and v > 0

        check(self.dataset in DATASETS, "dataset", f" {', '.join(DATASETS)} 之一")
        check(self.train_per_class is None or pos_int(self.train_per_class), "train_per_class", "正整数或 None")
        check(self.test_per_class is None or pos_int(self.test_per_class), "test_per_class", "正整数或 None")
        check(pos_int(self.image_size) and self.image_size >= MIN_INPUT_SIZE, "image_size",
              f"不小于 {MIN_INPUT_SIZE} 的整数（模型不接受更小的输入）")
        check(self.variant in VARIANTS, "variant", f" {' 或 '.join(VARIANTS)}")
        check(isinstance(self.aux, bool), "aux", " True 或 False")
        check(self.aux_weight >= 0, "aux_weight", "非负数")
        check(pos_int(self.epochs), "epochs", "正整数")
        check(pos_int(self.batch_size) and self.batch_size >= 2, "batch_size", "不小于 2 的整数（批量归一化需要）")
        check(isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr), "lr", "有限正数")
        check(0 <= self.momentum < 1, "momentum", " [0, 1) 之间的数")
        check(self.weight_decay >= 0, "weight_decay", "非负数")
        check(self.schedule in SCHEDULES, "schedule", f" {' 或 '.join(SCHEDULES)}")
        check(0 <= self.warmup < 1, "warmup", " [0, 1) 之间的比例")
        check(self.augment in STRENGTHS, "augment", f" {', '.join(STRENGTHS)} 之一")
        check(0 <= self.ema_decay < 1, "ema_decay", " [0, 1) 之间的数")
        check(self.precision in PRECISIONS, "precision", f" {', '.join(PRECISIONS)} 之一")
        check(isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0, "seed", "非负整数")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"未知的训练配置字段 {unknown}；可用字段：{sorted(names)}")
        return cls(**d)


# ---------------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------------

def lr_factor(step: int, *, schedule: str, total_steps: int, steps_per_epoch: int,
              warmup: float = 0.15) -> float:
    """Multiplier of the base learning rate at optimisation step ``step`` (0-based).

    ``"paper"``: ×0.96 after every 8 epochs (§6). ``"onecycle"``: linear warm-up from 1/25 of
    the peak over the first ``warmup`` fraction of steps, then a cosine decay to zero.
    """
    if schedule == "paper":
        every = paper.TRAINING.lr_decay_every_epochs * steps_per_epoch
        return paper.TRAINING.lr_decay ** (step // every)
    if schedule == "onecycle":
        warm = max(1, round(warmup * total_steps))
        if step < warm:
            return 0.04 + 0.96 * step / warm
        progress = min(1.0, (step - warm) / max(1, total_steps - warm))
        return 0.5 * (1 + math.cos(math.pi * progress))
    raise ValueError(f"schedule 应为 {' 或 '.join(SCHEDULES)}，收到 {schedule!r}")


def lr_curve(config: TrainConfig, steps_per_epoch: int, epochs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(epoch of each step, learning rate of each step) of ``config``'s schedule, for plots."""
    epochs = config.epochs if epochs is None else epochs
    total = epochs * steps_per_epoch
    steps = np.arange(total)
    lrs = np.array([config.lr * lr_factor(int(s), schedule=config.schedule, total_steps=total,
                                          steps_per_epoch=steps_per_epoch, warmup=config.warmup)
                    for s in steps])
    return steps / steps_per_epoch, lrs


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------

def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None``/"auto": the GPU if there is one, else the CPU."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device 应为 'cpu'、'cuda'、'cuda:0' 或 'auto'，收到 {device!r}") from err


def _cpu_has_native_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and (
            torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """"auto" → "fp16" on CUDA, "bf16" on a CPU with native bfloat16, "fp32" otherwise."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision 应为 {', '.join(PRECISIONS)} 之一，收到 {precision!r}")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "fp16"
    return "bf16" if device.type == "cpu" and _cpu_has_native_bf16() else "fp32"


def autocast(device: torch.device, precision: str):
    """The autocast context for a resolved precision (a no-op for fp32)."""
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


def build_datasets(config: TrainConfig, *, data_root: str | Path = "data",
                   download: bool = False) -> tuple[Dataset, Dataset]:
    """(training set with the §6 transform, test set with the evaluation transform)."""
    from . import data

    if config.dataset == "subset":
        train_set, test_set = data.fashion_mnist_subset("train"), data.fashion_mnist_subset("test")
    elif config.dataset == "fashion-mnist":
        train_set = data.fashion_mnist_full("train", data_root, download=download)
        test_set = data.fashion_mnist_full("test", data_root, download=download)
    else:
        train_set = data.imagenette("train", data_root, download=download)
        test_set = data.imagenette("test", data_root, download=download)
    for name, ds in (("train_per_class", train_set), ("test_per_class", test_set)):
        per_class = getattr(config, name)
        if per_class is not None:
            if not hasattr(ds, "subset_per_class"):
                raise ValueError(f"{name} 只适用于 Fashion-MNIST（子集或完整数据集），本次 dataset={config.dataset!r}")
            if ds is train_set:
                train_set = ds.subset_per_class(per_class)
            else:
                test_set = ds.subset_per_class(per_class)
    train_set.transform = train_transform(config.image_size, train_set.channels, config.augment)
    test_set.transform = eval_transform(config.image_size, test_set.channels)
    return train_set, test_set


def build_model(config: TrainConfig, num_classes: int = 10, in_channels: int = 1) -> GoogLeNet:
    return GoogLeNet(num_classes=num_classes, in_channels=in_channels, aux_logits=config.aux,
                     variant=config.variant)


def loss_terms(outputs: Tensor | GoogLeNetOutputs, targets: Tensor,
               aux_weight: float = paper.AUX.loss_weight) -> tuple[Tensor, dict[str, Tensor]]:
    """Total loss main + aux_weight × (aux1 + aux2), and each head's cross-entropy."""
    if isinstance(outputs, GoogLeNetOutputs):
        parts = {head: F.cross_entropy(getattr(outputs, head).float(), targets)
                 for head in ("logits", "aux1", "aux2")}
        total = parts["logits"] + aux_weight * (parts["aux1"] + parts["aux2"])
    else:
        parts = {"logits": F.cross_entropy(outputs.float(), targets)}
        total = parts["logits"]
    return total, parts


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, *, batch_size: int = 100, device: str | torch.device = "cpu",
             precision: str = "fp32", heads: bool = False, workers: int = 0) -> dict[str, float]:
    """Top-1/top-5 accuracy and loss of ``model`` on ``dataset`` (items: (input, target)).

    ``heads=True`` also scores the auxiliary classifiers: the network is put in training mode
    (so its forward returns all three heads) while every layer inside stays in evaluation mode
    (dropout off, batch norm with running statistics).
    """
    device = resolve_device(device)
    was_training = model.training
    model.eval()
    want_heads = heads and getattr(model, "aux_logits", False)
    if want_heads:
        model.training = True  # only the top-level flag: layers below stay in eval mode
    sums = {"n": 0, "top1": 0.0, "top5": 0.0, "loss": 0.0, "aux1": 0.0, "aux2": 0.0}
    try:
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            with autocast(device, precision):
                out = model(x)
            logits = out.logits if isinstance(out, GoogLeNetOutputs) else out
            logits = logits.float()
            k = min(5, logits.shape[1])
            topk = logits.topk(k, dim=1).indices
            sums["n"] += len(y)
            sums["top1"] += (topk[:, 0] == y).sum().item()
            sums["top5"] += (topk == y[:, None]).any(dim=1).sum().item()
            sums["loss"] += F.cross_entropy(logits, y, reduction="sum").item()
            if isinstance(out, GoogLeNetOutputs):
                sums["aux1"] += (out.aux1.argmax(1) == y).sum().item()
                sums["aux2"] += (out.aux2.argmax(1) == y).sum().item()
    finally:
        model.train(was_training)
    n = max(1, sums["n"])
    result = {"top1": sums["top1"] / n, "top5": sums["top5"] / n, "loss": sums["loss"] / n}
    if want_heads:
        result["aux1_top1"], result["aux2_top1"] = sums["aux1"] / n, sums["aux2"] / n
    return result


def polyak_average(decay: float):
    """An ``AveragedModel`` ``multi_avg_fn``: exponential moving average with a short warm-up.

    The weight of the newest parameters is ``1 - min(decay, (1 + n) / (10 + n))`` after ``n``
    updates, so that the average forgets the random initial weights quickly in a short run and
    settles to ``decay`` later (TensorFlow's ``ExponentialMovingAverage(num_updates=...)`` rule).
    """
    @torch.no_grad()
    def update(averaged: list[Tensor], current: list[Tensor], n_averaged: Tensor) -> None:
        d = min(decay, (1 + float(n_averaged)) / (10 + float(n_averaged)))
        if averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1 - d)
        else:  # integer buffers (batch norm's num_batches_tracked): keep the latest count
            for a, c in zip(averaged, current):
                a.copy_(c)

    return update


def _epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0])


# ---------------------------------------------------------------------------------------------
# The trainer
# ---------------------------------------------------------------------------------------------

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
    """Train ``config`` and keep ``out_dir`` up to date (checkpoint.pt, history.json, curves.png).

    Args:
        resume: continue from ``out_dir/checkpoint.pt`` if it exists (its config must equal
            ``config``); a finished run is loaded, not retrained.
        overwrite: start afresh even if ``out_dir`` holds a checkpoint. With neither flag an
            existing checkpoint is an error, so that no work is lost by accident.
        stop_after: stop once this many epochs (in total) are done, keeping the schedule of
            ``config.epochs`` (to train in pieces, e.g. across Colab sessions).
        device: "cpu", "cuda", or None for the GPU if there is one.
        workers: DataLoader worker processes (0: augment in the training process).
        eval_every: evaluate on the test split every this many epochs (and after the last).
        datasets: (train, test) datasets whose items are ready inputs, instead of ``config.dataset``.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config 应为 TrainConfig，收到 {type(config).__name__}")
    if stop_after is not None and not (isinstance(stop_after, int) and stop_after > 0):
        raise ValueError(f"stop_after 应为正整数或 None，收到 {stop_after!r}")
    if not (isinstance(eval_every, int) and eval_every > 0):
        raise ValueError(f"eval_every 应为正整数，收到 {eval_every!r}")
    device = resolve_device(device)
    ctx = distributed.setup(device.type)
    if ctx.distributed and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    try:
        return _Trainer(config, Path(out_dir), device, ctx, progress, workers, eval_every).run(
            resume, overwrite, stop_after, data_root, download, datasets)
    finally:
        distributed.teardown(ctx)


class _Trainer:
    def __init__(self, config, out_dir, device, ctx, progress, workers, eval_every):
        self.config, self.out_dir, self.device, self.ctx = config, out_dir, device, ctx
        self.progress, self.workers, self.eval_every = progress, workers, eval_every
        self.precision = resolve_precision(config.precision, device)
        self.ckpt_path = out_dir / CHECKPOINT_NAME

    # -- set-up ---------------------------------------------------------------------------------

    def run(self, resume, overwrite, stop_after, data_root, download, datasets):
        cfg = self.config
        existing = self.ckpt_path.exists()
        if existing and not (resume or overwrite):
            raise FileExistsError(f"{self.out_dir} 中已有检查点 {CHECKPOINT_NAME}：要接着训练请用 resume=True"
                                  f"（命令行 --resume），要从头覆盖请用 overwrite=True（--overwrite），或换一个输出目录")
        if datasets is None:
            datasets = build_datasets(cfg, data_root=data_root, download=download)
        self.train_set, self.test_set = datasets
        self.classes = tuple(getattr(self.train_set, "classes", range(10)))
        channels = getattr(self.train_set, "channels", 1)

        torch.manual_seed(cfg.seed)
        self.model = build_model(cfg, len(self.classes), channels).to(self.device)
        self.ema = AveragedModel(self.model, multi_avg_fn=polyak_average(cfg.ema_decay), use_buffers=True)
        self.sampler = DistributedSampler(self.train_set, num_replicas=self.ctx.world_size, rank=self.ctx.rank,
                                          shuffle=True, seed=cfg.seed)
        self.loader = DataLoader(self.train_set, batch_size=cfg.batch_size, sampler=self.sampler, drop_last=True,
                                 num_workers=self.workers, pin_memory=self.device.type == "cuda")
        self.steps_per_epoch = len(self.loader)
        if self.steps_per_epoch == 0:
            raise ValueError(f"batch_size={cfg.batch_size} 大于每个进程的训练样本数 {len(self.sampler)}：一步也训练不了")
        total_steps = cfg.epochs * self.steps_per_epoch
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                         weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, schedule=cfg.schedule, total_steps=total_steps,
                                                steps_per_epoch=self.steps_per_epoch, warmup=cfg.warmup))
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        self.net = self.model
        if self.ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.history: list[dict] = []
        self.epoch = 0
        if existing and resume:
            self._restore()
        elif existing and overwrite and self.ctx.is_main:
            self.ckpt_path.unlink()
        distributed.barrier(self.ctx)

        end = cfg.epochs if stop_after is None else min(cfg.epochs, stop_after)
        while self.epoch < end:
            self._train_epoch()
        if self.ctx.is_main and self.history:
            self._write_curves()
        return TrainResult(cfg, self.model.eval(), self.ema.module.eval(), list(self.history),
                           self.out_dir, self.classes)

    def _restore(self):
        state = load_checkpoint(self.ckpt_path, map_location=self.device)
        diffs = config_differences(state["config"], self.config.to_dict())
        if diffs:
            raise CheckpointError(f"检查点 {self.ckpt_path} 的训练配置与本次不同，不能接着训练：\n  "
                                  + "\n  ".join(diffs) + "\n请使用相同的配置，或换一个输出目录从头训练")
        try:
            self.model.load_state_dict(state["model"])
            self.ema.load_state_dict(state["ema"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            if state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
        except (RuntimeError, KeyError, ValueError) as err:
            raise CheckpointError(f"检查点 {self.ckpt_path} 的内容与模型不符（{str(err).splitlines()[0][:200]}）") from err
        self.epoch = int(state["epoch"])
        self.history = list(state["history"])

    # -- one epoch -------------------------------------------------------------------------------

    def _train_epoch(self):
        from tqdm.auto import tqdm

        cfg, ctx, device = self.config, self.ctx, self.device
        epoch = self.epoch
        self.sampler.set_epoch(epoch)
        torch.manual_seed(_epoch_seed(cfg.seed, epoch, ctx.rank))
        self.net.train()
        sums = torch.zeros(5, dtype=torch.float64)  # main, aux1, aux2 (sum over samples), correct, count
        lr = self.optimizer.param_groups[0]["lr"]
        start = time.perf_counter()
        bar = tqdm(self.loader, desc=f"第 {epoch + 1}/{cfg.epochs} 轮", unit="批", leave=True,
                   disable=not (self.progress and ctx.is_main), dynamic_ncols=True)
        for step, (x, y) in enumerate(bar):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with autocast(device, self.precision):
                out = self.net(x)
                total, parts = loss_terms(out, y, cfg.aux_weight)
            if distributed.any_true(ctx, not bool(torch.isfinite(total)), device):
                bar.close()
                self._diverged(epoch, step, total)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(total).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            lr = self.optimizer.param_groups[0]["lr"]
            self.scheduler.step()
            self.ema.update_parameters(self.model)
            n = len(y)
            logits = out.logits if isinstance(out, GoogLeNetOutputs) else out
            sums += torch.tensor([parts["logits"].item() * n,
                                  parts["aux1"].item() * n if "aux1" in parts else 0.0,
                                  parts["aux2"].item() * n if "aux2" in parts else 0.0,
                                  (logits.argmax(1) == y).sum().item(), n], dtype=torch.float64)
            if step % 10 == 0:
                bar.set_postfix(loss=f"{parts['logits'].item():.3f}", lr=f"{lr:.3g}")
        bar.close()
        train_time = time.perf_counter() - start
        distributed.all_reduce_sum(ctx, sums)  # (gloo and nccl both reduce float64 on their device)
        self.epoch = epoch + 1
        entry = self._history_entry(sums, lr, train_time)
        if ctx.is_main:
            self.history.append(entry)
            self._save()
            if self.progress:
                tqdm.write(_summary_line(entry, cfg.epochs))
        else:
            self.history.append(entry)
        distributed.barrier(ctx)

    def _history_entry(self, sums, lr, train_time):
        cfg = self.config
        count = max(1.0, float(sums[4]))
        elapsed = (self.history[-1]["train_time_total_s"] if self.history else 0.0) + train_time
        entry = {
            "epoch": self.epoch, "lr": lr,
            "loss_main": float(sums[0]) / count,
            "loss_aux1": float(sums[1]) / count if cfg.aux else None,
            "loss_aux2": float(sums[2]) / count if cfg.aux else None,
            "train_acc": float(sums[3]) / count,
            "train_time_s": train_time, "train_time_total_s": elapsed,
            "images": int(sums[4]), "images_per_s": float(sums[4]) / train_time,
            "precision": self.precision, "device": self.device.type, "world_size": self.ctx.world_size,
        }
        entry["loss"] = entry["loss_main"] + (cfg.aux_weight * (entry["loss_aux1"] + entry["loss_aux2"])
                                              if cfg.aux else 0.0)
        evaluate_now = self.epoch % self.eval_every == 0 or self.epoch == cfg.epochs
        if self.ctx.is_main and evaluate_now:
            start = time.perf_counter()
            raw = evaluate(self.model, self.test_set, device=self.device, precision=self.precision,
                           heads=cfg.aux, workers=self.workers)
            avg = evaluate(self.ema.module, self.test_set, device=self.device, precision=self.precision,
                           workers=self.workers)
            entry.update({"test_acc": raw["top1"], "test_top5": raw["top5"], "test_loss": raw["loss"],
                          "test_acc_aux1": raw.get("aux1_top1"), "test_acc_aux2": raw.get("aux2_top1"),
                          "test_acc_avg": avg["top1"], "test_top5_avg": avg["top5"], "test_loss_avg": avg["loss"],
                          "eval_time_s": time.perf_counter() - start})
        return entry

    def _diverged(self, epoch, step, total):
        if self.ckpt_path.exists():
            kept = f"最近一次完好的检查点（第 {self.epoch} 轮结束时）仍在 {self.ckpt_path}，没有被改动"
        else:
            kept = "此前还没有写出任何检查点"
        raise TrainingDivergedError(
            f"第 {epoch + 1} 轮第 {step + 1} 步的损失为 {total.item()}（不是有限数）：训练发散，已在这一步之前停止。"
            f"{kept}。常见原因是学习率过大（本次 lr={self.config.lr}，schedule={self.config.schedule!r}）")

    # -- saving ----------------------------------------------------------------------------------

    def _save(self):
        state = {
            "format": FORMAT, "config": self.config.to_dict(), "epoch": self.epoch,
            "model": self.model.state_dict(), "ema": self.ema.state_dict(),
            "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None,
            "rng": {"torch": torch.get_rng_state()},  # informative: each epoch re-seeds (see module doc)
            "history": self.history, "classes": list(self.classes),
            "channels": self.model.in_channels, "num_classes": self.model.num_classes,
        }
        save_checkpoint(self.ckpt_path, state)
        atomic_write_json(self.out_dir / HISTORY_NAME, {"config": self.config.to_dict(), "history": self.history})

    def _write_curves(self):
        from matplotlib.figure import Figure

        from .plots import plot_training_curves

        fig = Figure(figsize=(12, 3.6), layout="constrained")
        plot_training_curves(self.history, fig=fig, title=self.out_dir.name)
        atomic_write(self.out_dir / CURVES_NAME, lambda f: fig.savefig(f, format="png", dpi=110))


def _summary_line(e: dict, epochs: int) -> str:
    line = (f"第 {e['epoch']}/{epochs} 轮：训练损失 {e['loss']:.3f}，训练准确率 {e['train_acc']:.3f}，"
            f"{e['images_per_s']:.0f} 张/秒，用时 {e['train_time_s']:.0f} 秒")
    if "test_acc" in e:
        line += f"；测试准确率 {e['test_acc']:.4f}（Polyak 平均 {e['test_acc_avg']:.4f}）"
    return line


# ---------------------------------------------------------------------------------------------
# Loading trained models
# ---------------------------------------------------------------------------------------------

def load_result(out_dir: str | Path, device: str | torch.device = "cpu") -> TrainResult:
    """A finished (or interrupted) run from its output directory, both weight sets in eval mode."""
    out_dir = Path(out_dir)
    state = load_checkpoint(out_dir / CHECKPOINT_NAME, map_location="cpu")
    try:
        config = TrainConfig.from_dict(state["config"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"检查点 {out_dir / CHECKPOINT_NAME} 中的训练配置无效：{err}") from err
    model = build_model(config, int(state["num_classes"]), int(state["channels"]))
    model.load_state_dict(state["model"])
    ema = AveragedModel(build_model(config, int(state["num_classes"]), int(state["channels"])), use_buffers=True)
    ema.load_state_dict(state["ema"])
    device = resolve_device(device)
    return TrainResult(config, model.to(device).eval(), ema.module.to(device).eval(), list(state["history"]),
                       out_dir, tuple(state.get("classes", ())))


def load_model(out_dir: str | Path, device: str | torch.device = "cpu", *, averaged: bool = True) -> GoogLeNet:
    """The trained network of a run, in eval mode: Polyak-averaged weights unless ``averaged=False``."""
    result = load_result(out_dir, device)
    return result.averaged if averaged else result.model


@dataclass
class EvaluationReport:
    """Top-1/top-5 error of a checkpoint's weights on a test split (`evaluate_checkpoint`)."""

    checkpoint: Path
    epoch: int
    epochs: int
    config: TrainConfig
    test_set: str
    images: int
    results: dict[str, dict[str, float]]  # "Polyak 平均" / "原始" → evaluate()'s dict

    def to_text(self) -> str:
        c = self.config
        lines = [f"检查点：{self.checkpoint}（已训练 {self.epoch}/{self.epochs} 轮；{c.image_size} 像素，"
                 f"{c.variant} 变体，{'带' if c.aux else '不带'}辅助分类器）",
                 f"测试集：{self.test_set}，{self.images} 张",
                 f"{'权重':<10}{'top-1 错误率':>12}{'top-5 错误率':>12}"]
        for name, r in self.results.items():
            lines.append(f"{name:<10}{100 * (1 - r['top1']):>11.2f}%{100 * (1 - r['top5']):>11.2f}%")
        return "\n".join(lines)


def evaluate_checkpoint(run: str | Path, *, device: str | torch.device = "auto",
                        data_root: str | Path = "data", test_per_class: int | None = None) -> EvaluationReport:
    """Evaluate a run's averaged and raw weights on the test split of the data it was trained on.

    ``run`` is an output directory or the checkpoint file in it. For the bundled subset that is
    the whole bundled test split (the config's ``test_per_class`` is ignored), or its first
    ``test_per_class`` images of every class if given.
    """
    run = Path(run)
    out_dir = run.parent if run.suffix == ".pt" else run
    result = load_result(out_dir, "cpu")
    device = resolve_device(device)
    config = result.config
    _, test_set = build_datasets(dataclasses.replace(config, train_per_class=None, test_per_class=test_per_class),
                                 data_root=data_root)
    precision = resolve_precision(config.precision, device)
    results = {}
    for name, model in (("Polyak 平均", result.averaged), ("原始", result.model)):
        results[name] = evaluate(model.to(device), test_set, device=device, precision=precision)
    return EvaluationReport(out_dir / CHECKPOINT_NAME, len(result.history), config.epochs, config,
                            getattr(test_set, "name", config.dataset), len(test_set), results)


# ---------------------------------------------------------------------------------------------
# The book's runs (notebook 06 trains them; notebooks 07 and 08 load them)
# ---------------------------------------------------------------------------------------------

BOOK_RUN_DIR = Path("runs/book")  # relative to the working directory (notebooks/ locally, /content in Colab)
# 7,000 images × 3 epochs: about 1.5 minutes per run on a 2-core CPU, so notebook 06 trains both in its budget.
BOOK_CONFIG = TrainConfig(train_per_class=700, epochs=3)
BOOK_RUNS = {
    "aux": BOOK_CONFIG,  # with §5's auxiliary classifiers
    "noaux": dataclasses.replace(BOOK_CONFIG, aux=False),  # the same run without them
}


def book_run(name: str, run_dir: str | Path = BOOK_RUN_DIR, *, retrain: bool = False,
             progress: bool = True) -> TrainResult:
    """Train one of the book's runs (``BOOK_RUNS``) into ``run_dir/name``, or load it if finished.

    ``retrain=True`` trains afresh even if a finished run exists (notebook 06 does, so its
    progress bars and curves come from the run it shows); otherwise an interrupted run
    resumes and a finished one is loaded.
    """
    if name not in BOOK_RUNS:
        raise ValueError(f"name 应为 {', '.join(map(repr, BOOK_RUNS))} 之一，收到 {name!r}")
    return train(BOOK_RUNS[name], Path(run_dir) / name, resume=not retrain, overwrite=retrain,
                 progress=progress)


def load_book_models(device: str | torch.device = "cpu", run_dir: str | Path = BOOK_RUN_DIR, *,
                     averaged: bool = True, train_if_missing: bool = True,
                     progress: bool = False) -> list[GoogLeNet]:
    """The book's trained classifiers (one per ``BOOK_RUNS`` entry, in that order), in eval mode.

    Each is a ``GoogLeNet(in_channels=1, num_classes=10, variant=BOOK_CONFIG.variant)`` trained
    on the bundled Fashion-MNIST subset; feed it
    ``googlenet.augment.to_model_input(uint8_images, BOOK_CONFIG.image_size)`` (N×1×64×64,
    normalised). Weights are the Polyak averages (``averaged=False``: the raw weights).

    ``run_dir`` is a cache of ``BOOK_RUNS``: a run that is missing, unfinished, or was trained
    with another recipe (an older package) is trained here, silently unless ``progress``, with
    the recipe of notebook 06 (about 1.5 minutes per model on a 2-core CPU), so that notebooks
    07 and 08 also work on their own, e.g. in Colab. ``train_if_missing=False`` raises
    FileNotFoundError instead.
    """
    models = []
    for name, config in BOOK_RUNS.items():
        out_dir = Path(run_dir) / name
        if not _is_finished_run(out_dir, config):
            if not train_if_missing:
                raise FileNotFoundError(f"找不到按当前配方训练完成的检查点 {out_dir / CHECKPOINT_NAME}：请先运行笔记本 06，"
                                        "或调用 load_book_models(train_if_missing=True)")
            stale = (out_dir / CHECKPOINT_NAME).exists() and not _same_config(out_dir, config)
            train(config, out_dir, resume=not stale, overwrite=stale, progress=progress)
        models.append(load_model(out_dir, device, averaged=averaged))
    return models


def _same_config(out_dir: Path, config: TrainConfig) -> bool:
    try:
        return load_checkpoint(out_dir / CHECKPOINT_NAME)["config"] == config.to_dict()
    except (CheckpointError, FileNotFoundError):
        return False


def _is_finished_run(out_dir: Path, config: TrainConfig) -> bool:
    try:
        state = load_checkpoint(out_dir / CHECKPOINT_NAME)
    except (CheckpointError, FileNotFoundError):
        return False
    return state["config"] == config.to_dict() and int(state["epoch"]) >= config.epochs

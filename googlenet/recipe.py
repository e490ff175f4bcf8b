"""§6's training recipe as data and small functions, run by `googlenet.train`: `TrainConfig`, the learning-rate
schedules (`lr_factor`), the loss with the auxiliary heads (`loss_terms`), Polyak averaging (`polyak_average`).

Where the book departs from §6 it says so here: the default schedule is ``"onecycle"`` (see `lr_factor`),
because §6's ``"paper"`` one (×0.96 every 8 epochs) never decays in the few epochs a CPU can afford; the
default network is torchvision's variant with batch norm (the paper's trains far more slowly from scratch);
``"light"`` augmentation replaces §6's crops in short runs (`googlenet.augment`). Constants: `googlenet.paper`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from . import paper
from .augment import STRENGTHS
from .extras.device import PRECISIONS
from .model import MIN_INPUT_SIZE, VARIANTS, GoogLeNetOutputs

SCHEDULES = ("onecycle", "paper")
DATASETS = ("subset", "fashion-mnist", "imagenette")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run's result (saved in, and checked against, checkpoints).
    The defaults are the recipe ``benchmarks/bench_time_to_accuracy.py`` times against its target."""
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

        def number(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

        check(self.dataset in DATASETS, "dataset", f" {', '.join(DATASETS)} 之一")
        check(self.train_per_class is None or pos_int(self.train_per_class), "train_per_class", "正整数或 None")
        check(self.test_per_class is None or pos_int(self.test_per_class), "test_per_class", "正整数或 None")
        check(pos_int(self.image_size) and self.image_size >= MIN_INPUT_SIZE, "image_size",
              f"不小于 {MIN_INPUT_SIZE} 的整数（模型不接受更小的输入）")
        check(self.variant in VARIANTS, "variant", f" {' 或 '.join(VARIANTS)}")
        check(isinstance(self.aux, bool), "aux", " True 或 False")
        check(number(self.aux_weight) and self.aux_weight >= 0, "aux_weight", "非负数")
        check(pos_int(self.epochs), "epochs", "正整数")
        check(pos_int(self.batch_size) and self.batch_size >= 2, "batch_size", "不小于 2 的整数（批量归一化需要）")
        check(number(self.lr) and self.lr > 0, "lr", "有限正数")
        check(number(self.momentum) and 0 <= self.momentum < 1, "momentum", " [0, 1) 之间的数")
        check(number(self.weight_decay) and self.weight_decay >= 0, "weight_decay", "非负数")
        check(self.schedule in SCHEDULES, "schedule", f" {' 或 '.join(SCHEDULES)}")
        check(number(self.warmup) and 0 <= self.warmup < 1, "warmup", " [0, 1) 之间的比例")
        check(self.augment in STRENGTHS, "augment", f" {', '.join(STRENGTHS)} 之一")
        check(number(self.ema_decay) and 0 <= self.ema_decay < 1, "ema_decay", " [0, 1) 之间的数")
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


def lr_factor(step: int, *, schedule: str, total_steps: int, steps_per_epoch: int,
              warmup: float = 0.15) -> float:
    """Multiplier of the base learning rate at optimisation step ``step`` (0-based). ``"paper"``: ×0.96
    after every 8 epochs (§6). ``"onecycle"``: linear warm-up from 1/25 of the peak over the first
    ``warmup`` fraction of steps, then a cosine decay to zero within the run."""
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


def loss_terms(outputs: Tensor | GoogLeNetOutputs, targets: Tensor,
               aux_weight: float = paper.AUX.loss_weight) -> tuple[Tensor, dict[str, Tensor]]:
    """Total loss main + aux_weight × (aux1 + aux2) (§5), and each head's cross-entropy."""
    if isinstance(outputs, GoogLeNetOutputs):
        parts = {head: F.cross_entropy(getattr(outputs, head).float(), targets)
                 for head in ("logits", "aux1", "aux2")}
        return parts["logits"] + aux_weight * (parts["aux1"] + parts["aux2"]), parts
    parts = {"logits": F.cross_entropy(outputs.float(), targets)}
    return parts["logits"], parts


def polyak_average(decay: float):
    """An ``AveragedModel`` ``multi_avg_fn``: exponential moving average with a short warm-up.

    After ``n`` updates the newest parameters weigh ``1 - min(decay, (1 + n) / (10 + n))``: the average
    forgets the random initial weights quickly in a short run and settles to ``decay`` later
    (TensorFlow's ``ExponentialMovingAverage(num_updates=...)`` rule)."""
    @torch.no_grad()
    def update(averaged: list[Tensor], current: list[Tensor], n_averaged: Tensor) -> None:
        d = min(decay, (1 + float(n_averaged)) / (10 + float(n_averaged)))
        # AveragedModel groups tensors by dtype, so one check covers the whole list
        if averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1 - d)
        else:  # integer buffers (batch norm's num_batches_tracked): keep the latest count
            for a, c in zip(averaged, current):
                a.copy_(c)

    return update



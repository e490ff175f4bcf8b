"""§7's multi-crop testing: average the softmax of every classifier over the views of `googlenet.crops`.

`evaluate` runs one model or an ensemble on the 1, 10 or 144 views of each image, a few images at a time so memory
stays bounded, and averages over views and classifiers (§7 item 3; ``reduce="max"`` is the max pooling the paper
tried and rejected). On a square image the three squares coincide: only 48 of 144 views differ and each is run once
(`crops.distinct_views`). `googlenet.book.table3` keeps every view's softmax to score all of Table 3 from one run.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import paper
from .crops import as_image_tensor, batch_views, distinct_views, min_image_side
from .model import GoogLeNet

HEADS = ("main", "all")
REDUCTIONS = ("mean", "max")


def classifier_logits(model: nn.Module, x: Tensor, heads: str = "main") -> list[Tensor]:
    """``[model(x)]`` (``heads="main"``, any classifier) or a GoogLeNet's ``[logits, aux1, aux2]``
    (``"all"``), in eval mode; the model's mode is restored afterwards."""
    _check_choice("heads", heads, HEADS)
    if heads == "all" and not (isinstance(model, GoogLeNet) and model.aux_logits):
        raise ValueError(f"heads='all' 需要带辅助分类器的 GoogLeNet（aux_logits=True），"
                         f"收到的 {type(model).__name__} 没有辅助分类器")
    was_training = model.training
    model.eval()
    try:
        return [model(x)] if heads == "main" else list(model.heads(x))
    finally:
        model.train(was_training)


def topk_error(probs: Tensor, labels: Tensor, k: int) -> float:
    """Fraction of rows whose label is not among the ``k`` highest scores (top-k error)."""
    if probs.dim() != 2:
        raise ValueError(f"probs 应为 (图像数, 类别数) 的 2 维张量，收到形状 {tuple(probs.shape)}")
    labels = torch.as_tensor(labels)
    if labels.shape != probs.shape[:1]:
        raise ValueError(f"labels 应有 {probs.shape[0]} 个元素（每张图像一个），收到形状 {tuple(labels.shape)}")
    if not 1 <= k <= probs.shape[1]:
        raise ValueError(f"k 应在 1 到类别数 {probs.shape[1]} 之间，收到 {k}")
    if probs.shape[0] == 0:
        raise ValueError("没有图像：无法计算错误率")
    hit = (probs.topk(k, dim=1).indices == labels.view(-1, 1).to(probs.device)).any(dim=1)
    return 1.0 - hit.float().mean().item()


def combine(crop_probs: Tensor, reduce: str = "mean") -> Tensor:
    """§7's rule: ``(classifiers, images, crops, classes)`` → ``(images, classes)``, the mean (or
    ``"max"``, the rejected alternative) over crops, then the mean over classifiers."""
    _check_choice("reduce", reduce, REDUCTIONS)
    if crop_probs.dim() != 4:
        raise ValueError(f"crop_probs 应为 (分类器, 图像, 裁剪, 类别) 的 4 维张量，收到形状 {tuple(crop_probs.shape)}")
    per_classifier = crop_probs.mean(2) if reduce == "mean" else crop_probs.amax(2)
    return per_classifier.mean(0)


@dataclass
class EvalResult:
    """What ``evaluate`` measured. Errors are fractions (0.1 = 10 %)."""
    n_models: int
    n_crops: int
    crop_size: int
    heads: str
    reduce: str
    n_images: int
    n_classifiers: int
    top1_error: float
    top5_error: float
    seconds: float
    probs: Tensor | None = None  # (images, classes), combined as §7 says; if asked for
    labels: Tensor | None = None

    @property
    def cost(self) -> int:
        """Table 3's "cost": forward passes per image, models × crops."""
        return self.n_models * self.n_crops


def evaluate(models, dataset, n_crops: int = 1, crop_size: int = paper.TESTING.crop_size, *,
             chunk_size: int = 256, heads: str = "main", reduce: str = "mean",
             preprocess: Callable[[Tensor], Tensor] | None = None,
             return_probs: bool = False, limit: int | None = None, dedupe: bool = True,
             compile: bool = False) -> EvalResult:
    """Evaluate one model or an ensemble (a sequence of models) with ``n_crops`` views per image.

    Args:
        dataset: ``(images, labels)`` tensors or an iterable of ``(image, label)`` pairs, sizes may differ. Labels
            outside the models' outputs raise; all in their first tenth (Imagenette's 0–9 on 1000 classes) warn.
        chunk_size: views per forward pass; at most about ``3 × chunk_size + n_crops`` are held.
        heads: ``"all"`` adds both auxiliary heads of each model.
        preprocess: applied to every chunk of views (e.g. normalisation).
        dedupe: run each distinct view once; ``False`` runs all, as Table 3's cost counts (same up to rounding).
        compile: ``torch.compile`` (main heads only); pays only past a few hundred images at 144 crops
            (``benchmarks/bench_multicrop.py --compile``).
    """
    _check_choice("reduce", reduce, REDUCTIONS)
    start = time.perf_counter()
    combined, labels = [], []
    for probs, ys in view_probabilities(models, dataset, n_crops, crop_size, chunk_size=chunk_size, heads=heads,
                                        preprocess=preprocess, limit=limit, dedupe=dedupe, compile=compile):
        combined.append(combine(probs, reduce))  # per group: the views' probabilities are not kept
        labels.append(ys)
    seconds = time.perf_counter() - start
    probs, y = torch.cat(combined), torch.cat(labels)
    n_models = len(_as_models(models))
    return EvalResult(
        n_models=n_models, n_crops=n_crops, crop_size=crop_size, heads=heads, reduce=reduce,
        n_images=probs.shape[0], n_classifiers=n_models * (3 if heads == "all" else 1),
        top1_error=topk_error(probs, y, 1), top5_error=topk_error(probs, y, min(5, probs.shape[1])),
        seconds=seconds, probs=probs if return_probs else None, labels=y if return_probs else None)


def view_probabilities(models, dataset, n_crops: int = 1, crop_size: int = paper.TESTING.crop_size, *,
                       chunk_size: int = 256, heads: str = "main", preprocess: Callable[[Tensor], Tensor] | None = None,
                       limit: int | None = None, dedupe: bool = True,
                       compile: bool = False) -> Iterator[tuple[Tensor, Tensor]]:
    """`evaluate`'s engine (same arguments): for one group of images after another, ``(probs, labels)``
    with the softmax of every classifier on every view, ``(classifiers, images, n_crops, classes)``."""
    models = _compiled(_as_models(models), compile, heads)
    min_image_side(n_crops, crop_size)  # checks n_crops, and crop_size against §7's scales
    _check_choice("heads", heads, HEADS)
    for name, value, meaning in (("chunk_size", chunk_size, "每次前向计算的视图数"),
                                 ("limit", 1 if limit is None else limit, "只评估前 limit 张图像；None 表示全部")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} 应为正整数（{meaning}），收到 {value!r}")
    top_label = -1
    # Groups are sized for the views actually run (48 per square image at 144 crops), so forward
    # passes stay full; a non-square image holds up to 3 × chunk_size views, run chunk_size at a time.
    per_image = n_crops // 3 if dedupe and n_crops == 144 else n_crops
    for images, labels in _image_groups(dataset, max(1, chunk_size // per_image), limit):
        keep, inverse = distinct_views(*images.shape[-2:], n_crops, crop_size)
        if not dedupe or len(keep) == n_crops:
            keep = inverse = slice(None)  # run every view (a slice, not a copy)
        crops = batch_views(images, n_crops, crop_size)[:, keep]  # (images, views run, C, c, c)
        parts = []
        with torch.inference_mode():
            for chunk in crops.flatten(0, 1).split(chunk_size):
                if preprocess is not None:
                    chunk = preprocess(chunk)
                parts.append(torch.stack([logits.float().softmax(1).cpu() for m in models
                                          for logits in classifier_logits(m, chunk.to(_device(m)), heads)]))
        probs = torch.cat(parts, 1).unflatten(1, crops.shape[:2])
        n_classes = probs.shape[-1]
        bad = labels[(labels < 0) | (labels >= n_classes)]
        if bad.numel():
            raise ValueError(f"标签 {int(bad[0])} 不是模型的类别编号：模型有 {n_classes} 个输出，"
                             f"标签应在 0 到 {n_classes - 1} 之间")
        top_label = max(top_label, int(labels.max()))
        yield probs[:, :, inverse], labels  # duplicate views share one result
    if top_label < 0:
        raise ValueError(f"数据集是空的：没有可评估的图像（收到 {type(dataset).__name__}，共 0 项）")
    if top_label + 1 < n_classes // 10:
        warnings.warn(f"标签都小于 {top_label + 1}，而模型有 {n_classes} 个输出：标签像是没有换成模型的类别编号"
                      f"（例如 Imagenette 的 0–9 不是 ImageNet 的类别编号），错误率会接近 100%。"
                      f"请用 googlenet.data.Relabelled 映射标签；如果它们本来就是模型的类别编号，可以忽略这条警告",
                      stacklevel=3)  # the caller of evaluate / crop_probabilities


def _image_groups(dataset, group: int, limit: int | None) -> Iterator[tuple[Tensor, Tensor]]:
    """Batches of at most ``group`` equally sized images and their labels, in dataset order."""
    batch, ys = [], []
    for count, item in enumerate(itertools.islice(_items(dataset), limit)):
        try:
            image, label = item
        except (TypeError, ValueError):
            raise ValueError(f"数据集的每一项应为 (图像, 标签) 二元组，第 {count} 项是 {type(item).__name__}") from None
        image = as_image_tensor(image)
        if image.dim() != 3:
            raise ValueError(f"第 {count} 张图像应为 (通道, 高, 宽) 3 维张量，收到形状 {tuple(image.shape)}")
        if batch and (image.shape != batch[0].shape or len(batch) == group):
            yield torch.stack(batch), torch.tensor(ys)
            batch, ys = [], []
        batch.append(image)
        ys.append(int(label))
    if batch:
        yield torch.stack(batch), torch.tensor(ys)


def _items(dataset) -> Iterator:
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2 and isinstance(dataset[0], Tensor) \
            and dataset[0].dim() == 4:
        images, labels = dataset[0], torch.as_tensor(dataset[1])
        if labels.shape != images.shape[:1]:
            raise ValueError(f"labels 应有 {images.shape[0]} 个元素，收到形状 {tuple(labels.shape)}")
        return zip(images, labels.tolist())
    if isinstance(dataset, Tensor):
        raise TypeError(f"dataset 是一个形状为 {tuple(dataset.shape)} 的张量，没有标签：请传 (images, labels) 二元组")
    if hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__"):
        return (dataset[i] for i in range(len(dataset)))  # map-style datasets need not define __iter__
    try:
        return iter(dataset)
    except TypeError:
        raise TypeError(f"dataset 应为 (images, labels) 张量二元组，或 (图像, 标签) 对的序列或可迭代对象，"
                        f"收到 {type(dataset).__name__}") from None


def _as_models(models) -> list[nn.Module]:
    if isinstance(models, nn.Module):
        return [models]
    if isinstance(models, str) or not isinstance(models, Sequence) or not models:
        raise TypeError(f"models 应为一个 nn.Module 或非空的 nn.Module 列表，收到 {type(models).__name__} {models!r:.60}")
    for i, m in enumerate(models):
        if not isinstance(m, nn.Module):
            raise TypeError(f"models 的第 {i} 项应为 nn.Module，收到 {type(m).__name__} {m!r:.60}")
    return list(models)


def _compiled(models: list[nn.Module], compile: bool, heads: str) -> list[nn.Module]:
    if not isinstance(compile, bool):
        raise ValueError(f"compile 应为 True 或 False，收到 {compile!r}")
    if compile and heads != "main":
        raise ValueError("compile=True 只编译主分类器的前向计算，不能与 heads='all' 同用")
    return [torch.compile(m) for m in models] if compile else models


def _device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _check_choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} 应为 {' 或 '.join(map(repr, choices))}，收到 {value!r}")

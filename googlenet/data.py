"""Datasets: the Fashion-MNIST subset bundled with the package, the book's default everywhere.

`fashion_mnist_subset` loads a class-balanced sample of Fashion-MNIST (MIT licence, Zalando SE) shipped as
``googlenet/_data/fashion_mnist_subset.npz`` with a JSON manifest (sha256, counts, source), so the book trains offline
and identically everywhere (``tools/make_subset.py`` rebuilds it byte for byte). Every dataset is `ImageDataset`-like:
``.targets``, ``.classes`` (Chinese names), and a ``transform`` that receives a float C×H×W tensor in [0, 1].
Larger datasets are downloads in `googlenet.extras.downloads`.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .model import IMAGENET_MEAN, IMAGENET_STD  # noqa: F401 (re-exported: one definition)

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FASHION_MNIST_CLASSES_ZH = ("T恤/上衣", "裤子", "套头衫", "连衣裙", "外套",
                            "凉鞋", "衬衫", "运动鞋", "包", "短靴")

# Imagenette's classes in its own (WordNet-ID-sorted) order, and where each sits in ImageNet-1k.
IMAGENETTE_WNIDS = ("n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
                    "n03394916", "n03417042", "n03425413", "n03445777", "n03888257")
IMAGENETTE_CLASSES = ("tench", "English springer", "cassette player", "chain saw", "church",
                      "French horn", "garbage truck", "gas pump", "golf ball", "parachute")
IMAGENETTE_CLASSES_ZH = ("丁鲷", "英国史宾格犬", "卡式录音机", "链锯", "教堂",
                         "圆号", "垃圾车", "加油泵", "高尔夫球", "降落伞")
IMAGENETTE_IMAGENET_INDEX = (0, 217, 482, 491, 497, 566, 569, 571, 574, 701)

# Per-channel input statistics, from Fashion-MNIST's training split (Imagenette uses ImageNet's, as usual).
FASHION_MNIST_MEAN, FASHION_MNIST_STD = (0.2860,), (0.3530,)

SPLITS = ("train", "test")

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DATA_DIR = Path(__file__).parent / "_data"
SUBSET_NAME = "fashion_mnist_subset"
# Images per class: what benchmarks/bench_time_to_accuracy.py needs, inside the repository's 10 MB (see make_subset).
SUBSET_TRAIN_PER_CLASS = 1800
SUBSET_TEST_PER_CLASS = 300
SUBSET_SEED = 0
_REGENERATE_HINT = ("请在仓库根目录运行 `python tools/make_subset.py` 由 Fashion-MNIST 原始文件重新生成"
                    "（Debian/Ubuntu：apt install dataset-fashion-mnist 会把原始文件装到 "
                    f"{DEBIAN_DIR}），或从仓库重新取出 googlenet/_data/ 下的文件")


class ImageDataset(Dataset):
    """Images held in memory as uint8 (N×H×W grey or N×H×W×3 colour) with integer targets.
    ``dataset[i]`` is ``(transform(image), target)``, the transform receiving a float C×H×W tensor in [0, 1]
    (returned as is without a transform)."""

    def __init__(self, images: Tensor, targets: Tensor, classes: tuple[str, ...],
                 transform: Callable[[Tensor], Tensor] | None = None, name: str = ""):
        if images.dtype != torch.uint8 or images.dim() not in (3, 4):
            raise ValueError(f"images 应为 uint8 的 N×H×W 或 N×H×W×C 张量，"
                             f"收到 dtype={images.dtype}、形状 {tuple(images.shape)}")
        if targets.shape != (len(images),):
            raise ValueError(f"targets 应为长度 {len(images)} 的一维张量，收到形状 {tuple(targets.shape)}")
        self.images = images
        self.targets = targets.long()
        self.classes = tuple(classes)
        self.transform = transform
        self.name = name

    @property
    def channels(self) -> int:
        return 1 if self.images.dim() == 3 else self.images.shape[-1]

    def image(self, index: int) -> Tensor:
        """Image ``index`` as a float tensor C×H×W in [0, 1], before any transform."""
        img = self.images[index]
        img = img.unsqueeze(0) if img.dim() == 2 else img.permute(2, 0, 1)
        return img.float().div_(255)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        img = self.image(index)
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.targets[index])

    def subset_per_class(self, per_class: int) -> ImageDataset:
        """The first ``per_class`` images of every class (a smaller, still balanced dataset)."""
        counts = torch.bincount(self.targets, minlength=len(self.classes))
        if int(counts.min()) == 0:
            raise ValueError(f"{self.name or '数据集'} 有类别没有图像（每类数量 {counts.tolist()}），无法按类取子集")
        keep = torch.tensor(first_per_class(self.targets, per_class), dtype=torch.long)
        return ImageDataset(self.images[keep], self.targets[keep], self.classes, self.transform,
                            self.name)

    def __repr__(self) -> str:
        return (f"ImageDataset({self.name!r}, {len(self)} 张, 图像 {tuple(self.images.shape[1:])}, "
                f"{len(self.classes)} 类)")


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split 应为 'train' 或 'test'，收到 {split!r}")
    return split


def subset_paths(directory: str | Path = DATA_DIR) -> tuple[Path, Path]:
    """(npz, manifest json) of the bundled subset in ``directory``."""
    directory = Path(directory)
    return directory / f"{SUBSET_NAME}.npz", directory / f"{SUBSET_NAME}.json"


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_subset_arrays(directory: str | Path = DATA_DIR) -> dict[str, np.ndarray]:
    """The bundled arrays, after checking the file against the manifest's sha256."""
    npz_path, manifest_path = subset_paths(directory)
    for path in (manifest_path, npz_path):
        if not path.is_file():
            raise FileNotFoundError(f"找不到随包附带的数据子集文件 {path.name}（应在 {path.parent}）。"
                                    + _REGENERATE_HINT)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        expected = manifest["sha256"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"数据子集的清单文件 {manifest_path.name} 已损坏（{err}）。" + _REGENERATE_HINT) from err
    actual = sha256_file(npz_path)
    if actual != expected:
        raise ValueError(f"数据子集文件 {npz_path.name} 的 SHA-256 校验失败：应为 {expected}，"
                         f"实际为 {actual}（文件已损坏或被改动）。" + _REGENERATE_HINT)
    with np.load(npz_path) as npz:
        return {key: npz[key] for key in npz.files}


def fashion_mnist_subset(split: str, transform: Callable[[Tensor], Tensor] | None = None,
                         directory: str | Path = DATA_DIR) -> ImageDataset:
    """The bundled, class-balanced Fashion-MNIST subset: ``split`` is "train" or "test".
    ``.images`` is uint8 N×28×28, ``.targets`` int64 N, ``.classes`` the Chinese class names. Every load checks
    the file's sha256 (a few milliseconds)."""
    _check_split(split)
    arrays = load_subset_arrays(directory)
    return ImageDataset(torch.from_numpy(arrays[f"{split}_images"]),
                        torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64)),
                        FASHION_MNIST_CLASSES_ZH, transform, name=f"Fashion-MNIST 子集 ({split})")


def normalization(channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) for inputs with ``channels`` channels: Fashion-MNIST's for 1, ImageNet's for 3."""
    if channels == 1:
        return FASHION_MNIST_MEAN, FASHION_MNIST_STD
    if channels == 3:
        return IMAGENET_MEAN, IMAGENET_STD
    raise ValueError(f"channels 应为 1（灰度）或 3（RGB），收到 {channels!r}")


def first_per_class(targets, per_class: int) -> list[int]:
    """Indices of the first ``per_class`` items of every class present (sorted): a small balanced subset."""
    try:
        targets = torch.as_tensor(targets)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(f"targets 应为整数标签的序列或张量，收到 {type(targets).__name__}") from e
    if targets.dim() != 1 or len(targets) == 0:
        raise ValueError(f"targets 应为非空的一维标签序列，收到形状 {tuple(targets.shape)}")
    classes, counts = targets.unique(return_counts=True)
    least = int(counts.min())
    if not isinstance(per_class, int) or isinstance(per_class, bool) or not 1 <= per_class <= least:
        raise ValueError(f"per_class 应为 1 到 {least} 之间的整数（每类最少 {least} 个），收到 {per_class!r}")
    return sorted(i for c in classes for i in torch.nonzero(targets == c).flatten()[:per_class].tolist())


class Relabelled(Dataset):
    """``dataset[indices[i]]`` with its label replaced by ``label_map[label]``: e.g. Imagenette's 10 classes as their
    ImageNet-1k indices for a 1000-class model (else labels 0-9 are valid indices too: ~100 % error)."""

    def __init__(self, dataset, indices, label_map):
        self.dataset, self.label_map = dataset, list(label_map)
        try:
            self.indices = [operator.index(i) for i in indices]
        except TypeError as e:
            raise TypeError(f"indices 应为整数序列，收到 {type(indices).__name__}（{e}）") from e
        bad = [i for i in self.indices if not 0 <= i < len(dataset)]
        if not self.indices or bad:
            raise ValueError(f"indices 应为 0 到 {len(dataset) - 1} 之间的整数且不能为空，收到 "
                             f"{bad[:3] if bad else '空序列'}")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        image, label = self.dataset[self.indices[i]]
        if not 0 <= int(label) < len(self.label_map):
            raise ValueError(f"label_map 只有 {len(self.label_map)} 项，数据集的标签 {int(label)} 超出范围")
        return image, self.label_map[int(label)]

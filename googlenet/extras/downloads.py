"""Optional downloads: the full Fashion-MNIST and Imagenette (a 10-class subset of ImageNet).

Each is fetched only when asked (``download=True``) under a socket timeout, so that an offline machine fails fast
with a Chinese message instead of hanging. The full Fashion-MNIST can also be read from a directory of the original
idx files (Debian's ``dataset-fashion-mnist`` installs them under ``/usr/share/datasets/fashion-mnist``)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from ..data import (FASHION_MNIST_CLASSES_ZH, IMAGENETTE_CLASSES_ZH, IMAGENETTE_IMAGENET_INDEX,
                    IMAGENETTE_WNIDS, ImageDataset, _check_split)

_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read_idx(path: str | Path) -> np.ndarray:
    """An idx file (``.gz`` or raw) as a uint8 array: images N×H×W, labels N."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ValueError(f"无法读取 idx 文件 {path.name}：{err}") from err
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path.name} 不是 uint8 的 idx 文件（前 4 字节为 {data[:4]!r}，应为 00 00 08 维数）")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    size = int(np.prod(shape))
    if body.size != size:
        raise ValueError(f"{path.name} 的长度与表头不符：表头形状 {shape} 需要 {size} 字节，实际 {body.size} 字节（文件不完整？）")
    return body.reshape(shape)


def _find_idx(directory: Path, stem: str) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"在 {directory} 中找不到 {stem}.gz 或 {stem}（Fashion-MNIST 的原始 idx 文件）")


def read_fashion_mnist_dir(directory: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images N×28×28, labels N) of one split from a directory of the four idx files."""
    images_stem, labels_stem = _IDX_FILES[_check_split(split)]
    directory = Path(directory)
    images = read_idx(_find_idx(directory, images_stem))
    labels = read_idx(_find_idx(directory, labels_stem))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{directory} 中 {split} 的图像与标签不匹配：图像形状 {images.shape}，标签形状 {labels.shape}")
    return images, labels


DOWNLOAD_TIMEOUT_S = 20.0


@contextlib.contextmanager
def socket_timeout(seconds: float):
    """Give every socket opened inside the block a timeout, so that an offline download fails fast."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _download_error(what: str, root: Path, err: BaseException) -> ConnectionError:
    return ConnectionError(f"下载 {what} 失败（{type(err).__name__}: {' '.join(str(err).split())[:300]}）。"
                           f"这台机器可能无法联网：请联网后重试，或改用随包附带的子集 "
                           f"googlenet.data.fashion_mnist_subset()；下载目标目录为 {root}")


@contextlib.contextmanager
def _fetching(what: str, root: Path, download: bool, timeout: float, missing: str):
    """A torchvision dataset constructor's block: under the timeout, its errors in Chinese."""
    try:
        with socket_timeout(timeout):
            yield
    except RuntimeError as err:  # torchvision's "Dataset not found" or a failed check
        if not download and "not found" in str(err):
            raise FileNotFoundError(missing) from err
        raise _download_error(what, root, err) from err
    except OSError as err:  # URLError, socket.timeout, connection refused ...
        raise _download_error(what, root, err) from err


def fashion_mnist_full(split: str, root: str | Path = "data", *, download: bool = False,
                       transform: Callable[[Tensor], Tensor] | None = None,
                       timeout: float = DOWNLOAD_TIMEOUT_S) -> ImageDataset:
    """The whole Fashion-MNIST split (60,000 training or 10,000 test images). ``root`` holds the four idx files
    directly (like Debian's) or in torchvision's ``root/FashionMNIST/raw``, where ``download=True`` puts them."""
    _check_split(split)
    root = Path(root)
    images_stem, _ = _IDX_FILES[split]
    if any((root / f"{images_stem}{ext}").is_file() for ext in (".gz", "")):
        images, labels = read_fashion_mnist_dir(root, split)
        images, labels = torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))
    else:
        from torchvision.datasets import FashionMNIST

        with _fetching("Fashion-MNIST", root, download, timeout,
                       f"在 {root} 中找不到 Fashion-MNIST：请传入 download=True（命令行：--download）下载，或让 root 指向装有四个 idx 文件的目录"):
            ds = FashionMNIST(str(root), train=split == "train", download=download)
        images, labels = ds.data, ds.targets
    return ImageDataset(images, labels, FASHION_MNIST_CLASSES_ZH, transform,
                        name=f"Fashion-MNIST ({split})")


class _ImagenetteDataset(Dataset):
    """torchvision's Imagenette, with Chinese class names and our float-tensor transform convention."""

    def __init__(self, base, transform):
        self.base = base
        self.transform = transform
        order = [IMAGENETTE_WNIDS.index(w) for w in base.wnids]
        self.classes = tuple(IMAGENETTE_CLASSES_ZH[i] for i in order)
        self.imagenet_index = tuple(IMAGENETTE_IMAGENET_INDEX[i] for i in order)
        self.targets = torch.tensor([t for _, t in base._samples], dtype=torch.long)
        self.channels = 3

    def __len__(self) -> int:
        return len(self.base)

    def image(self, index: int) -> Tensor:
        from torchvision.transforms.v2.functional import pil_to_tensor

        img, _ = self.base[index]
        return pil_to_tensor(img.convert("RGB")).float().div_(255)

    def __getitem__(self, index: int):  # as ImageDataset's
        img = self.image(index)
        return (img if self.transform is None else self.transform(img)), int(self.targets[index])


def imagenette(split: str, root: str | Path = "data", *, size: str = "160px", download: bool = False,
               transform: Callable[[Tensor], Tensor] | None = None, timeout: float = DOWNLOAD_TIMEOUT_S) -> Dataset:
    """Imagenette (10 easy ImageNet classes) via ``torchvision.datasets.Imagenette``.

    ``split`` is "train" or "test" (Imagenette calls its test split "val"); ``size`` one of "160px", "320px", "full".
    Images come as RGB float tensors in [0, 1] of varying size, so ``transform`` must crop/resize them
    (`googlenet.augment.train_transform`, `eval_transform`). ``.imagenet_index``: each class's index in ImageNet-1k."""
    from torchvision.datasets import Imagenette

    _check_split(split)
    if size not in ("160px", "320px", "full"):
        raise ValueError(f"size 应为 '160px'、'320px' 或 'full'，收到 {size!r}")
    root = Path(root)
    with _fetching("Imagenette", root, download, timeout,
                   f"在 {root} 中找不到 Imagenette（{size}）：请传入 download=True（命令行：--download）下载（约 100 MB 到 1.5 GB）"):
        base = Imagenette(str(root), split="train" if split == "train" else "val", size=size, download=download)
    unknown = [w for w in base.wnids if w not in IMAGENETTE_WNIDS]
    if unknown:
        raise ValueError(f"{root} 中的 Imagenette 含有未知的类别目录 {unknown}，应为 {IMAGENETTE_WNIDS}")
    return _ImagenetteDataset(base, transform)

"""Datasets for training: a Fashion-MNIST subset bundled with the package, and optional downloads.

The default everywhere is the **bundled subset** (`fashion_mnist_subset`): a class-balanced
sample of Fashion-MNIST (MIT licence, Zalando SE) that ships inside the package as
``googlenet/_data/fashion_mnist_subset.npz`` with a JSON manifest (sha256, counts, source),
so that the book trains offline and identically on every machine. `make_subset` regenerates
it, byte for byte, from the original idx files (Debian's ``dataset-fashion-mnist`` installs
them under ``/usr/share/datasets/fashion-mnist``; ``python -m googlenet make-subset``).

For readers who are online there are two larger options, each downloaded only when asked
(``download=True``) under a socket timeout, so that an offline machine fails fast with a
Chinese message instead of hanging: the full Fashion-MNIST (`fashion_mnist_full`) and
Imagenette (`imagenette`), a 10-class subset of ImageNet.

Every dataset here is an `ImageDataset`-like object with ``.targets``, ``.classes`` (Chinese
names) and an optional ``transform`` applied on top of the raw image, which the transform
receives as a float tensor C×H×W in [0, 1].
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

# ---------------------------------------------------------------------------------------------
# Class names
# ---------------------------------------------------------------------------------------------

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

# Per-channel statistics used to normalise inputs (computed on Fashion-MNIST's training split;
# ImageNet's for Imagenette, the usual choice for ImageNet-derived images).
FASHION_MNIST_MEAN, FASHION_MNIST_STD = (0.2860,), (0.3530,)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

SPLITS = ("train", "test")

# ---------------------------------------------------------------------------------------------
# The bundled subset
# ---------------------------------------------------------------------------------------------

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DATA_DIR = Path(__file__).parent / "_data"
SUBSET_NAME = "fashion_mnist_subset"
# Sizes of the bundled subset, per class: what the time-to-accuracy benchmark needs, inside the
# 10 MB the repository allows (benchmarks/bench_time_to_accuracy.py; see make_subset).
SUBSET_TRAIN_PER_CLASS = 1800
SUBSET_TEST_PER_CLASS = 300
SUBSET_SEED = 0
_REGENERATE_HINT = ("请在仓库根目录运行 `python -m googlenet make-subset` 由 Fashion-MNIST 原始文件重新生成"
                    "（Debian/Ubuntu：apt install dataset-fashion-mnist 会把原始文件装到 "
                    f"{DEBIAN_DIR}），或从仓库重新取出 googlenet/_data/ 下的文件")


class ImageDataset(Dataset):
    """Images held in memory as uint8 (N×H×W grey or N×H×W×3 colour) with integer targets.

    ``dataset[i]`` is ``(transform(image), target)``, where the transform receives the image
    as a float tensor C×H×W in [0, 1]; without a transform that tensor itself is returned.
    """

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
        if not isinstance(per_class, int) or per_class < 1 or per_class > int(counts.min()):
            raise ValueError(f"per_class 应为 1 到 {int(counts.min())} 之间的整数"
                             f"（每类最少 {int(counts.min())} 张），收到 {per_class!r}")
        keep = torch.cat([torch.nonzero(self.targets == c).flatten()[:per_class]
                          for c in range(len(self.classes))]).sort().values
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

    ``.images`` is uint8 N×28×28, ``.targets`` int64 N, ``.classes`` the Chinese class names.
    The file is checked against its sha256 on every load (a few milliseconds).
    """
    _check_split(split)
    arrays = load_subset_arrays(directory)
    return ImageDataset(torch.from_numpy(arrays[f"{split}_images"]),
                        torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64)),
                        FASHION_MNIST_CLASSES_ZH, transform, name=f"Fashion-MNIST 子集 ({split})")


# ---------------------------------------------------------------------------------------------
# idx files (the original Fashion-MNIST format) and regenerating the subset
# ---------------------------------------------------------------------------------------------

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
        raise ValueError(f"{path.name} 不是 uint8 的 idx 文件（前 4 字节为 {data[:4]!r}，"
                         "应为 00 00 08 维数）")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path.name} 的长度与表头不符：表头形状 {shape} 需要 {int(np.prod(shape))} 字节，"
                         f"实际 {body.size} 字节（文件不完整？）")
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


def balanced_indices(labels: np.ndarray, per_class: int, seed: int, num_classes: int = 10) -> np.ndarray:
    """``per_class`` indices of each class, drawn without replacement by a seeded generator, sorted."""
    rng = np.random.default_rng(seed)
    chosen = []
    for c in range(num_classes):
        pool = np.flatnonzero(labels == c)
        if len(pool) < per_class:
            raise ValueError(f"类别 {c} 只有 {len(pool)} 张图像，不够抽取 per_class={per_class} 张")
        chosen.append(rng.choice(pool, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def make_subset(source_dir: str | Path = DEBIAN_DIR, out_dir: str | Path = DATA_DIR, *,
                train_per_class: int = SUBSET_TRAIN_PER_CLASS,
                test_per_class: int = SUBSET_TEST_PER_CLASS, seed: int = SUBSET_SEED) -> dict:
    """Write the class-balanced subset (npz + manifest) from the original idx files; returns the manifest.

    Training images come from the official training split and test images from the official
    test split, chosen by a fixed seed. ``np.savez_compressed`` writes zip entries with a fixed
    timestamp, so the same inputs give the same bytes and the same sha256 on any machine.
    """
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    arrays, counts, source_sha = {}, {}, {}
    for split, per_class in (("train", train_per_class), ("test", test_per_class)):
        images, labels = read_fashion_mnist_dir(source_dir, split)
        index = balanced_indices(labels, per_class, seed)
        arrays[f"{split}_images"] = np.ascontiguousarray(images[index])
        arrays[f"{split}_labels"] = labels[index].astype(np.uint8)
        arrays[f"{split}_source_index"] = index.astype(np.int32)  # positions in the official split
        counts[split] = {"total": int(len(index)), "per_class": per_class}
        source_sha[split] = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    out_dir.mkdir(parents=True, exist_ok=True)
    npz_path, manifest_path = subset_paths(out_dir)
    np.savez_compressed(npz_path, **arrays)
    manifest = {
        "name": SUBSET_NAME,
        "description": "Fashion-MNIST 的类别均衡子集：训练图像取自官方训练集，测试图像取自官方测试集",
        "source": "Fashion-MNIST (Zalando SE, MIT licence), https://github.com/zalandoresearch/fashion-mnist",
        "source_files": sorted(f"{stem}.gz" for pair in _IDX_FILES.values() for stem in pair),
        "source_sha256": source_sha,  # of the decompressed images+labels of each official split
        "license": "MIT",
        "seed": seed,
        "image_shape": [28, 28],
        "classes": list(FASHION_MNIST_CLASSES),
        "classes_zh": list(FASHION_MNIST_CLASSES_ZH),
        "counts": counts,
        "bytes": npz_path.stat().st_size,
        "sha256": sha256_file(npz_path),
        "regenerate": "python -m googlenet make-subset",
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


# ---------------------------------------------------------------------------------------------
# Optional downloads: the full Fashion-MNIST and Imagenette
# ---------------------------------------------------------------------------------------------

DOWNLOAD_TIMEOUT_S = 20.0


@contextlib.contextmanager
def _socket_timeout(seconds: float):
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


def fashion_mnist_full(split: str, root: str | Path = "data", *, download: bool = False,
                       transform: Callable[[Tensor], Tensor] | None = None,
                       timeout: float = DOWNLOAD_TIMEOUT_S) -> ImageDataset:
    """The whole Fashion-MNIST split (60,000 training or 10,000 test images).

    ``root`` is either a directory holding the four idx files directly (e.g. Debian's
    ``/usr/share/datasets/fashion-mnist``), or torchvision's layout (``root/FashionMNIST/raw``),
    into which ``download=True`` fetches the files with ``torchvision.datasets.FashionMNIST``.
    """
    _check_split(split)
    root = Path(root)
    images_stem, _ = _IDX_FILES[split]
    if any((root / f"{images_stem}{ext}").is_file() for ext in (".gz", "")):
        images, labels = read_fashion_mnist_dir(root, split)
        images, labels = torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))
    else:
        from torchvision.datasets import FashionMNIST

        try:
            with _socket_timeout(timeout):
                ds = FashionMNIST(str(root), train=split == "train", download=download)
        except RuntimeError as err:
            if not download and "not found" in str(err):
                raise FileNotFoundError(f"在 {root} 中找不到 Fashion-MNIST：请传入 download=True"
                                        f"（命令行：--download）下载，或让 root 指向装有四个 idx 文件的目录") from err
            raise _download_error("Fashion-MNIST", root, err) from err
        except OSError as err:  # URLError, socket.timeout, connection refused ...
            raise _download_error("Fashion-MNIST", root, err) from err
        images, labels = ds.data, ds.targets
    return ImageDataset(images, labels, FASHION_MNIST_CLASSES_ZH, transform,
                        name=f"Fashion-MNIST ({split})")


class _ImagenetteDataset(Dataset):
    """torchvision's Imagenette, with Chinese class names and our float-tensor transform convention."""

    def __init__(self, base, transform):
        self.base = base
        self.transform = transform
        self.classes = tuple(IMAGENETTE_CLASSES_ZH[IMAGENETTE_WNIDS.index(w)] for w in base.wnids)
        self.imagenet_index = tuple(IMAGENETTE_IMAGENET_INDEX[IMAGENETTE_WNIDS.index(w)] for w in base.wnids)
        self.targets = torch.tensor([t for _, t in base._samples], dtype=torch.long)
        self.channels = 3

    def __len__(self) -> int:
        return len(self.base)

    def image(self, index: int) -> Tensor:
        from torchvision.transforms.v2.functional import pil_to_tensor

        img, _ = self.base[index]
        return pil_to_tensor(img.convert("RGB")).float().div_(255)

    def __getitem__(self, index: int):
        img = self.image(index)
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.targets[index])


def imagenette(split: str, root: str | Path = "data", *, size: str = "160px", download: bool = False,
               transform: Callable[[Tensor], Tensor] | None = None,
               timeout: float = DOWNLOAD_TIMEOUT_S) -> Dataset:
    """Imagenette (10 easy ImageNet classes) via ``torchvision.datasets.Imagenette``.

    ``split`` is "train" or "test" (Imagenette calls its test split "val"); ``size`` one of
    "160px", "320px", "full". Images come as RGB float tensors in [0, 1] of varying size,
    so ``transform`` must crop/resize them (`googlenet.augment.train_transform`, `eval_transform`).
    ``.imagenet_index`` gives each class's index in ImageNet-1k.
    """
    from torchvision.datasets import Imagenette

    _check_split(split)
    if size not in ("160px", "320px", "full"):
        raise ValueError(f"size 应为 '160px'、'320px' 或 'full'，收到 {size!r}")
    root = Path(root)
    try:
        with _socket_timeout(timeout):
            base = Imagenette(str(root), split="train" if split == "train" else "val", size=size,
                              download=download)
    except RuntimeError as err:
        if not download and "not found" in str(err):
            raise FileNotFoundError(f"在 {root} 中找不到 Imagenette（{size}）：请传入 download=True"
                                    f"（命令行：--download）下载（约 100 MB 到 1.5 GB）") from err
        raise _download_error("Imagenette", root, err) from err
    except OSError as err:
        raise _download_error("Imagenette", root, err) from err
    unknown = [w for w in base.wnids if w not in IMAGENETTE_WNIDS]
    if unknown:
        raise ValueError(f"{root} 中的 Imagenette 含有未知的类别目录 {unknown}，应为 {IMAGENETTE_WNIDS}")
    return _ImagenetteDataset(base, transform)


def normalization(channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) for inputs with ``channels`` channels: Fashion-MNIST's for 1, ImageNet's for 3."""
    if channels == 1:
        return FASHION_MNIST_MEAN, FASHION_MNIST_STD
    if channels == 3:
        return IMAGENET_MEAN, IMAGENET_STD
    raise ValueError(f"channels 应为 1（灰度）或 3（RGB），收到 {channels!r}")

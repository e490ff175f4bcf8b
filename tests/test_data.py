"""The bundled subset (integrity, balance, reproducibility) and the optional datasets' loaders."""

import gzip
import json
import shutil
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from googlenet import data
from googlenet.data import Relabelled, first_per_class
from googlenet.extras import downloads
from tools import make_subset

# ---- helpers: tiny stand-ins in the original formats ------------------------------------------


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(payload)
    else:
        path.write_bytes(payload)
    return path


def tiny_fashion_mnist(directory: Path, n_train: int = 40, n_test: int = 20, compress: bool = True,
                       seed: int = 0) -> dict:
    """Four idx files with random 28×28 images, labels cycling 0-9."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n, stem in (("train", n_train, "train"), ("test", n_test, "t10k")):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(directory / f"{stem}-images-idx3-ubyte", images, compress)
        write_idx(directory / f"{stem}-labels-idx1-ubyte", labels, compress)
        arrays[split] = (images, labels)
    return arrays


# ---- the bundled subset ------------------------------------------------------------------------


def test_bundled_subset_shapes_balance_and_names():
    manifest = json.loads(data.subset_paths()[1].read_text(encoding="utf-8"))
    for split, per_class in (("train", data.SUBSET_TRAIN_PER_CLASS), ("test", data.SUBSET_TEST_PER_CLASS)):
        ds = data.fashion_mnist_subset(split)
        assert ds.images.dtype == torch.uint8 and ds.images.shape == (10 * per_class, 28, 28)
        assert ds.targets.dtype == torch.int64
        assert torch.bincount(ds.targets, minlength=10).tolist() == [per_class] * 10
        assert manifest["counts"][split] == {"total": 10 * per_class, "per_class": per_class}
        assert ds.classes == data.FASHION_MNIST_CLASSES_ZH
        img, target = ds[0]  # without a transform: float 1×28×28 in [0, 1]
        assert img.shape == (1, 28, 28) and img.dtype == torch.float32 and 0 <= img.min() <= img.max() <= 1
        assert target == int(ds.targets[0])
    assert data.FASHION_MNIST_CLASSES_ZH[0] == "T恤/上衣" and data.FASHION_MNIST_CLASSES_ZH[9] == "短靴"


def test_bundled_subset_is_small_and_checksummed():
    npz, manifest_path = data.subset_paths()
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert npz.stat().st_size + manifest_path.stat().st_size <= 10_000_000
    assert manifest["sha256"] == data.sha256_file(npz)
    assert manifest["bytes"] == npz.stat().st_size
    assert manifest["license"] == "MIT" and "fashion-mnist" in manifest["source"]


def test_bundled_subset_comes_from_the_official_splits_without_duplicates():
    arrays = data.load_subset_arrays()
    for split, size in (("train", 60000), ("test", 10000)):
        index = arrays[f"{split}_source_index"]
        assert index.min() >= 0 and index.max() < size
        assert len(np.unique(index)) == len(index)


@pytest.mark.slow
@pytest.mark.skipif(not make_subset.DEBIAN_DIR.is_dir(), reason="需要 Debian 包 dataset-fashion-mnist 的原始文件")
def test_regenerating_the_subset_reproduces_the_bundled_bytes(tmp_path):
    manifest = make_subset.make_subset(make_subset.DEBIAN_DIR, tmp_path)
    bundled = json.loads(data.subset_paths()[1].read_text(encoding="utf-8"))
    assert manifest["sha256"] == bundled["sha256"]
    assert manifest["source_sha256"] == bundled["source_sha256"]
    # and the arrays equal the official files at the recorded positions
    images, labels = downloads.read_fashion_mnist_dir(make_subset.DEBIAN_DIR, "test")
    arrays = data.load_subset_arrays()
    np.testing.assert_array_equal(arrays["test_images"], images[arrays["test_source_index"]])
    np.testing.assert_array_equal(arrays["test_labels"], labels[arrays["test_source_index"]])


def test_missing_or_damaged_subset_gives_a_chinese_error(tmp_path):
    for path in data.subset_paths():
        shutil.copy(path, tmp_path / path.name)
    npz, manifest = data.subset_paths(tmp_path)
    assert len(data.fashion_mnist_subset("test", directory=tmp_path)) == 10 * data.SUBSET_TEST_PER_CLASS

    raw = bytearray(npz.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    npz.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="SHA-256 校验失败.*make_subset"):
        data.fashion_mnist_subset("train", directory=tmp_path)

    npz.unlink()
    with pytest.raises(FileNotFoundError, match="找不到随包附带的数据子集.*make_subset"):
        data.fashion_mnist_subset("train", directory=tmp_path)

    manifest.write_text("{ not json", encoding="utf-8")
    shutil.copy(data.subset_paths()[0], npz)
    with pytest.raises(ValueError, match="清单文件"):
        data.fashion_mnist_subset("train", directory=tmp_path)


def test_bad_split_is_rejected():
    with pytest.raises(ValueError, match="split 应为 'train' 或 'test'，收到 'val'"):
        data.fashion_mnist_subset("val")


# ---- idx files and make_subset -------------------------------------------------------------


def test_read_idx_gz_and_raw_and_errors(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(downloads.read_idx(write_idx(tmp_path / "a", arr)), arr)
    np.testing.assert_array_equal(downloads.read_idx(write_idx(tmp_path / "b", arr, compress=False)), arr)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="不是 uint8 的 idx 文件"):
        downloads.read_idx(tmp_path / "bad")
    raw = (tmp_path / "b").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-5])
    with pytest.raises(ValueError, match="长度与表头不符"):
        downloads.read_idx(tmp_path / "short")


def test_make_subset_is_balanced_and_byte_reproducible(tmp_path):
    arrays = tiny_fashion_mnist(tmp_path / "src")
    m1 = make_subset.make_subset(tmp_path / "src", tmp_path / "a", train_per_class=3, test_per_class=1, seed=7)
    m2 = make_subset.make_subset(tmp_path / "src", tmp_path / "b", train_per_class=3, test_per_class=1, seed=7)
    assert m1["sha256"] == m2["sha256"]
    assert (tmp_path / "a" / "fashion_mnist_subset.npz").read_bytes() == (tmp_path / "b" / "fashion_mnist_subset.npz").read_bytes()
    m3 = make_subset.make_subset(tmp_path / "src", tmp_path / "c", train_per_class=3, test_per_class=1, seed=8)
    assert m3["sha256"] != m1["sha256"]
    ds = data.fashion_mnist_subset("train", directory=tmp_path / "a")
    assert torch.bincount(ds.targets).tolist() == [3] * 10
    index = data.load_subset_arrays(tmp_path / "a")["train_source_index"]
    np.testing.assert_array_equal(ds.images.numpy(), arrays["train"][0][index])
    with pytest.raises(ValueError, match="不够抽取"):
        make_subset.make_subset(tmp_path / "src", tmp_path / "d", train_per_class=5, test_per_class=1)


def test_subset_per_class_keeps_balance():
    ds = data.fashion_mnist_subset("test").subset_per_class(4)
    assert len(ds) == 40 and torch.bincount(ds.targets).tolist() == [4] * 10
    with pytest.raises(ValueError, match="per_class 应为 1 到"):
        ds.subset_per_class(5)


def test_image_dataset_rejects_bad_arrays():
    with pytest.raises(ValueError, match="uint8"):
        data.ImageDataset(torch.zeros(2, 4, 4), torch.zeros(2), ("a",))
    with pytest.raises(ValueError, match="targets 应为长度 2"):
        data.ImageDataset(torch.zeros(2, 4, 4, dtype=torch.uint8), torch.zeros(3), ("a",))


# ---- the full Fashion-MNIST -----------------------------------------------------------------


def test_full_fashion_mnist_from_a_directory_of_idx_files(tmp_path):
    arrays = tiny_fashion_mnist(tmp_path)
    ds = downloads.fashion_mnist_full("test", tmp_path)
    assert len(ds) == 20 and ds.classes == data.FASHION_MNIST_CLASSES_ZH
    np.testing.assert_array_equal(ds.images.numpy(), arrays["test"][0])


def test_full_fashion_mnist_in_torchvision_layout(tmp_path):
    arrays = tiny_fashion_mnist(tmp_path / "FashionMNIST" / "raw", compress=False)
    ds = downloads.fashion_mnist_full("train", tmp_path)
    assert len(ds) == 40
    np.testing.assert_array_equal(ds.images.numpy(), arrays["train"][0])
    np.testing.assert_array_equal(ds.targets.numpy(), arrays["train"][1])


def test_full_fashion_mnist_missing_or_offline_fails_fast_in_chinese(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="download=True"):
        downloads.fashion_mnist_full("train", tmp_path / "nothing")

    import urllib.error

    import torchvision.datasets.mnist as mnist

    timeouts = []

    def offline(*args, **kwargs):
        timeouts.append(socket.getdefaulttimeout())
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist, "download_and_extract_archive", offline)
    with pytest.raises(ConnectionError, match="下载 Fashion-MNIST 失败.*无法联网"):
        downloads.fashion_mnist_full("train", tmp_path / "dl", download=True, timeout=3.0)
    assert timeouts and all(t == 3.0 for t in timeouts)  # every attempt ran under the timeout
    assert socket.getdefaulttimeout() is None  # and the default is restored


# ---- Imagenette ------------------------------------------------------------------------------


def tiny_imagenette(root: Path, per_class: int = 2) -> Path:
    for split in ("train", "val"):
        for k, wnid in enumerate(data.IMAGENETTE_WNIDS):
            folder = root / "imagenette2-160" / split / wnid
            folder.mkdir(parents=True)
            for i in range(per_class):
                color = (25 * k, 10 * i, 200)
                Image.new("RGB", (96 + 8 * i, 80), color).save(folder / f"{wnid}_{i}.JPEG")
    return root


def test_imagenette_loads_an_imagenette_shaped_tree(tmp_path):
    from googlenet.augment import eval_transform

    tiny_imagenette(tmp_path)
    ds = downloads.imagenette("test", tmp_path)
    assert len(ds) == 20 and ds.channels == 3
    assert ds.classes == data.IMAGENETTE_CLASSES_ZH
    assert ds.imagenet_index == (0, 217, 482, 491, 497, 566, 569, 571, 574, 701)
    assert torch.bincount(ds.targets).tolist() == [2] * 10
    img, target = ds[5]
    assert img.shape == (3, 80, 96 + 8) and img.dtype == torch.float32 and target == 2
    assert abs(float(img[0].mean()) - 50 / 255) < 0.02  # the red channel of class 2 (25·2)
    ds.transform = eval_transform(64, 3)
    assert ds[0][0].shape == (3, 64, 64)


def test_imagenette_missing_or_offline(tmp_path, monkeypatch):
    import urllib.error

    import torchvision.datasets.imagenette as imagenette_module

    with pytest.raises(FileNotFoundError, match="找不到 Imagenette"):
        downloads.imagenette("train", tmp_path)

    def offline(*args, **kwargs):
        raise urllib.error.URLError("timed out")

    monkeypatch.setattr(imagenette_module, "download_and_extract_archive", offline)
    with pytest.raises(ConnectionError, match="下载 Imagenette 失败"):
        downloads.imagenette("train", tmp_path, download=True)
    with pytest.raises(ValueError, match="size 应为"):
        downloads.imagenette("train", tmp_path, size="64px")


def test_imagenette_names_and_indices_line_up():
    assert len(data.IMAGENETTE_WNIDS) == len(data.IMAGENETTE_CLASSES) == len(data.IMAGENETTE_CLASSES_ZH) == 10
    assert data.IMAGENETTE_CLASSES_ZH[data.IMAGENETTE_CLASSES.index("French horn")] == "圆号"
    assert data.IMAGENETTE_IMAGENET_INDEX[data.IMAGENETTE_CLASSES.index("parachute")] == 701


def test_normalization_choices():
    assert data.normalization(1) == (data.FASHION_MNIST_MEAN, data.FASHION_MNIST_STD)
    assert data.normalization(3) == (data.IMAGENET_MEAN, data.IMAGENET_STD)
    with pytest.raises(ValueError, match="channels 应为 1"):
        data.normalization(2)


def test_first_per_class_rejects_what_is_not_a_label_sequence():
    with pytest.raises(TypeError, match="targets 应为整数标签的序列或张量，收到 str"):
        first_per_class("abc", 1)
    with pytest.raises(ValueError, match="非空的一维"):
        first_per_class([], 1)


def test_relabelled_checks_indices_and_the_label_map():
    base = [(torch.zeros(1), 0), (torch.zeros(1), 1), (torch.zeros(1), 2)]
    assert Relabelled(base, [0, 2], [7, 8, 9])[1][1] == 9
    with pytest.raises(ValueError, match="indices 应为 0 到 2 之间的整数且不能为空，收到 \\[5\\]"):
        Relabelled(base, [0, 5], [7, 8, 9])
    with pytest.raises(ValueError, match="空序列"):
        Relabelled(base, [], [7, 8, 9])
    with pytest.raises(TypeError, match="indices 应为整数序列"):
        Relabelled(base, [0.5], [7, 8, 9])
    with pytest.raises(ValueError, match="label_map 只有 2 项，数据集的标签 2 超出范围"):
        Relabelled(base, [2], [7, 8])[0]

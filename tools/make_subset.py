"""Regenerate the bundled Fashion-MNIST subset (googlenet/_data/) from the original idx files.

A maintainer's tool, not part of the installed package:

    python tools/make_subset.py [--source /usr/share/datasets/fashion-mnist] [--out googlenet/_data]

Debian/Ubuntu: ``apt install dataset-fashion-mnist`` puts the original files in the default
``--source``. The same inputs give the same bytes (and sha256) on any machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from googlenet.data import (DATA_DIR, FASHION_MNIST_CLASSES, FASHION_MNIST_CLASSES_ZH,  # noqa: E402
                            SUBSET_NAME, SUBSET_SEED, SUBSET_TEST_PER_CLASS, SUBSET_TRAIN_PER_CLASS,
                            sha256_file, subset_paths)
from googlenet.extras.downloads import _IDX_FILES, read_fashion_mnist_dir  # noqa: E402

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


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
        "regenerate": "python tools/make_subset.py",
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest




def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python tools/make_subset.py",
        description="从 Fashion-MNIST 的四个 idx 文件按固定种子抽取类别均衡的子集（训练图像取自官方训练集，"
                    "测试图像取自官方测试集），写出 .npz 与记有 sha256 的 .json 清单；相同输入得到逐字节相同的文件。")
    p.add_argument("--source", default=str(DEBIAN_DIR),
                   help=f"原始 idx 文件（.gz 或解压后的）所在目录（默认 {DEBIAN_DIR}，Debian 包 dataset-fashion-mnist）")
    p.add_argument("--out", default=str(DATA_DIR), help="输出目录（默认：包内的 googlenet/_data）")
    p.add_argument("--train-per-class", type=int, default=SUBSET_TRAIN_PER_CLASS,
                   help=f"每类训练图像数（默认 {SUBSET_TRAIN_PER_CLASS}）")
    p.add_argument("--test-per-class", type=int, default=SUBSET_TEST_PER_CLASS,
                   help=f"每类测试图像数（默认 {SUBSET_TEST_PER_CLASS}）")
    p.add_argument("--seed", type=int, default=SUBSET_SEED, help=f"抽样种子（默认 {SUBSET_SEED}）")
    args = p.parse_args(argv)
    try:
        m = make_subset(args.source, args.out, train_per_class=args.train_per_class,
                        test_per_class=args.test_per_class, seed=args.seed)
    except (ValueError, FileNotFoundError) as err:
        sys.exit(f"错误：{err}")
    print(f"已写出 {args.out}：训练 {m['counts']['train']['total']} 张、测试 {m['counts']['test']['total']} 张，"
          f"{m['bytes'] / 1e6:.2f} MB，sha256 {m['sha256']}")


if __name__ == "__main__":
    main()

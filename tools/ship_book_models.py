"""Ship the book's two trained models with the package (authoring only).

After notebook 06 has trained `googlenet.book.runs.BOOK_RUNS` into notebooks/runs/book, this
writes their Polyak-averaged weights (int8 per output channel, the rest fp16, lzma-compressed) to
googlenet/book/book_models/ with a manifest
(config, size, SHA-256), so that notebooks 07 and 08 opened on their own load them instead of
retraining. Re-run it whenever BOOK_CONFIG changes (tests/test_runs.py fails until then).

    .venv/bin/python tools/ship_book_models.py [--run-dir notebooks/runs/book]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from googlenet.book.runs import ship  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="把笔记本 06 训练的两个模型（Polyak 平均权重，int8 压缩）随包发布")
    parser.add_argument("--run-dir", default="notebooks/runs/book", help="笔记本 06 的训练目录")
    args = parser.parse_args(argv)
    try:
        manifest = ship(args.run_dir)
    except FileNotFoundError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1
    for name, entry in manifest.items():
        print(f"{name}: {entry['file']} {entry['bytes'] / 2**20:.1f} MiB sha256 {entry['sha256'][:12]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Results that notebooks hand to later ones (chiefly 09's reproduction report): a notebook saves what the report
cites with `save_result("name", {...})`, the report reads it back with `load_result("name")`. Plain JSON in
``runs/book/`` under the working directory (beside the cached runs), written atomically: no half file on a crash."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..extras.checkpoint import atomic_write_json

RUN_DIR = Path("runs") / "book"  # the book's results and cached runs (googlenet.book.runs), one directory


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ValueError(f"结果名应为由字母、数字、下划线或连字符组成的非空字符串，收到 {name!r}")


def _finite(value) -> None:
    """Reject NaN/inf anywhere in the payload: JSON cannot carry them faithfully."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"结果中不能含 NaN 或无穷大，收到 {value!r}")
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for v in value:
            _finite(v)


def save_result(name: str, payload: dict, directory: str | Path = RUN_DIR) -> Path:
    """Write ``payload`` (JSON-serialisable dict) to ``<directory>/<name>.json`` atomically."""
    _check_name(name)
    if not isinstance(payload, dict):
        raise ValueError(f"结果应为 dict，收到 {type(payload).__name__}")
    _finite(payload)
    return atomic_write_json(Path(directory) / f"{name}.json", payload)


def load_result(name: str, directory: str | Path = RUN_DIR) -> dict | None:
    """The saved result called ``name``, or None if that notebook has not been run here."""
    _check_name(name)
    path = Path(directory) / f"{name}.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"结果文件 {path} 已损坏（不是合法的 JSON：{e}）；重新运行生成它的笔记本即可") from e

"""Checkpoints that survive crashes: atomic writes, safe loads, clear errors.

A checkpoint is a plain dict (tensors, numbers, strings, lists, dicts), so ``torch.load(weights_only=True)`` loads it;
that refuses to run code hidden in a pickle. It is written to a temporary file, fsynced and renamed over the old one
(``os.replace`` is atomic): a crash at any moment leaves the old checkpoint or the new one, never half of one."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch

FORMAT = "googlenet-train/1"
REQUIRED_KEYS = ("format", "config", "epoch", "model", "ema", "optimizer", "scheduler", "history")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: damaged, from another program, or from another configuration."""


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file so that readers see either the old or the complete new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # make the rename itself durable (not possible on every file system)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    text = json.dumps(obj, ensure_ascii=False, indent=1) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def save_checkpoint(path: str | Path, state: dict) -> Path:
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(f"检查点缺少字段 {missing}")
    return atomic_write(path, lambda f: torch.save(state, f))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Load and sanity-check a checkpoint written by `save_checkpoint` (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"找不到检查点文件 {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, ValueError,
            AttributeError, KeyError, IndexError, TypeError, OSError) as err:
        raise CheckpointError(f"检查点 {path} 已损坏或不是本包写出的文件，无法读取"
                              f"（{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}）。"
                              "请删除它后重新训练，或换一个输出目录") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"检查点 {path} 的格式为 {found!r}，应为 {FORMAT!r}（不是本包训练器写出的检查点）")
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise CheckpointError(f"检查点 {path} 缺少字段 {missing}（文件不完整）")
    return state


def config_differences(saved: dict, current: dict, ignore: tuple[str, ...] = ()) -> list[str]:
    """Human-readable (Chinese) lines for every field where two configurations disagree."""
    pairs = {key: (saved.get(key, "（无）"), current.get(key, "（无）")) for key in set(saved) | set(current)}
    return [f"{key}：检查点中为 {a!r}，本次为 {b!r}" for key, (a, b) in sorted(pairs.items())
            if a != b and key not in ignore]


def save_training_state(path: Path, cfg, model, ema, optimizer, scheduler, scaler, history: list[dict],
                        classes) -> None:
    """Everything `googlenet.train.train` needs to resume, written atomically, and ``history.json`` beside it."""
    save_checkpoint(path, {
        "format": FORMAT, "config": cfg.to_dict(), "epoch": len(history),
        "model": model.state_dict(), "ema": ema.state_dict(),
        "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if scaler.is_enabled() else None,
        "history": history, "classes": list(classes),
        "channels": model.in_channels, "num_classes": model.num_classes,
    })
    atomic_write_json(path.parent / "history.json", {"config": cfg.to_dict(), "history": history})


def restore_training_state(path: Path, cfg, device, model, ema, optimizer, scheduler, scaler) -> list[dict]:
    """Load what `save_training_state` wrote into the given objects (same config required); returns the history."""
    state = load_checkpoint(path, map_location=device)
    diffs = config_differences(state["config"], cfg.to_dict())
    if diffs:
        raise CheckpointError(f"检查点 {path} 的训练配置与本次不同，不能接着训练：\n  " + "\n  ".join(diffs)
                              + "\n请使用相同的配置，或换一个输出目录从头训练")
    try:
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
    except (RuntimeError, KeyError, ValueError) as err:
        raise CheckpointError(f"检查点 {path} 的内容与模型不符（{str(err).splitlines()[0][:200]}）") from err
    return list(state["history"])

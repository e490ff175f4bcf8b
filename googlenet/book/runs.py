"""The book's cached training runs: notebook 06 trains them, notebooks 07 and 08 load them.

`BOOK_RUNS`: two short runs of notebook 06's recipe (`BOOK_CONFIG`), with and without §5's auxiliary classifiers,
under `RUN_DIR` (``notebooks/runs/book`` locally, ``/content/runs/book`` in Colab). So that 07 and 08 opened alone
need not retrain, the package also ships their Polyak-averaged weights (``book_models/``, hashed in
``manifest.json``, written by ``tools/ship_book_models.py``): weight matrices as int8 with one fp16 scale per
output channel, everything else fp16, lzma-compressed, so that each file stays under the repository's 10 MB.
`load_book_models` rounds every model the same way (`round_to_shipped`), whichever the source, so both give the
same numbers. The runs train in fp32: "auto" would pick bf16 on some CPUs,
and the book's numbers would then depend on the reader's CPU."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import lzma
from pathlib import Path

import torch

from ..extras.checkpoint import CheckpointError, load_checkpoint
from ..model import GoogLeNet
from ..train import CHECKPOINT_NAME, TrainConfig, TrainResult, build_model, load_model, train
from .results import RUN_DIR

SHIPPED_DIR = Path(__file__).parent / "book_models"  # int8/fp16 Polyak weights of BOOK_RUNS + manifest.json

# 4,000 images × 3 epochs, tested on 2,000: under 2 minutes per run on a 2-core CPU, so notebook 06
# trains both and all notebooks together stay within 8 minutes under nbval.
BOOK_CONFIG = TrainConfig(train_per_class=400, test_per_class=200, epochs=3, precision="fp32")
BOOK_RUNS = {"aux": BOOK_CONFIG, "noaux": dataclasses.replace(BOOK_CONFIG, aux=False)}  # with / without aux heads


def book_run(name: str, run_dir: str | Path = RUN_DIR, *, retrain: bool = False,
             progress: bool = True) -> TrainResult:
    """Train one of ``BOOK_RUNS`` into ``run_dir/name``: an interrupted run resumes, a finished one is
    loaded; ``retrain=True`` trains afresh (notebook 06 does, so it shows the run it trains)."""
    if name not in BOOK_RUNS:
        raise ValueError(f"name 应为 {', '.join(map(repr, BOOK_RUNS))} 之一，收到 {name!r}")
    return train(BOOK_RUNS[name], Path(run_dir) / name, resume=not retrain, overwrite=retrain,
                 progress=progress)


def load_book_models(device: str | torch.device = "cpu", run_dir: str | Path = RUN_DIR, *,
                     averaged: bool = True, train_if_missing: bool = True,
                     progress: bool = False) -> list[GoogLeNet]:
    """The book's trained classifiers (one per ``BOOK_RUNS`` entry, in order), in eval mode.

    Each is a ``GoogLeNet(in_channels=1, num_classes=10, variant=BOOK_CONFIG.variant)`` taking
    ``googlenet.augment.to_model_input(uint8_images, BOOK_CONFIG.image_size)``; its weights are the Polyak averages
    (``averaged=False``: the raw ones), rounded as shipped (`round_to_shipped`), held in fp32. They come from a finished run of the current
    recipe in ``run_dir``, else the shipped weights (averaged only), else a run trained here (minutes on a CPU;
    ``train_if_missing=False`` raises instead)."""
    models = []
    for name, config in BOOK_RUNS.items():
        out_dir = Path(run_dir) / name
        state = _checkpoint_state(out_dir)
        if _finished(state, config):
            model = load_model(out_dir, device, averaged=averaged)
        elif averaged and shipped_model_ok(name):
            model = shipped_model(name, device)
        elif not train_if_missing:
            raise FileNotFoundError(f"找不到按当前配方训练完成的检查点 {out_dir / CHECKPOINT_NAME}：请先运行笔记本 06，"
                                    "或调用 load_book_models(train_if_missing=True)")
        else:
            stale = state is not None and state["config"] != config.to_dict()
            train(config, out_dir, resume=not stale, overwrite=stale, progress=progress)
            model = load_model(out_dir, device, averaged=averaged)
        models.append(round_to_shipped(model))
    return models


def round_to_shipped(model: GoogLeNet) -> GoogLeNet:
    """Round the weights as `ship` stores them, in place (kept in fp32): conv/linear weights to int8 times an fp16
    scale per output channel, every other float tensor to fp16. Rounding twice changes nothing."""
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(_dequantize(*_quantize(t)) if t.dim() > 1 else t.half().float())
    return model


def _quantize(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per output channel: ``w ≈ q * scale``, ``scale`` in fp16, ``|q| ≤ 127``."""
    scale = (w.abs().amax(dim=tuple(range(1, w.dim())), keepdim=True) / 127).half().clamp_min(2 ** -24)
    return torch.round(w / scale.float()).clamp_(-127, 127).to(torch.int8), scale


def _dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return q.float() * scale.float()


def shipped_manifest() -> dict:
    """``book_models/manifest.json``: per run its config, file name, size and SHA-256."""
    path = SHIPPED_DIR / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def shipped_model_ok(name: str) -> bool:
    """Are the shipped weights of run ``name`` there, intact (hash) and of the current recipe?"""
    entry = shipped_manifest().get(name)
    if entry is None or entry["config"] != BOOK_RUNS[name].to_dict():
        return False
    path = SHIPPED_DIR / entry["file"]
    return path.exists() and _sha256(path) == entry["sha256"]


def shipped_model(name: str, device: str | torch.device = "cpu") -> GoogLeNet:
    """The shipped Polyak-averaged model of run ``name``, in eval mode (check `shipped_model_ok` first)."""
    entry = shipped_manifest()[name]
    model = build_model(BOOK_RUNS[name], entry["num_classes"], entry["channels"])
    packed = torch.load(io.BytesIO(lzma.decompress((SHIPPED_DIR / entry["file"]).read_bytes())), weights_only=True)
    state = {k: _dequantize(q, packed["scale"][k]) for k, q in packed["int8"].items()}
    state |= {k: v.float() if v.is_floating_point() else v for k, v in packed["other"].items()}
    model.load_state_dict(state)
    return model.to(device).eval()


def ship(run_dir: str | Path = RUN_DIR, out_dir: str | Path = SHIPPED_DIR) -> dict:
    """Write the Polyak weights of the finished ``BOOK_RUNS`` in ``run_dir`` (as `round_to_shipped` rounds them)
    and their manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, config in BOOK_RUNS.items():
        if not _finished(_checkpoint_state(Path(run_dir) / name), config):
            raise FileNotFoundError(f"{Path(run_dir) / name} 中没有按当前配方训练完成的检查点：请先运行笔记本 06")
        model = load_model(Path(run_dir) / name, averaged=True)
        path = out_dir / f"{name}.pt.xz"
        packed = {"int8": {}, "scale": {}, "other": {}}
        for k, v in model.state_dict().items():
            if v.is_floating_point() and v.dim() > 1:
                packed["int8"][k], packed["scale"][k] = _quantize(v)
            else:
                packed["other"][k] = v.half() if v.is_floating_point() else v
        buffer = io.BytesIO()
        torch.save(packed, buffer)
        path.write_bytes(lzma.compress(buffer.getvalue()))
        manifest[name] = {"config": config.to_dict(), "file": path.name, "bytes": path.stat().st_size,
                          "sha256": _sha256(path), "num_classes": model.num_classes, "channels": model.in_channels}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checkpoint_state(out_dir: Path) -> dict | None:
    try:
        return load_checkpoint(out_dir / CHECKPOINT_NAME)
    except (CheckpointError, FileNotFoundError):
        return None


def _finished(state: dict | None, config: TrainConfig) -> bool:
    return state is not None and state["config"] == config.to_dict() and int(state["epoch"]) >= config.epochs

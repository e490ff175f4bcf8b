"""The book's cached training runs: notebook 06 trains them, notebooks 07 and 08 load them.

`BOOK_RUNS` are two short runs of notebook 06's recipe (`BOOK_CONFIG`), with and without §5's
auxiliary classifiers. They live under `RUN_DIR` (``runs/book``, relative to the working
directory: ``notebooks/`` locally, ``/content`` in Colab), beside the JSON results that the
notebooks save for the reproduction report (`googlenet.book.results`).

The book's runs train in fp32 on every machine: "auto" would pick bf16 on some CPUs, and then
the book's numbers would depend on the reader's CPU for no gain in what they show.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ..checkpoint import CheckpointError, load_checkpoint
from ..model import GoogLeNet
from ..train import CHECKPOINT_NAME, TrainConfig, TrainResult, load_model, train
from .results import RUN_DIR

# 7,000 images × 3 epochs: about 1.5 minutes per run on a 2-core CPU, so notebook 06 trains both in its budget.
BOOK_CONFIG = TrainConfig(train_per_class=700, epochs=3, precision="fp32")
BOOK_RUNS = {
    "aux": BOOK_CONFIG,  # with §5's auxiliary classifiers
    "noaux": dataclasses.replace(BOOK_CONFIG, aux=False),  # the same run without them
}


def book_run(name: str, run_dir: str | Path = RUN_DIR, *, retrain: bool = False,
             progress: bool = True) -> TrainResult:
    """Train one of the book's runs (``BOOK_RUNS``) into ``run_dir/name``, or load it if finished.

    ``retrain=True`` trains afresh even if a finished run exists (notebook 06 does, so its
    progress bars and curves come from the run it shows); otherwise an interrupted run
    resumes and a finished one is loaded.
    """
    if name not in BOOK_RUNS:
        raise ValueError(f"name 应为 {', '.join(map(repr, BOOK_RUNS))} 之一，收到 {name!r}")
    return train(BOOK_RUNS[name], Path(run_dir) / name, resume=not retrain, overwrite=retrain,
                 progress=progress)


def load_book_models(device: str | torch.device = "cpu", run_dir: str | Path = RUN_DIR, *,
                     averaged: bool = True, train_if_missing: bool = True,
                     progress: bool = False) -> list[GoogLeNet]:
    """The book's trained classifiers (one per ``BOOK_RUNS`` entry, in that order), in eval mode.

    Each is a ``GoogLeNet(in_channels=1, num_classes=10, variant=BOOK_CONFIG.variant)`` trained
    on the bundled Fashion-MNIST subset; feed it
    ``googlenet.augment.to_model_input(uint8_images, BOOK_CONFIG.image_size)`` (N×1×64×64,
    normalised). Weights are the Polyak averages (``averaged=False``: the raw weights).

    ``run_dir`` is a cache of ``BOOK_RUNS``: a run that is missing, unfinished, or was trained
    with another recipe (an older package) is trained here, silently unless ``progress``, with
    the recipe of notebook 06, so that notebooks 07 and 08 also work on their own, e.g. in
    Colab. ``train_if_missing=False`` raises FileNotFoundError instead.
    """
    models = []
    for name, config in BOOK_RUNS.items():
        out_dir = Path(run_dir) / name
        state = _checkpoint_state(out_dir)
        same = state is not None and state["config"] == config.to_dict()
        if not (same and int(state["epoch"]) >= config.epochs):
            if not train_if_missing:
                raise FileNotFoundError(f"找不到按当前配方训练完成的检查点 {out_dir / CHECKPOINT_NAME}：请先运行笔记本 06，"
                                        "或调用 load_book_models(train_if_missing=True)")
            stale = state is not None and not same
            train(config, out_dir, resume=not stale, overwrite=stale, progress=progress)
        models.append(load_model(out_dir, device, averaged=averaged))
    return models


def _checkpoint_state(out_dir: Path) -> dict | None:
    try:
        return load_checkpoint(out_dir / CHECKPOINT_NAME)
    except (CheckpointError, FileNotFoundError):
        return None

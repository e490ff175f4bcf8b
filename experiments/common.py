"""What every experiment shares: provenance, JSON output, the verdict rule, paired augmentation.

Provenance goes into every results file so that a number in the book can be traced to the
commit, library versions and machine that produced it (and its wall time judged against the
2-core reference CPU).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from googlenet.book.experiments import ALPHA, verdict  # noqa: F401 (the verdict rule lives with the notebooks that re-check it)

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "googlenet" / "book" / "experiment_results"  # package data: notebooks (and Colab) read it
RUNS_DIR = REPO / "runs" / "experiments"  # checkpoints: git-ignored (runs/ in .gitignore)


# --------------------------------------------------------------------------- provenance

def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance() -> dict:
    """Where and with what a result was computed (the commit is HEAD; ``git_dirty`` says whether
    the working tree differed from it, which in a shared checkout it usually does)."""
    import torchvision

    # the results this run (or its earlier steps) writes into the tree are not a difference in the code
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":(exclude)googlenet/book/experiment_results", ":(exclude)benchmarks/results")
    return {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def write_json(path: Path, payload: dict) -> Path:
    """Write atomically (a temporary file, then rename), so an interrupted run never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as f:
        json.dump(payload, f, ensure_ascii=False, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(f.name, path)
    return path


# --------------------------------------------------------------------------- pairing

class SeededAugment(Dataset):
    """A training set whose random augmentation depends only on (seed, image, how often it was drawn).

    ``googlenet.train`` re-seeds torch's global generator every epoch, but within an epoch the
    augmentation and every dropout layer draw from that one generator in turn. The auxiliary
    heads' dropout draws extra numbers, so without this wrapper the two arms of a seed would
    see differently augmented images from the second batch on. Here each image's draw runs on a
    forked generator seeded by (seed, index, visit): the arms see identical images, in the
    identical order (the sampler is seeded by ``config.seed``). Dropout is not covered: it stays
    on the global generator, so dropout masks still differ between the arms.
    """

    def __init__(self, dataset, seed: int):
        self.dataset, self.seed = dataset, int(seed)
        self.visits = np.zeros(len(dataset), dtype=np.int64)
        self.classes = getattr(dataset, "classes", ())
        self.channels = getattr(dataset, "channels", 1)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        visit = int(self.visits[index])
        self.visits[index] += 1
        seed = int(np.random.SeedSequence([self.seed, int(index), visit]).generate_state(1)[0])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.dataset[index]


def output_dir(out, smoke: bool) -> Path:
    """Where a script writes: ``out`` if given, a fresh temporary directory for ``--smoke`` (never
    the committed results), else `RESULTS_DIR`."""
    if out is not None:
        return Path(out)
    return Path(tempfile.mkdtemp(prefix="experiments-smoke-")) if smoke else RESULTS_DIR

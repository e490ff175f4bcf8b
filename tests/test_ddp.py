"""DistributedDataParallel on 2 CPU processes (gloo) via torchrun, on tiny data."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

WORKER = textwrap.dedent("""
    import json, os, sys
    import torch
    from torch.utils.data import Dataset
    from googlenet.train import TrainConfig, build_datasets, train

    out = sys.argv[1]
    config = TrainConfig(train_per_class=4, test_per_class=1, epochs=2, batch_size=4, lr=0.05,
                         precision="fp32")
    train_set, test_set = build_datasets(config)
    seen = {}

    class Recording(Dataset):  # notes which training images this process loads, per epoch
        def __init__(self, base):
            self.base, self.classes, self.channels = base, base.classes, base.channels
            self.epoch = 0
        def __len__(self):
            return len(self.base)
        def __getitem__(self, i):
            seen.setdefault(str(self.epoch), []).append(int(i))
            if len(seen[str(self.epoch)]) == len(self.base) // 2:
                self.epoch += 1
            return self.base[i]

    result = train(config, out + "/run", datasets=(Recording(train_set), test_set), progress=False)
    rank = os.environ["RANK"]
    torch.save(dict(result.model.named_parameters()), f"{out}/params{rank}.pt")
    with open(f"{out}/seen{rank}.json", "w") as f:
        json.dump({"seen": seen, "world_size": result.history[-1]["world_size"]}, f)
""")


def torchrun(tmp_path, *args, timeout=150):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                           "--standalone", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path, env=env)


@pytest.mark.slow
def test_two_processes_see_disjoint_shards_and_end_with_identical_weights(tmp_path):
    (tmp_path / "worker.py").write_text(WORKER)
    result = torchrun(tmp_path, "worker.py", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]

    runs = [json.loads((tmp_path / f"seen{r}.json").read_text()) for r in (0, 1)]
    assert all(r["world_size"] == 2 for r in runs)
    for epoch in ("0", "1"):
        a, b = (set(r["seen"][epoch]) for r in runs)
        assert len(a) == len(b) == 20
        assert not a & b and a | b == set(range(40))  # disjoint shards covering the data
    assert runs[0]["seen"]["0"] != runs[0]["seen"]["1"]  # reshuffled every epoch

    p0, p1 = (torch.load(tmp_path / f"params{r}.pt", weights_only=True) for r in (0, 1))
    assert p0.keys() == p1.keys()
    assert all(torch.equal(p0[k], p1[k]) for k in p0)  # gradients averaged: identical replicas
    # the checkpoint (written by rank 0 only) holds the same weights
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert torch.equal(state["model"]["conv1.conv.weight"], p0["conv1.conv.weight"])
    assert state["history"][-1]["images"] == 40 and "test_acc" in state["history"][-1]


@pytest.mark.slow
def test_cli_under_torchrun(tmp_path):
    result = torchrun(tmp_path, "-m", "googlenet", "train", "--train-per-class", "2", "--test-per-class", "1",
                      "--batch-size", "5", "--epochs", "1", "--precision", "fp32", "--no-progress",
                      "--out-dir", "run")
    assert result.returncode == 0, result.stderr[-3000:]
    history = json.loads((tmp_path / "run" / "history.json").read_text(encoding="utf-8"))["history"]
    assert history[-1]["world_size"] == 2 and history[-1]["images"] == 20

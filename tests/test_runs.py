"""The book's cached runs (googlenet.book.runs): trained when missing, loaded when finished, and the
int8/fp16 weights shipped with the package for notebooks 07 and 08 opened on their own."""

import dataclasses
import shutil

import torch

import pytest

from googlenet.book import runs
from googlenet.extras.checkpoint import load_checkpoint
from googlenet.train import load_run

from test_train import TINY, same_state

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def tiny_runs(monkeypatch):
    """BOOK_RUNS replaced by two one-epoch runs of a tiny recipe (seconds to train)."""
    tiny = {"aux": dataclasses.replace(TINY, epochs=1), "noaux": dataclasses.replace(TINY, epochs=1, aux=False)}
    monkeypatch.setattr(runs, "BOOK_RUNS", tiny)
    return tiny


@pytest.mark.slow
def test_book_api_trains_when_missing_then_loads(tmp_path, monkeypatch, tiny_runs):
    with pytest.raises(FileNotFoundError, match="笔记本 06"):
        runs.load_book_models(run_dir=tmp_path, train_if_missing=False)
    models = runs.load_book_models(run_dir=tmp_path)
    assert len(models) == 2 and [m.aux_logits for m in models] == [True, False]
    assert all(not m.training and m.in_channels == 1 and m.num_classes == 10 for m in models)
    mtime = (tmp_path / "aux" / "checkpoint.pt").stat().st_mtime_ns
    again = runs.load_book_models(run_dir=tmp_path, averaged=False)  # loads, does not retrain
    assert (tmp_path / "aux" / "checkpoint.pt").stat().st_mtime_ns == mtime
    assert same_state(again[0].state_dict(), runs.round_to_shipped(load_run(tmp_path / "aux").model).state_dict())
    # a cache trained with another recipe (an older package) is retrained, not loaded
    monkeypatch.setitem(tiny_runs, "aux", dataclasses.replace(TINY, epochs=1, seed=5))
    runs.load_book_models(run_dir=tmp_path)
    assert load_checkpoint(tmp_path / "aux" / "checkpoint.pt")["config"]["seed"] == 5


def test_book_config_is_the_documented_recipe():
    # notebook 06 and the teaching guide describe: 400 images per class, 3 epochs, tested on 200
    # per class, 64 px, fp32, batch-norm variant, with and without auxiliary heads, in runs/book
    c = runs.BOOK_CONFIG
    assert (c.train_per_class, c.test_per_class, c.epochs, c.image_size, c.precision) == (400, 200, 3, 64, "fp32")
    assert set(runs.BOOK_RUNS) == {"aux", "noaux"}
    assert runs.BOOK_RUNS["aux"].aux and not runs.BOOK_RUNS["noaux"].aux
    assert dataclasses.replace(runs.BOOK_RUNS["noaux"], aux=True) == runs.BOOK_RUNS["aux"]
    assert runs.RUN_DIR.as_posix() == "runs/book"


def test_shipped_weights_are_the_current_recipe_intact_and_small():
    manifest = runs.shipped_manifest()
    assert set(manifest) == set(runs.BOOK_RUNS)  # fails when BOOK_CONFIG changes without re-shipping
    for name, entry in manifest.items():
        assert entry["config"] == runs.BOOK_RUNS[name].to_dict()
        assert runs.shipped_model_ok(name)  # file present, SHA-256 as recorded
        assert entry["bytes"] == (runs.SHIPPED_DIR / entry["file"]).stat().st_size < 10 * 10**6  # the repository's 10 MB


def test_without_runs_the_shipped_weights_load_and_classify(tmp_path):
    from googlenet import augment
    from googlenet.data import fashion_mnist_subset

    models = runs.load_book_models(run_dir=tmp_path, train_if_missing=False)  # never trains
    assert list(tmp_path.iterdir()) == []
    assert [m.aux_logits for m in models] == [True, False] and not any(m.training for m in models)
    test = fashion_mnist_subset("test").subset_per_class(20)
    x = augment.to_model_input(test.images, 64)
    with torch.no_grad():
        for model in models:
            assert model(x).argmax(1).eq(test.targets).float().mean() > 0.7  # trained, not random
    for model in models:  # already rounded as shipped: rounding again changes nothing
        before = {k: v.clone() for k, v in model.state_dict().items()}
        assert same_state(before, runs.round_to_shipped(model).state_dict())


def test_damaged_shipped_weights_are_refused(tmp_path, monkeypatch):
    shipped = tmp_path / "book_models"
    shutil.copytree(runs.SHIPPED_DIR, shipped)
    data = bytearray((shipped / "aux.pt.xz").read_bytes())
    data[-100] ^= 0xFF
    (shipped / "aux.pt.xz").write_bytes(bytes(data))
    monkeypatch.setattr(runs, "SHIPPED_DIR", shipped)
    assert not runs.shipped_model_ok("aux") and runs.shipped_model_ok("noaux")
    with pytest.raises(FileNotFoundError, match="笔记本 06"):
        runs.load_book_models(run_dir=tmp_path / "runs", train_if_missing=False)


@pytest.mark.slow
def test_ship_then_load_gives_the_runs_models(tmp_path, monkeypatch, tiny_runs):
    with pytest.raises(FileNotFoundError, match="笔记本 06"):
        runs.ship(tmp_path / "runs", tmp_path / "shipped")  # nothing trained yet
    from_runs = runs.load_book_models(run_dir=tmp_path / "runs")  # trains both
    manifest = runs.ship(tmp_path / "runs", tmp_path / "shipped")
    assert {e["file"] for e in manifest.values()} == {"aux.pt.xz", "noaux.pt.xz"}
    monkeypatch.setattr(runs, "SHIPPED_DIR", tmp_path / "shipped")
    shipped = runs.load_book_models(run_dir=tmp_path / "empty", train_if_missing=False)
    for a, b in zip(from_runs, shipped):
        assert same_state(a.state_dict(), b.state_dict())


def test_shipped_rounding_is_int8_per_channel_and_close():
    torch.manual_seed(0)
    w = torch.randn(16, 8, 3, 3) * torch.logspace(-3, 0, 16).view(16, 1, 1, 1)  # channels of very different scale
    w[3] = 0  # an all-zero channel stays zero
    q, scale = runs._quantize(w)
    assert q.dtype == torch.int8 and scale.dtype == torch.float16 and q.abs().max() <= 127
    back = runs._dequantize(q, scale)
    assert torch.equal(back[3], torch.zeros_like(back[3]))
    error = (back - w).abs().amax(dim=(1, 2, 3)) / w.abs().amax(dim=(1, 2, 3)).clamp_min(1e-12)
    assert error.max() < 0.01  # half a step of 1/127, plus the fp16 scale's rounding
    assert torch.equal(runs._dequantize(*runs._quantize(back)), back)  # idempotent


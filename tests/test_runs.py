"""The book's cached runs (googlenet.book.runs): trained when missing, loaded when finished."""

import dataclasses

import pytest

from googlenet.book import runs
from googlenet.checkpoint import load_checkpoint
from googlenet.train import load_run

from test_train import TINY, same_state

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.slow
def test_book_api_trains_when_missing_then_loads(tmp_path, monkeypatch):
    tiny_runs = {"aux": dataclasses.replace(TINY, epochs=1),
                 "noaux": dataclasses.replace(TINY, epochs=1, aux=False)}
    monkeypatch.setattr(runs, "BOOK_RUNS", tiny_runs)
    with pytest.raises(FileNotFoundError, match="笔记本 06"):
        runs.load_book_models(run_dir=tmp_path, train_if_missing=False)
    models = runs.load_book_models(run_dir=tmp_path)
    assert len(models) == 2 and [m.aux_logits for m in models] == [True, False]
    assert all(not m.training and m.in_channels == 1 and m.num_classes == 10 for m in models)
    mtime = (tmp_path / "aux" / "checkpoint.pt").stat().st_mtime_ns
    again = runs.load_book_models(run_dir=tmp_path, averaged=False)  # loads, does not retrain
    assert (tmp_path / "aux" / "checkpoint.pt").stat().st_mtime_ns == mtime
    assert same_state(again[0].state_dict(), load_run(tmp_path / "aux").model.state_dict())
    # a cache trained with another recipe (an older package) is retrained, not loaded
    monkeypatch.setitem(tiny_runs, "aux", dataclasses.replace(TINY, epochs=1, seed=5))
    runs.load_book_models(run_dir=tmp_path)
    assert load_checkpoint(tmp_path / "aux" / "checkpoint.pt")["config"]["seed"] == 5


def test_book_config_is_the_documented_recipe():
    # notebook 06 and the teaching guide describe: 700 images per class, 3 epochs, 64 px, fp32,
    # batch-norm variant, with and without auxiliary heads, in runs/book
    c = runs.BOOK_CONFIG
    assert (c.train_per_class, c.epochs, c.image_size, c.precision) == (700, 3, 64, "fp32")
    assert set(runs.BOOK_RUNS) == {"aux", "noaux"}
    assert runs.BOOK_RUNS["aux"].aux and not runs.BOOK_RUNS["noaux"].aux
    assert dataclasses.replace(runs.BOOK_RUNS["noaux"], aux=True) == runs.BOOK_RUNS["aux"]
    assert runs.RUN_DIR.as_posix() == "runs/book"

"""The ImageNet-weights loader: a local stand-in file works, an unreachable server fails fast."""

import hashlib
import time

import pytest
import torch

from googlenet import GoogLeNet
from googlenet.extras import pretrained


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """A torchvision-variant state dict (10 classes, to stay small) saved as a local file."""
    torch.manual_seed(0)
    model = GoogLeNet(num_classes=10, variant="torchvision", transform_input=True)
    path = tmp_path_factory.mktemp("server") / "googlenet-standin.pth"
    torch.save(model.state_dict(), path)
    return model, path


def test_loads_a_local_file_url_and_caches_it(standin, tmp_path):
    original, path = standin
    model = pretrained.imagenet_googlenet(url=path.as_uri(), cache_dir=tmp_path)
    assert isinstance(model, GoogLeNet) and not model.training
    assert model.variant == "torchvision" and model.transform_input and model.num_classes == 10
    for (k, a), (_, b) in zip(original.state_dict().items(), model.state_dict().items()):
        assert torch.equal(a, b), k
    assert (tmp_path / path.name).is_file()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    # second call: served from the cache, even when the source is gone
    again = pretrained.imagenet_googlenet(url=(tmp_path / "nowhere" / path.name).as_uri(), cache_dir=tmp_path)
    assert torch.equal(again.fc.weight, original.fc.weight)


def test_unreachable_server_fails_fast_in_chinese(tmp_path):
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="需要联网下载.*x.pth"):
        pretrained.imagenet_googlenet(timeout=3, url="http://127.0.0.1:9/x.pth", cache_dir=tmp_path)
    assert time.perf_counter() - start < 5
    assert not list(tmp_path.iterdir())  # nothing half-written left behind


def test_hash_in_the_file_name_is_checked(standin, tmp_path):
    _, path = standin
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    good = tmp_path / "server" / f"googlenet-{digest[:8]}.pth"
    bad = tmp_path / "server" / "googlenet-deadbeef.pth"
    good.parent.mkdir()
    good.write_bytes(path.read_bytes())
    bad.write_bytes(path.read_bytes())
    assert "fc.weight" in pretrained.download(good.as_uri(), tmp_path / "cache")
    with pytest.raises(ValueError, match="deadbeef.*校验失败"):
        pretrained.download(bad.as_uri(), tmp_path / "cache")
    assert not (tmp_path / "cache" / bad.name).exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="timeout 应为正数"):
        pretrained.download("http://127.0.0.1:9/x.pth", tmp_path, timeout=0)
    not_a_model = tmp_path / "server" / "other.pth"
    not_a_model.parent.mkdir()
    torch.save({"weight": torch.zeros(1)}, not_a_model)
    with pytest.raises(ValueError, match="不是 GoogLeNet 的 state_dict"):
        pretrained.imagenet_googlenet(url=not_a_model.as_uri(), cache_dir=tmp_path / "cache")
    paper_weights = tmp_path / "server" / "paper.pth"
    torch.save(GoogLeNet(num_classes=10, variant="paper").state_dict(), paper_weights)
    with pytest.raises(ValueError, match="与 torchvision 版 GoogLeNet 不符"):
        pretrained.imagenet_googlenet(url=paper_weights.as_uri(), cache_dir=tmp_path / "cache")


def test_torchvision_url_and_categories():
    assert pretrained.weights_url().startswith("https://download.pytorch.org/models/googlenet-")
    cats = pretrained.imagenet_categories()
    assert len(cats) == 1000 and cats[0] == "tench" and cats[701] == "parachute"


@pytest.mark.parametrize("aux", [True, False])
def test_a_torchvision_state_dict_loads_and_agrees(tmp_path, aux):
    """What the real file is: torchvision's own GoogLeNet state dict (here randomly initialised)."""
    import torchvision

    torch.manual_seed(1)
    tv = torchvision.models.googlenet(weights=None, aux_logits=aux, init_weights=True,
                                      transform_input=True).eval()
    path = tmp_path / "server" / "googlenet-tv.pth"
    path.parent.mkdir()
    torch.save(tv.state_dict(), path)
    ours = pretrained.imagenet_googlenet(url=path.as_uri(), cache_dir=tmp_path / "cache")
    assert (ours.aux1 is not None) == aux
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), tv(x), atol=1e-4, rtol=1e-4)

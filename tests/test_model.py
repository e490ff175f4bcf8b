"""GoogLeNet built from Table 1: shapes, outputs, torchvision equivalence, bad input."""

import pytest
import torch
import torchvision

from googlenet import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, NaiveInception, paper
from googlenet.model import MIN_INPUT_SIZE

VARIANTS = ["paper", "torchvision"]


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {v: GoogLeNet(variant=v) for v in VARIANTS}


def _main_path_shapes(model, size):
    shapes = {}
    hooks = [getattr(model, n).register_forward_hook(
        lambda m, i, o, n=n: shapes.__setitem__(n, tuple(o.shape[1:]))) for n in model.path]
    model.eval()
    with torch.no_grad():
        model(torch.randn(1, model.in_channels, size, size))
    for h in hooks:
        h.remove()
    return shapes


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_table1_output_size_at_224(models, variant):
    shapes = _main_path_shapes(models[variant], 224)
    for row in paper.TABLE1:
        name = {"conv2": "conv3", "softmax": "fc"}.get(row.name, row.name)
        h, w, c = row.output
        expected = (c,) if name == "fc" else (c, h, w)
        assert shapes[name] == expected, row.name


def test_paper_variant_spatial_sizes_are_the_papers():
    shapes = _main_path_shapes(GoogLeNet(variant="paper", aux_logits=False), 224)
    assert [shapes[n][1] for n in ("conv1", "maxpool1", "maxpool2", "maxpool3", "maxpool4")] == \
        [112, 56, 28, 14, 7]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("size", [224, 96, 64])
def test_train_and_eval_outputs(models, variant, size):
    model = models[variant]
    x = torch.randn(2, 3, size, size)
    model.train()
    out = model(x)
    assert isinstance(out, GoogLeNetOutputs)
    assert [t.shape for t in out] == [torch.Size([2, 1000])] * 3
    model.eval()
    with torch.no_grad():
        logits = model(x)
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 1000)


def test_aux_heads_sit_on_4a_and_4d():
    torch.manual_seed(0)
    model = GoogLeNet(variant="paper", num_classes=10).train()
    x = torch.randn(2, 3, 224, 224)
    seen = {}
    model.aux1.register_forward_hook(lambda m, i, o: seen.__setitem__("aux1", i[0].shape))
    model.aux2.register_forward_hook(lambda m, i, o: seen.__setitem__("aux2", i[0].shape))
    model(x)
    assert seen == {"aux1": (2, 512, 14, 14), "aux2": (2, 528, 14, 14)}


def test_aux_head_pools_5x5_stride_3_at_224_and_adapts_on_small_maps():
    head = InceptionAux(512, 10)
    x = torch.randn(1, 512, 14, 14)
    assert torch.equal(head.pool(x), torch.nn.functional.avg_pool2d(x, 5, 3))
    assert head.pool(x).shape[-2:] == (4, 4)
    for size in (4, 6, 8):  # 64, 96, 128 px inputs
        assert head.pool(torch.randn(1, 512, size, size)).shape[-2:] == (4, 4)


def test_aux_head_structure_matches_section5():
    head = InceptionAux(528, 1000)
    assert head.conv.conv.out_channels == 128 and head.conv.conv.kernel_size == (1, 1)
    assert (head.fc1.in_features, head.fc1.out_features) == (4 * 4 * 128, 1024)
    assert head.dropout.p == 0.7 and head.fc2.out_features == 1000


def test_paper_variant_layers():
    model = GoogLeNet(variant="paper")
    assert model.conv1.conv.kernel_size == (7, 7) and model.conv1.conv.stride == (2, 2)
    assert model.inception3a.branch3[1].conv.kernel_size == (5, 5)
    assert isinstance(model.lrn1, torch.nn.LocalResponseNorm) and model.path.index("lrn1") == 2
    assert model.path.index("lrn2") == model.path.index("conv3") + 1
    assert model.dropout.p == 0.4
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    relus = sum(1 for m in model.modules() if m.__class__.__name__ == "ConvBlock")
    convs = sum(1 for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    assert relus == convs  # every convolution, reductions and projections included, has a ReLU


def test_inception_module_channels_follow_table1():
    for row in paper.inception_rows():
        m = Inception(100, *row.inception_args)
        assert m.out_channels == row.output[2]
    naive = NaiveInception(192, 64, 128, 32)
    assert naive(torch.randn(1, 192, 28, 28)).shape == (1, 64 + 128 + 32 + 192, 28, 28)


def _randomise_bn(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)


@pytest.mark.parametrize("transform_input", [False, True])
def test_torchvision_variant_equals_torchvision(transform_input):
    torch.manual_seed(0)
    tv = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True,
                                      transform_input=transform_input)
    with torch.no_grad():
        tv.fc.weight.mul_(100)  # make logits O(1) so the tolerance means something
    _randomise_bn(tv)
    ours = GoogLeNet(variant="torchvision", transform_input=transform_input)
    ours.load_state_dict(tv.state_dict(), strict=True)
    assert set(ours.state_dict()) == set(tv.state_dict())
    tv.eval(), ours.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected, got = tv(x), ours(x)
    assert expected.abs().max() > 0.1
    assert (expected - got).abs().max() <= 1e-5
    # training mode: same heads, but torchvision returns aux2 before aux1
    tv.train(), ours.train()
    x = x[:, :, :96, :96]  # any size ≥ 64 exercises the same layers; keeps the test fast
    torch.manual_seed(3)
    t = tv(x)
    torch.manual_seed(3)
    o = ours(x)
    assert torch.allclose(t.aux_logits1, o.aux1, atol=1e-4)
    assert torch.allclose(t.aux_logits2, o.aux2, atol=1e-4)


@pytest.mark.parametrize("channels_last", [False, True])
def test_memory_layout_does_not_change_results(channels_last):
    torch.manual_seed(0)
    a = GoogLeNet(variant="paper", channels_last=False, num_classes=10).eval()
    b = GoogLeNet(variant="paper", channels_last=channels_last, num_classes=10).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(a(x), b(x), atol=1e-5)


def test_single_channel_small_classes():
    model = GoogLeNet(in_channels=1, num_classes=10).eval()
    with torch.no_grad():
        assert model(torch.randn(3, 1, 64, 64)).shape == (3, 10)


def test_no_aux_returns_logits_in_training():
    model = GoogLeNet(aux_logits=False, num_classes=10).train()
    out = model(torch.randn(2, 3, 64, 64))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 10)
    assert model.aux1 is None and not any(k.startswith("aux") for k in model.state_dict())


@pytest.mark.parametrize("bad, fragment", [
    (torch.randn(3, 224, 224), "4 维"),
    (torch.randn(1, 1, 3, 224, 224), "4 维"),
    (torch.randn(1, 1, 224, 224), "3 个通道，收到 1"),
    (torch.randn(1, 3, 63, 224), f"至少为 {MIN_INPUT_SIZE}"),
    (torch.randn(1, 3, 224, 32), "224×32"),
    (torch.zeros(1, 3, 224, 224, dtype=torch.uint8), "浮点"),
    ([[1.0]], "torch.Tensor"),
])
def test_bad_input_raises_chinese_value_error(bad, fragment):
    model = GoogLeNet(num_classes=10).eval()
    with pytest.raises(ValueError, match=fragment):
        model(bad)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"variant": "caffe"}, "caffe"),
    ({"num_classes": 0}, "num_classes"),
    ({"in_channels": 1, "transform_input": True}, "transform_input"),
])
def test_bad_constructor_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        GoogLeNet(**kwargs)


def test_features_until_and_bad_name():
    model = GoogLeNet(variant="paper").eval()
    with torch.no_grad():
        assert model.features(torch.randn(1, 3, 224, 224), until="inception4a").shape == (1, 512, 14, 14)
    with pytest.raises(ValueError, match="inception9z"):
        model.features(torch.randn(1, 3, 224, 224), until="inception9z")


def test_initialisation_keeps_activations_alive():
    torch.manual_seed(0)
    model = GoogLeNet(variant="paper", num_classes=10).eval()
    with torch.no_grad():
        feats = model.features(torch.randn(4, 3, 224, 224), until="inception5b")
    assert 0.05 < feats.std().item() < 50  # neither vanished nor exploded through 21 layers
    w = model.fc.weight
    assert abs(w.std().item() - 0.01) < 0.002

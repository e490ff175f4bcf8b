"""GoogLeNet built from Table 1: the constructor against the table, outputs, the public views
of heads and feature maps, torchvision equivalence, named options, bad input."""

import dataclasses

import pytest
import torch
import torchvision

from googlenet import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, NaiveInception, paper
from googlenet.model import MIN_INPUT_SIZE, PRESETS, table1_modules

VARIANTS = ["paper", "torchvision"]


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {v: GoogLeNet(variant=v) for v in VARIANTS}


def _hwc(t):
    """A feature map's size in Table 1's (height, width, channels) order; vectors are 1×1×C."""
    s = tuple(t.shape[1:])
    return (s[1], s[2], s[0]) if len(s) == 3 else (1, 1, s[0])


def table1_mismatches(model, rows=paper.TABLE1):
    """(row, what, model's, table's) for every number in ``rows`` that ``model`` does not implement.

    Kernel, stride and channel numbers of each row's modules (`table1_modules`) against the row
    (the input channels against the previous row's output), then the row's output at 224 px.
    Written for the paper's layers (5×5 branches, 3×3 pools).
    """
    with torch.no_grad():
        out = model.eval().intermediates(torch.zeros(1, 3, 224, 224), model.path)
    bad, channels, size = [], paper.INPUT_CHANNELS, None

    def check(row, what, got, expected):
        if got != expected:
            bad.append((row.name, what, got, expected))

    for row in rows:
        names = table1_modules(row.name)
        mods = [getattr(model, n) for n in names]
        if row.type == "convolution":
            convs = [m.conv for m in mods]
            if row.n3x3red is not None:  # "depth 2": the 1×1 reduce, then the k×k
                r = convs.pop(0)
                check(row, "reduce", (r.in_channels, r.out_channels, r.kernel_size), (channels, row.n3x3red, (1, 1)))
                channels = row.n3x3red
            (c,) = convs
            check(row, "conv", (c.in_channels, c.out_channels, c.kernel_size, c.stride),
                  (channels, row.output[2], (row.patch,) * 2, (row.stride,) * 2))
        elif row.type == "max pool":
            check(row, "pool", (mods[0].kernel_size, mods[0].stride), (row.patch, row.stride))
        elif row.type == "avg pool":  # global pooling: the window is the whole incoming map
            check(row, "window", size[:2], (row.patch, row.patch))
        elif row.type == "inception":
            m = mods[0]
            convs = [m.branch1.conv, m.branch2[0].conv, m.branch2[1].conv, m.branch3[0].conv,
                     m.branch3[1].conv, m.branch4[1].conv]
            check(row, "channels", tuple(c.out_channels for c in convs), row.inception_args)
            check(row, "kernels", [c.kernel_size[0] for c in convs], [1, 1, 3, 1, 5, 1])
            check(row, "input", [convs[i].in_channels for i in (0, 1, 3, 5)], [channels] * 4)
        elif row.type == "dropout":
            check(row, "p", mods[0].p, row.dropout)
        elif row.type == "linear":
            check(row, "fc", (mods[0].in_features, mods[0].out_features), (channels, row.output[2]))
        if names:
            size = _hwc(out[names[-1]])
        check(row, "output", size, row.output)
        channels = row.output[2]
    return bad


def test_constructor_implements_table1_row_by_row():
    model = GoogLeNet(variant="paper", aux_logits=False)
    assert table1_mismatches(model) == []
    assert [table1_modules(r.name) for r in paper.TABLE1 if table1_modules(r.name) != (r.name,)] == [
        ("conv2", "conv3"), ()]


def test_the_row_check_catches_a_wrong_row():
    model = GoogLeNet(variant="paper", aux_logits=False)
    rows = {r.name: r for r in paper.TABLE1}
    rows["inception4b"] = dataclasses.replace(rows["inception4b"], n3x3=200)  # a mistyped column
    rows["maxpool3"] = dataclasses.replace(rows["maxpool3"], output=(28, 28, 480))  # a wrong size
    bad = table1_mismatches(model, tuple(rows.values()))
    assert {(name, what) for name, what, *_ in bad} == {("inception4b", "channels"), ("maxpool3", "output")}
    # and a model whose layer does not follow Table 1 is caught too
    model.maxpool3 = torch.nn.MaxPool2d(2, 2)
    assert ("maxpool3", "pool") in {(name, what) for name, what, *_ in table1_mismatches(model)}


def test_constructor_reads_table1(monkeypatch):
    """Change a row's stride in the table: the built network follows it, and the check then
    flags the row's printed output size (112×112) that the new stride no longer gives."""
    rows = tuple(dataclasses.replace(r, stride=1) if r.name == "conv1" else r for r in paper.TABLE1)
    monkeypatch.setattr(paper, "TABLE1", rows)
    model = GoogLeNet(variant="paper", aux_logits=False)
    assert model.conv1.conv.stride == (1, 1)
    assert ("conv1", "output", (224, 224, 64), (112, 112, 64)) in table1_mismatches(model, rows)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_table1_output_size_at_224(models, variant):
    model = models[variant].eval()
    with torch.no_grad():
        out = model.intermediates(torch.randn(1, 3, 224, 224), model.path)
    size = None
    for row in paper.TABLE1:
        names = table1_modules(row.name)
        size = _hwc(out[names[-1]]) if names else size
        assert size == row.output, row.name


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
    model.eval()
    with torch.no_grad():
        heads = model.heads(x)
        taps = model.intermediates(x, paper.AUX.attached_to)
        assert torch.equal(heads.aux1, model.aux1(taps["inception4a"]))
        assert torch.equal(heads.aux2, model.aux2(taps["inception4d"]))


def test_heads_equal_training_forward_with_dropout_off():
    torch.manual_seed(0)
    model = GoogLeNet(variant="paper", num_classes=10)  # no batch norm: train mode differs only by dropout
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        heads = model.eval().heads(x)
        assert not model.training and torch.equal(heads.logits, model(x))
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
        trained = model.train()(x)
    assert isinstance(heads, GoogLeNetOutputs)
    for name, a, b in zip(GoogLeNetOutputs._fields, heads, trained):
        assert torch.allclose(a, b, atol=1e-6), name
    with pytest.raises(ValueError, match="aux_logits=False"):
        GoogLeNet(aux_logits=False).heads(x)


def test_intermediates_returns_what_was_asked_and_stops(monkeypatch):
    model = GoogLeNet(variant="paper", num_classes=10).eval()
    x = torch.randn(1, 3, 224, 224)

    def boom(*args):
        raise AssertionError("ran past the last module asked for")

    monkeypatch.setattr(model.inception4b, "forward", boom)
    with torch.no_grad():
        out = model.intermediates(x, ("inception4a", "conv3", "lrn1"))
    assert list(out) == ["inception4a", "conv3", "lrn1"]
    assert [tuple(t.shape) for t in out.values()] == [(1, 512, 14, 14), (1, 192, 56, 56), (1, 64, 56, 56)]
    monkeypatch.undo()
    with torch.no_grad():
        assert torch.equal(model.intermediates(x, ["fc"])["fc"], model(x))
    with pytest.raises(ValueError, match="inception9z"):
        model.intermediates(x, ["conv1", "inception9z"])
    with pytest.raises(ValueError, match=r"\[\]"):
        model.intermediates(x, [])
    with pytest.raises(TypeError, match="字符串 'conv1'"):
        model.intermediates(x, "conv1")
    with pytest.raises(ValueError, match="'lrn1'"):  # torchvision's layers have no LRN
        GoogLeNet(variant="torchvision").intermediates(x, ["lrn1"])


def test_features_default_until_and_bad_name():
    model = GoogLeNet(variant="paper").eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert model.features(x, until="inception4a").shape == (2, 512, 14, 14)
        assert model.features(x, until="avgpool").shape == (2, 1024, 1, 1)
        assert model.features(x, until="dropout").shape == (2, 1024, 1, 1)
        pooled = model.features(x)  # used to crash: fc got N×1024×1×1
        assert pooled.shape == (2, 1024)
        assert torch.equal(model.fc(pooled), model(x))  # what the classifier sees
        assert torch.equal(model.features(x, until="fc"), model(x))
    with pytest.raises(ValueError, match="inception9z"):
        model.features(x, until="inception9z")


def test_path_is_the_constructor_order():
    paper_model, tv = GoogLeNet(variant="paper"), GoogLeNet(variant="torchvision")
    assert paper_model.path == tuple(n for n, _ in paper_model.named_children())[:-2]  # aux1, aux2 last
    assert tv.path == tuple(n for n in paper_model.path if not n.startswith("lrn"))
    for module, lrn in zip(paper.LRN_AFTER_MODULES, ("lrn1", "lrn2")):
        assert paper_model.path.index(lrn) == paper_model.path.index(module) + 1


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
    assert model.dropout.p == 0.4 == paper.table1_row("dropout").dropout
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


def test_torchvision_preset_is_just_named_arguments():
    torch.manual_seed(0)
    preset = GoogLeNet(variant="torchvision")
    spelled = GoogLeNet(variant="paper", **PRESETS["torchvision"])
    assert repr(spelled) == repr(preset) and spelled.options == preset.options
    spelled.load_state_dict(preset.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(spelled.eval()(x), preset.eval()(x))
    assert GoogLeNet().options == PRESETS["paper"]


def test_paper_network_with_batch_norm_trains_a_step():
    torch.manual_seed(0)
    model = GoogLeNet(variant="paper", batch_norm=True, num_classes=10)
    assert model.inception3a.branch3[1].conv.kernel_size == (5, 5) and "lrn1" in model.path
    assert model.maxpool4.kernel_size == 3 and model.aux1.fixed_pool and model.dropout.p == 0.4
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == \
        sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    assert "lrn1" not in GoogLeNet(batch_norm=True, lrn=False).path
    x, y = torch.randn(4, 3, 64, 64), torch.randint(0, 10, (4,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    before = model.conv1.conv.weight.detach().clone()
    out = model.train()(x)
    loss = torch.nn.functional.cross_entropy(out.logits, y) + paper.AUX.loss_weight * sum(
        torch.nn.functional.cross_entropy(aux, y) for aux in (out.aux1, out.aux2))
    loss.backward()
    opt.step()
    assert torch.isfinite(loss) and not torch.equal(before, model.conv1.conv.weight)
    assert model.conv1.bn.num_batches_tracked == 1


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


@pytest.fixture(scope="module")
def small():
    return GoogLeNet(num_classes=10).eval()


@pytest.mark.parametrize("bad, fragment", [
    (torch.randn(3, 224, 224), "4 维"),
    (torch.randn(1, 1, 3, 224, 224), "4 维"),
    (torch.randn(1, 1, 224, 224), "3 个通道，收到 1"),
    (torch.randn(1, 3, 63, 224), f"至少为 {MIN_INPUT_SIZE}"),
    (torch.randn(1, 3, 224, 32), "224×32"),
])
def test_bad_shape_raises_chinese_value_error(small, bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        small(bad)


@pytest.mark.parametrize("bad, fragments", [
    ([[1.0]], ["torch.Tensor", "list"]),
    (torch.zeros(1, 3, 64, 64, dtype=torch.uint8), ["浮点", "torch.uint8", "255"]),
    (torch.zeros(1, 3, 64, 64, dtype=torch.int64), ["浮点", "torch.int64"]),
    (torch.zeros(1, 3, 64, 64, dtype=torch.float64), ["torch.float64", "torch.float32", "x.float()"]),
    (torch.zeros(1, 3, 64, 64, dtype=torch.float16), ["torch.float16", "torch.float32", "模型的dtype"]),
])
def test_bad_type_raises_chinese_type_error(small, bad, fragments):
    with pytest.raises(TypeError) as err:
        small(bad)
    for fragment in fragments:
        assert fragment in str(err.value)
    for method in (small.heads, small.features, lambda x: small.intermediates(x, ["conv1"])):
        with pytest.raises(TypeError):
            method(bad)


def test_matching_dtypes_and_autocast_are_accepted():
    torch.manual_seed(0)
    model = GoogLeNet(num_classes=10, aux_logits=False, lrn=False).eval()  # CPU LRN lacks bfloat16
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert model(x).dtype == torch.bfloat16  # float32 input into an autocast model
            assert model(x.bfloat16()).shape == (1, 10)
        assert model.double()(x.double()).dtype == torch.float64
        assert torch.allclose(model(x.double()).float(), expected, atol=1e-4)
        model.to(torch.bfloat16)
        assert model(x.bfloat16()).dtype == torch.bfloat16
        with pytest.raises(TypeError, match=r"torch\.float32.*torch\.bfloat16"):
            model(x)


def test_wrong_device_raises_chinese_value_error():
    """Without a GPU, the 'meta' device (shapes only, no data) stands in for another device."""
    cpu_model = GoogLeNet(num_classes=10)
    meta_model = GoogLeNet(num_classes=10).to("meta")
    with pytest.raises(ValueError, match=r"输入在 meta 上，模型在 cpu 上.*x\.to\('cpu'\)"):
        cpu_model(torch.zeros(1, 3, 64, 64, device="meta"))
    with pytest.raises(ValueError, match=r"输入在 cpu 上，模型在 meta 上.*x\.to\('meta'\)"):
        meta_model(torch.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match="meta"):
        meta_model.features(torch.zeros(1, 3, 64, 64))


@pytest.mark.parametrize("kwargs, message", [
    ({"variant": "caffe"}, "variant 应为 'paper' 或 'torchvision'，收到 'caffe'"),
    ({"num_classes": 0}, "num_classes 应为正整数，收到 0"),
    ({"in_channels": 2.0}, "in_channels 应为正整数，收到 2.0"),
    ({"in_channels": 1, "transform_input": True}, "transform_input=True 只适用于 3 通道"),
    ({"dropout": 1.5}, "dropout 应为 [0, 1) 之间的数，收到 1.5"),
    ({"aux_dropout": -1}, "aux_dropout 应为 [0, 1) 之间的数，收到 -1"),
    ({"aux_logits": "no"}, "aux_logits 应为 True 或 False，收到 'no'"),
    ({"batch_norm": 1}, "batch_norm 应为 True 或 False，收到 1"),
    ({"lrn": "yes"}, "lrn 应为 True 或 False，收到 'yes'"),
    ({"ceil_mode": 0}, "ceil_mode 应为 True 或 False，收到 0"),
    ({"channels_last": None}, "channels_last 应为 True 或 False，收到 None"),
    ({"large_kernel": 7}, "large_kernel 应为 3 或 5，收到 7"),
    ({"maxpool4_kernel": 4}, "maxpool4_kernel 应为 2 或 3，收到 4"),
    ({"aux_pool": "max"}, "aux_pool 应为 'fixed' 或 'adaptive'，收到 'max'"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError) as err:
        GoogLeNet(**kwargs)
    assert message in str(err.value)


def test_initialisation_keeps_activations_alive():
    torch.manual_seed(0)
    model = GoogLeNet(variant="paper", num_classes=10).eval()
    with torch.no_grad():
        feats = model.features(torch.randn(4, 3, 224, 224), until="inception5b")
    assert 0.05 < feats.std().item() < 50  # neither vanished nor exploded through 21 layers
    w = model.fc.weight
    assert abs(w.std().item() - 0.01) < 0.002


@pytest.mark.parametrize("variant", ["paper", "torchvision"])
def test_shared_weights_start_identical_with_and_without_aux_heads(variant):
    states = []
    for aux in (True, False):
        torch.manual_seed(3)
        states.append(GoogLeNet(num_classes=10, in_channels=1, variant=variant, aux_logits=aux).state_dict())
    shared = [k for k in states[1] if k in states[0]]
    assert len(shared) == len(states[1])  # every tensor of the model without heads
    assert all(torch.equal(states[0][k], states[1][k]) for k in shared)
    torch.manual_seed(4)  # and a different seed does change them: the check can fail
    other = GoogLeNet(num_classes=10, in_channels=1, variant=variant, aux_logits=False).state_dict()
    assert not torch.equal(other["conv1.conv.weight"], states[1]["conv1.conv.weight"])

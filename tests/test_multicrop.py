"""Multi-crop evaluation (§7): every view's geometry, the averaging rules, chunking, errors.

The geometry tests use images whose pixels encode their own coordinates (channel 0 = x,
channel 1 = y), so a view's pixel values say where in the original image it came from; the
expected positions are worked out here from §7's wording, independently of the module.
"""

import itertools
import warnings

import pytest
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image
from torch import nn

from googlenet import GoogLeNet, paper
from googlenet.book import stats
from googlenet.tables import display_width
from googlenet import crops
from googlenet import multicrop as mc
from googlenet.book import table3


def coordinate_image(height, width):
    """(2, H, W): channel 0 holds each pixel's x, channel 1 its y (pixel centres)."""
    y, x = torch.meshgrid(torch.arange(height, dtype=torch.float32),
                          torch.arange(width, dtype=torch.float32), indexing="ij")
    return torch.stack([x, y])


def short_side_resize(height, width, s):
    """Size after resizing the shorter side to s (torchvision's rule: long side truncated)."""
    if width <= height:
        return int(s * height / width), s
    return s, int(s * width / height)


def centre(margin):
    return int(round(margin / 2))


def expected_source(x0, y0, size, crop, fx, fy):
    """Source coordinates (x, y) of every pixel of the crop×crop view of the size×size region at
    (x0, y0) of the resized image (size > crop only for the whole square: resized again)."""
    j = torch.arange(crop, dtype=torch.float64)
    r = (j + 0.5) * size / crop - 0.5  # position inside the region, resized pixels
    sx = ((x0 + r) + 0.5) / fx - 0.5
    sy = ((y0 + r) + 0.5) / fy - 0.5
    return sx.view(1, -1).expand(crop, crop), sy.view(-1, 1).expand(crop, crop)


def paper_144_regions(height, width, crop):
    """The 72 unmirrored views as §7 words them: (scale, square, view) → region in resized image."""
    out = []
    for s in crops.scales(crop):
        h, w = short_side_resize(height, width, s)
        if w >= h:
            squares = [(0, 0), (centre(w - s), 0), (w - s, 0)]  # left, centre, right
        else:
            squares = [(0, 0), (0, centre(h - s)), (0, h - s)]  # top, centre, bottom
        m = s - crop
        for qx, qy in squares:
            for dx, dy in [(0, 0), (m, 0), (0, m), (m, m), (centre(m), centre(m))]:
                out.append((qx + dx, qy + dy, crop, (h, w)))
            out.append((qx, qy, s, (h, w)))  # the whole square, resized to crop×crop
    return out


def paper_10_regions(height, width, crop):
    s = crops.scales(crop)[0]
    h, w = short_side_resize(height, width, s)
    qx, qy, m = centre(w - s), centre(h - s), s - crop
    return [(qx + dx, qy + dy, crop, (h, w))
            for dx, dy in [(0, 0), (m, 0), (0, m), (m, m), (centre(m), centre(m))]]


def check_view(view, region, height, width, crop, mirrored):
    x0, y0, size, (h, w) = region
    fx, fy = w / width, h / height
    sx, sy = expected_source(x0, y0, size, crop, fx, fy)
    if mirrored:
        sx = sx.flip(-1)
    # Resampling filters clamp at the image border; compare where they see only the interior.
    # Support in source pixels: 1/f for the first resize, size/crop/f more for the second.
    margin = 2 + 1 / min(fx, fy) * (1 + size / crop)
    inside = (sx > margin) & (sx < width - 1 - margin) & (sy > margin) & (sy < height - 1 - margin)
    assert inside.float().mean() > 0.3  # the check must look at most of the view
    # Antialiased downsampling is not exactly linear on a ramp (its sampled triangle weights
    # are renormalised), so allow a quarter of a resized pixel: a view one pixel off misses by 4×.
    tol = 0.25 / min(fx, fy)
    for channel, expected in ((0, sx), (1, sy)):
        miss = torch.where(inside, (view[channel].double() - expected).abs(), 0.0).max().item()
        assert miss < tol, f"坐标通道 {channel} 偏离 {miss:.3f} 像素（允许 {tol:.3f}），区域 {region}"


SHAPES = {"landscape": (45, 70), "portrait": (70, 45), "square": (50, 50),
          "large landscape": (300, 457)}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("crop", [32, 64])
def test_144_views_are_the_papers(shape, crop):
    h, w = SHAPES[shape]
    v = crops.views(coordinate_image(h, w), 144, crop)
    assert v.shape == (144, 2, crop, crop)
    regions = paper_144_regions(h, w, crop)
    assert len(regions) == 72 == paper.TESTING.crops_per_image // 2
    for i, region in enumerate(regions):
        check_view(v[i], region, h, w, crop, mirrored=False)
        check_view(v[72 + i], region, h, w, crop, mirrored=True)
        torch.testing.assert_close(v[72 + i], v[i].flip(-1), atol=0, rtol=0)


@pytest.mark.parametrize("shape", SHAPES)
def test_10_views_are_krizhevskys(shape):
    h, w = SHAPES[shape]
    crop = 32
    v = crops.views(coordinate_image(h, w), 10, crop)
    assert v.shape == (10, 2, crop, crop)
    for i, region in enumerate(paper_10_regions(h, w, crop)):
        check_view(v[i], region, h, w, crop, mirrored=False)
        check_view(v[5 + i], region, h, w, crop, mirrored=True)


@pytest.mark.parametrize("shape", SHAPES)
def test_1_view_is_the_centre_crop(shape):
    h, w = SHAPES[shape]
    v = crops.views(coordinate_image(h, w), 1, 32)
    s = crops.scales(32)[0]
    rh, rw = short_side_resize(h, w, s)
    check_view(v[0], (centre(rw - 32), centre(rh - 32), 32, (rh, rw)), h, w, 32, mirrored=False)


def test_portrait_squares_run_top_to_bottom_and_landscape_left_to_right():
    # The centre pixel of each square's "whole" view: x grows across a landscape image,
    # y down a portrait one, and the other coordinate stays at the middle.
    for (h, w), moving in [((45, 70), 0), ((70, 45), 1)]:
        v = crops.views(coordinate_image(h, w), 144, 32)
        for scale in range(4):
            centres = [v[scale * 18 + q * 6 + 5, :, 16, 16] for q in range(3)]
            along = [c[moving].item() for c in centres]
            across = [c[1 - moving].item() for c in centres]
            assert along[0] < along[1] < along[2]
            assert max(across) - min(across) < 0.6


def test_whole_square_view_spans_the_square():
    h, w = 45, 70
    v = crops.views(coordinate_image(h, w), 144, 32)
    left_whole, right_whole = v[5], v[17]
    # at scale 37 (37×57) the left square covers source x in [0, 45), the right one [24.6, 70)
    assert left_whole[0].min() < 1.5 and 43 < left_whole[0].max() < 45
    assert 24.5 < right_whole[0].min() < 26 and right_whole[0].max() > 68
    assert left_whole[1].min() < 1.5 and left_whole[1].max() > 43  # the whole height


def test_scales_keep_the_papers_proportions():
    assert crops.scales(224) == paper.TESTING.scales
    assert crops.scales(64) == (73, 82, 91, 101)
    assert crops.scales(112) == (128, 144, 160, 176)


@pytest.mark.parametrize("n", crops.N_CROPS)
def test_layout_matches_views_and_labels(n):
    layout = crops.crop_layout(45, 70, n, 32)
    assert len(layout) == n
    assert [k.index for k in layout] == list(range(n))
    if n > 1:
        half = n // 2
        assert not any(k.mirrored for k in layout[:half]) and all(k.mirrored for k in layout[half:])
    if n == 144:
        assert [k.position for k in layout[:6]] == list(crops.POSITIONS)
        assert [k.square for k in layout[:18:6]] == ["left", "centre", "right"]
        assert [k.scale for k in layout[:72:18]] == list(crops.scales(32))
        assert layout[98].label() == "尺度 41 · 中正方形 · 左下角 · 镜像"  # 98 - 72 = 26 = 1·18 + 1·6 + 2
        assert crops.crop_layout(70, 45, 144, 32)[6].label() == "尺度 37 · 中正方形 · 左上角"
        assert crops.crop_layout(70, 45, 144, 32)[12].square == "bottom"


# ---- independent check against torchvision's own transforms

def _tv_resize(img, size):
    return TF.resize(img, size, interpolation=TF.InterpolationMode.BILINEAR, antialias=True)


@pytest.mark.parametrize("shape", [(45, 70), (70, 45), (301, 457)])
def test_views_equal_torchvision_transforms(shape):
    torch.manual_seed(0)
    img = torch.rand(3, *shape)
    c = 32
    s0 = crops.scales(c)[0]
    one = TF.center_crop(_tv_resize(img, [s0]), [c])
    torch.testing.assert_close(crops.views(img, 1, c)[0], one)
    square = TF.center_crop(_tv_resize(img, [s0]), [s0])
    five = torch.stack(TF.five_crop(square, [c]))
    torch.testing.assert_close(crops.views(img, 10, c), torch.cat([five, five.flip(-1)]))
    # torchvision's TenCrop crops the mirrored image instead: the same corner views, reordered
    ten = torch.stack(TF.ten_crop(square, [c]))
    torch.testing.assert_close(crops.views(img, 10, c)[[5, 6, 7, 8]], ten[[6, 5, 8, 7]])
    expected = []
    for s in crops.scales(c):
        r = _tv_resize(img, [s])
        h, w = r.shape[-2:]
        corners = [(0, 0), (centre(w - s), 0), (w - s, 0)] if w >= h else \
            [(0, 0), (0, centre(h - s)), (0, h - s)]
        for x0, y0 in corners:
            sq = TF.crop(r, y0, x0, s, s)
            expected += list(TF.five_crop(sq, [c])) + [_tv_resize(sq, [c, c])]
    expected = torch.stack(expected)
    torch.testing.assert_close(crops.views(img, 144, c), torch.cat([expected, expected.flip(-1)]))


def test_pil_image_gives_the_same_views():
    torch.manual_seed(1)
    arr = (torch.rand(40, 60, 3) * 255).to(torch.uint8)
    pil = Image.fromarray(arr.numpy())
    as_tensor = arr.permute(2, 0, 1).float() / 255
    torch.testing.assert_close(crops.views(pil, 144, 16), crops.views(as_tensor, 144, 16))
    gray = Image.fromarray(arr[..., 0].numpy(), mode="L")
    assert crops.views(gray, 10, 16).shape == (10, 1, 16, 16)


def test_batch_views_equal_one_image_at_a_time():
    torch.manual_seed(2)
    imgs = torch.rand(3, 1, 28, 28)
    batch = crops.batch_views(imgs, 144, 64)
    for i in range(3):
        torch.testing.assert_close(batch[i], crops.views(imgs[i], 144, 64))


# ---- bad input

@pytest.mark.parametrize("call, match", [
    (lambda: crops.views(torch.rand(3, 7, 100), 144, 224), "7×100 太小.*至少 8 像素"),
    (lambda: crops.views(torch.rand(3, 100, 7), 10, 224), "100×7 太小"),
    (lambda: crops.views(torch.rand(1, 28, 28), 144, 64), None),  # fine: 28 ≥ 9
    (lambda: crops.views(torch.rand(1, 8, 8), 144, 64), "8×8 太小.*至少 9 像素"),
    (lambda: crops.views(torch.rand(28, 28), 10, 64), "3 维张量.*形状 \\(28, 28\\)"),
    (lambda: crops.views(torch.rand(2, 1, 28, 28), 10, 64), "3 维张量.*batch_views"),
    (lambda: crops.views(torch.zeros(1, 28, 28, dtype=torch.uint8), 10, 64), "浮点张量.*uint8"),
    (lambda: crops.views([[0.0]], 10, 64), "PIL 图像，收到 list"),
    (lambda: crops.views(torch.rand(1, 28, 28), 5, 64), "n_crops 应为 1、10、144 之一，收到 5"),
    (lambda: crops.views(torch.rand(1, 28, 28), 144, 3), "crop_size=3 太小"),
    (lambda: crops.views(torch.rand(1, 28, 28), 1, 0), "crop_size 应为正整数.*收到 0"),
    (lambda: crops.batch_views(torch.rand(1, 28, 28), 1, 16), "4 维张量"),
    (lambda: mc.topk_error(torch.rand(4, 3), torch.zeros(4, dtype=torch.long), 5), "k 应在 1 到类别数 3"),
    (lambda: mc.topk_error(torch.rand(4, 3), torch.zeros(3, dtype=torch.long), 1), "应有 4 个元素"),
    (lambda: mc.combine(torch.rand(2, 3, 4), "mean"), "4 维张量"),
    (lambda: mc.combine(torch.rand(1, 2, 3, 4), "median"), "reduce 应为 'mean' 或 'max'，收到 'median'"),
])
def test_bad_input_raises_chinese_errors(call, match):
    if match is None:
        call()
        return
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_one_crop_works_on_tiny_images():
    assert crops.views(torch.rand(1, 2, 3), 1, 16).shape == (1, 1, 16, 16)


# ---- classifiers and evaluation

class Toy(nn.Module):
    """A fast stand-in classifier that sees position and colour (so crops disagree)."""

    def __init__(self, seed, channels=1, classes=7):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(channels, 8, 3, stride=2)
        self.fc = nn.Linear(8 * 4, classes)
        self.batches = []

    def forward(self, x):
        self.batches.append(x.shape[0])
        x = torch.relu(self.conv(x))
        return self.fc(nn.functional.adaptive_avg_pool2d(x, 2).flatten(1))


@pytest.fixture(scope="module")
def data():
    torch.manual_seed(3)
    return torch.rand(11, 1, 28, 28), torch.randint(0, 7, (11,))


def reference_probs(models, images, n, c, reduce="mean"):
    """§7's rule written out the slow way: image by image, model by model."""
    out = []
    with torch.no_grad():
        for img in images:
            v = crops.views(img, n, c)
            per_model = [m(v).softmax(1) for m in models]
            pooled = [p.mean(0) if reduce == "mean" else p.amax(0) for p in per_model]
            out.append(torch.stack(pooled).mean(0))
    return torch.stack(out)


@pytest.mark.parametrize("n", crops.N_CROPS)
@pytest.mark.parametrize("reduce", mc.REDUCTIONS)
def test_evaluate_averages_as_section_7_says(data, n, reduce):
    models = [Toy(0), Toy(1)]
    res = mc.evaluate(models, data, n, 16, chunk_size=50, reduce=reduce, return_probs=True)
    expected = reference_probs(models, data[0], n, 16, reduce)
    torch.testing.assert_close(res.probs, expected, atol=1e-6, rtol=1e-5)
    assert res.n_images == 11 and res.cost == 2 * n and res.n_classifiers == 2
    assert res.top1_error == pytest.approx(mc.topk_error(expected, data[1], 1))
    assert res.top5_error == pytest.approx(mc.topk_error(expected, data[1], 5))


def test_max_pooling_over_crops_differs_from_averaging(data):
    m = Toy(0)
    mean = mc.evaluate(m, data, 144, 16, return_probs=True).probs
    top = mc.evaluate(m, data, 144, 16, reduce="max", return_probs=True).probs
    assert not torch.allclose(mean, top, atol=1e-3)
    torch.testing.assert_close(mean.sum(1), torch.ones(11))  # averaged softmax stays a distribution
    assert (top.sum(1) > 1).all()  # per-class maxima do not


def test_ensemble_is_the_mean_of_its_members(data):
    a, b, c = Toy(0), Toy(1), Toy(2)
    probs = [mc.evaluate(m, data, 10, 16, return_probs=True).probs for m in (a, b, c)]
    ens = mc.evaluate([a, b, c], data, 10, 16, return_probs=True).probs
    torch.testing.assert_close(ens, sum(probs) / 3)


@pytest.mark.parametrize("chunk", [1, 7, 144, 145, 10_000])
def test_chunked_equals_unchunked(data, chunk):
    m = Toy(0)
    whole = mc.evaluate(m, data, 144, 16, chunk_size=100_000, return_probs=True)
    m.batches.clear()
    part = mc.evaluate(m, data, 144, 16, chunk_size=chunk, return_probs=True, dedupe=False)
    torch.testing.assert_close(part.probs, whole.probs, atol=1e-6, rtol=1e-5)
    assert max(m.batches) <= chunk  # memory bound: no forward pass sees more than a chunk
    assert sum(m.batches) == 11 * 144


def test_dataset_forms_agree(data):
    m = Toy(0)
    images, labels = data
    as_tensors = mc.evaluate(m, data, 10, 16, return_probs=True)
    as_pairs = mc.evaluate(m, list(zip(images, labels.tolist())), 10, 16, return_probs=True)
    torch.testing.assert_close(as_pairs.probs, as_tensors.probs)
    assert torch.equal(as_pairs.labels, labels)
    first = mc.evaluate(m, data, 10, 16, limit=4, return_probs=True)
    assert first.n_images == 4
    torch.testing.assert_close(first.probs, as_tensors.probs[:4])


def test_images_of_different_sizes(data):
    m = Toy(0)
    torch.manual_seed(4)
    items = [(torch.rand(1, h, w), i % 7) for i, (h, w) in enumerate([(28, 28), (28, 28), (30, 50), (50, 30)])]
    res = mc.evaluate(m, items, 144, 16, chunk_size=100, return_probs=True)
    torch.testing.assert_close(res.probs, reference_probs([m], [x for x, _ in items], 144, 16))


def test_preprocess_is_applied_to_every_chunk(data):
    m = Toy(0)
    res = mc.evaluate(m, data, 10, 16, chunk_size=30, preprocess=lambda x: (x - 0.5) / 0.25, return_probs=True)
    shifted = mc.evaluate(m, ((data[0] - 0.5) / 0.25, data[1]), 10, 16, return_probs=True)
    torch.testing.assert_close(res.probs, shifted.probs, atol=1e-5, rtol=1e-5)


def test_topk_error_counts_misses():
    probs = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    labels = torch.tensor([0, 0, 1, 2])
    assert mc.topk_error(probs, labels, 1) == pytest.approx(3 / 4)
    assert mc.topk_error(probs, labels, 2) == pytest.approx(1 / 4)
    assert mc.topk_error(probs, labels, 3) == 0.0


@pytest.fixture(scope="module")
def small_googlenet():
    torch.manual_seed(5)
    return GoogLeNet(num_classes=5, in_channels=1, dropout=0.0, aux_dropout=0.0)


def test_all_heads_in_eval_mode_are_the_training_heads_without_dropout(small_googlenet):
    model = small_googlenet
    x = torch.rand(3, 1, 64, 64)
    model.train()
    with torch.no_grad():
        trained = model(x)  # GoogLeNetOutputs: dropout is 0, the paper variant has no BN
        heads = mc.classifier_logits(model, x, "all")
    assert model.training  # mode restored
    assert len(heads) == 3
    for got, want in zip(heads, trained):
        torch.testing.assert_close(got, want)
    assert not model.inception4a._forward_hooks and not model.inception4d._forward_hooks


def test_all_heads_evaluation_averages_three_classifiers(small_googlenet):
    model = small_googlenet
    torch.manual_seed(6)
    images, labels = torch.rand(2, 1, 20, 20), torch.tensor([0, 1])
    res = mc.evaluate(model, (images, labels), 10, 64, heads="all", chunk_size=8, return_probs=True)
    assert res.n_classifiers == 3
    with torch.no_grad():
        expected = torch.stack([
            torch.stack([h.softmax(1).mean(0) for h in mc.classifier_logits(model, crops.views(img, 10, 64), "all")]).mean(0)
            for img in images])
    torch.testing.assert_close(res.probs, expected, atol=1e-6, rtol=1e-5)
    main = mc.evaluate(model, (images, labels), 10, 64, return_probs=True).probs
    assert not torch.allclose(main, res.probs)


def test_all_heads_need_aux_heads():
    model = GoogLeNet(num_classes=5, in_channels=1, aux_logits=False)
    with pytest.raises(ValueError, match="aux_logits=True"):
        mc.classifier_logits(model, torch.rand(1, 1, 64, 64), "all")


@pytest.mark.parametrize("kwargs, match", [
    (dict(heads="aux"), "heads 应为 'main' 或 'all'"),
    (dict(reduce="median"), "reduce 应为"),
    (dict(chunk_size=0), "chunk_size 应为正整数"),
    (dict(n_crops=12), "n_crops 应为"),
    (dict(limit=0), "limit 应为正整数"),
    (dict(compile="yes"), "compile 应为 True 或 False"),
    (dict(compile=True, heads="all"), "compile=True 只编译主分类器"),
])
def test_evaluate_rejects_bad_options(data, kwargs, match):
    args = dict(n_crops=10, crop_size=16) | kwargs
    with pytest.raises(ValueError, match=match):
        mc.evaluate(Toy(0), data, **args)


def test_evaluate_rejects_bad_models_and_datasets(data):
    with pytest.raises(TypeError, match="models 应为"):
        mc.evaluate([], data, 1, 16)
    with pytest.raises(TypeError, match="models 的第 1 项应为 nn.Module，收到 int 5"):
        mc.evaluate([Toy(0), 5], data, 1, 16)
    with pytest.raises(TypeError, match="models 应为.*收到 str 'googlenet'"):
        mc.evaluate("googlenet", data, 1, 16)
    with pytest.raises(TypeError, match="dataset 应为.*收到 int"):
        mc.evaluate(Toy(0), 5, 1, 16)
    with pytest.raises(TypeError, match="dataset 是一个形状为 \\(11, 1, 28, 28\\) 的张量，没有标签"):
        mc.evaluate(Toy(0), data[0], 1, 16)
    with pytest.raises(ValueError, match="数据集是空的.*收到 list，共 0 项"):
        mc.evaluate(Toy(0), [], 1, 16)
    with pytest.raises(ValueError, match="数据集是空的.*收到 tuple"):
        table3.crop_probabilities(Toy(0), (data[0][:0], data[1][:0]), 1, 16)
    with pytest.raises(ValueError, match="二元组"):
        mc.evaluate(Toy(0), [torch.rand(1, 28, 28)], 1, 16)
    with pytest.raises(ValueError, match="应有 11 个元素"):
        mc.evaluate(Toy(0), (data[0], data[1][:3]), 1, 16)


def test_views_of_every_scheme_are_distinct_at_the_minimum_size():
    # At min_image_side the corner crops of the smallest scale differ (they are the point).
    for crop in (16, 64, 224):
        side = crops.min_image_side(144, crop)
        v = crops.views(coordinate_image(side, side), 144, crop)
        for a, b in itertools.combinations(range(4), 2):
            assert not torch.allclose(v[a], v[b])


# ---- kept crop probabilities: one 144-crop run scores every row of Table 3

@pytest.mark.parametrize("shape", [(28, 28), (45, 70), (70, 45)])
def test_the_10_views_are_among_the_144(shape):
    h, w = shape
    img = torch.rand(1, h, w)
    idx = table3.nested_indices(10, h, w, 32)
    assert len(idx) == 10 and len(set(idx)) == 10
    torch.testing.assert_close(crops.views(img, 144, 32)[idx], crops.views(img, 10, 32), atol=0, rtol=0)


def test_the_single_centre_crop_is_among_the_144_for_square_images():
    img = torch.rand(1, 28, 28)
    idx = table3.nested_indices(1, 28, 28, 64)
    torch.testing.assert_close(crops.views(img, 144, 64)[idx], crops.views(img, 1, 64), atol=0, rtol=0)
    # 23×26 at crop 20 (scale 23): the centre square sits round(3/2) = 2 in and the centre crop
    # round(3/2) = 2 into it, 4 in all; the direct centre crop sits round(6/2) = 3 in
    with pytest.raises(ValueError, match="不在 144 个视图之中"):
        table3.nested_indices(1, 23, 26, 20)


def test_scores_from_kept_probabilities_equal_direct_evaluation(data):
    models = [Toy(0), Toy(1), Toy(2)]
    probs, labels = table3.crop_probabilities(models, data, 144, 16, chunk_size=100)
    assert probs.shape == (3, 1, 11, 144, 7) and torch.equal(labels, data[1])
    for n in (1, 10, 144):
        kept = table3.nested_indices(n, 28, 28, 16)
        for members in ([0], [0, 1, 2]):
            for reduce in mc.REDUCTIONS:
                s = table3.score(probs, labels, models=members, crops=kept, reduce=reduce)
                r = mc.evaluate([models[i] for i in members], data, n, 16, reduce=reduce)
                assert (s.top1_error, s.top5_error) == pytest.approx((r.top1_error, r.top5_error))
                assert s.cost == r.cost == len(members) * n


def test_scores_with_all_heads(small_googlenet):
    torch.manual_seed(7)
    data = (torch.rand(3, 1, 20, 20), torch.tensor([0, 1, 2]))
    probs, labels = table3.crop_probabilities(small_googlenet, data, 10, 64, heads="all")
    assert probs.shape == (1, 3, 3, 10, 5)
    r = mc.evaluate(small_googlenet, data, 10, 64, heads="all", return_probs=True)
    s = table3.score(probs, labels, heads="all")
    assert (s.top1_error, s.top5_error) == pytest.approx((r.top1_error, r.top5_error))
    main_only = table3.score(probs, labels, heads="main")
    r_main = mc.evaluate(small_googlenet, data, 10, 64)
    assert main_only.top1_error == pytest.approx(r_main.top1_error)
    with pytest.raises(ValueError, match="5 维张量"):
        table3.score(probs[0], labels)
    main_probs, _ = table3.crop_probabilities(small_googlenet, data, 1, 64)
    with pytest.raises(ValueError, match="heads='all' 需要"):
        table3.score(main_probs, labels, heads="all")


def test_evaluation_leaves_grad_mode_alone(data):
    for _ in table3.crop_probabilities(Toy(0), data, 10, 16, chunk_size=20):
        pass
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_table3_rows_follow_the_papers_order(data):
    models = [Toy(0), Toy(1)]
    probs, labels = table3.crop_probabilities(models, data, 144, 16)
    rows = table3.table3(probs, labels, 28, 28, 16)
    assert [(r.models, r.crops, r.cost) for r in rows] == \
        [(1, 1, 1), (1, 10, 10), (1, 144, 144), (2, 1, 2), (2, 10, 20), (2, 144, 288)]
    direct = mc.evaluate(models, data, 10, 16)
    assert rows[4].top1_error == pytest.approx(direct.top1_error)
    text = table3.table3_text(rows)
    lines = text.splitlines()
    assert len(lines) == 8 and "基线" in lines[2] and "10.07%" in lines[2] and "6.67%" in lines[7]
    assert f"{100 * rows[5].top1_error:.2f}%" in lines[7]
    assert f"{100 * (rows[2].top1_error - rows[0].top1_error):+.2f}%" in lines[4]
    rows_only = [lines[0]] + lines[2:]
    assert len({display_width(line.split("│")[0]) for line in rows_only}) == 1  # columns line up
    with pytest.raises(ValueError, match="144 个裁剪"):
        table3.table3(probs[:, :, :, :10], labels, 28, 28, 16)
    with pytest.raises(ValueError, match="model_counts"):
        table3.table3(probs, labels, 28, 28, 16, model_counts=[3])


def test_paired_changes_count_fixed_and_broken_images():
    labels = torch.tensor([0, 1, 2, 0])
    before = torch.tensor([[.9, .1, 0], [.8, .2, 0], [0, 0, 1], [0, 1., 0]])
    after = torch.tensor([[.9, .1, 0], [.1, .9, 0], [1., 0, 0], [0, 1., 0]])
    assert stats.paired_changes(before, after, labels) == (1, 1)
    with pytest.raises(ValueError, match="形状相同"):
        stats.paired_changes(before, after[:2], labels)


@pytest.mark.parametrize("call", [table3.combined_probs, lambda probs, **kw: table3.score(probs, torch.zeros(4), **kw)])
def test_empty_or_out_of_range_selections_are_errors(call):
    # Before: crops=[] / models=[] averaged over nothing (NaN probabilities, a silent error
    # rate) and models=[5] was a bare IndexError.
    probs = torch.rand(2, 1, 4, 10, 5).softmax(-1)
    for kwargs, match in [(dict(crops=[]), "crops 不能为空.*下标 0 到 9.*收到 \\[\\]"),
                          (dict(models=[]), "models 不能为空.*下标 0 到 1"),
                          (dict(models=[5]), "models 中的下标 5 超出范围：probs 有 2 个模型，下标应在 0 到 1 之间"),
                          (dict(crops=[0, 10]), "crops 中的下标 10 超出范围.*10 个裁剪.*0 到 9")]:
        with pytest.raises(ValueError, match=match):
            call(probs, **kwargs)
    with pytest.raises(TypeError, match="models 应为整数下标的序列.*收到 0.5"):
        call(probs, models=0.5)
    torch.testing.assert_close(table3.combined_probs(probs, models=[-1]), table3.combined_probs(probs, models=[1]))


class Wide(nn.Module):
    """A 1000-output classifier, like an ImageNet model."""

    def forward(self, x):
        return x.flatten(1)[:, :1].repeat(1, 1000)


@pytest.mark.parametrize("entry", [mc.evaluate, table3.crop_probabilities])
def test_labels_that_look_unmapped_warn_and_labels_out_of_range_raise(data, entry):
    images = data[0][:4]
    with pytest.warns(UserWarning, match="标签都小于 3，而模型有 1000 个输出.*googlenet.data.Relabelled"):
        entry(Wide(), (images, torch.tensor([0, 1, 2, 1])), 1, 16)
    with warnings.catch_warnings():  # ImageNet indices, as Relabelled gives them: no warning
        warnings.simplefilter("error")
        entry(Wide(), (images, torch.tensor([0, 217, 482, 701])), 1, 16)
        entry(Toy(0), data, 1, 16)  # 7 classes, all labels present
    with pytest.raises(ValueError, match="标签 7 不是模型的类别编号：模型有 7 个输出，标签应在 0 到 6 之间"):
        entry(Toy(0), (images, torch.tensor([0, 7, 1, 2])), 1, 16)
    with pytest.raises(ValueError, match="标签 -1 不是模型的类别编号"):
        entry(Toy(0), (images, torch.tensor([0, -1, 1, 2])), 1, 16)


def test_combined_probs_selects_models_crops_and_heads():
    torch.manual_seed(8)
    probs = torch.rand(2, 3, 4, 10, 5).softmax(-1)
    got = table3.combined_probs(probs, models=[1], crops=[0, 3], heads="all", reduce="max")
    torch.testing.assert_close(got, probs[1][:, :, [0, 3]].amax(2).mean(0))
    torch.testing.assert_close(table3.combined_probs(probs), probs[:, 0].mean(2).mean(0))


def test_relabelled_subset_for_a_1000_class_model(data):
    from googlenet.data import Relabelled, first_per_class

    idx = first_per_class(torch.tensor([3, 1, 3, 0, 1, 0, 3]), 1)
    assert idx == [0, 1, 3]
    ds = Relabelled(list(zip(data[0], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1])), [0, 4, 5], [0, 217, 482])
    assert len(ds) == 3 and [y for _, y in ds] == [0, 217, 482]
    assert torch.equal(ds[1][0], data[0][4])
    with pytest.raises(ValueError, match="per_class 应为 1 到 2 之间"):
        first_per_class(torch.tensor([0, 0, 1, 1]), 3)


def test_square_images_have_48_distinct_views_of_144():
    keep, inverse = crops.distinct_views(28, 28, 144, 16)
    assert len(keep) == 48 and len(inverse) == 144
    v = crops.views(torch.rand(1, 28, 28), 144, 16)
    assert torch.equal(v[keep][inverse], v)
    assert v.unique(dim=0).shape[0] == 48  # and the 48 do differ
    assert len(crops.distinct_views(45, 70, 144, 16)[0]) == 144
    assert len(crops.distinct_views(28, 28, 10, 16)[0]) == 10


@pytest.mark.parametrize("n", crops.N_CROPS)
def test_dedupe_gives_the_same_answer_with_fewer_forward_passes(data, n):
    m = Toy(0)
    items = list(zip(data[0][:3], data[1][:3].tolist())) + [(torch.rand(1, 30, 50), 1)]
    full = mc.evaluate(m, items, n, 16, chunk_size=50, dedupe=False, return_probs=True)
    m.batches.clear()
    once = mc.evaluate(m, items, n, 16, chunk_size=50, dedupe=True, return_probs=True)
    torch.testing.assert_close(once.probs, full.probs, atol=1e-6, rtol=1e-5)
    assert sum(m.batches) == (3 * 48 + 144 if n == 144 else 4 * n)
    kept, _ = table3.crop_probabilities(m, items, n, 16, chunk_size=7)
    kept_full, _ = table3.crop_probabilities(m, items, n, 16, chunk_size=7, dedupe=False)
    torch.testing.assert_close(kept, kept_full, atol=1e-6, rtol=1e-5)


def test_compare_crops_runs_the_three_schemes(data):
    m = Toy(0)
    items = [(torch.rand(1, 30, 50), 1), (torch.rand(1, 50, 30), 2), (data[0][0], int(data[1][0]))]
    rows = table3.compare_crops(m, items, 16, chunk_size=40)
    assert [(r.models, r.crops, r.cost) for r in rows] == [(1, 1, 1), (1, 10, 10), (1, 144, 144)]
    assert rows[2].top1_error == pytest.approx(mc.evaluate(m, items, 144, 16).top1_error)


# ---- the chapter's figures and crop viewer

def _render(fig) -> str:
    """Draw ``fig`` to PNG with warnings as errors (a missing glyph warns); return its text."""
    import io
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png", dpi=30)
    text = "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    plt.close(fig)
    return text


def test_chapter_figures_draw_in_chinese():
    import matplotlib

    matplotlib.use("Agg")
    from googlenet.book import plots

    classes = ("T恤/上衣", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴")
    img = coordinate_image(45, 70)[:1] / 70
    layout = crops.crop_layout(45, 70, 144, 32)
    v = crops.views(img, 144, 32)
    text = _render(plots.plot_crop_grid(v, layout, title="144 个视图"))
    assert "144 个视图" in text and "左上\n原样" in text and "整个\n镜像" in text and "37 左" in text
    assert len(plots.plot_crop_grid(v, layout).axes) == 144
    text = _render(plots.plot_crop_boxes(img, layout, v, [0, 100]))
    assert "第 100 个" in text and "镜像" in text
    probs = torch.rand(144, 10).softmax(1)
    assert "最大池化（论文弃用）" in _render(plots.plot_crop_probs(probs, classes, true_label=3))
    text = _render(plots.plot_top5(img, probs.mean(0), classes, true_label=3))
    assert "真实类别：连衣裙" in text and "前 5 个预测" in text
    with pytest.raises(ValueError, match="class_names 却有 3 个"):
        plots.plot_top5(img, probs.mean(0), classes[:3])
    assert "GoogLeNet" in _render(plots.plot_table2(paper.TABLE2))
    rows = [table3.Score(m, c, "main", "mean", 0.2, 0.01) for m in (1, 2) for c in (1, 10, 144)]
    text = _render(plots.plot_cost_vs_error(paper.TABLE3, rows))
    assert "7 个模型" in text and "2 个模型" in text and "144 个裁剪" in text


def test_crop_viewer_follows_its_slider():
    from googlenet.book import widgets

    img = coordinate_image(45, 70)[:1] / 70
    viewer = widgets.crop_viewer(img, 144, 32)
    title, slider, out = viewer.children
    assert slider.max == 143 and "尺度 37 · 左正方形 · 左上角" in out.value
    slider.value = 100
    assert "第 100 个视图：尺度 41 · 中正方形 · 中心 · 镜像" in out.value and "data:image/png;base64," in out.value
    text = widgets.describe_crop(crops.crop_layout(45, 70, 144, 32)[5], 45, 70)
    assert "缩放到 37×57（短边 37）" in text and "整个正方形缩放到裁剪大小" in text
    assert "x ∈ [0.0, 45.4)" in text  # the left square: 37 resized pixels = 37·70/57 source pixels


def test_mcnemar_p_matches_the_binomial_tail():
    assert stats.mcnemar_p(13, 13) == 1.0
    assert stats.mcnemar_p(0, 0) == 1.0
    # 10 changes all one way: 2 × (1/2)^10
    assert stats.mcnemar_p(10, 0) == pytest.approx(2 / 1024)
    assert stats.mcnemar_p(0, 10) == stats.mcnemar_p(10, 0)
    # 8 vs 2: 2 × P(X ≤ 2), X ~ Bin(10, 1/2) = 2 × 56/1024
    assert stats.mcnemar_p(8, 2) == pytest.approx(112 / 1024)
    assert stats.mcnemar_p(30, 10) < 0.05 < stats.mcnemar_p(12, 8)
    with pytest.raises(ValueError, match="非负整数"):
        stats.mcnemar_p(-1, 3)


@pytest.mark.slow
def test_compiled_evaluation_gives_the_same_predictions(data):
    model = Toy(0).eval()
    eager = mc.evaluate(model, data, 144, 16, return_probs=True)
    compiled = mc.evaluate(model, data, 144, 16, return_probs=True, compile=True)
    assert torch.equal(eager.probs.argmax(1), compiled.probs.argmax(1))  # per image, as issue 14 asks
    torch.testing.assert_close(compiled.probs, eager.probs, atol=1e-5, rtol=1e-4)

"""§6's image sampling: crop statistics, the four interpolations, photometric distortion, presets."""

import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from googlenet import augment, paper
from googlenet.data import FASHION_MNIST_MEAN, FASHION_MNIST_STD


def ramp(h=8, w=8, c=1):
    return torch.linspace(0, 1, c * h * w).reshape(c, h, w)


@pytest.mark.parametrize("mode", augment.INTERPOLATIONS)
def test_resize_every_interpolation_keeps_range_and_shape(mode):
    img = torch.rand(3, 28, 28, generator=torch.Generator().manual_seed(0))
    for size in (64, (40, 20), 14):
        out = augment.resize(img, size, mode)
        expected = (size, size) if isinstance(size, int) else size
        assert out.shape == (3, *expected)
        assert 0 <= out.min() and out.max() <= 1


def test_area_averages_and_nearest_replicates():
    img = ramp(8, 8)
    area = augment.resize(img, 4, "area")
    torch.testing.assert_close(area, F.avg_pool2d(img.unsqueeze(0), 2).squeeze(0))
    near = augment.resize(img, 16, "nearest")
    torch.testing.assert_close(near, img.repeat_interleave(2, 1).repeat_interleave(2, 2))
    # the four methods really differ (on a downscale of a noisy image)
    noisy = torch.rand(1, 30, 30, generator=torch.Generator().manual_seed(1))
    outs = [augment.resize(noisy, 13, m) for m in augment.INTERPOLATIONS]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not torch.allclose(outs[i], outs[j])


def test_resize_rejects_bad_input():
    with pytest.raises(ValueError, match="interpolation 应为"):
        augment.resize(ramp(), 4, "lanczos")
    with pytest.raises(ValueError, match="size 应为正整数"):
        augment.resize(ramp(), 0)
    with pytest.raises(ValueError, match="C×H×W 的浮点张量"):
        augment.resize(torch.zeros(8, 8, dtype=torch.uint8), 4)


def test_crop_defaults_are_section_6_and_torchvisions():
    crop = augment.RandomResizedCrop(64)
    assert crop.scale == paper.TRAINING.crop_area == (0.08, 1.0)
    assert crop.ratio == paper.TRAINING.crop_aspect
    tv = v2.RandomResizedCrop(64)
    assert tuple(tv.scale) == crop.scale and tuple(tv.ratio) == pytest.approx(crop.ratio)
    assert crop.interpolations == ("bilinear", "area", "nearest", "bicubic")


def test_crop_statistics_match_section_6():
    torch.manual_seed(0)
    crop = augment.RandomResizedCrop(32)
    img = torch.zeros(1, 200, 200)
    areas, ratios, modes = [], [], Counter()
    for _ in range(3000):
        top, left, h, w, mode = crop.sample(img)
        assert 0 <= top and top + h <= 200 and 0 <= left and left + w <= 200
        areas.append(h * w / 200 ** 2)
        ratios.append(w / h)
        modes[mode] += 1
    assert min(areas) >= 0.075 and max(areas) <= 1.0
    assert min(ratios) >= 0.74 and max(ratios) <= 1.35
    # uniform in area: a patch that does not fit is drawn again, which thins out areas above
    # 3/4 (where a 4:3 patch no longer fits a square); below that the density is flat.
    low = sum(0.08 <= a < 0.40 for a in areas)
    high = sum(0.40 <= a < 0.72 for a in areas)
    assert 0.9 < low / high < 1.1, (low, high)
    # aspect ratio log-uniform: log-mean about 0
    assert abs(sum(math.log(r) for r in ratios) / len(ratios)) < 0.02
    # equal probability of the four interpolations
    assert set(modes) == set(augment.INTERPOLATIONS)
    assert all(600 <= n <= 900 for n in modes.values()), modes


def test_crop_is_reproducible_with_a_seed_and_checks_arguments():
    img = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(2))
    crop = augment.RandomResizedCrop(64)
    torch.manual_seed(5)
    a = crop(img)
    torch.manual_seed(5)
    torch.testing.assert_close(crop(img), a, rtol=0, atol=0)
    assert a.shape == (1, 64, 64)
    with pytest.raises(ValueError, match="scale 应为"):
        augment.RandomResizedCrop(64, scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="interpolations 应为"):
        augment.RandomResizedCrop(64, interpolations=("box",))


def test_photometric_distortion():
    torch.manual_seed(0)
    grey = torch.rand(1, 16, 16)
    rgb = torch.rand(3, 16, 16)
    distort = augment.PhotometricDistortion(0.4, 0.4, 0.4)
    assert distort(grey).shape == (1, 16, 16) and distort(rgb).shape == (3, 16, 16)
    assert not torch.allclose(distort(grey), grey)
    identity = augment.PhotometricDistortion(0, 0, 0)
    torch.testing.assert_close(identity(rgb), rgb)
    # brightness alone scales the image by a factor within [0.6, 1.4]
    only_brightness = augment.PhotometricDistortion(0.4, 0, 0)
    img = torch.full((1, 4, 4), 0.5)
    factors = {round(float(only_brightness(img).mean()) / 0.5, 4) for _ in range(50)}
    assert len(factors) > 10 and min(factors) >= 0.6 and max(factors) <= 1.4
    with pytest.raises(ValueError, match="brightness 应在"):
        augment.PhotometricDistortion(brightness=1.5)


def test_train_and_eval_transforms():
    img = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(3))
    torch.manual_seed(0)
    for strength in augment.STRENGTHS:
        out = augment.train_transform(64, 1, strength)(img)
        assert out.shape == (1, 64, 64) and out.dtype == torch.float32
    ev = augment.eval_transform(64, 1)
    expected = (augment.resize(img, 64, "bilinear") - FASHION_MNIST_MEAN[0]) / FASHION_MNIST_STD[0]
    torch.testing.assert_close(ev(img), expected)
    # the evaluation transform of a non-square image: shorter side to 64, centre crop
    wide = torch.rand(3, 50, 100)
    assert augment.eval_transform(64, 3)(wide).shape == (3, 64, 64)
    with pytest.raises(ValueError, match="strength 应为"):
        augment.train_transform(64, 1, "heavy")


def test_paper_strength_samples_small_patches_light_keeps_the_whole_image():
    torch.manual_seed(0)
    img = torch.zeros(1, 100, 100)
    crop = augment.train_transform(32, 1, "paper").transforms[0]
    areas = [h * w / 1e4 for _, _, h, w, _ in (crop.sample(img) for _ in range(500))]
    assert min(areas) >= 0.07 and min(areas) < 0.13 and max(areas) > 0.9
    light = augment.train_transform(32, 1, "light").transforms[0]
    samples = [light.sample(img) for _ in range(200)]
    assert {s[:4] for s in samples} == {(0, 0, 100, 100)}  # no crop, ...
    assert {s[4] for s in samples} == set(augment.INTERPOLATIONS)  # ... but random interpolation


def test_to_model_input_is_the_batched_eval_transform():
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    batch = augment.to_model_input(images, 64)
    assert batch.shape == (3, 1, 64, 64)
    ev = augment.eval_transform(64, 1)
    torch.testing.assert_close(batch[1], ev(images[1].unsqueeze(0).float() / 255))
    rgb = torch.randint(0, 256, (2, 30, 40, 3), dtype=torch.uint8)
    assert augment.to_model_input(rgb, 64).shape == (2, 3, 64, 64)
    with pytest.raises(ValueError, match="uint8"):
        augment.to_model_input(images.float(), 64)

"""The bundled sample photograph: shape, range, normalisation, bad input."""

import pytest
import torch

from googlenet.book.images import IMAGENET_MEAN, IMAGENET_STD, sample_image


def test_rgb_shape_and_range():
    x = sample_image(96)
    assert x.shape == (3, 96, 96) and x.dtype == torch.float32
    assert 0 <= x.min() < 0.1 and 0.9 < x.max() <= 1  # a real photo uses the whole range
    assert x.std() > 0.1  # not a blank image


def test_gray_is_the_luma_of_rgb():
    rgb, gray = sample_image(64), sample_image(64, gray=True)
    assert gray.shape == (1, 64, 64)
    luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    assert torch.allclose(gray[0], luma, atol=0.02)


def test_normalize_uses_imagenet_statistics():
    raw, norm = sample_image(32), sample_image(32, normalize=True)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    assert torch.allclose(norm * std + mean, raw, atol=1e-6)


def test_deterministic():
    assert torch.equal(sample_image(50), sample_image(50))


@pytest.mark.parametrize("size", [0, 4, 2.5, "224", True])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size"):
        sample_image(size)


def test_gray_and_normalize_together_is_an_error():
    with pytest.raises(ValueError, match="normalize"):
        sample_image(32, gray=True, normalize=True)

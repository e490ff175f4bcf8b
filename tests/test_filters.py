"""Gabor filter bank (Serre et al.) and filters learned by spherical k-means."""

import math

import pytest
import torch

from googlenet.book.filters import gabor_bank, gabor_kernel, learn_filters, serre_parameters
from googlenet.book.images import sample_image


def test_serre_parameters_match_their_table():
    # Serre et al. (2007), Table 1: size 7 → sigma 2.8, wavelength 3.5; size 11 → 4.5, 5.6; size 37 → 18.2, 22.8
    for size, sigma, wavelength in ((7, 2.8, 3.5), (11, 4.5, 5.6), (37, 18.2, 22.8)):
        s, w = serre_parameters(size)
        assert s == pytest.approx(sigma, abs=0.2) and w == pytest.approx(wavelength, abs=0.25)


def test_kernel_is_zero_mean_unit_norm_and_rotates():
    k0 = gabor_kernel(11, 0.0, *serre_parameters(11))
    k90 = gabor_kernel(11, math.pi / 2, *serre_parameters(11))
    assert k0.shape == (11, 11)
    assert abs(float(k0.sum())) < 1e-5 and float(k0.norm()) == pytest.approx(1, abs=1e-5)
    assert torch.allclose(k90, k0.T, atol=1e-5)  # 90° is the transpose of 0°
    assert k0[0, 0] == 0  # outside the inscribed circle


def test_bank_shapes_and_parameter_counts():
    bank = gabor_bank((7, 11, 15), orientations=4)
    assert len(bank.kernels) == 12 and len(bank.thetas) == 4
    assert [k.shape[0] for k in bank.kernels] == [7] * 4 + [11] * 4 + [15] * 4
    assert bank.trainable_parameters == 0
    assert bank.weights == 4 * (49 + 121 + 225)


def test_responses_respond_to_matching_orientation():
    # vertical stripes with the 7×7 filter's wavelength: the 0° filter (varies along x) wins
    _, wavelength = serre_parameters(7)
    x = torch.arange(64, dtype=torch.float32)
    image = torch.cos(2 * math.pi * x / wavelength).expand(64, 64).unsqueeze(0)
    r = gabor_bank((7,), orientations=4).responses(image)
    assert r.shape == (4, 64, 64)
    centre = r[:, 16:48, 16:48].mean((1, 2))
    assert int(centre.argmax()) == 0 and centre[0] > 5 * centre[2]


@pytest.mark.parametrize("size", [4, 1, 7.0])
def test_bad_kernel_size(size):
    with pytest.raises(ValueError, match="奇数"):
        gabor_kernel(size, 0.0, 2.0, 3.0)


def test_responses_reject_rgb():
    with pytest.raises(ValueError, match="单通道"):
        gabor_bank().responses(torch.zeros(3, 32, 32))


def test_learned_filters_are_edges_not_noise():
    image = sample_image(128, gray=True)
    filters = learn_filters(image, n_filters=16, n_patches=5000, iterations=10)
    assert filters.shape == (16, 8, 8)
    assert torch.allclose(filters.flatten(1).norm(dim=1), torch.ones(16), atol=1e-5)
    # edge filters are smooth: neighbouring pixels agree far more than in white noise
    smooth = (filters[:, :, 1:] * filters[:, :, :-1]).sum((1, 2)) + (filters[:, 1:] * filters[:, :-1]).sum((1, 2))
    assert float(smooth.median()) > 0.5
    assert torch.equal(filters, learn_filters(image, n_filters=16, n_patches=5000, iterations=10))


def test_learn_filters_bad_input():
    with pytest.raises(ValueError, match="单通道"):
        learn_filters(torch.zeros(3, 32, 32))
    with pytest.raises(ValueError, match="n_filters"):
        learn_filters(torch.rand(1, 32, 32), n_filters=100, n_patches=100)

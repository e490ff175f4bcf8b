"""PCA of channel vectors as a 1×1 reduction."""

import pytest
import torch

from googlenet.book.projection import (channel_pca, channel_variance_kept, pca_reduction,
                                  random_reduction_variance_kept)


def _low_rank_features(rank=3, channels=12, size=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    basis = torch.randn(channels, rank, generator=g)
    codes = torch.randn(rank, size * size, generator=g)
    return (basis @ codes).view(channels, size, size) + 5.0  # an offset the PCA must remove


def test_rank_three_features_are_kept_by_three_channels():
    f = _low_rank_features()
    pca = channel_pca(f)
    assert pca.variance_kept(3) == pytest.approx(1.0, abs=1e-9)
    assert pca.variance_kept(2) < 0.99
    assert pca.dimensions_for(0.999) == 3
    assert torch.all(pca.variances[:-1] >= pca.variances[1:])


def test_pca_reduction_is_a_1x1_convolution_that_reconstructs():
    f = _low_rank_features()
    reduce, expand = pca_reduction(channel_pca(f), 3)
    assert reduce.kernel_size == (1, 1) and reduce.out_channels == 3
    with torch.no_grad():
        y = reduce(f.unsqueeze(0))
        assert y.shape == (1, 3, 10, 10)
        assert torch.allclose(expand(y)[0], f, atol=1e-4)


def test_channel_variance_kept():
    f = _low_rank_features()
    assert torch.allclose(channel_variance_kept(f, f), torch.ones(12, dtype=torch.float64))
    means = f.mean((1, 2), keepdim=True).expand_as(f)  # predicting each channel's mean keeps nothing
    assert torch.allclose(channel_variance_kept(f, means), torch.zeros(12, dtype=torch.float64), atol=1e-9)
    dead = f.clone()
    dead[0] = 0.0  # a channel that never fires has nothing to keep
    kept = channel_variance_kept(dead, dead)
    assert torch.isnan(kept[0]) and torch.allclose(kept[1:], torch.ones(11, dtype=torch.float64))
    with pytest.raises(ValueError, match="形状相同"):
        channel_variance_kept(f, f[:3])


def test_pca_beats_random_projection():
    g = torch.Generator().manual_seed(1)
    f = torch.randn(16, 8, 8, generator=g) * torch.linspace(3, 0.1, 16).view(16, 1, 1)
    pca = channel_pca(f)
    for k in (1, 4, 8):
        assert random_reduction_variance_kept(f, k) <= pca.variance_kept(k) + 1e-9
    assert random_reduction_variance_kept(f, 16) == pytest.approx(1.0, abs=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="特征图"):
        channel_pca(torch.zeros(5, 5))
    with pytest.raises(ValueError, match="k 应为"):
        channel_pca(_low_rank_features()).variance_kept(13)
    with pytest.raises(ValueError, match="fraction"):
        channel_pca(_low_rank_features()).dimensions_for(1.5)

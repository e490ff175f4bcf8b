"""A 1×1 reduction seen as a projection: how much of a feature map survives 192 → k channels?
A 1×1 convolution maps each pixel's C-dimensional channel vector linearly to k dimensions. PCA gives
the map that keeps the most variance (§4's best k-dimensional "embedding", in the least-squares
sense); a random 1×1 convolution is the untrained baseline."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


def _pixels(features: Tensor) -> Tensor:
    """(C, H, W) or (N, C, H, W) → (pixels, C) in float64."""
    if not isinstance(features, Tensor) or features.dim() not in (3, 4):
        shape = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        raise ValueError(f"features 应为 (C, H, W) 或 (N, C, H, W) 的特征图张量，收到 {shape}")
    x = features if features.dim() == 4 else features.unsqueeze(0)
    return x.detach().double().permute(0, 2, 3, 1).reshape(-1, x.shape[1])


@dataclass(frozen=True)
class ChannelPCA:
    mean: Tensor  # (C,)
    components: Tensor  # (C, C): row i is the i-th principal direction
    variances: Tensor  # (C,), descending

    def variance_kept(self, k: int) -> float:
        """Fraction of the total variance in the first ``k`` principal directions."""
        _check_k(k, len(self.variances))
        return float(self.variances[:k].sum() / self.variances.sum())

    def dimensions_for(self, fraction: float) -> int:
        """The smallest k whose projection keeps at least ``fraction`` of the variance."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction 应在 (0, 1] 之间，收到 {fraction!r}")
        cumulative = self.variances.cumsum(0) / self.variances.sum()
        # tolerance: a fraction of exactly 1 must be reachable despite float rounding
        return int((cumulative < fraction - 1e-12).sum()) + 1


def channel_pca(features: Tensor) -> ChannelPCA:
    """PCA of the per-pixel channel vectors of ``features``."""
    x = _pixels(features)
    if x.shape[0] < 2:
        raise ValueError("至少需要 2 个像素位置才能估计协方差")
    mean = x.mean(0)
    variances, vectors = torch.linalg.eigh((x - mean).T @ (x - mean) / (x.shape[0] - 1))  # ascending
    order = variances.argsort(descending=True)
    return ChannelPCA(mean, vectors[:, order].T.contiguous(), variances[order].clamp_min(0))


def pca_reduction(pca: ChannelPCA, k: int) -> tuple[nn.Conv2d, nn.Conv2d]:
    """The best k-channel 1×1 reduction and its inverse, as two real 1×1 convolutions: reduce
    y = P (x − mean), P the first k principal directions (k×C); expand x̂ = Pᵀ y + mean (least squares)."""
    c = len(pca.mean)
    _check_k(k, c)
    p, mean = pca.components[:k].float(), pca.mean.float()
    reduce, expand = nn.Conv2d(c, k, 1), nn.Conv2d(k, c, 1)
    with torch.no_grad():
        reduce.weight.copy_(p.view(k, c, 1, 1))
        reduce.bias.copy_(-p @ mean)
        expand.weight.copy_(p.T.reshape(c, k, 1, 1))
        expand.bias.copy_(mean)
    return reduce, expand


def channel_variance_kept(original: Tensor, rebuilt: Tensor) -> Tensor:
    """Per channel (C,): 1 − squared reconstruction error / variation of the original. A channel constant
    over the map (e.g. a ReLU unit that never fires) has nothing to keep: NaN, not a misleading 0 % or 100 %."""
    if not isinstance(original, Tensor) or not isinstance(rebuilt, Tensor) or original.shape != rebuilt.shape:
        raise ValueError(f"original 与 rebuilt 应为形状相同的张量，收到 "
                         f"{getattr(original, 'shape', type(original).__name__)} 与 "
                         f"{getattr(rebuilt, 'shape', type(rebuilt).__name__)}")
    x, y = _pixels(original), _pixels(rebuilt)
    total = (x - x.mean(0)).pow(2).sum(0)
    kept = 1 - (x - y).pow(2).sum(0) / total
    return torch.where(total > 0, kept, torch.full_like(kept, float("nan")))


def random_reduction_variance_kept(features: Tensor, k: int, seed: int = 0) -> float:
    """Variance kept by a random Gaussian 1×1 reduction R to ``k`` channels, then the least-squares map
    back to C channels: the most any decoder could recover from what R keeps."""
    x = _pixels(features)
    x = x - x.mean(0)
    _check_k(k, x.shape[1])
    r = torch.randn(k, x.shape[1], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    z = x @ r.T
    residual = x - z @ torch.linalg.lstsq(z, x).solution  # decoder: (k, C)
    return float(1 - residual.pow(2).sum() / x.pow(2).sum())


def _check_k(k, channels: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= channels:
        raise ValueError(f"k 应为 1 到 {channels} 之间的整数（降维后的通道数），收到 {k!r}")

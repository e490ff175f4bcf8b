"""Fixed versus learned filters (§2: "Serre et al. [15] use a series of fixed Gabor filters of different
sizes ... all filters in the Inception model are learned"). `gabor_bank` is the S1 layer of Serre et al.'s
model; `learn_filters` learns filters from image patches without labels (Coates & Ng, 2011) and, like a
trained network's first layer, finds oriented edge detectors, in a few seconds on a CPU."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

SERRE_SIZES = tuple(range(7, 39, 2))  # 7×7 … 37×37 in steps of 2 px (16 scales)
SERRE_GAMMA = 0.3  # aspect ratio of the Gaussian envelope
ORIENTATIONS = 4  # 0°, 45°, 90°, 135°


def serre_parameters(size: int) -> tuple[float, float]:
    """(sigma, wavelength) of the S1 Gabor filter of ``size``×``size`` pixels, by Serre et al.'s formulas."""
    _check_odd_size(size)
    sigma = 0.0036 * size**2 + 0.35 * size + 0.18
    return sigma, sigma / 0.8


def gabor_kernel(size: int, theta: float, sigma: float, wavelength: float,
                 gamma: float = SERRE_GAMMA) -> Tensor:
    """One Gabor filter, zero mean and unit L2 norm, as a (size, size) float32 tensor:
    G = exp(-(X² + γ² Y²) / (2σ²)) · cos(2π X / λ), with (X, Y) the pixel offsets rotated by ``theta``;
    0 outside the inscribed circle, as in Serre et al."""
    _check_odd_size(size)
    if sigma <= 0 or wavelength <= 0:
        raise ValueError(f"sigma 与 wavelength 应为正数，收到 sigma={sigma!r}, wavelength={wavelength!r}")
    r = size // 2
    offsets = torch.arange(-r, r + 1, dtype=torch.float64)
    y, x = torch.meshgrid(offsets, offsets, indexing="ij")
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    g = torch.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * torch.cos(2 * math.pi * xr / wavelength)
    inside = x**2 + y**2 <= r**2
    g = torch.where(inside, g, torch.zeros_like(g))
    g[inside] -= g[inside].mean()
    return (g / g.norm()).float()


@dataclass(frozen=True)
class GaborBank:
    """A fixed, multi-scale filter bank: one kernel per (size, orientation)."""
    sizes: tuple[int, ...]
    thetas: tuple[float, ...]  # radians
    kernels: tuple[Tensor, ...]  # in order: for each size, every orientation

    @property
    def trainable_parameters(self) -> int:
        return 0  # nothing here is learned

    @property
    def weights(self) -> int:
        """How many weights a learnable convolution of the same shapes would have to learn."""
        return sum(k.numel() for k in self.kernels)

    def responses(self, image: Tensor) -> Tensor:
        """|filter ∗ image| for every kernel: (len(kernels), H, W) for a (1, H, W) gray image. The absolute
        value (Serre et al.'s S1 units) makes both polarities of an edge excite the same unit."""
        _check_gray(image)
        x = image.unsqueeze(0).float()
        maps = []
        for size in self.sizes:
            group = torch.stack([k for k in self.kernels if k.shape[0] == size]).unsqueeze(1)
            maps.append(F.conv2d(x, group, padding=size // 2)[0].abs())
        return torch.cat(maps)


def gabor_bank(sizes: tuple[int, ...] = (7, 11, 15), orientations: int = ORIENTATIONS) -> GaborBank:
    """Serre et al.'s S1 filters at the given sizes and ``orientations`` evenly spaced angles."""
    if not sizes:
        raise ValueError("sizes 不能为空：至少需要一种滤波器尺寸")
    if not isinstance(orientations, int) or orientations < 1:
        raise ValueError(f"orientations 应为正整数，收到 {orientations!r}")
    thetas = tuple(math.pi * i / orientations for i in range(orientations))
    kernels = [gabor_kernel(size, t, *serre_parameters(size)) for size in sizes for t in thetas]
    return GaborBank(tuple(sizes), thetas, tuple(kernels))


def learn_filters(image: Tensor, n_filters: int = 32, patch: int = 8, n_patches: int = 20000,
                  iterations: int = 30, seed: int = 0, keep: float = 0.5) -> Tensor:
    """(n_filters, patch, patch) unit-norm filters (in whitened space) learned from a gray image, no labels.
    Coates & Ng (2011): random patches (only the ``keep`` fraction with most contrast: flat background holds
    only JPEG noise, which whitening would amplify), normalised and ZCA-whitened (so that the correlation of
    neighbouring pixels does not dominate), then spherical k-means."""
    _check_gray(image)
    h, w = image.shape[1:]
    if not (2 <= patch <= min(h, w)):
        raise ValueError(f"patch 应在 2 到图像边长 {min(h, w)} 之间，收到 {patch!r}")
    if not 0 < keep <= 1:
        raise ValueError(f"keep 应在 (0, 1] 之间（保留的图像块比例），收到 {keep!r}")
    if n_filters < 1 or n_patches * keep < n_filters:
        raise ValueError(f"需要 1 ≤ n_filters ≤ n_patches × keep，收到 n_filters={n_filters}, "
                         f"n_patches={n_patches}, keep={keep}")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, h - patch + 1, n_patches)
    cols = rng.integers(0, w - patch + 1, n_patches)
    windows = np.lib.stride_tricks.sliding_window_view(image[0].double().numpy(), (patch, patch))
    X = windows[rows, cols].reshape(n_patches, -1)
    contrast = X.std(1)
    X = X[contrast >= np.quantile(contrast, 1 - keep)]
    # brightness/contrast normalisation; the epsilon is Coates & Ng's 10 on a 0-255 scale
    X = (X - X.mean(1, keepdims=True)) / np.sqrt(X.var(1, keepdims=True) + 10 / 255**2)
    eigval, eigvec = np.linalg.eigh(np.cov(X, rowvar=False))
    X = (X - X.mean(0)) @ (eigvec @ np.diag(1 / np.sqrt(eigval + 0.1)) @ eigvec.T)  # ZCA whitening
    # spherical k-means: each patch votes for the filter it correlates with most, which moves towards it
    D = X[rng.choice(len(X), n_filters, replace=False)]
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    index = np.arange(len(X))
    for _ in range(iterations):
        S = X @ D.T  # (patches, filters)
        best = np.abs(S).argmax(1)
        code = np.zeros_like(S)
        code[index, best] = S[index, best]
        D = code.T @ X + D
        empty = np.bincount(best, minlength=n_filters) == 0
        D[empty] = X[rng.choice(len(X), int(empty.sum()), replace=False)]  # restart unused filters
        D /= np.linalg.norm(D, axis=1, keepdims=True)
    return torch.from_numpy(D.reshape(n_filters, patch, patch)).float()


def _check_gray(image) -> None:
    if not isinstance(image, Tensor) or image.dim() != 3 or image.shape[0] != 1:
        shape = tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__
        raise ValueError(f"image 应为形状 (1, H, W) 的单通道灰度张量，收到 {shape}")


def _check_odd_size(size) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 3 or size % 2 == 0:
        raise ValueError(f"滤波器尺寸应为不小于 3 的奇数，收到 {size!r}")

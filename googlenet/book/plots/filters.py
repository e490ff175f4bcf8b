"""Figures for notebook 02 (§2, Network-in-Network): filter banks and the feature maps they make."""

from __future__ import annotations

import numpy as np

from ._style import _grid, _finish, _as_images


def show_filters(kernels, *, ncols: int, titles=None, suptitle: str = "", pad_to_largest: bool = True,
                 cmap: str = "gray"):
    """A grid of 2-D filters; with ``pad_to_largest`` each is zero-padded to the largest, so sizes compare by eye."""
    images = _as_images(kernels)
    if not images:
        raise ValueError("kernels 不能为空")
    if pad_to_largest:
        side = max(max(i.shape) for i in images)
        images = [np.pad(i, [((side - s) // 2, side - s - (side - s) // 2) for s in i.shape]) for i in images]
    fig, axes = _grid(len(images), ncols, (1.3, 1.3), 0.5 if suptitle else 0, titles, fontsize=8)
    for image, ax in zip(images, axes):
        lim = np.abs(image).max() or 1.0
        ax.imshow(image, cmap=cmap, vmin=-lim, vmax=lim)
    return _finish(fig, suptitle)


def show_maps(maps, *, ncols: int, titles=None, suptitle: str = "", cmap: str = "viridis",
              share_scale: bool = False, size: float = 1.9):
    """A grid of 2-D maps (feature maps, filter responses, gray images); an RGB image as an (H, W, 3) array."""
    images = _as_images(maps)
    fig, axes = _grid(len(images), ncols, (size, size), 0.45 if suptitle else 0, titles, fontsize=8.5)
    vmin = min(i.min() for i in images) if share_scale else None
    vmax = max(i.max() for i in images) if share_scale else None
    for image, ax in zip(images, axes):
        if image.ndim == 3:  # RGB
            ax.imshow(np.clip(image, 0, 1))
        else:
            ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax)
    return _finish(fig, suptitle)

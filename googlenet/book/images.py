"""A real photograph for the notebooks, offline on every machine: matplotlib ships Grace Hopper's
portrait (a U.S. Navy photo, public domain) as sample data, so no download is needed to show what
a filter or a 1×1 reduction does to a real image."""

from __future__ import annotations

import matplotlib.cbook
import numpy as np
import torch
from PIL import Image

from ..data import IMAGENET_MEAN, IMAGENET_STD

SAMPLE_IMAGE = "grace_hopper.jpg"


def sample_image(size: int = 224, *, gray: bool = False, normalize: bool = False) -> torch.Tensor:
    """Grace Hopper's portrait (512×600), centre-cropped to a square and resized (bicubic), as a
    float tensor (C, size, size) in [0, 1]. ``gray=True``: one channel (ITU-R 601 luma);
    ``normalize=True``: minus the ImageNet mean, over its std, per channel (RGB only), as a network expects."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 8:
        raise ValueError(f"size 应为不小于 8 的整数（图像边长，像素），收到 {size!r}")
    if gray and normalize:
        raise ValueError("normalize=True 只适用于 RGB 图像（ImageNet 的均值与标准差是按三个通道给出的），"
                         "请不要同时指定 gray=True")
    with matplotlib.cbook.get_sample_data(SAMPLE_IMAGE) as f:
        image = Image.open(f)
        image.load()
    image = image.convert("L" if gray else "RGB")
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    bicubic = getattr(Image, "Resampling", Image).BICUBIC  # Image.Resampling needs Pillow ≥ 9.1
    image = image.crop((left, top, left + side, top + side)).resize((size, size), bicubic)
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)
    x = x.unsqueeze(0) if gray else x.permute(2, 0, 1).contiguous()
    if normalize:
        x = (x - torch.tensor(IMAGENET_MEAN).view(3, 1, 1)) / torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return x

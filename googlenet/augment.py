"""§6's training-time image sampling, as transforms on float C×H×W tensors in [0, 1]. What §6 says "was
verified to work very well after the competition":

* patches whose **area is uniform in 8 %–100 %** of the image and whose **aspect ratio is in 3/4–4/3**
  (`RandomResizedCrop`, torchvision's sampler with `googlenet.paper.TRAINING`'s constants);
* Andrew Howard's **photometric distortions** (`PhotometricDistortion`; on grey images only brightness and contrast);
* **random interpolation**: bilinear, area, nearest or bicubic with equal probability (`resize`); flips.

Randomness comes from torch's global generator, so `torch.manual_seed` reproduces a run. ``"paper"`` is §6
as written, for hundreds of epochs on ImageNet; the book's runs of a few epochs still underfit, and crops
only make the task harder, so they use ``"light"``: the whole image, random interpolation, mild distortion,
flips. `benchmarks/augmentation_short_runs.py` measures what each strength costs (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.transforms import RandomResizedCrop as _TorchvisionRRC
from torchvision.transforms import v2

from . import paper
from .data import normalization

INTERPOLATIONS = paper.TRAINING.interpolations  # ("bilinear", "area", "nearest", "bicubic")
INTERPOLATION_NAMES_ZH = {"bilinear": "双线性", "area": "区域", "nearest": "最近邻", "bicubic": "双三次"}
STRENGTHS = ("paper", "light", "none")


def _check_size(size) -> tuple[int, int]:
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return size, size
    if (isinstance(size, Sequence) and len(size) == 2
            and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)):
        return int(size[0]), int(size[1])
    raise ValueError(f"size 应为正整数或 (高, 宽) 两个正整数，收到 {size!r}")


def _check_image(img) -> None:
    if not isinstance(img, Tensor) or img.dim() != 3 or not img.is_floating_point():
        shape = tuple(img.shape) if isinstance(img, Tensor) else type(img).__name__
        raise ValueError(f"图像应为 C×H×W 的浮点张量（取值 0–1），收到 {shape}")


def resize(img: Tensor, size: int | tuple[int, int], interpolation: str = "bilinear") -> Tensor:
    """Resize a C×H×W image in [0, 1] with one of §6's four interpolations: antialiased ``"bilinear"`` or
    ``"bicubic"`` (clipped back to [0, 1]), ``"nearest"`` (PIL's pixel-centre rule) or ``"area"`` (mean of
    the covered source pixels, OpenCV's INTER_AREA; enlarging 28-px Fashion-MNIST it looks close to nearest)."""
    _check_image(img)
    size = _check_size(size)
    x = img.unsqueeze(0)
    if interpolation == "bilinear":
        y = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    elif interpolation == "bicubic":
        y = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True).clamp_(0, 1)
    elif interpolation == "nearest":
        y = F.interpolate(x, size=size, mode="nearest-exact")
    elif interpolation == "area":
        y = F.interpolate(x, size=size, mode="area")
    else:
        raise ValueError(f"interpolation 应为 {', '.join(INTERPOLATIONS)} 之一，收到 {interpolation!r}")
    return y.squeeze(0)


class RandomResizedCrop:
    """§6's patch sampling: area uniform in ``scale``, aspect ratio log-uniform in ``ratio``, resized to
    ``size`` with an interpolation drawn from ``interpolations``. The sampler is torchvision's; a patch that
    does not fit is redrawn, so on a square image areas above 3/4 come up a little less often than uniform."""

    def __init__(self, size: int | tuple[int, int], scale: tuple[float, float] = paper.TRAINING.crop_area,
                 ratio: tuple[float, float] = paper.TRAINING.crop_aspect,
                 interpolations: Sequence[str] = INTERPOLATIONS):
        self.size = _check_size(size)
        if not (len(scale) == 2 and 0 < scale[0] <= scale[1] <= 1):
            raise ValueError(f"scale 应为 0 < 下限 ≤ 上限 ≤ 1 的面积比例区间，收到 {scale!r}")
        if not (len(ratio) == 2 and 0 < ratio[0] <= ratio[1]):
            raise ValueError(f"ratio 应为 0 < 下限 ≤ 上限 的宽高比区间，收到 {ratio!r}")
        bad = [m for m in interpolations if m not in INTERPOLATIONS]
        if not interpolations or bad:
            raise ValueError(f"interpolations 应为 {INTERPOLATIONS} 中的若干个，收到 {tuple(interpolations)!r}")
        self.scale, self.ratio, self.interpolations = tuple(scale), tuple(ratio), tuple(interpolations)

    def sample(self, img: Tensor) -> tuple[int, int, int, int, str]:
        """Draw (top, left, height, width, interpolation) for ``img``."""
        _check_image(img)
        top, left, h, w = _TorchvisionRRC.get_params(img, list(self.scale), list(self.ratio))
        mode = self.interpolations[int(torch.randint(len(self.interpolations), ()))]
        return top, left, h, w, mode

    def apply(self, img: Tensor, params: tuple[int, int, int, int, str]) -> Tensor:
        top, left, h, w, mode = params
        return resize(img[:, top:top + h, left:left + w], self.size, mode)

    def __call__(self, img: Tensor) -> Tensor:
        return self.apply(img, self.sample(img))

    def __repr__(self) -> str:
        return (f"RandomResizedCrop(size={self.size}, scale={self.scale}, "
                f"ratio=({self.ratio[0]:.3f}, {self.ratio[1]:.3f}), interpolations={self.interpolations})")


class PhotometricDistortion:
    """Howard-style photometric distortion: brightness, contrast and (RGB only) saturation factors
    drawn from [1 − s, 1 + s], applied in random order (torchvision's ColorJitter)."""

    def __init__(self, brightness: float = 0.4, contrast: float = 0.4, saturation: float = 0.4):
        for name, value in (("brightness", brightness), ("contrast", contrast), ("saturation", saturation)):
            if not 0 <= value < 1:
                raise ValueError(f"{name} 应在 [0, 1) 之间，收到 {value!r}")
        self.brightness, self.contrast, self.saturation = brightness, contrast, saturation
        self._grey = v2.ColorJitter(brightness=brightness, contrast=contrast)
        self._rgb = v2.ColorJitter(brightness=brightness, contrast=contrast, saturation=saturation)

    def __call__(self, img: Tensor) -> Tensor:
        _check_image(img)
        return (self._rgb if img.shape[0] == 3 else self._grey)(img)

    def __repr__(self) -> str:
        return (f"PhotometricDistortion(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation})")


class CenterResize:
    """Evaluation: shorter side to ``size`` (bilinear), then the central ``size``×``size`` square."""

    def __init__(self, size: int):
        self.size = _check_size(size)[0]

    def __call__(self, img: Tensor) -> Tensor:
        _check_image(img)
        h, w = img.shape[-2:]
        scale = self.size / min(h, w)
        new_h, new_w = max(self.size, round(h * scale)), max(self.size, round(w * scale))
        img = resize(img, (new_h, new_w), "bilinear")
        top, left = (new_h - self.size) // 2, (new_w - self.size) // 2
        return img[:, top:top + self.size, left:left + self.size]

    def __repr__(self) -> str:
        return f"CenterResize({self.size})"


STRENGTH_PARAMS = {
    # §6 as written; Howard's distortions at the strength commonly used with them.
    "paper": {"scale": paper.TRAINING.crop_area, "brightness": 0.4, "contrast": 0.4, "saturation": 0.4},
    # For runs of a few epochs (see the module docstring): no cropping, mild photometric distortion.
    "light": {"scale": (1.0, 1.0), "ratio": (1.0, 1.0), "brightness": 0.1, "contrast": 0.1, "saturation": 0.1},
}


def train_transform(image_size: int, channels: int = 1, strength: str = "light", *,
                    normalize: bool = True) -> v2.Compose:
    """§6 crop with random interpolation, photometric distortion, horizontal flip, normalisation.
    ``strength="none"`` only resizes and normalises; ``normalize=False`` leaves images in [0, 1] (to view)."""
    if strength not in STRENGTHS:
        raise ValueError(f"strength 应为 {', '.join(STRENGTHS)} 之一，收到 {strength!r}")
    mean, std = normalization(channels)
    last = [v2.Normalize(mean, std)] if normalize else []
    if strength == "none":
        return v2.Compose([CenterResize(image_size), *last])
    p = STRENGTH_PARAMS[strength]
    return v2.Compose([
        RandomResizedCrop(image_size, scale=p["scale"], ratio=p.get("ratio", paper.TRAINING.crop_aspect)),
        PhotometricDistortion(p["brightness"], p["contrast"], p["saturation"]),
        v2.RandomHorizontalFlip(0.5),
        *last,
    ])


def eval_transform(image_size: int, channels: int = 1) -> v2.Compose:
    """The evaluation transform: `CenterResize` (the whole image for square inputs) and normalisation."""
    mean, std = normalization(channels)
    return v2.Compose([CenterResize(image_size), v2.Normalize(mean, std)])


def to_model_input(images: Tensor, image_size: int) -> Tensor:
    """uint8 images (N×H×W grey or N×H×W×3 RGB) → the normalised N×C×S×S batch `eval_transform`
    makes of them (for raw images in notebooks and detection's region crops)."""
    if not isinstance(images, Tensor) or images.dtype != torch.uint8 or images.dim() not in (3, 4):
        raise ValueError(f"images 应为 uint8 的 N×H×W 或 N×H×W×3 张量，收到 "
                         f"{tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__}")
    x = images.unsqueeze(1) if images.dim() == 3 else images.permute(0, 3, 1, 2)
    transform = eval_transform(image_size, x.shape[1])
    return torch.stack([transform(img.float().div(255)) for img in x])

"""torchvision's ImageNet weights for GoogLeNet, downloaded only when asked and never hanging offline.

`imagenet_googlenet` fetches ``GoogLeNet_Weights.IMAGENET1K_V1`` (top-1 69.78 %, top-5 89.53 % on ImageNet's val set,
as torchvision reports) via torch hub's cache into our ``GoogLeNet(variant="torchvision", transform_input=True)``: the
weights, ported from TensorFlow, take inputs in [-1, 1], which ``transform_input`` makes of ImageNet-normalised ones."""

from __future__ import annotations

from pathlib import Path

import torch

from ..model import GoogLeNet
from .downloads import DOWNLOAD_TIMEOUT_S, socket_timeout


def weights_url() -> str:
    """Where torchvision keeps its ImageNet GoogLeNet weights."""
    from torchvision.models import GoogLeNet_Weights

    return GoogLeNet_Weights.IMAGENET1K_V1.url


def imagenet_categories() -> tuple[str, ...]:
    """ImageNet-1k's 1000 class names (English), in the order of the model's outputs."""
    from torchvision.models import GoogLeNet_Weights

    return tuple(GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])


def download(url: str, directory: str | Path, timeout: float = DOWNLOAD_TIMEOUT_S) -> dict:
    """The state dict at ``url``, via torch hub's cache in ``directory`` (kept if there). torch hub writes it atomically
    and checks the SHA-256 prefix in its name (``name-<sha256 prefix>.pth``); we add the timeout and Chinese errors."""
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"timeout 应为正数（秒），收到 {timeout!r}")
    name = url.rstrip("/").rsplit("/", 1)[-1]
    try:
        with socket_timeout(timeout):
            return torch.hub.load_state_dict_from_url(url, model_dir=str(directory), map_location="cpu",
                                                      check_hash=True, weights_only=True, progress=False)
    except RuntimeError as err:
        if "invalid hash value" in str(err):
            raise ValueError(f"下载的 {url} 校验失败：文件名要求的 SHA-256 前缀与内容不符"
                             f"（下载不完整或被篡改），请重试") from err
        raise
    except OSError as err:  # URLError, timed out, refused, DNS ...
        reason = getattr(err, "reason", err)
        raise ConnectionError(f"下载 {url} 失败（{type(err).__name__}: {str(reason).strip()[:200]}）："
                              f"这一步需要联网下载 torchvision 的 ImageNet 预训练权重（约 50 MB），"
                              f"这台机器似乎无法联网或在 {timeout:g} 秒内没有响应。请联网后重试，"
                              f"或把文件 {name} 放进 {directory}") from err


def imagenet_googlenet(timeout: float = DOWNLOAD_TIMEOUT_S, *, url: str | None = None,
                       cache_dir: str | Path | None = None) -> GoogLeNet:
    """Our torchvision-variant GoogLeNet with torchvision's ImageNet weights, in eval mode.

    Inputs: RGB images normalised with ImageNet's mean and std. ``timeout``: seconds the download may wait on the
    network; ``url``: default `weights_url()` (tests pass a ``file://``); ``cache_dir``: default torch hub's
    ``checkpoints`` (shared with torchvision). Aux heads load if the file has them (torchvision's does; untrained)."""
    url = url or weights_url()
    cache_dir = Path(cache_dir) if cache_dir is not None else Path(torch.hub.get_dir()) / "checkpoints"
    state = download(url, cache_dir, timeout)
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise ValueError(f"{url} 不是 GoogLeNet 的 state_dict（找不到 fc.weight）")
    model = GoogLeNet(num_classes=state["fc.weight"].shape[0], variant="torchvision",
                      transform_input=True, aux_logits=any(k.startswith("aux1.") for k in state))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"{url} 的权重与 torchvision 版 GoogLeNet 不符（也许是论文版的权重？）："
                         f"{str(err).splitlines()[0][:200]}") from err
    return model.eval()

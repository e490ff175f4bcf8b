"""torchvision's ImageNet weights for GoogLeNet: downloaded only when asked, never hanging offline.

`imagenet_googlenet` fetches ``GoogLeNet_Weights.IMAGENET1K_V1`` (top-1 69.78 %, top-5
89.53 % on ImageNet's validation set, as torchvision reports) into torch hub's cache, the
same file torchvision itself would use, and loads it into our
``GoogLeNet(variant="torchvision", transform_input=True)``. Those weights were ported from
TensorFlow and expect inputs scaled to [-1, 1]; ``transform_input=True`` converts the usual
ImageNet-normalised input (``googlenet.data.IMAGENET_MEAN/STD``) to that scaling.

The download runs under a socket timeout: on a machine without internet it fails within
``timeout`` seconds with a Chinese ``ConnectionError`` instead of hanging.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import torch

from ..model import GoogLeNet

DOWNLOAD_TIMEOUT_S = 20.0
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{8,})\.")  # torch hub's convention: name-<sha256 prefix>.pth


def weights_url() -> str:
    """Where torchvision keeps its ImageNet GoogLeNet weights."""
    from torchvision.models import GoogLeNet_Weights

    return GoogLeNet_Weights.IMAGENET1K_V1.url


def imagenet_categories() -> tuple[str, ...]:
    """ImageNet-1k's 1000 class names (English), in the order of the model's outputs."""
    from torchvision.models import GoogLeNet_Weights

    return tuple(GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])


def download(url: str, directory: str | Path, timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """``url`` saved into ``directory`` under its own file name (kept if already there)."""
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"timeout 应为正数（秒），收到 {timeout!r}")
    directory = Path(directory)
    name = Path(urllib.parse.urlparse(url).path).name
    if not name:
        raise ValueError(f"无法从网址 {url!r} 得到文件名")
    path = directory / name
    if path.is_file():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as f:
                    while block := response.read(1 << 20):
                        f.write(block)
                _check_hash(Path(tmp), name, url)
                os.replace(tmp, path)  # atomic: a half-written file never looks complete
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    except (urllib.error.URLError, OSError) as err:  # offline, refused, timed out, DNS ...
        reason = getattr(err, "reason", err)
        raise ConnectionError(f"下载 {url} 失败（{type(err).__name__}: {str(reason).strip()[:200]}）："
                              f"这一步需要联网下载 torchvision 的 ImageNet 预训练权重（约 50 MB），"
                              f"这台机器似乎无法联网或在 {timeout:g} 秒内没有响应。请联网后重试，"
                              f"或把文件 {name} 放进 {directory}") from err
    return path


def _check_hash(path: Path, name: str, url: str) -> None:
    m = _HASH_IN_NAME.search(name)
    if not m:
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if not digest.startswith(m.group(1)):
        raise ValueError(f"下载的 {url} 校验失败：文件名要求 SHA-256 以 {m.group(1)} 开头，"
                         f"实际为 {digest[:16]}…（下载不完整或被篡改），请重试")


def imagenet_googlenet(timeout: float = DOWNLOAD_TIMEOUT_S, *, url: str | None = None,
                       cache_dir: str | Path | None = None) -> GoogLeNet:
    """Our torchvision-variant GoogLeNet with torchvision's ImageNet weights, in eval mode.

    Args:
        timeout: seconds the download may wait on the network before giving up.
        url: where to fetch the state dict (default `weights_url()`; tests pass a ``file://``).
        cache_dir: where to keep it (default torch hub's ``checkpoints`` directory, shared
            with torchvision, so weights torchvision already downloaded are reused).

    Inputs: RGB float images normalised with ImageNet's mean and std. The auxiliary heads are
    loaded when the file holds them (torchvision's does; it notes they were never trained).
    """
    url = url or weights_url()
    cache_dir = Path(cache_dir) if cache_dir is not None else Path(torch.hub.get_dir()) / "checkpoints"
    path = download(url, cache_dir, timeout)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise ValueError(f"{path} 不是 GoogLeNet 的 state_dict（找不到 fc.weight）")
    model = GoogLeNet(num_classes=state["fc.weight"].shape[0], variant="torchvision",
                      transform_input=True, aux_logits=any(k.startswith("aux1.") for k in state))
    model.load_state_dict(state, strict=True)
    return model.eval()

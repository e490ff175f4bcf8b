"""Where training runs and in which precision: `resolve_device`, `resolve_precision`, `autocast`.

``precision="auto"`` is fp16 mixed precision on CUDA (the training loop adds a GradScaler); on a CPU with native
bfloat16 it is whichever of fp32 and bf16 is faster in a few timed training steps, since a CPU that supports bf16 is
not always faster in it (without AMX it can be slower); elsewhere fp32."""

from __future__ import annotations

import time

import torch
from torch import nn

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_AUTOCAST_DTYPE = {"bf16": torch.bfloat16, "fp16": torch.float16}
_probe_cache: dict[tuple, str] = {}


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None``/"auto": the GPU if there is one, else the CPU. A GPU that is not there is an error."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device 应为 'cpu'、'cuda'、'cuda:0' 或 'auto'，收到 {device!r}")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r}：这台机器没有可用的 CUDA GPU（或 PyTorch 不是 CUDA 版本）；"
                             "请改用 --device cpu，或 --device auto（有 GPU 就用 GPU）")
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"device={device!r}：这台机器只有 {count} 块 GPU（编号 0 到 {count - 1}）")
    return resolved


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX) that oneDNN can use."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and (
            torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # private APIs: absent in some torch versions
        return False


def autocast(device: torch.device, precision: str):
    """The autocast context for a resolved precision (a no-op for fp32)."""
    dtype = _AUTOCAST_DTYPE.get(precision)
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


def resolve_precision(precision: str, device: torch.device, model: nn.Module | None = None,
                      batch: torch.Tensor | None = None) -> str:
    """"fp32", "bf16" or "fp16" for ``precision`` ("auto" or one of those) on ``device``: "auto" is fp16 on CUDA;
    on a CPU with native bf16 it times ``model`` on ``batch`` (`measure_precision`); otherwise fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision 应为 {', '.join(PRECISIONS)} 之一，收到 {precision!r}")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "fp16"
    if device.type == "cpu" and cpu_has_native_bf16() and model is not None and batch is not None:
        return measure_precision(model, batch, device)
    return "fp32"


def measure_precision(model: nn.Module, batch: torch.Tensor, device: torch.device, *, steps: int = 3) -> str:
    """The faster of fp32 and bf16 for a forward+backward pass of ``model`` on ``batch`` (cached): interleaved,
    after a warm-up step each (the first bf16 step builds oneDNN's kernels), median of ``steps``; bf16 must be 5 %
    faster to win over exact fp32. Weights and batch-norm statistics are restored, gradients cleared."""
    key = (device.type, tuple(batch.shape), type(model).__name__,
           sum(p.numel() for p in model.parameters()), torch.get_num_threads())
    if key in _probe_cache:
        return _probe_cache[key]
    was_training = model.training
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train()
    batch = batch.to(device)
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for i in range(1 + steps):
        for precision in times:
            start = time.perf_counter()
            with autocast(device, precision):
                out = model(batch)
            (out[0] if isinstance(out, tuple) else out).float().sum().backward()
            if i > 0:  # step 0 is the warm-up
                times[precision].append(time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    model.load_state_dict(saved)  # the probe's steps moved the batch-norm statistics
    model.train(was_training)
    median = {p: sorted(t)[len(t) // 2] for p, t in times.items()}
    _probe_cache[key] = "bf16" if median["bf16"] < 0.95 * median["fp32"] else "fp32"
    return _probe_cache[key]

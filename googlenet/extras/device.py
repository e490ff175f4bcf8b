"""Where training runs and in which precision: `resolve_device`, `resolve_precision`, `autocast`.

``precision="auto"`` is decided by measurement, not by a rule about CPU features: a CPU that
*supports* bfloat16 (AVX512-BF16) is not always faster in it. On the book's reference 2-core CPU
(AVX512-BF16, no AMX) a GoogLeNet training step ran at 0.75-0.8× the fp32 speed in bf16, while
CPUs with AMX tiles are reportedly faster. So on a CPU with native bf16, "auto" times a few
training steps of the actual model in both precisions and keeps the faster one (cached per model
shape and batch, about 10 s once per process); on CUDA it is fp16 mixed precision (with a
GradScaler in the training loop); elsewhere fp32. `benchmarks/bench_model.py` reports the same
bf16/fp32 ratio side by side.
"""

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
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device 应为 'cpu'、'cuda'、'cuda:0' 或 'auto'，收到 {device!r}") from err
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r}：这台机器没有可用的 CUDA GPU（或 PyTorch 不是 CUDA 版本）；"
                             "请改用 --device cpu，或 --device auto（有 GPU 就用 GPU）")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}：这台机器只有 {torch.cuda.device_count()} 块 GPU"
                             f"（编号 0 到 {torch.cuda.device_count() - 1}）")
    elif resolved.type != "cpu":
        raise ValueError(f"device 应为 'cpu'、'cuda'、'cuda:0' 或 'auto'，收到 {device!r}")
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
    """"fp32", "bf16" or "fp16" for ``precision`` ("auto" or one of those) on ``device``.

    For "auto" on a CPU with native bf16, ``model`` and an example ``batch`` are timed in both
    precisions (`measure_precision`); without them the safe choice is fp32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision 应为 {', '.join(PRECISIONS)} 之一，收到 {precision!r}")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "fp16"
    if device.type == "cpu" and cpu_has_native_bf16() and model is not None and batch is not None:
        return measure_precision(model, batch, device)
    return "fp32"


def measure_precision(model: nn.Module, batch: torch.Tensor, device: torch.device, *,
                      steps: int = 3) -> str:
    """The faster of fp32 and bf16 for a forward+backward pass of ``model`` on ``batch`` (cached).

    Interleaved timing (fp32, bf16, fp32, bf16 ...) after one warm-up step each, median of
    ``steps``; bf16 must be at least 5 % faster to be chosen, since fp32 is exact and the
    default. The model is left as it was: weights, batch-norm statistics, no gradients.
    """
    key = (device.type, tuple(batch.shape), type(model).__name__,
           sum(p.numel() for p in model.parameters()), torch.get_num_threads())
    if key in _probe_cache:
        return _probe_cache[key]
    was_training = model.training
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train()
    batch = batch.to(device)
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}

    def step(precision: str) -> float:
        start = time.perf_counter()
        with autocast(device, precision):
            out = model(batch)
        logits = out[0] if isinstance(out, tuple) else out
        logits.float().sum().backward()
        return time.perf_counter() - start

    for precision in times:  # warm-up: the first bf16 step also builds oneDNN's kernels
        step(precision)
    for _ in range(steps):
        for precision in times:
            times[precision].append(step(precision))
    model.zero_grad(set_to_none=True)
    model.load_state_dict(saved)  # the probe's steps moved the batch-norm statistics
    model.train(was_training)
    median = {p: sorted(t)[len(t) // 2] for p, t in times.items()}
    choice = "bf16" if median["bf16"] < 0.95 * median["fp32"] else "fp32"
    _probe_cache[key] = choice
    return choice

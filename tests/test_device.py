"""googlenet.extras.device: device checks in Chinese, and precision "auto" chosen by measurement."""

import time

import pytest
import torch
from torch import nn

from googlenet.extras import device as D


class _Timed(nn.Module):
    """A model whose step takes longer in one precision (autocast on = bf16)."""

    def __init__(self, slow_in_bf16: bool):
        super().__init__()
        self.lin = nn.Linear(4, 2)
        self.bn = nn.BatchNorm1d(4)
        self.slow_in_bf16 = slow_in_bf16

    def forward(self, x):
        bf16 = torch.is_autocast_enabled("cpu")
        time.sleep(0.1 if bf16 == self.slow_in_bf16 else 0.0)
        return self.lin(self.bn(x))


@pytest.mark.parametrize("slow_in_bf16, expected", [(True, "fp32"), (False, "bf16")])
def test_auto_precision_keeps_the_faster_one(monkeypatch, slow_in_bf16, expected):
    monkeypatch.setattr(D, "cpu_has_native_bf16", lambda: True)
    monkeypatch.setattr(D, "_probe_cache", {})
    model = _Timed(slow_in_bf16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert D.resolve_precision("auto", torch.device("cpu"), model, torch.randn(8, 4)) == expected
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # batch-norm statistics restored
    assert all(p.grad is None for p in model.parameters())


def test_auto_is_fp32_without_native_bf16_or_without_a_model(monkeypatch):
    monkeypatch.setattr(D, "cpu_has_native_bf16", lambda: False)
    assert D.resolve_precision("auto", torch.device("cpu"), _Timed(False), torch.randn(8, 4)) == "fp32"
    monkeypatch.setattr(D, "cpu_has_native_bf16", lambda: True)
    assert D.resolve_precision("auto", torch.device("cpu")) == "fp32"
    assert D.resolve_precision("auto", torch.device("cuda")) == "fp16"
    assert D.resolve_precision("bf16", torch.device("cpu")) == "bf16"  # asked for: no probe
    with pytest.raises(ValueError, match="precision 应为.*收到 'int8'"):
        D.resolve_precision("int8", torch.device("cpu"))


def test_a_gpu_that_is_not_there_is_a_chinese_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device='cuda'：这台机器没有可用的 CUDA GPU"):
        D.resolve_device("cuda")
    assert D.resolve_device("auto").type == "cpu"
    with pytest.raises(ValueError, match="device 应为.*收到 'tpu'"):
        D.resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match="只有 1 块 GPU"):
        D.resolve_device("cuda:3")

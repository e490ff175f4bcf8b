"""§3's two arguments about computation, measured: widening ("any uniform increase in the number
of their filters results in a quadratic increase of computation", `widening_costs`) and sparsity
("the overhead of lookups and cache misses is so dominant that switching to sparse matrices would
not pay off", `time_matmul`: torch's CSR/COO products against the dense one)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from ..cost import layer_costs

# The timed W (rows×inner, sparse) @ X (inner×cols, dense): a 1×1 conv, 1024 → 1024 channels on 28×28.
ROWS, INNER, COLS = 1024, 1024, 28 * 28
DENSITIES = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)


@dataclass(frozen=True)
class ChainCost:
    """Multiply-adds of two chained convolutions with ``c1`` and ``c2`` filters."""
    c1: int
    c2: int
    first: int  # in_channels → c1: linear in c1
    second: int  # c1 → c2: proportional to c1·c2, hence quadratic when both grow

    @property
    def width(self) -> int:
        return self.c1

    @property
    def total(self) -> int:
        return self.first + self.second


def chained_convs(c1: int, c2: int | None = None, in_channels: int = 64, kernel: int = 3) -> nn.Sequential:
    """Two k×k convolutions (stride 1, "same" padding) with ``c1`` and ``c2`` (default c1) filters."""
    c2 = c1 if c2 is None else c2
    for name, v in (("c1", c1), ("c2", c2), ("in_channels", in_channels), ("kernel", kernel)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} 应为正整数，收到 {v!r}")
    return nn.Sequential(nn.Conv2d(in_channels, c1, kernel, padding=kernel // 2), nn.ReLU(),
                         nn.Conv2d(c1, c2, kernel, padding=kernel // 2), nn.ReLU())


def chain_cost(c1: int, c2: int | None = None, in_channels: int = 64, size: int = 28,
               kernel: int = 3) -> ChainCost:
    """Cost of `chained_convs` on a ``size``×``size`` map, built on "meta" (shapes only): free at any width."""
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size 应为正整数（特征图边长），收到 {size!r}")
    with torch.device("meta"):
        convs = chained_convs(c1, c2, in_channels, kernel)
    first, second = layer_costs(convs, (in_channels, size, size))
    return ChainCost(c1, convs[2].out_channels, first.multiply_adds, second.multiply_adds)


def widening_costs(widths: Sequence[int], in_channels: int = 64, size: int = 28,
                   kernel: int = 3) -> list[ChainCost]:
    """`chain_cost` with both layers ``width`` wide, for each width: §3's uniform widening."""
    return [chain_cost(width, width, in_channels, size, kernel) for width in widths]


@dataclass(frozen=True)
class SparseTiming:
    """One density: best-of-``repeats`` seconds for the same product in three formats."""
    density: float  # requested fraction of non-zero weights
    nnz: int  # non-zeros actually drawn
    cols: int
    dense_s: float
    csr_s: float
    coo_s: float

    @property
    def useful_multiply_adds(self) -> int:
        """Multiply-adds that involve a non-zero weight: all a sparse product must do."""
        return self.nnz * self.cols

    @property
    def op_reduction(self) -> float:
        """How many times fewer multiply-adds than the dense product (1 / density)."""
        return ROWS * INNER / self.nnz if self.nnz else float("inf")

    @property
    def csr_speedup(self) -> float:
        """Dense time / CSR time: above 1, sparse pays off."""
        return self.dense_s / self.csr_s

    @property
    def coo_speedup(self) -> float:
        return self.dense_s / self.coo_s


def _best_times(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` seconds each, round-robin: a burst of outside load slows all formats alike."""
    for fn in fns.values():
        fn()  # warm-up: first calls allocate and pick kernels
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def time_matmul(densities: Sequence[float] = DENSITIES, repeats: int = 5, seed: int = 0,
                shape: tuple[int, int, int] = (ROWS, INNER, COLS), threads: int | None = 1) -> list[SparseTiming]:
    """Time W @ X with W dense, CSR and COO, for each density of W's uniformly random non-zeros
    (unstructured sparsity, the case §3 discusses); dense always does rows·inner·cols multiply-adds.
    ``threads`` (restored afterwards; None keeps the setting): one compares core for core, as a
    multi-threaded product waits for its slowest thread and so suffers far more from outside load."""
    if not densities or any(not (0 < d <= 1) for d in densities):
        raise ValueError(f"densities 中的每个密度都应在 (0, 1] 之间，收到 {list(densities)!r}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats 应为正整数，收到 {repeats!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads 应为正整数或 None，收到 {threads!r}")
    rows, inner, cols = shape
    generator = torch.Generator().manual_seed(seed)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    x = torch.randn(inner, cols, generator=generator)
    out = []
    try:
        with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state": not the reader's concern
            warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")
            for d in densities:
                mask = torch.rand(rows, inner, generator=generator) < d
                w = torch.randn(rows, inner, generator=generator) * mask
                csr, coo = w.to_sparse_csr(), w.to_sparse_coo()
                best = _best_times({"dense": lambda: w @ x, "csr": lambda: csr @ x,
                                    "coo": lambda: torch.sparse.mm(coo, x)}, repeats)
                out.append(SparseTiming(d, int(mask.sum()), cols, best["dense"], best["csr"], best["coo"]))
    finally:
        torch.set_num_threads(previous_threads)
    return out


def break_even_density(timings: Sequence[SparseTiming], fmt: str = "csr") -> float | None:
    """Highest density from which on (down to the lowest) sparse beats dense, so that one lucky
    measurement at a high density does not count; None if sparse loses at the lowest."""
    if fmt not in ("csr", "coo"):
        raise ValueError(f"fmt 应为 'csr' 或 'coo'，收到 {fmt!r}")
    best = None
    for t in sorted(timings, key=lambda t: t.density):
        if getattr(t, f"{fmt}_speedup") <= 1:
            break
        best = t.density
    return best

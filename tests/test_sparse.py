"""§3 measured: the quadratic cost of widening, and sparse-vs-dense timing bookkeeping."""

import pytest
import torch

from googlenet.book.sparse import SparseTiming, break_even_density, chain_cost, time_matmul, widening_costs


def test_chain_cost_by_hand():
    c = chain_cost(128, 128, in_channels=64, size=28)
    assert c.first == 28 * 28 * 64 * 128 * 9
    assert c.second == 28 * 28 * 128 * 128 * 9
    assert c.total == c.first + c.second


def test_uniform_widening_is_quadratic_in_the_second_layer():
    base, double, triple = widening_costs([64, 128, 192])
    assert double.second == 4 * base.second and triple.second == 9 * base.second
    assert double.first == 2 * base.first  # the first layer's input width does not grow


@pytest.mark.parametrize("bad", [0, -3, 2.0, True])
def test_chain_cost_bad_width(bad):
    with pytest.raises(ValueError, match="正整数"):
        chain_cost(bad)


def test_time_matmul_small():
    timings = time_matmul(densities=(1.0, 0.01), repeats=1, shape=(64, 64, 16))
    assert [t.density for t in timings] == [1.0, 0.01]
    full, sparse = timings
    assert full.nnz == 64 * 64  # density 1: every weight drawn non-zero
    assert 0 <= sparse.nnz < 64 * 64 * 0.05
    assert all(t.dense_s > 0 and t.csr_s > 0 and t.coo_s > 0 for t in timings)


def test_time_matmul_restores_thread_count():
    before = torch.get_num_threads()
    time_matmul(densities=(0.5,), repeats=1, shape=(16, 16, 4), threads=1)
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads"):
        time_matmul(densities=(0.5,), threads=0)


def test_time_matmul_emits_no_warning(recwarn):
    time_matmul(densities=(0.5,), repeats=1, shape=(32, 32, 8))
    assert not [w for w in recwarn if "beta" in str(w.message)]


@pytest.mark.parametrize("densities", [(), (0.0,), (1.5,)])
def test_time_matmul_bad_density(densities):
    with pytest.raises(ValueError, match="密度"):
        time_matmul(densities=densities)


def _t(density, dense, csr):
    return SparseTiming(density, nnz=max(1, round(density * 1024 * 1024)), cols=784,
                        dense_s=dense, csr_s=csr, coo_s=csr)


def test_break_even_density_ignores_isolated_wins():
    timings = [_t(1.0, 1, 5), _t(0.5, 1, 0.9), _t(0.2, 1, 1.5), _t(0.1, 1, 0.8), _t(0.01, 1, 0.1)]
    assert break_even_density(timings) == 0.1  # the lucky 0.5 does not count
    assert break_even_density([_t(0.01, 1, 2)]) is None


def test_speedup_and_op_reduction():
    t = _t(0.01, 2.0, 0.5)
    assert t.csr_speedup == 4.0
    assert t.op_reduction == pytest.approx(100, rel=0.01)
    assert t.useful_multiply_adds == t.nnz * 784


def test_break_even_bad_format():
    with pytest.raises(ValueError, match="fmt"):
        break_even_density([], fmt="bsr")

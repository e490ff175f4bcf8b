"""googlenet.book.stats: the t distribution against table values, the paired t-test, the exact sign-flip test."""

import math

import pytest
import torch

from googlenet.book import stats


# ---- Student's t, written without scipy ------------------------------------------------------

@pytest.mark.parametrize("t, df", [(2.776, 4), (2.228, 10), (2.571, 5), (12.706, 1), (1.960, 10 ** 7)])
def test_t_critical_values_from_tables_give_p_005(t, df):
    # the 97.5 % quantiles printed in every t table (rounded to 3 decimals: p within 1e-4)
    assert stats.t_two_sided_p(t, df) == pytest.approx(0.05, abs=1e-4)


def test_t_99_percent_quantile():
    assert stats.t_two_sided_p(4.604, 4) == pytest.approx(0.01, abs=2e-5)


@pytest.mark.parametrize("t", [0.1, 1.0, 3.0, 40.0])
def test_df1_is_cauchy_and_df2_has_a_closed_form(t):
    assert stats.t_two_sided_p(t, 1) == pytest.approx(1 - 2 * math.atan(t) / math.pi, rel=1e-12, abs=1e-15)
    assert stats.t_two_sided_p(-t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-12, abs=1e-15)


def test_t_limits():
    assert stats.t_two_sided_p(0.0, 3) == 1.0
    assert stats.t_two_sided_p(math.inf, 3) == 0.0
    assert stats.regularized_beta(0.3, 1.0, 1.0) == pytest.approx(0.3)  # Beta(1, 1) is uniform
    assert stats.regularized_beta(0.3, 2.0, 1.0) == pytest.approx(0.09)  # CDF x²
    with pytest.raises(ValueError, match="df（自由度）应为有限正数，收到 0"):
        stats.t_two_sided_p(1.0, 0)
    with pytest.raises(TypeError, match="t 应为数，收到 'x'"):
        stats.t_two_sided_p("x", 3)


# ---- summary and the paired t-test ------------------------------------------------------------

def test_summary_uses_the_sample_sd():
    mean, sd = stats.summary([1, 2, 3, 4])
    assert mean == 2.5 and sd == pytest.approx(math.sqrt(5 / 3))  # n − 1 = 3, not n = 4
    assert stats.summary(torch.tensor([0.5, 0.5])) == (0.5, 0.0)


def test_paired_t_test_by_hand():
    # differences 1, 2, 2, 3: mean 2, sd √(2/3), t = 2 / (√(2/3) / 2) = 4.899, df 3
    r = stats.paired_t_test([1, 2, 3, 4], [0, 0, 1, 1])
    assert (r.n, r.mean_diff) == (4, 2.0)
    assert r.sd_diff == pytest.approx(math.sqrt(2 / 3))
    assert r.t == pytest.approx(4.898979, rel=1e-6)
    assert r.p == pytest.approx(stats.t_two_sided_p(r.t, 3)) and 0.01 < r.p < 0.02  # table: t₀.₉₉₅,₃ = 5.841
    flipped = stats.paired_t_test([0, 0, 1, 1], [1, 2, 3, 4])
    assert flipped.t == -r.t and flipped.p == pytest.approx(r.p)


def test_paired_t_test_with_constant_differences():
    assert stats.paired_t_test([1, 2], [1, 2]) == stats.PairedTest(2, 0.0, 0.0, 0.0, 1.0)
    r = stats.paired_t_test([2, 3], [1, 2])
    assert r.t == math.inf and r.p == 0.0


def test_paired_t_test_errors_name_the_value():
    with pytest.raises(ValueError, match="a 与 b 应一样长.*收到 3 个和 2 个"):
        stats.paired_t_test([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="a 至少要有 2 个数.*收到 1 个"):
        stats.paired_t_test([1], [2])
    with pytest.raises(TypeError, match="b 的第 1 个元素应为数，收到 'x'"):
        stats.paired_t_test([1, 2], [1, "x"])
    with pytest.raises(TypeError, match="values 的第 0 个元素应为数，收到 True"):
        stats.summary([True, 1.0])
    with pytest.raises(ValueError, match="values 的第 1 个元素应为有限数，收到 nan"):
        stats.summary([1.0, float("nan")])
    with pytest.raises(TypeError, match="values 应为一列数，收到 '12'"):
        stats.summary("12")


# ---- the exact sign-flip test -----------------------------------------------------------------

def test_sign_flip_counts_by_hand():
    # [1, 2, 3]: sum 6; only +++ and −−− reach |6| among 8 patterns
    assert stats.sign_flip_p([1, 2, 3]) == 2 / 8
    # [1, 2, -3]: sum 0: every pattern reaches it
    assert stats.sign_flip_p([1, 2, -3]) == 1.0
    # [3, 1, 1]: sum 5; |±3 ±1 ±1| ≥ 5 only for +++ and −−− (3+1−1 = 3): 2 / 8
    assert stats.sign_flip_p([3, 1, 1]) == 0.25
    # [3, 1, -1]: sum 3; patterns with |sum| ≥ 3: (3,1,1)=5, (3,1,-1)=3, (3,-1,1)=3, and their negatives: 6 / 8
    assert stats.sign_flip_p([3, 1, -1]) == 0.75
    # five differences of one sign: the smallest p five seeds can give
    assert stats.sign_flip_p([0.01, 0.02, 0.03, 0.04, 0.05]) == 2 / 32
    # ties up to rounding count as ties
    assert stats.sign_flip_p([0.1, 0.2, -0.3]) == 1.0


def test_sign_flip_errors():
    with pytest.raises(ValueError, match="diffs 至少要有 1 个数"):
        stats.sign_flip_p([])
    with pytest.raises(ValueError, match="diffs 最多 20 个.*收到 21 个"):
        stats.sign_flip_p([1.0] * 21)
    with pytest.raises(TypeError, match="diffs 的第 0 个元素应为数，收到 None"):
        stats.sign_flip_p([None, 1.0])

"""Experiments whose runs exceed the notebooks' budget; they write JSON results to googlenet/book/experiment_results/."""

"""Experiments whose runs exceed the notebooks' budget; they write JSON results to experiments/results/."""

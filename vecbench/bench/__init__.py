"""Experiment configs, sweep expansion, the isolated-worker runner, timing and environment capture."""

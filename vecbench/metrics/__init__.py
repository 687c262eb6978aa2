"""Metrics: pure functions over raw arrays, each declaring its name, unit and direction."""

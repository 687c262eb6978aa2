"""Capacity planning: size sweeps, fitted cost models, the planner, and sharding simulation."""

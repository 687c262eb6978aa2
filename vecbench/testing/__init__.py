"""Helpers for testing vecbench and for users' own test suites."""

from vecbench.testing.conformance import check_adapter

__all__ = ["check_adapter"]

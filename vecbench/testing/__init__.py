"""Helpers for testing vecbench and for users' own test suites."""

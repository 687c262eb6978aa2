"""Autotuning to constraints: ``vecbench tune`` searches a config's ranges with a trial budget."""

"""vecbench: measure what each vector-search choice costs and loses, on your own data."""

__version__ = "0.1.0"

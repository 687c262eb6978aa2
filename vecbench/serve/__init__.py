"""A built index behind an HTTP service on 127.0.0.1: ``vecbench serve`` and the served load path."""

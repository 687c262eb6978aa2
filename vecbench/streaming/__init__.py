"""Streaming updates: big-ann runbooks applied to an index, with exact truth at every search step."""

"""Filter strategies over the adapter protocol: pre, post, partition, exact-subset, auto."""

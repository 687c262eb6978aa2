"""Results: the on-disk store (source of truth) and the views built from it."""

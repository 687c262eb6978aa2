"""The regression gate: compare two result sets under a noise-aware policy and give a verdict."""

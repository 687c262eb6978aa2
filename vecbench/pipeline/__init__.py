"""The recommendation pipeline: item embeddings and user state, then retrieval -> scoring ->
re-ranking over a replayed log, measured stage by stage. It uses indexes and metrics; it knows
nothing of the result store or the command line."""

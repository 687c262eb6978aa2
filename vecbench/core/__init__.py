"""The ground floor: vocabulary every room shares (errors, metrics, parameters, the registry type,
config reading, atomic writes, timing loops). Nothing here imports any other part of vecbench."""

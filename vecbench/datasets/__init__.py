"""Datasets: loaders per file format, the dataset registry, fingerprints, exact ground truth and its cache."""

from vecbench.datasets.base import Dataset
from vecbench.datasets.cache import default_cache_dir
from vecbench.datasets.fingerprint import fingerprint
from vecbench.datasets.formats import format_names
from vecbench.datasets.ground_truth import GroundTruth, exact_ground_truth
from vecbench.datasets.registry import dataset_info, dataset_names, load_dataset
from vecbench.datasets.spec import DatasetSpec

__all__ = [
    "Dataset",
    "DatasetSpec",
    "GroundTruth",
    "dataset_info",
    "dataset_names",
    "default_cache_dir",
    "exact_ground_truth",
    "fingerprint",
    "format_names",
    "load_dataset",
]

"""Name -> adapter class, imported lazily so a missing library only disables its own adapter."""

from __future__ import annotations

from vecbench.core.registry import MissingLibraryError, Registry
from vecbench.indexes.base import IndexAdapter

# Registered adapters: name -> "module:ClassName". Adding an adapter is its module and one line here;
# a config may also name a user's own class as "package.module:ClassName".
ADAPTERS: Registry[type[IndexAdapter]] = Registry(
    "adapter",
    {
        "exact": "vecbench.indexes.exact:ExactAdapter",
        "faiss-hnsw": "vecbench.indexes.faiss_indexes:FaissHNSWAdapter",
        "faiss-ivf": "vecbench.indexes.faiss_indexes:FaissIVFAdapter",
        "faiss-ivfpq": "vecbench.indexes.faiss_indexes:FaissIVFPQAdapter",
        "faiss-hnsw-sq": "vecbench.indexes.faiss_quantized:FaissHNSWSQAdapter",
        "faiss-ivf-sq": "vecbench.indexes.faiss_quantized:FaissIVFSQAdapter",
        "faiss-ivf-rabitq": "vecbench.indexes.faiss_quantized:FaissIVFRaBitQAdapter",
        "faiss-hnsw-rabitq": "vecbench.indexes.faiss_quantized:FaissHNSWRaBitQAdapter",
        "faiss-ivf-pqfs": "vecbench.indexes.faiss_quantized:FaissIVFPQFastScanAdapter",
        "faiss-binary-hnsw": "vecbench.indexes.faiss_quantized:FaissBinaryHNSWAdapter",
        "usearch": "vecbench.indexes.usearch_index:UsearchAdapter",
        "hnswlib": "vecbench.indexes.hnswlib_index:HnswlibAdapter",
        "annoy": "vecbench.indexes.annoy_index:AnnoyAdapter",
        "scann": "vecbench.indexes.scann_index:ScannAdapter",
        "pgvector": "vecbench.indexes.pgvector_index:PgvectorAdapter",
        "chroma": "vecbench.indexes.chroma_index:ChromaAdapter",
    },
    base=IndexAdapter,
    plugins=True,
    install={"faiss": "faiss-cpu", "usearch": "usearch", "psycopg": "vecbench[pgvector]", "chromadb": "vecbench[chroma]"},
)


def adapter_names() -> list[str]:
    """Names of the registered adapters, whether or not their libraries are installed."""
    return ADAPTERS.names()


def get_adapter_class(name: str) -> type[IndexAdapter]:
    """Resolve a registered name, or a plugin given as 'package.module:ClassName'."""
    return ADAPTERS.get(name)


def adapter_libraries() -> list[str]:
    """Distribution names of the libraries the registered adapters wrap, in registration order,
    each once; an adapter whose library is missing contributes the name pip would install."""
    found: list[str] = []
    for name in ADAPTERS.entries:
        try:
            libraries: tuple[str, ...] = ADAPTERS.get(name).libraries
        except MissingLibraryError as exc:
            libraries = (exc.library,)
        found.extend(library for library in libraries if library not in found)
    return found

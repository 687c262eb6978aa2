"""One module per file format; each turns a path into ``RawVectors`` and nothing more."""

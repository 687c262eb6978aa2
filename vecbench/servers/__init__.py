"""Database servers vecbench starts for a run (PostgreSQL with pgvector, Chroma) and stops again."""

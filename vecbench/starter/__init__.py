"""Getting started: a starter config for the user's own vectors, the config's JSON schema, shell completion."""

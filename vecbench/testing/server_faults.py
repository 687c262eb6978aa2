"""A pgvector adapter whose server dies in the middle of a point, on request: for proving that a
crashed database server costs one failed row and is restarted for the next point.

Not registered by name; a config reaches it as
``adapter: vecbench.testing.server_faults:ServerKillingPgvector`` (without a dsn: only a server
vecbench started can be killed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from vecbench.indexes.base import ParamSpec
from vecbench.indexes.pgvector_index import PgvectorAdapter


class ServerKillingPgvector(PgvectorAdapter):
    """pgvector that SIGKILLs its own server after ``kill_after`` searches at a query point."""

    name: ClassVar[str] = "pgvector-server-killing"
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        **PgvectorAdapter.query_param_specs,
        "kill_after": ParamSpec(
            int, 0, "kill the server after this many searches at this point (0: never)", minimum=0
        ),
    }

    def __init__(self, metric: Any, **build_params: Any) -> None:
        super().__init__(metric, **build_params)
        self.searches_left: int | None = None

    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        super()._apply_query_params(params)
        self.searches_left = int(params["kill_after"]) or None

    def _run(
        self, query: np.ndarray, k: int, sql_text: str, extra: tuple[Any, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.searches_left is not None:
            self.searches_left -= 1
            if self.searches_left < 0:
                self.searches_left = None
                self.kill_server()
        return super()._run(query, k, sql_text, extra)

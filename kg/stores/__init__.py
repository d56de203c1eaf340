"""Graph store backends, chosen by a settings string (`embedded` | `neo4j`)."""

from __future__ import annotations

from pathlib import Path

from kg.stores.base import GraphStore, StoreUnavailable

BACKENDS = ("embedded", "ladybug", "neo4j")


def open_store(
    kind: str,
    *,
    path: Path | None = None,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    timeout_s: float = 2.0,
    read_only: bool = False,
) -> GraphStore:
    """Build (not connect) the store a settings string names; heavy imports happen here."""
    if kind in ("embedded", "ladybug"):
        from kg.stores.ladybug import LadybugStore

        if path is None:
            raise ValueError("the embedded graph needs a path")
        return LadybugStore(path, read_only=read_only)
    if kind == "neo4j":
        from kg.stores.neo4j import Neo4jStore

        return Neo4jStore(uri or "bolt://127.0.0.1:7687", user or "neo4j", password or "", database,
                          timeout_s=timeout_s)
    raise ValueError(f"unknown graph backend {kind!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["GraphStore", "StoreUnavailable", "open_store", "BACKENDS"]

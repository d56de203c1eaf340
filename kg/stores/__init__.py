"""Graph store backends, chosen by a settings string (`embedded` | `neo4j`) through one registry.

Adding a backend: a new `kg/stores/NAME.py` implementing `GraphStore`, one factory below and one
line in `STORES`; then run `tests/kg/store_contract.py`'s suite against it (see README "Extending").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kg.errors import InvalidInput
from kg.stores.base import GraphStore, StoreUnavailable


class StoreSettings(Protocol):
    """What opening a store reads from the settings (app.settings.Settings satisfies it)."""

    graph: str
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: Any  # str or pydantic SecretStr
    neo4j_database: str | None
    store_timeout_s: float

    @property
    def graph_path(self) -> Path: ...


@dataclass(frozen=True)
class StoreConfig:
    """A plain `StoreSettings` for library users, benches and tests that have no app Settings."""

    graph: str = "embedded"
    path: Path = Path("graph")
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: Any = ""
    neo4j_database: str | None = None
    store_timeout_s: float = 2.0

    @property
    def graph_path(self) -> Path:
        return self.path


def _secret(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value or "")


def _ladybug(settings: StoreSettings, read_only: bool) -> GraphStore:
    from kg.stores.ladybug import LadybugStore

    path = Path(settings.graph_path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return LadybugStore(path, read_only=read_only)


def _neo4j(settings: StoreSettings, read_only: bool) -> GraphStore:
    from kg.stores.neo4j import Neo4jStore

    return Neo4jStore(settings.neo4j_uri, settings.neo4j_user, _secret(settings.neo4j_password),
                      settings.neo4j_database, timeout_s=settings.store_timeout_s)


#: settings string -> factory(settings, read_only). `read_only` matters to embedded stores only.
STORES: dict[str, Callable[[StoreSettings, bool], GraphStore]] = {
    "embedded": _ladybug,
    "ladybug": _ladybug,
    "neo4j": _neo4j,
}
BACKENDS = tuple(STORES)
#: the backends that keep their data in a local file under $QIZHEN_HOME (readers open them read-only)
EMBEDDED = frozenset({"embedded", "ladybug"})


def open_store(settings: StoreSettings, *, read_only: bool = False, kind: str | None = None) -> GraphStore:
    """Build (not connect) the store `settings.graph` (or `kind`) names; heavy imports happen here.
    The one place settings become a store: the CLI, the service and the benches all call it."""
    name = (kind or settings.graph).strip().lower()
    factory = STORES.get(name)
    if factory is None:
        raise InvalidInput(f"unknown graph backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return factory(settings, read_only)


__all__ = ["BACKENDS", "EMBEDDED", "STORES", "GraphStore", "StoreConfig", "StoreSettings", "StoreUnavailable", "open_store"]

"""Every Cypher statement the ladybug store runs (LadybugDB / Kuzu dialect).

Dialect notes: schema DDL is required; `label(r)` instead of `type(r)`; `desc` is reserved (long
texts live in one JSON column `props`, so property names never become identifiers); MERGE needs
the primary key and is far too slow for bulk, so bulk writes go through COPY / LOAD FROM of
parquet files the store writes itself. File paths cannot be query parameters in COPY / LOAD FROM,
so those templates take a `{path}` that the store generates (a temp file it created, checked to
contain no quote); everything else is parametrized. Per-relationship-type statements are
generated from the RelType enum, never from user input.
"""

from __future__ import annotations

from kg.schema import RelType

# -- schema ---------------------------------------------------------------------------------
CREATE_ENTITY_TABLE = (
    "CREATE NODE TABLE IF NOT EXISTS Entity("
    "id STRING PRIMARY KEY, type STRING, name STRING, keys STRING[], aliases STRING[], "
    "sources STRING[], described BOOLEAN, props STRING, prov STRING)"
)
CREATE_META_TABLE = "CREATE NODE TABLE IF NOT EXISTS Meta(key STRING PRIMARY KEY, value STRING)"
CREATE_REL_TABLE: dict[RelType, str] = {
    t: f"CREATE REL TABLE IF NOT EXISTS {t.value}(FROM Entity TO Entity, dataset STRING, predicate STRING, "
    "flag STRING)"
    for t in RelType
}
#: columns added after the first release (graphs built before are migrated on a writable open)
TABLE_COLUMNS = "CALL TABLE_INFO('{table}') RETURN name"  # table names come from the schema, never input
ADD_ENTITY_PROV = "ALTER TABLE Entity ADD prov STRING DEFAULT ''"
ADD_REL_FLAG: dict[RelType, str] = {t: f"ALTER TABLE {t.value} ADD flag STRING DEFAULT ''" for t in RelType}

#: column order of the Entity parquet files (must match CREATE_ENTITY_TABLE)
ENTITY_COLUMNS = ("id", "type", "name", "keys", "aliases", "sources", "described", "props", "prov")
#: column order of the relationship parquet files: FROM id, TO id, then the properties
REL_COLUMNS = ("from", "to", "dataset", "predicate", "flag")
#: column order of the flag-update parquet files (SET_FLAGS_FROM)
FLAG_COLUMNS = ("src", "dst", "ds", "flag")

# -- bulk writes (path templates, see module docstring) ------------------------------------
COPY_ENTITIES = "COPY Entity FROM '{path}'"
COPY_RELS: dict[RelType, str] = {t: f"COPY {t.value} FROM '{{path}}'" for t in RelType}
UPDATE_ENTITIES_FROM = (
    "LOAD FROM '{path}' MATCH (e:Entity {{id: id}}) "
    "SET e.type = type, e.name = name, e.keys = keys, e.aliases = aliases, e.sources = sources, "
    "e.described = described, e.props = props, e.prov = prov"
)
#: the cleaning stage's flags, matched by the relationship's identity (from, to, dataset)
SET_FLAGS_FROM: dict[RelType, str] = {
    t: f"LOAD FROM '{{path}}' MATCH (a:Entity {{{{id: src}}}})-[r:{t.value}]->(b:Entity {{{{id: dst}}}}) "
    "WHERE r.dataset = ds SET r.flag = flag"
    for t in RelType
}

# -- meta (snapshot checksums) --------------------------------------------------------------
GET_META = "MATCH (m:Meta) RETURN m.key, m.value"
MERGE_META = "MERGE (m:Meta {key: $key}) SET m.value = $value"

# -- transactions ---------------------------------------------------------------------------
BEGIN = "BEGIN TRANSACTION"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"

# -- reads ----------------------------------------------------------------------------------
ALL_IDS = "MATCH (e:Entity) RETURN e.id"
ENTITY_FIELDS = "e.id, e.type, e.name, e.aliases, e.sources, e.described, e.props, e.prov"
GET_ENTITIES = f"UNWIND $ids AS i MATCH (e:Entity {{id: i}}) RETURN {ENTITY_FIELDS}"
ENTITY_PAGE = f"MATCH (e:Entity) WHERE e.id > $after RETURN {ENTITY_FIELDS} ORDER BY e.id LIMIT $n"
NAME_INDEX = "MATCH (e:Entity) RETURN e.id, e.type, e.name, e.aliases ORDER BY e.id"
DESCRIBED_IDS = "MATCH (e:Entity) WHERE e.described RETURN e.id"
NAME_KEYS = "MATCH (e:Entity) RETURN e.id, e.name, e.keys"
COUNT_BY_TYPE = "MATCH (e:Entity) RETURN e.type, count(*)"
COUNT_RELS: dict[RelType, str] = {t: f"MATCH ()-[r:{t.value}]->() RETURN count(*)" for t in RelType}
REL_KEYS: dict[RelType, str] = {
    t: f"MATCH (a:Entity)-[r:{t.value}]->(b:Entity) RETURN a.id, b.id, r.dataset" for t in RelType
}
PING = "RETURN 1"

_FACT_COLS = "a.name, label(r), b.id, b.name, b.type, r.dataset, r.predicate, r.flag"
FACTS_OUT = f"MATCH (a:Entity {{id: $id}})-[r]->(b:Entity) RETURN {_FACT_COLS}"
FACTS_OUT_TYPED = f"MATCH (a:Entity {{id: $id}})-[r]->(b:Entity) WHERE label(r) IN $types RETURN {_FACT_COLS}"
FACTS_IN = f"MATCH (a:Entity {{id: $id}})<-[r]-(b:Entity) RETURN {_FACT_COLS}"
FACTS_IN_TYPED = f"MATCH (a:Entity {{id: $id}})<-[r]-(b:Entity) WHERE label(r) IN $types RETURN {_FACT_COLS}"
ALL_FACTS: dict[RelType, str] = {
    t: f"MATCH (a:Entity)-[r:{t.value}]->(b:Entity) "
    "RETURN a.id, a.name, b.id, b.name, b.type, r.dataset, r.predicate, r.flag"
    for t in RelType
}

ALL_EDGES: dict[RelType, str] = {
    t: f"MATCH (a:Entity)-[r:{t.value}]->(b:Entity) RETURN a.id, b.id, r.dataset, r.flag"
    for t in RelType
}


def legacy(query: str) -> str:
    """The read query for a graph built before `prov` / `flag` existed, opened read-only (it
    cannot be migrated): those columns read as empty."""
    return query.replace("e.prov", "''").replace("r.flag", "''")

# -- clear ----------------------------------------------------------------------------------
DROP_REL_TABLE: dict[RelType, str] = {t: f"DROP TABLE IF EXISTS {t.value}" for t in RelType}
DROP_ENTITY_TABLE = "DROP TABLE IF EXISTS Entity"
DROP_META_TABLE = "DROP TABLE IF EXISTS Meta"

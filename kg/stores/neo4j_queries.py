"""Every Cypher statement the Neo4j backend runs, as named constants.

All values travel as parameters. Relationship types cannot be parameters in Cypher, so the
per-type statements are generated from the closed `RelType` enum (never from input), one
constant per type in `MERGE_RELATIONS`.

Written for Neo4j 5 and checked against ArcadeDB's Bolt server (Neo4j-5.26 compatible):
no APOC, no CALL subqueries, map projections and `type(r)` only.
"""

from __future__ import annotations

from kg.schema import RelType

META_LABEL = "QizhenMeta"
META_KEY = "graph"

# -- schema ---------------------------------------------------------------------------------
CREATE_ENTITY_ID_CONSTRAINT = (
    "CREATE CONSTRAINT qizhen_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE"
)
CREATE_META_KEY_CONSTRAINT = (
    "CREATE CONSTRAINT qizhen_meta_key IF NOT EXISTS FOR (m:QizhenMeta) REQUIRE m.key IS UNIQUE"
)
ENSURE_META = (
    "MERGE (m:QizhenMeta {key: $key}) "
    "ON CREATE SET m.epoch = $epoch, m.version = 0"
)

# -- snapshot bookkeeping (run in the same transaction as the write it accounts for) -------
BUMP_VERSION = (
    "MERGE (m:QizhenMeta {key: $key}) "
    "ON CREATE SET m.epoch = $epoch, m.version = 1 "
    "ON MATCH SET m.version = m.version + 1"
)
RESET_META = "MERGE (m:QizhenMeta {key: $key}) SET m.epoch = $epoch, m.version = 0"
READ_META = "MATCH (m:QizhenMeta {key: $key}) RETURN m.epoch AS epoch, m.version AS version"

# -- entities -------------------------------------------------------------------------------
_ENTITY_MAP = "n {.id, .type, .name, .aliases, .sources, .described, .props, .prov}"

GET_ENTITIES = f"UNWIND $ids AS id MATCH (n:Entity {{id: id}}) RETURN {_ENTITY_MAP} AS e"

#: new ids (known absent inside the same transaction; the uniqueness constraint guards races):
#: CREATE costs about half of MERGE's server time on ArcadeDB
CREATE_ENTITIES = (
    "UNWIND $rows AS row "
    "CREATE (n:Entity {id: row.id, type: row.type, name: row.name, keys: row.keys, aliases: row.aliases, "
    "sources: row.sources, described: row.described, props: row.props, prov: row.prov})"
)
#: ids that exist and whose merged content changed
UPDATE_ENTITIES = (
    "UNWIND $rows AS row "
    "MATCH (n:Entity {id: row.id}) "
    "SET n.type = row.type, n.name = row.name, n.keys = row.keys, n.aliases = row.aliases, "
    "n.sources = row.sources, n.described = row.described, n.props = row.props, n.prov = row.prov"
)

FIND_BY_KEY = f"MATCH (n:Entity) WHERE $key IN n.keys RETURN {_ENTITY_MAP} AS e"

ALL_ENTITIES = f"MATCH (n:Entity) RETURN {_ENTITY_MAP} AS e"

NAME_INDEX = "MATCH (n:Entity) RETURN n.id AS id, n.type AS type, n.name AS name, n.aliases AS aliases"

DESCRIBED_IDS = "MATCH (n:Entity) WHERE n.described = true RETURN n.id AS id"

EXISTING_IDS = "UNWIND $ids AS id MATCH (n:Entity {id: id}) RETURN n.id AS id"

# -- relationships --------------------------------------------------------------------------
_MERGE_TEMPLATE = (
    "UNWIND $rows AS row "
    "MATCH (a:Entity {{id: row.s}}) "
    "MATCH (b:Entity {{id: row.t}}) "
    "OPTIONAL MATCH (a)-[old:{rel} {{dataset: row.dataset}}]->(b) "
    "WITH a, b, row, old IS NULL AS fresh "
    "MERGE (a)-[r:{rel} {{dataset: row.dataset}}]->(b) "
    "ON CREATE SET r.predicate = row.predicate, r.flag = row.flag "
    "RETURN sum(CASE WHEN fresh THEN 1 ELSE 0 END) AS created"
)

#: per relationship type: MERGE rows {s, t, dataset, predicate, flag} (identity: source, type, target,
#: dataset) and count the ones that did not exist before. The OPTIONAL MATCH costs less than a
#: separate existence query (one round trip, endpoints looked up once); rows must be de-duplicated.
MERGE_RELATIONS: dict[RelType, str] = {t: _MERGE_TEMPLATE.format(rel=t.value) for t in RelType}

#: per relationship type: set the cleaning stage's flag on rows {s, t, dataset, flag} (matched by
#: identity) and count the edges changed
SET_FLAGS: dict[RelType, str] = {
    t: "UNWIND $rows AS row "
    f"MATCH (a:Entity {{id: row.s}})-[r:{t.value}]->(b:Entity {{id: row.t}}) "
    "WHERE r.dataset = row.dataset AND coalesce(r.flag, '') <> row.flag "
    "SET r.flag = row.flag RETURN count(r) AS changed"
    for t in RelType
}

_FACT_RETURN = (
    "RETURN type(r) AS rel, b.id AS target_id, b.name AS target_name, b.type AS target_type, "
    "r.dataset AS dataset, r.predicate AS predicate, coalesce(r.flag, '') AS flag"
)
FACTS_OUT = (
    "MATCH (a:Entity {id: $id})-[r]->(b:Entity) "
    "WHERE $types IS NULL OR type(r) IN $types " + _FACT_RETURN
)
FACTS_IN = (
    "MATCH (a:Entity {id: $id})<-[r]-(b:Entity) "
    "WHERE $types IS NULL OR type(r) IN $types " + _FACT_RETURN
)
ENTITY_NAME = "MATCH (n:Entity {id: $id}) RETURN n.name AS name"
#: every edge of one type, for bulk consumers (the cleaning pass, fine-tuning data)
ALL_FACTS: dict[RelType, str] = {
    t: f"MATCH (a:Entity)-[r:{t.value}]->(b:Entity) "
    "RETURN a.id AS source_id, a.name AS source_name, b.id AS target_id, b.name AS target_name, "
    "b.type AS target_type, r.dataset AS dataset, r.predicate AS predicate, coalesce(r.flag, '') AS flag"
    for t in RelType
}

# -- stats and maintenance ------------------------------------------------------------------
COUNT_NODES_BY_TYPE = "MATCH (n:Entity) RETURN n.type AS type, count(n) AS n"
COUNT_RELATIONS_BY_TYPE = "MATCH (:Entity)-[r]->(:Entity) RETURN type(r) AS type, count(r) AS n"

#: batched so that a large graph never needs one huge transaction
DELETE_ENTITY_BATCH = "MATCH (n:Entity) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS n"

PING = "RETURN 1 AS ok"

-- Each class of the repository with its ancestors in method resolution order: `rank` 0 for the
-- class itself, then its bases depth first, left to right, each ancestor at its last
-- occurrence (the order CPython's C3 linearisation gives for every hierarchy whose bases do
-- not disagree on an order, diamonds included). Bases are the classes the INHERITS resolution
-- finds (dotted_targets), in the order they are written.
WITH RECURSIVE bases AS (
  SELECT DISTINCT dt.src_id AS class_id, dt.target_id AS base_id, b.field_index AS position
  FROM dotted_targets dt
  JOIN defs base ON base.node_id = dt.target_id AND base.kind = 'ClassDef'
  JOIN ast_nodes b ON b.node_id = dt.site_id
  WHERE dt.rule = 'edges_inherits' AND dt.target_id IS NOT NULL
),
up(class_id, ancestor_id, path, depth) AS (
  -- (Ids go through + 0 and text through concat: the recursive union must not inherit the
  -- tables' field metadata, which its recursive term cannot carry.)
  SELECT d.node_id + 0 AS class_id, d.node_id + 0 AS ancestor_id, concat('', '') AS path,
         CAST(0 AS BIGINT) AS depth
  FROM defs d
  WHERE d.kind = 'ClassDef' AND d.node_id IS NOT NULL
  UNION ALL
  SELECT u.class_id, b.base_id + 0, concat(u.path, lpad(CAST(b.position AS VARCHAR), 4, '0'), '.'),
         u.depth + 1
  FROM up u JOIN bases b ON b.class_id = u.ancestor_id
  WHERE u.depth < 32
),
last AS (
  SELECT up.class_id, up.ancestor_id, max(up.path) AS path
  FROM up GROUP BY up.class_id, up.ancestor_id
)
SELECT l.class_id, l.ancestor_id,
       row_number() OVER (PARTITION BY l.class_id ORDER BY l.path) - 1 AS rank
FROM last l

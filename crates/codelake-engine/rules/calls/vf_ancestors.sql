-- Each class of the repository with its ancestors up the INHERITS edges and their depth
-- (the class itself at depth 0), for the value flow's attribute lookup: the nearest ancestor
-- that binds a name provides it (CPython's C3 order agrees for single inheritance).
WITH RECURSIVE up(class_id, ancestor_id, depth) AS (
  -- (Ids go through + 0: the recursive union must not inherit the tables' field metadata,
  -- which its recursive term cannot carry.)
  SELECT d.node_id + 0 AS class_id, d.node_id + 0 AS ancestor_id, CAST(0 AS BIGINT) AS depth
  FROM defs d
  WHERE d.kind = 'ClassDef' AND d.node_id IS NOT NULL
  UNION ALL
  SELECT u.class_id, e.dst_id + 0, u.depth + 1
  FROM up u JOIN edges_inherits e ON e.src_id = u.ancestor_id
  WHERE u.depth < 32
)
SELECT DISTINCT up.class_id, up.ancestor_id, up.depth FROM up

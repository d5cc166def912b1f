-- INHERITS: a class to the class definition each of its bases names (dotted_targets).
WITH t AS (
  SELECT DISTINCT dt.site_id, dt.src_id, dt.file_id, dt.target_id
  FROM dotted_targets dt
  JOIN defs base ON base.node_id = dt.target_id AND base.kind = 'ClassDef'
  WHERE dt.rule = 'edges_inherits'
),
counted AS (
  SELECT t.site_id, t.src_id, t.file_id, t.target_id,
         count(*) OVER (PARTITION BY t.site_id) AS n
  FROM t
)
SELECT 'INHERITS' AS kind, c.src_id, c.target_id AS dst_id, c.file_id,
       'resolution' AS origin, 'edges_inherits' AS rule, 1.0 / CAST(c.n AS DOUBLE) AS confidence,
       CASE WHEN c.n > 1 THEN stable_id('ambiguity', c.site_id) END AS ambiguity_group_id
FROM counted c

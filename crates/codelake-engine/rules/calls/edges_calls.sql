-- CALLS: a call to the definition its callee names (dotted_targets): a function, or a class
-- and its __init__. A callee with n candidate definitions gives n edges of confidence 1/n in
-- one ambiguity group (a class's __init__ shares its class's confidence).
WITH t AS (
  SELECT DISTINCT dt.site_id, dt.src_id, dt.file_id, dt.target_id
  FROM dotted_targets dt
  WHERE dt.rule = 'edges_calls' AND dt.target_id IS NOT NULL
),
counted AS (
  SELECT t.site_id, t.src_id, t.file_id, t.target_id,
         count(*) OVER (PARTITION BY t.site_id) AS n
  FROM t
),
targets AS (
  SELECT c.src_id, c.file_id, c.target_id, c.n, c.site_id FROM counted c
  UNION ALL
  SELECT c.src_id, c.file_id, init.node_id, c.n, c.site_id
  FROM counted c
  JOIN defs cls ON cls.node_id = c.target_id AND cls.kind = 'ClassDef'
  JOIN defs init ON init.parent_def_id = cls.def_id AND init.name = '__init__'
  WHERE init.kind IN ('FunctionDef', 'AsyncFunctionDef') AND init.node_id IS NOT NULL
)
SELECT 'CALLS' AS kind, t.src_id, t.target_id AS dst_id, t.file_id, 'resolution' AS origin,
       'edges_calls' AS rule, 1.0 / CAST(t.n AS DOUBLE) AS confidence,
       CASE WHEN t.n > 1 THEN stable_id('ambiguity', t.site_id) END AS ambiguity_group_id
FROM targets t

-- IMPORTS: an import alias to what it imports (import_targets): a module of the repository, a
-- definition or binding it exports, or an EXTERNAL_MODULE node.
WITH t AS (
  SELECT it.node_id, it.file_id, it.target_id,
         count(*) OVER (PARTITION BY it.node_id) AS n
  FROM import_targets it
  WHERE it.target_id IS NOT NULL
)
SELECT 'IMPORTS' AS kind, t.node_id AS src_id, t.target_id AS dst_id, t.file_id,
       'resolution' AS origin, 'edges_imports' AS rule, 1.0 / CAST(t.n AS DOUBLE) AS confidence,
       CASE WHEN t.n > 1 THEN stable_id('ambiguity', t.node_id) END AS ambiguity_group_id
FROM t

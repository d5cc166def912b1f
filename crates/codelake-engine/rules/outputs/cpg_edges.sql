-- Every edge, from the edge rules, each keyed by a stable hash of kind, ends and rule.
-- (The AST edges' kind, origin and rule are constants here: their rule does not repeat them.)
WITH e AS (
  SELECT 'AST' AS kind, a.src_id, a.dst_id, a.file_id, 'ast' AS origin, 'edges_ast' AS rule, 1.0 AS confidence,
         CAST(NULL AS BIGINT) AS ambiguity_group_id, a.field, a.field_index,
         CAST(NULL AS VARCHAR) AS variable, CAST(NULL AS VARCHAR) AS flow_kind
  FROM edges_ast a
  UNION ALL
  SELECT c.kind, c.src_id, c.dst_id, c.file_id, c.origin, c.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_contains c
  UNION ALL
  SELECT s.kind, s.src_id, s.dst_id, s.file_id, s.origin, s.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_scope_parent s
  UNION ALL
  SELECT d.kind, d.src_id, d.dst_id, d.file_id, d.origin, d.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_defines d
  UNION ALL
  SELECT b.kind, b.src_id, b.dst_id, b.file_id, b.origin, b.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_binds b
  UNION ALL
  SELECT r.kind, r.src_id, r.dst_id, r.file_id, r.origin, r.rule, r.confidence,
         r.ambiguity_group_id, CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_refers_to r
  UNION ALL
  SELECT b.kind, b.src_id, b.dst_id, b.file_id, b.origin, b.rule, b.confidence,
         b.ambiguity_group_id, CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_builtin b
  UNION ALL
  SELECT i.kind, i.src_id, i.dst_id, i.file_id, i.origin, i.rule, i.confidence,
         i.ambiguity_group_id, CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_imports i
  UNION ALL
  SELECT c.kind, c.src_id, c.dst_id, c.file_id, c.origin, c.rule, c.confidence,
         c.ambiguity_group_id, CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_calls c
  UNION ALL
  SELECT h.kind, h.src_id, h.dst_id, h.file_id, h.origin, h.rule, h.confidence,
         h.ambiguity_group_id, CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_inherits h
  UNION ALL
  SELECT c.kind, c.src_id, c.dst_id, c.file_id, c.origin, c.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), c.flow_kind
  FROM edges_cfg c
  UNION ALL
  SELECT d.kind, d.src_id, d.dst_id, d.file_id, d.origin, d.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), d.flow_kind
  FROM edges_cdg d
  UNION ALL
  SELECT d.kind, d.src_id, d.dst_id, d.file_id, d.origin, d.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_dominate d
  UNION ALL
  SELECT p.kind, p.src_id, p.dst_id, p.file_id, p.origin, p.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_post_dominate p
  UNION ALL
  SELECT r.kind, r.src_id, r.dst_id, r.file_id, r.origin, r.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), r.variable, CAST(NULL AS VARCHAR)
  FROM edges_reaching_def r
  UNION ALL
  SELECT v.kind, v.src_id, v.dst_id, v.file_id, v.origin, v.rule, 1.0, CAST(NULL AS BIGINT),
         CAST(NULL AS VARCHAR), CAST(NULL AS INT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
  FROM edges_evaluates v
)
-- Edges of one kind between the same two nodes differ by their label: the CFG and CDG edge's
-- flow kind, the REACHING_DEF edge's variable; the label joins the hash where there is one.
SELECT CASE WHEN e.variable IS NULL AND e.flow_kind IS NULL
            THEN stable_id('edge', e.kind, e.src_id, e.dst_id, e.rule)
            ELSE stable_id('edge', e.kind, e.src_id, e.dst_id, e.rule,
                           COALESCE(e.variable, e.flow_kind)) END AS edge_id,
       e.kind, e.src_id, e.dst_id, e.file_id, e.origin, e.rule, e.confidence,
       e.ambiguity_group_id, e.field, e.field_index, e.variable, e.flow_kind
FROM e

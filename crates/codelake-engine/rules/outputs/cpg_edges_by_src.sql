-- The adjacency list: each source node's outgoing edges as list<struct<kind, dst_id,
-- confidence>>, built with named_struct and array_agg. A list holds its edges in the order of
-- cpg_edges (the edge rules in the same order, each in its own deterministic order), so an AST
-- node's children come in source order; array_agg keeps that order, the plan having one
-- partition (sorting every list by kind and dst_id would cost CPU and put children in hash
-- order).

-- It reads the edge rules themselves, as cpg_edges does (a test checks that both read the same
-- ones), not cpg_edges: so it runs beside cpg_edges instead of after its Parquet is written.
WITH e AS (
  SELECT a.src_id, 'AST' AS kind, a.dst_id, 1.0 AS confidence FROM edges_ast a
  UNION ALL
  SELECT c.src_id, c.kind, c.dst_id, 1.0 AS confidence FROM edges_contains c
  UNION ALL
  SELECT s.src_id, s.kind, s.dst_id, 1.0 AS confidence FROM edges_scope_parent s
  UNION ALL
  SELECT d.src_id, d.kind, d.dst_id, 1.0 AS confidence FROM edges_defines d
  UNION ALL
  SELECT b.src_id, b.kind, b.dst_id, 1.0 AS confidence FROM edges_binds b
  UNION ALL
  SELECT r.src_id, r.kind, r.dst_id, r.confidence AS confidence FROM edges_refers_to r
  UNION ALL
  SELECT b.src_id, b.kind, b.dst_id, b.confidence AS confidence FROM edges_builtin b
  UNION ALL
  SELECT i.src_id, i.kind, i.dst_id, i.confidence AS confidence FROM edges_imports i
  UNION ALL
  SELECT c.src_id, c.kind, c.dst_id, c.confidence AS confidence FROM edges_calls c
  UNION ALL
  SELECT h.src_id, h.kind, h.dst_id, h.confidence AS confidence FROM edges_inherits h
  UNION ALL
  SELECT c.src_id, c.kind, c.dst_id, 1.0 AS confidence FROM edges_cfg c
  UNION ALL
  SELECT d.src_id, d.kind, d.dst_id, 1.0 AS confidence FROM edges_cdg d
  UNION ALL
  SELECT d.src_id, d.kind, d.dst_id, 1.0 AS confidence FROM edges_dominate d
  UNION ALL
  SELECT p.src_id, p.kind, p.dst_id, 1.0 AS confidence FROM edges_post_dominate p
  UNION ALL
  SELECT r.src_id, r.kind, r.dst_id, 1.0 AS confidence FROM edges_reaching_def r
  UNION ALL
  SELECT v.src_id, v.kind, v.dst_id, 1.0 AS confidence FROM edges_evaluates v
),
-- Each edge as its list entry, with the quarter of its source (the low bits of the id, a hash).
q AS (
  SELECT e.src_id, e.src_id & 3 AS part,
         named_struct('kind', e.kind, 'dst_id', e.dst_id, 'confidence', e.confidence) AS edge
  FROM e
)
-- The groups are built a quarter at a time: an aggregate holds every edge of its groups until
-- its last input row, so grouping every source at once would hold all the lists and their
-- hash table. The quarters are read in order; the next one is grouped while the one before
-- it is written (see ordered.rs), so at most two are held at once.
SELECT q.src_id, array_agg(q.edge) AS edges FROM q WHERE q.part = 0 GROUP BY q.src_id
UNION ALL
SELECT q.src_id, array_agg(q.edge) AS edges FROM q WHERE q.part = 1 GROUP BY q.src_id
UNION ALL
SELECT q.src_id, array_agg(q.edge) AS edges FROM q WHERE q.part = 2 GROUP BY q.src_id
UNION ALL
SELECT q.src_id, array_agg(q.edge) AS edges FROM q WHERE q.part = 3 GROUP BY q.src_id

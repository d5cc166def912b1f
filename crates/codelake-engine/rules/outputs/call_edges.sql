-- The call graph: each call site (a call, a decorator's application, or a `raise` of a class) with each function,
-- external or builtin the value flow says it may call, and how (call, bound_method, init,
-- dunder_call, decorator). The caller is the def whose body holds the site, or the module.
WITH found AS (
  SELECT v.src AS call_key, v.dst AS callee, v.aux, v.qualname, v.rel
  FROM value_flow v
  WHERE v.rel IN ('call', 'ext')
),
sites AS (
  SELECT c.call_key, COALESCE(c.def_node_id, c.call_key) AS site_node_id, c.file_id,
         c.caller_id, c.site_kind
  FROM vf_calls c
  WHERE c.site_kind IN ('call', 'decorator', 'raise')
),
edges AS (
  SELECT s.site_node_id, s.file_id, s.caller_id,
         CASE WHEN f.rel = 'call' THEN f.callee END AS callee_id,
         CASE WHEN f.rel = 'call' THEN vv.qualname ELSE f.qualname END AS callee_qualname,
         CASE WHEN f.rel = 'call' THEN 'function'
              WHEN f.qualname LIKE 'builtins.%' THEN 'builtin' ELSE 'external' END AS callee_kind,
         CASE WHEN s.site_kind = 'decorator' THEN 'decorator'
              WHEN f.aux = 1 THEN 'bound_method' WHEN f.aux = 2 THEN 'init'
              WHEN f.aux = 3 THEN 'dunder_call' ELSE 'call' END AS how
  FROM found f
  JOIN sites s ON s.call_key = f.call_key
  LEFT JOIN vf_values vv ON f.rel = 'call' AND vv.value_id = f.callee
)
SELECT stable_id('call_edge', e.site_node_id, COALESCE(e.callee_id, stable_id('external', e.callee_qualname)), e.how) AS call_edge_id,
       e.file_id, e.site_node_id, e.caller_id, e.callee_id, e.callee_qualname, e.callee_kind,
       e.how, n.bstart, n.bend
FROM edges e
JOIN ast_nodes n ON n.node_id = e.site_node_id
WHERE e.callee_qualname IS NOT NULL

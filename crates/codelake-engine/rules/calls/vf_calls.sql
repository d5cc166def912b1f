-- The call sites of the value flow: every Call node, every `raise` (site_kind raise: a class
-- raised is instantiated), and every decorator application (a
-- decorator is called with the function or class below it, the lowest with the undecorated
-- def; `def_node_id` is that def). `callee_key` is the key whose values are called, `caller_id` the function, lambda or
-- class whose body holds the site, or the module. Each Call has two more sites, whose callee
-- keys receive what the call runs implicitly: `init` the `__init__` of a class it calls,
-- `dunder_call` the `__call__` of an instance it calls (both bound to the instance).
WITH sites AS (
  SELECT c.node_id AS call_key, callee.node_id AS callee_key,
         c.file_id, COALESCE(e.node_id, stable_id('module', c.file_id)) AS caller_id,
         'call' AS site_kind
  FROM calls c
  JOIN ast_nodes callee ON callee.parent_id = c.node_id AND callee.field = 'func'
  LEFT JOIN defs e ON e.def_id = c.enclosing_def_id
  WHERE c.node_id IS NOT NULL
  UNION ALL
  -- `raise C` instantiates the class C.
  SELECT r.node_id AS call_key, x.node_id AS callee_key, r.file_id,
         CASE WHEN s.kind = 'module' OR s.node_id IS NULL THEN stable_id('module', r.file_id)
              ELSE s.node_id END AS caller_id, 'raise' AS site_kind
  FROM cfg_nodes r
  JOIN ast_nodes x ON x.parent_id = r.node_id AND x.field = 'exc'
  JOIN scopes s ON s.scope_id = r.scope_id
  WHERE r.kind = 'Raise' AND r.copy = 0 AND r.role = 'eval'
)
SELECT s.call_key, s.callee_key, s.file_id, s.caller_id, s.site_kind,
       CAST(NULL AS BIGINT) AS def_node_id
FROM sites s
UNION ALL
SELECT s.call_key AS call_key, stable_id(k.kind, s.call_key) AS callee_key, s.file_id,
       s.caller_id, k.kind AS site_kind, CAST(NULL AS BIGINT) AS def_node_id
FROM sites s
CROSS JOIN (SELECT 'init' AS kind UNION ALL SELECT 'dunder_call') k
UNION ALL
SELECT stable_id('decorator', dc.decorator_id) AS call_key, dc.node_id AS callee_key,
       d.file_id, COALESCE(p.node_id, stable_id('module', d.file_id)) AS caller_id,
       'decorator' AS site_kind, d.node_id AS def_node_id
FROM decorators dc
JOIN defs d ON d.def_id = dc.def_id
LEFT JOIN defs p ON p.def_id = d.parent_def_id
WHERE dc.node_id IS NOT NULL AND d.node_id IS NOT NULL

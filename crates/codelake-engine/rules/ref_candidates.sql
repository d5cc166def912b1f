-- Every binding site a `Load` of a name can read: the bindings of the name in the scope the
-- reference resolves to (flow-insensitive: all of them). n is the number of candidates.
WITH per_name AS (
  -- n: the candidates of a name in a scope, counted over the bindings (a GROUP BY, where a
  -- window over the candidates needs a sort and a whole-partition frame).
  SELECT b.scope_id, b.name, count(*) AS n
  FROM bindings b
  WHERE b.kind NOT IN ('del', 'global', 'nonlocal')
  GROUP BY b.scope_id, b.name
)
SELECT r.ref_id, r.node_id, r.file_id, r.scope_id, r.name,
       b.binding_id, b.kind AS binding_kind, b.node_id AS site_node_id, pn.n
FROM name_refs r
JOIN bindings b ON b.scope_id = r.resolved_scope_id AND b.name = r.name
JOIN per_name pn ON pn.scope_id = b.scope_id AND pn.name = b.name
WHERE r.ctx = 'Load' AND b.kind NOT IN ('del', 'global', 'nonlocal')

-- Every binding site a `Load` of a name can read: the bindings of the name in the scope the
-- reference resolves to (flow-insensitive: all of them). n is the number of candidates, and
-- each has the confidence 1/n: REFERS_TO keeps the candidates at or above $min_confidence,
-- `unresolved` lists the sites of the others (a site's candidates share n, so all or none).
WITH per_name AS (
  -- n: the candidates of a name in a scope, counted over the bindings (a GROUP BY, where a
  -- window over the candidates needs a sort and a whole-partition frame).
  SELECT b.scope_id, b.name, count(*) AS n
  FROM bindings b
  WHERE b.kind NOT IN ('del', 'global', 'nonlocal')
  GROUP BY b.scope_id, b.name
),
counted AS (
  -- The bindings with their n, joined before the references: the hash joins build on the
  -- bindings' side, not on the candidates (about twice as many).
  SELECT b.binding_id, b.scope_id, b.name, b.kind, b.node_id, pn.n
  FROM per_name pn
  JOIN bindings b ON b.scope_id = pn.scope_id AND b.name = pn.name
  WHERE b.kind NOT IN ('del', 'global', 'nonlocal')
)
SELECT r.ref_id, r.node_id, r.file_id, r.scope_id, r.name,
       c.binding_id, c.kind AS binding_kind, c.node_id AS site_node_id, c.n,
       1.0 / CAST(c.n AS DOUBLE) AS confidence
FROM counted c
JOIN name_refs r ON r.resolved_scope_id = c.scope_id AND r.name = c.name
WHERE r.ctx = 'Load'

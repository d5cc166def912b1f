-- Every binding site a `Load` of a name can read: the bindings of the name in the scope the
-- reference resolves to (flow-insensitive: all of them). n is the number of candidates.
SELECT r.ref_id, r.node_id, r.file_id, r.scope_id, r.name,
       b.binding_id, b.kind AS binding_kind, b.node_id AS site_node_id,
       count(*) OVER (PARTITION BY r.ref_id) AS n
FROM name_refs r
JOIN bindings b ON b.scope_id = r.resolved_scope_id AND b.name = r.name
WHERE r.ctx = 'Load' AND b.kind NOT IN ('del', 'global', 'nonlocal')

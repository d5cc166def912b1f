-- BUILTIN: a reference that resolves to a builtin, to the BUILTIN node of that name.
SELECT 'BUILTIN' AS kind, r.node_id AS src_id, stable_id('builtin', r.name) AS dst_id,
       r.file_id, 'scopes' AS origin, 'edges_builtin' AS rule, 1.0 AS confidence,
       CAST(NULL AS BIGINT) AS ambiguity_group_id
FROM name_refs r
WHERE r.ctx = 'Load' AND r.resolution = 'builtin'

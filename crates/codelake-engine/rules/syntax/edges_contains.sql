-- CONTAINS: FILE -> MODULE -> the module's top-level definitions; a definition -> the
-- definitions nested in it.
SELECT 'CONTAINS' AS kind, s.file_id AS src_id, stable_id('module', s.file_id) AS dst_id,
       s.file_id, 'ast' AS origin, 'edges_contains' AS rule
FROM scopes s WHERE s.kind = 'module'
UNION ALL
SELECT 'CONTAINS', stable_id('module', d.file_id), d.node_id, d.file_id, 'ast', 'edges_contains'
FROM defs d WHERE d.parent_def_id IS NULL AND d.node_id IS NOT NULL
UNION ALL
SELECT 'CONTAINS', p.node_id, d.node_id, d.file_id, 'ast', 'edges_contains'
FROM defs d JOIN defs p ON p.def_id = d.parent_def_id
WHERE d.node_id IS NOT NULL AND p.node_id IS NOT NULL

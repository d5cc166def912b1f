-- SCOPE_PARENT: a scope -> the scope it is nested in.
SELECT 'SCOPE_PARENT' AS kind, s.scope_id AS src_id, s.parent_scope_id AS dst_id, s.file_id,
       'scopes' AS origin, 'edges_scope_parent' AS rule
FROM scopes s WHERE s.parent_scope_id IS NOT NULL

-- DEFINES: a scope -> each binding of a name in its namespace.
SELECT 'DEFINES' AS kind, b.scope_id AS src_id, b.binding_id AS dst_id, b.file_id,
       'scopes' AS origin, 'edges_defines' AS rule
FROM bindings b

-- BINDS: a binding site (def, class, parameter, import alias, assigned name, ...) -> the
-- binding it makes.
SELECT 'BINDS' AS kind, b.node_id AS src_id, b.binding_id AS dst_id, b.file_id,
       'scopes' AS origin, 'edges_binds' AS rule
FROM bindings b

-- AST: parent -> child, with the parent's field holding the child and the position in it.
SELECT 'AST' AS kind, n.parent_id AS src_id, n.node_id AS dst_id, n.file_id,
       'ast' AS origin, 'edges_ast' AS rule, n.field, n.field_index
FROM ast_nodes n WHERE n.parent_id IS NOT NULL

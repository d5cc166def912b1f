-- AST: parent -> child, with the parent's field holding the child and the position in it.
-- Every AST edge has the same kind, origin and rule ('AST', 'ast', 'edges_ast'): cpg_edges and
-- cpg_edges_by_src write them as constants, not read from every row of this intermediate
-- (kept in memory for its two readers).
SELECT n.parent_id AS src_id, n.node_id AS dst_id, n.file_id, n.field, n.field_index
FROM ast_nodes n WHERE n.parent_id IS NOT NULL

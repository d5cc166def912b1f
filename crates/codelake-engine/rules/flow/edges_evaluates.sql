-- EVALUATES: from each flow node to what it stands for: the AST node it evaluates, or, for the
-- entry, exit and exception exit of a graph, the scope (its SCOPE node).
SELECT 'EVALUATES' AS kind, n.cfg_node_id AS src_id, COALESCE(n.node_id, n.scope_id) AS dst_id,
       n.file_id, 'flow' AS origin, 'edges_evaluates' AS rule
FROM cfg_nodes n

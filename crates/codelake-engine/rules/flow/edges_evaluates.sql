-- EVALUATES: from each CFG_NODE (a flow node that is not its AST node's own: see cfg_nodes) to
-- what it stands for: the AST node it evaluates, or, for the entry, exit and exception exit of
-- a graph, the scope (its SCOPE node). An AST node's own flow node is the AST node itself.
SELECT 'EVALUATES' AS kind, n.cfg_node_id AS src_id, COALESCE(n.node_id, n.scope_id) AS dst_id,
       n.file_id, 'flow' AS origin, 'edges_evaluates' AS rule
FROM cfg_nodes n
WHERE n.node_id IS NULL OR n.cfg_node_id <> n.node_id

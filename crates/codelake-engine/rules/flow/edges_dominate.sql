-- DOMINATE: the dominator tree, from each flow node's immediate dominator to the node. As
-- Joern's DOMINATE edges.
SELECT 'DOMINATE' AS kind, d.idom AS src_id, d.cfg_node_id AS dst_id, d.file_id,
       'flow' AS origin, 'edges_dominate' AS rule
FROM dominators d
WHERE d.idom IS NOT NULL

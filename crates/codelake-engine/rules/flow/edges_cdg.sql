-- CDG: control dependence, from the branch node to each node whose execution its edge of kind
-- flow_kind decides (control_deps). As Joern's CDG edges.
SELECT 'CDG' AS kind, d.branch_id AS src_id, d.cfg_node_id AS dst_id, d.file_id,
       'flow' AS origin, 'edges_cdg' AS rule, d.kind AS flow_kind
FROM control_deps d

-- REACHING_DEF: from the flow node of a definition to the flow node of a read it reaches, with
-- the variable (defs_uses; one edge per variable however often the node reads it). As Joern's
-- REACHING_DEF edges and their VARIABLE property.
SELECT DISTINCT 'REACHING_DEF' AS kind, u.def_cfg_node_id AS src_id,
       u.use_cfg_node_id AS dst_id, u.file_id, 'flow' AS origin, 'edges_reaching_def' AS rule,
       u.var AS variable
FROM defs_uses u

-- CFG: control flow between flow nodes (cfg_edges), with the edge's kind (normal, true, false,
-- exception, exhausted, break, continue, return) as flow_kind. As Joern's CFG edges.
SELECT 'CFG' AS kind, e.src AS src_id, e.dst AS dst_id, e.file_id, 'flow' AS origin,
       'edges_cfg' AS rule, e.kind AS flow_kind
FROM cfg_edges e

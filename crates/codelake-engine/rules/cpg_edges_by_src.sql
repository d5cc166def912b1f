-- The adjacency list: each source node's outgoing edges as list<struct<kind, dst_id,
-- confidence>>, built with named_struct and array_agg.
SELECT e.src_id,
       array_agg(named_struct('kind', e.kind, 'dst_id', e.dst_id, 'confidence', e.confidence)
                 ORDER BY e.kind, e.dst_id) AS edges
FROM cpg_edges e
GROUP BY e.src_id

-- The adjacency list: each source node's outgoing edges as list<struct<kind, dst_id,
-- confidence>>, built with named_struct and array_agg, and sorted (by kind, then dst_id, then
-- confidence) with array_sort rather than an order-sensitive aggregate.
SELECT e.src_id,
       array_sort(array_agg(named_struct('kind', e.kind, 'dst_id', e.dst_id,
                                         'confidence', e.confidence))) AS edges
FROM cpg_edges e
GROUP BY e.src_id

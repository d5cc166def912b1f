-- POST_DOMINATE: the post-dominator tree, from each flow node's immediate post-dominator to the
-- node. As Joern's POST_DOMINATE edges.
SELECT 'POST_DOMINATE' AS kind, p.ipdom AS src_id, p.cfg_node_id AS dst_id, p.file_id,
       'flow' AS origin, 'edges_post_dominate' AS rule
FROM post_dominators p
WHERE p.ipdom IS NOT NULL

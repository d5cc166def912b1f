-- The attribute sites of the value flow: every Attribute node with its object expression and
-- name; a Store target of an assignment with the assigned value's key.
SELECT a.node_id, o.node_id AS obj_key, a.name, a.ctx, v.node_id AS value_key
FROM ast_nodes a
JOIN ast_nodes o ON o.parent_id = a.node_id AND o.field = 'value'
LEFT JOIN ast_nodes s ON s.node_id = a.parent_id AND a.ctx = 'Store'
                      AND s.kind IN ('Assign', 'AnnAssign') AND a.field IN ('targets', 'target')
LEFT JOIN ast_nodes v ON v.parent_id = s.node_id AND v.field = 'value'
WHERE a.kind = 'Attribute'

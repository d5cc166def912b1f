-- The subscript and iteration sites of the value flow. A Subscript node with its object and,
-- when the index is a constant, the constant's repr (its slot is `[repr]`); a Store target of
-- an assignment with the assigned value's key. An iteration (a for loop's or comprehension's
-- Name target) with the iterable it takes its items from (`[*]`, every item).
SELECT s.node_id, o.node_id AS obj_key, 'subscript' AS site_kind,
       CASE WHEN k.kind = 'Constant' THEN k.value END AS key_repr, s.ctx, v.node_id AS value_key
FROM ast_nodes s
JOIN ast_nodes o ON o.parent_id = s.node_id AND o.field = 'value'
JOIN ast_nodes k ON k.parent_id = s.node_id AND k.field = 'slice'
LEFT JOIN ast_nodes a ON a.node_id = s.parent_id AND s.ctx = 'Store'
                      AND a.kind IN ('Assign', 'AnnAssign') AND s.field IN ('targets', 'target')
LEFT JOIN ast_nodes v ON v.parent_id = a.node_id AND v.field = 'value'
WHERE s.kind = 'Subscript'
UNION ALL
SELECT t.node_id, i.node_id AS obj_key, 'iteration' AS site_kind,
       CAST(NULL AS VARCHAR) AS key_repr, 'Load' AS ctx, CAST(NULL AS BIGINT) AS value_key
FROM ast_nodes l
JOIN ast_nodes t ON t.parent_id = l.node_id AND t.field = 'target' AND t.kind = 'Name'
JOIN ast_nodes i ON i.parent_id = l.node_id AND i.field = 'iter'
WHERE l.kind IN ('For', 'AsyncFor', 'comprehension')

-- Expressions that name a definition through a chain of names: every callee of a call and every
-- base of a class. `head_bstart` is where the chain's first Name starts; `dotted` is the chain
-- (a.b.c) when the expression is nothing but names and attributes, else null.
SELECT 'edges_calls' AS rule, c.node_id AS site_id, c.node_id AS src_id, c.file_id,
       c.bstart, c.bend, c.callee_shape AS shape, c.callee_dotted AS dotted,
       c.callee_bstart AS head_bstart, c.callee_text AS text
FROM calls c
WHERE c.node_id IS NOT NULL
UNION ALL
SELECT 'edges_inherits', b.node_id, d.node_id, d.file_id, b.bstart, b.bend,
       CASE b.kind WHEN 'Name' THEN 'name' WHEN 'Attribute' THEN 'attribute' ELSE 'other' END,
       CASE WHEN b.kind = 'Name' THEN b.name
            WHEN b.kind = 'Attribute'
                 AND regexp_like(array_element(d.bases, b.field_index + 1),
                                 '^[^\W\d]\w*(\.[^\W\d]\w*)+$')
              THEN array_element(d.bases, b.field_index + 1) END,
       b.bstart AS head_bstart, COALESCE(array_element(d.bases, b.field_index + 1), b.kind)
FROM defs d
JOIN ast_nodes b ON b.parent_id = d.node_id AND b.field = 'bases'
WHERE d.kind = 'ClassDef' AND d.node_id IS NOT NULL

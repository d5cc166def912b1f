-- REFERS_TO: a name reference to each binding it can read. Several candidates share an
-- ambiguity group and split the confidence; candidates below $min_confidence are not kept
-- (they go to `unresolved` as below_confidence). A module attribute set by the import system
-- (__name__, __file__, ...) that the module never binds refers to the MODULE node.
SELECT 'REFERS_TO' AS kind, c.node_id AS src_id, c.binding_id AS dst_id, c.file_id,
       'scopes' AS origin, 'edges_refers_to' AS rule,
       c.confidence,
       CASE WHEN c.n > 1 THEN stable_id('ambiguity', c.node_id) END AS ambiguity_group_id
FROM ref_candidates c
WHERE c.confidence >= $min_confidence
UNION ALL
SELECT 'REFERS_TO', r.node_id, stable_id('module', s.file_id), r.file_id, 'scopes', 'edges_refers_to',
       1.0, CAST(NULL AS BIGINT)
FROM name_refs r
JOIN scopes s ON s.scope_id = r.resolved_scope_id AND s.kind = 'module'
LEFT JOIN ref_candidates c ON c.ref_id = r.ref_id
WHERE r.ctx = 'Load' AND c.ref_id IS NULL
  AND r.name IN ('__name__', '__file__', '__doc__', '__package__', '__spec__', '__loader__',
                 '__path__', '__cached__', '__builtins__', '__annotations__', '__dict__')

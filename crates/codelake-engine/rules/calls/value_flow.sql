-- The value flow: a points-to analysis in the spirit of PyCG's assignment graph, over the
-- static edges of vf_edges, run to its fixpoint (the step: value_flow.step.sql). Its facts:
--   pt    (src key, dst value): the key may hold the value (`qualname` names an external or
--         builtin value, made as the flow reaches it);
--   flow  (src key, dst key): an edge found on the way (arguments to parameters, returns to
--         calls, attribute slots to loads, values to attribute slots);
--   call  (src call site, dst function, aux): the site calls the function, its arguments
--         shifted by aux (0; 1 for a bound method, whose first parameter is the receiver;
--         2 for a class's __init__, whose return is not the call's value; 3 for an
--         instance's __call__);
--   ext   (src call site, dst value): the site calls an external or builtin value;
--   bind  (src class slot, dst attribute, aux instance): the attribute reads the slot of the
--         instance's class, whose methods it binds to the instance.
-- The first facts: each function and class at its def (or, decorated, at the undecorated
-- def), containers at their displays, modules and externals at the imports that bind them,
-- builtins at their reads, super() in a method.
SELECT 'pt' AS rel, CASE WHEN d.decorator_count = 0 THEN d.node_id
                         ELSE stable_id('undecorated', d.node_id) END AS src,
       d.node_id AS dst, CAST(NULL AS BIGINT) AS aux, CAST(NULL AS VARCHAR) AS qualname
FROM defs d
WHERE d.node_id IS NOT NULL
UNION ALL
-- `import a.b` binds a; `import a.b as c` binds c to a.b.
SELECT 'pt', i.node_id, COALESCE(mi.module_node_id, stable_id('external', i.bound)),
       CAST(NULL AS BIGINT), CASE WHEN mi.module_node_id IS NULL THEN i.bound END
FROM (
  SELECT im.node_id, CASE WHEN im.asname IS NULL THEN split_part(im.absolute_module, '.', 1)
                          ELSE im.absolute_module END AS bound
  FROM imports im
  WHERE im.kind = 'import' AND im.node_id IS NOT NULL AND im.absolute_module IS NOT NULL
) i
LEFT JOIN module_index mi ON mi.module = i.bound
UNION ALL
SELECT 'pt', t.node_id, t.target_id, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM import_targets t JOIN imports im ON im.node_id = t.node_id
WHERE t.target_kind = 'module' AND im.kind = 'from'
UNION ALL
SELECT 'pt', t.node_id, stable_id('external', t.looked_up), CAST(NULL AS BIGINT), t.looked_up
FROM import_targets t JOIN imports im ON im.node_id = t.node_id
WHERE t.target_kind = 'external' AND im.kind = 'from'
UNION ALL
SELECT 'pt', r.node_id, stable_id('builtin', r.name), CAST(NULL AS BIGINT), 'builtins.' || r.name
FROM name_refs r
WHERE r.ctx = 'Load' AND r.resolution = 'builtin'
UNION ALL
SELECT 'pt' AS rel, n.node_id AS src, n.node_id AS dst, CAST(NULL AS BIGINT) AS aux,
       CAST(NULL AS VARCHAR) AS qualname
FROM ast_nodes n
WHERE n.kind IN ('List', 'Tuple', 'Set', 'Dict')
UNION ALL
-- super() (or super(C, self)) in a method of a class C.
SELECT 'pt' AS rel, c.node_id AS src, stable_id('super', cls.node_id) AS dst,
       CAST(NULL AS BIGINT) AS aux, CAST(NULL AS VARCHAR) AS qualname
FROM calls c
JOIN name_refs r ON r.file_id = c.file_id AND r.bstart = c.callee_bstart AND r.ctx = 'Load'
JOIN defs m ON m.def_id = c.enclosing_def_id
JOIN defs cls ON cls.def_id = m.parent_def_id AND cls.kind = 'ClassDef'
WHERE c.callee_text = 'super' AND r.resolution = 'builtin' AND c.arg_count IN (0, 2)
  AND c.node_id IS NOT NULL AND cls.node_id IS NOT NULL

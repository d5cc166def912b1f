-- What each AST node may evaluate to, from the value flow's pt facts: a function, class,
-- instance, bound method, module, external or builtin, with its qualified name.
SELECT DISTINCT v.src AS node_id, n.file_id, v.dst AS value_id,
       COALESCE(vv.kind, CASE WHEN v.qualname LIKE 'builtins.%' THEN 'builtin' ELSE 'external' END)
         AS value_kind,
       COALESCE(vv.qualname, v.qualname) AS value_qualname
FROM value_flow v
JOIN ast_nodes n ON n.node_id = v.src
LEFT JOIN vf_values vv ON vv.value_id = v.dst
WHERE v.rel = 'pt'

-- The abstract values of the call graph's value flow that exist before it runs: each function
-- and lambda (its def node's id), each class (its node's id), one instance per class, each
-- module of the repository (its MODULE node's id). `qualname` is module-qualified; a function
-- defined directly in a class body has its `method_kind` (static, class or property when a
-- decorator says so, else method), and a bound method value (stable_id('bound', function)) for
-- a method or class method: what an attribute of an instance (or, for a class method, of the
-- class) gives; containers (displays, and generators). Externals and builtins are made as the
-- flow reaches them.
WITH decorated AS (
  SELECT dc.def_id,
         max(CASE WHEN dc.dotted = 'staticmethod' THEN 1 ELSE 0 END) AS is_static,
         max(CASE WHEN dc.dotted = 'classmethod' THEN 1 ELSE 0 END) AS is_class,
         max(CASE WHEN dc.dotted = 'property' OR dc.dotted LIKE '%.setter'
                       OR dc.dotted LIKE '%.getter' OR dc.dotted LIKE '%.deleter'
                       OR dc.dotted = 'functools.cached_property'
                       OR dc.dotted = 'cached_property' THEN 1 ELSE 0 END) AS is_property
  FROM decorators dc
  GROUP BY dc.def_id
),
defs_q AS (
  SELECT d.node_id, d.kind, d.def_id, d.parent_def_id, d.file_id,
         CASE WHEN f.module IS NULL THEN d.qualname ELSE f.module || '.' || d.qualname END AS qualname
  FROM defs d JOIN files f ON f.file_id = d.file_id
  WHERE d.node_id IS NOT NULL AND d.qualname IS NOT NULL
)
SELECT d.node_id AS value_id,
       CASE WHEN d.kind = 'ClassDef' THEN 'class' ELSE 'function' END AS kind,
       d.node_id AS def_node_id, d.qualname,
       CASE WHEN d.kind <> 'ClassDef' AND p.kind = 'ClassDef' THEN
              CASE WHEN dc.is_static = 1 THEN 'static' WHEN dc.is_class = 1 THEN 'class'
                   WHEN dc.is_property = 1 THEN 'property' ELSE 'method' END
       END AS method_kind,
       CASE WHEN p.kind = 'ClassDef' THEN p.node_id END AS class_node_id
FROM defs_q d
LEFT JOIN defs p ON p.def_id = d.parent_def_id
LEFT JOIN decorated dc ON dc.def_id = d.def_id
UNION ALL
SELECT stable_id('bound', m.value_id) AS value_id, 'bound' AS kind, m.def_node_id,
       m.qualname, m.method_kind, m.class_node_id
FROM (
  SELECT d.node_id AS value_id, d.node_id AS def_node_id, d.qualname,
         CASE WHEN dc.is_class = 1 THEN 'class' ELSE 'method' END AS method_kind,
         p.node_id AS class_node_id
  FROM defs_q d
  JOIN defs p ON p.def_id = d.parent_def_id AND p.kind = 'ClassDef'
  LEFT JOIN decorated dc ON dc.def_id = d.def_id
  WHERE d.kind <> 'ClassDef'
    AND COALESCE(dc.is_static, 0) = 0 AND COALESCE(dc.is_property, 0) = 0
) m
UNION ALL
SELECT stable_id('instance', d.node_id) AS value_id, 'instance' AS kind,
       d.node_id AS def_node_id, d.qualname, CAST(NULL AS VARCHAR) AS method_kind,
       d.node_id AS class_node_id
FROM defs_q d
WHERE d.kind = 'ClassDef'
UNION ALL
-- What super() makes in a method of each class: its attributes are the class's ancestors'.
SELECT stable_id('super', d.node_id) AS value_id, 'super' AS kind, d.node_id AS def_node_id,
       d.qualname, CAST(NULL AS VARCHAR) AS method_kind, d.node_id AS class_node_id
FROM defs_q d
WHERE d.kind = 'ClassDef'
UNION ALL
-- Containers: each list, tuple, set or dict display, and the generator a generator function's
-- call makes.
SELECT n.node_id AS value_id, 'container' AS kind, CAST(NULL AS BIGINT) AS def_node_id,
       CAST(NULL AS VARCHAR) AS qualname, CAST(NULL AS VARCHAR) AS method_kind,
       CAST(NULL AS BIGINT) AS class_node_id
FROM ast_nodes n
WHERE n.kind IN ('List', 'Tuple', 'Set', 'Dict')
UNION ALL
SELECT stable_id('generator', s.node_id) AS value_id, 'container' AS kind,
       s.node_id AS def_node_id, CAST(NULL AS VARCHAR) AS qualname,
       CAST(NULL AS VARCHAR) AS method_kind, CAST(NULL AS BIGINT) AS class_node_id
FROM scopes s
WHERE s.is_generator AND s.node_id IS NOT NULL
UNION ALL
SELECT stable_id('module', f.file_id) AS value_id, 'module' AS kind,
       CAST(NULL AS BIGINT) AS def_node_id, f.module AS qualname,
       CAST(NULL AS VARCHAR) AS method_kind, CAST(NULL AS BIGINT) AS class_node_id
FROM files f
WHERE f.module IS NOT NULL

-- Every node: the AST nodes (module-qualified qualname for definitions), and the semantic nodes
-- FILE, MODULE, SCOPE, BINDING (spanning its site node), CFG_NODE (a flow node that is not an AST node),
-- EXTERNAL_MODULE and BUILTIN.
-- (A scope without an AST node of its own, or a binding without a site node, keeps its
-- own span and has no span struct.)
-- (The Module is the one node of a file without a parent, `codelake diag` checks it: testing
-- the null mask of parent_id is cheaper than comparing the kind of every AST node, twice.)
WITH module_spans AS (
  SELECT n.file_id, n.bstart, n.bend, n.span FROM ast_nodes n WHERE n.parent_id IS NULL
)
SELECT n.node_id, n.kind, n.file_id, f.path, n.bstart, n.bend, n.name, dq.qualname, n.span
-- The joins name their small side first: in a single-partition plan a hash join builds its table
-- from the left input and streams the right, so `dq RIGHT JOIN ast_nodes` streams the
-- million AST nodes past a table of the definitions (the other way round it would hash every
-- AST node). The definitions' module-qualified names are made before that join, once per
-- definition, not once per AST node.
FROM files f
JOIN (
  (SELECT d.node_id,
          CASE WHEN df.module IS NULL THEN d.qualname
               ELSE df.module || '.' || d.qualname END AS qualname
   FROM files df JOIN defs d ON df.file_id = d.file_id) dq
  RIGHT JOIN ast_nodes n ON dq.node_id = n.node_id
) ON f.file_id = n.file_id
UNION ALL
SELECT f.file_id AS node_id, 'FILE' AS kind, f.file_id, f.path, m.bstart, m.bend, f.path AS name,
       CAST(NULL AS VARCHAR) AS qualname,
       m.span
FROM files f LEFT JOIN module_spans m ON m.file_id = f.file_id
UNION ALL
SELECT stable_id('module', s.file_id), 'MODULE', s.file_id, f.path, m.bstart, m.bend,
       f.module AS name, f.module AS qualname, m.span
FROM scopes s
JOIN files f ON f.file_id = s.file_id
LEFT JOIN module_spans m ON m.file_id = s.file_id
WHERE s.kind = 'module'
UNION ALL
-- SCOPE and BINDING nodes take the span struct of their AST node: both are gathered first, so
-- the million AST nodes stream past one hash table of the two, not past one of each.
-- Their offsets are that node's too, so that a row's offsets and span struct agree: a decorated
-- def's scope starts at its first decorator in `scopes` (ruff's range) but its node, as in
-- CPython, at `def`.
SELECT sb.node_id, sb.kind, sb.file_id, sb.path,
       COALESCE(n.bstart, sb.bstart), COALESCE(n.bend, sb.bend),
       sb.name, sb.qualname, n.span
FROM (
  SELECT s.scope_id AS node_id, 'SCOPE' AS kind, s.file_id, f.path, s.node_id AS site_id,
         s.bstart, s.bend, s.name,
         CASE WHEN f.module IS NULL THEN s.qualname
              WHEN s.kind = 'module' THEN f.module
              ELSE f.module || '.' || s.qualname END AS qualname
  FROM scopes s
  JOIN files f ON f.file_id = s.file_id
  UNION ALL
  SELECT b.binding_id, 'BINDING', b.file_id, f.path, b.node_id, b.bstart, b.bend, b.name,
         CASE WHEN s.kind = 'module' THEN COALESCE(f.module || '.', '') || b.name
              ELSE COALESCE(f.module || '.', '') || s.qualname || '.' || b.name END
  FROM scopes s
  JOIN (files f JOIN bindings b ON f.file_id = b.file_id) ON s.scope_id = b.scope_id
  UNION ALL
  -- A flow node that is not its AST node's own (whose id is the AST node's: see cfg_nodes) is
  -- a CFG_NODE, named by its kind (entry, exit, exception_exit or the ast class it
  -- evaluates); the fixed nodes of a graph have no AST node, and no span.
  SELECT c.cfg_node_id AS node_id, 'CFG_NODE' AS kind, c.file_id, f.path, c.node_id AS site_id,
         c.bstart, c.bend, c.kind AS name, CAST(NULL AS VARCHAR) AS qualname
  FROM files f JOIN cfg_nodes c ON f.file_id = c.file_id
  WHERE c.node_id IS NULL OR c.cfg_node_id <> c.node_id
) sb
LEFT JOIN ast_nodes n ON n.node_id = sb.site_id
UNION ALL
-- (The imports import_targets classifies external, with the same ids; and the top-level
-- package an external `import a.b` binds, which module_exports gives as the target of a
-- re-export of `a`.)
SELECT DISTINCT stable_id('external_module', x.module), 'EXTERNAL_MODULE',
       CAST(NULL AS BIGINT) AS file_id,
       CAST(NULL AS VARCHAR) AS path, CAST(NULL AS BIGINT) AS bstart, CAST(NULL AS BIGINT) AS bend, x.module AS name,
       x.module AS qualname,
       CAST(NULL AS STRUCT<bstart BIGINT, bend BIGINT, start_line INT, start_col INT, end_line INT, end_col INT>)
FROM (
  SELECT it.src_module AS module FROM import_sites it
  WHERE NOT it.beyond_top AND it.src_node_id IS NULL AND NOT it.in_repo_package
  UNION ALL
  SELECT split_part(it.src_module, '.', 1) FROM import_sites it
  WHERE it.binds_top_package AND NOT it.in_repo_package
) x
UNION ALL
SELECT DISTINCT stable_id('builtin', r.name), 'BUILTIN', CAST(NULL AS BIGINT) AS file_id,
       CAST(NULL AS VARCHAR) AS path, CAST(NULL AS BIGINT) AS bstart, CAST(NULL AS BIGINT) AS bend, r.name,
       'builtins.' || r.name,
       CAST(NULL AS STRUCT<bstart BIGINT, bend BIGINT, start_line INT, start_col INT, end_line INT, end_col INT>)
FROM name_refs r
WHERE r.ctx = 'Load' AND r.resolution = 'builtin'

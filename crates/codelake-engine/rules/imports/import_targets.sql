-- Where every import alias leads (the IMPORTS edges), or why it leads nowhere:
--   `import a.b.c`        -> the module a.b.c of the repository, else the external module;
--   `from m import *`     -> the module m;
--   `from m import name`  -> what m exports as name (module_exports: definitions, bindings,
--                            submodules, following re-exports), else the submodule m.name;
--   anything from outside the repository -> an EXTERNAL_MODULE node.
-- target_kind is def, binding, module, external or, for a failure, unresolved (with reason).
-- A name a repository module does not bind is `not_in_module`, or `star_import` when the module
-- star-imports (directly or through repository modules it star-imports) from a module whose
-- names are unknown, one outside the repository (`from _struct import *` in `struct`).
WITH RECURSIVE opaque(module, depth) AS (
  -- (Text columns go through concat(x, ''): the recursive union must not inherit the tables'
  -- field metadata, which its recursive term cannot carry.)
  SELECT concat(l.module, ''), CAST(0 AS BIGINT)
  FROM module_links l
  LEFT JOIN module_index src ON src.module = l.src_module
  WHERE l.is_star AND src.module IS NULL
  UNION ALL
  SELECT concat(l.module, ''), o.depth + 1
  FROM opaque o
  JOIN module_links l ON l.is_star AND l.src_module = o.module
  WHERE o.depth < $max_reexport_depth
),
found AS (
  -- Named imports from a repository module, through its exports.
  SELECT c.node_id, e.target_kind, e.target_id, e.target_module
  FROM import_sites c
  JOIN module_exports e ON e.module = c.src_module AND e.name = c.name
  WHERE c.kind = 'from' AND NOT c.is_star AND c.src_node_id IS NOT NULL
  UNION ALL
  -- ... else the submodule.
  SELECT c.node_id, 'module', sub.module_node_id, sub.module
  FROM import_sites c
  JOIN module_index sub ON sub.module = concat(c.src_module, '.', c.name)
  LEFT JOIN module_exports e ON e.module = c.src_module AND e.name = c.name
  WHERE c.kind = 'from' AND NOT c.is_star AND e.module IS NULL
)
SELECT c.node_id, c.file_id, c.bstart, c.bend,
       COALESCE(f.target_kind,
                CASE WHEN c.beyond_top THEN 'unresolved'
                     WHEN c.src_node_id IS NOT NULL AND (c.kind = 'import' OR c.is_star) THEN 'module'
                     WHEN c.src_node_id IS NULL AND NOT c.in_repo_package THEN 'external'
                     ELSE 'unresolved' END) AS target_kind,
       COALESCE(f.target_id,
                CASE WHEN c.beyond_top THEN CAST(NULL AS BIGINT)
                     WHEN c.src_node_id IS NOT NULL AND (c.kind = 'import' OR c.is_star) THEN c.src_node_id
                     WHEN c.src_node_id IS NULL AND NOT c.in_repo_package
                       THEN stable_id('external_module', c.src_module)
                     ELSE CAST(NULL AS BIGINT) END) AS target_id,
       COALESCE(f.target_module,
                CASE WHEN c.beyond_top THEN CAST(NULL AS VARCHAR) ELSE c.src_module END) AS target_module,
       CASE WHEN f.target_kind IS NOT NULL THEN CAST(NULL AS VARCHAR)
            WHEN c.beyond_top THEN 'relative_beyond_top_level'
            WHEN c.src_node_id IS NOT NULL AND (c.kind = 'import' OR c.is_star) THEN CAST(NULL AS VARCHAR)
            WHEN c.src_node_id IS NULL AND NOT c.in_repo_package THEN CAST(NULL AS VARCHAR)
            WHEN c.src_node_id IS NULL THEN 'module_not_found'
            WHEN op.module IS NOT NULL THEN 'star_import'
            ELSE 'not_in_module' END AS reason,
       CASE WHEN c.beyond_top
              -- As written: `from ..x import y` -> ..x.y, `from .. import y` -> ..y.
              THEN repeat('.', c.level)
                   || concat_ws('.', c.written_module, CASE WHEN NOT c.is_star THEN c.name END)
            WHEN c.name IS NULL OR c.is_star THEN c.src_module
            ELSE c.src_module || '.' || c.name END AS looked_up
FROM import_sites c
LEFT JOIN found f ON f.node_id = c.node_id
LEFT JOIN (SELECT DISTINCT o.module FROM opaque o) op ON op.module = c.src_module

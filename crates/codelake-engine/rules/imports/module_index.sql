-- The repository's modules: one file per dotted name, the one the import system would load
-- (a package's __init__ before a same-named module; source before a .pyi stub).
SELECT ranked.file_id, ranked.path, ranked.module, ranked.is_package,
       ranked.module_scope_id, ranked.module_node_id
FROM (
  SELECT f.file_id, f.path, f.module, f.is_package,
         s.scope_id AS module_scope_id,
         stable_id('module', f.file_id) AS module_node_id,
         row_number() OVER (PARTITION BY f.module
                            ORDER BY f.is_stub, f.is_package DESC, f.path) AS rank
  FROM files f
  JOIN scopes s ON s.file_id = f.file_id AND s.kind = 'module'
  WHERE f.module IS NOT NULL
) ranked
WHERE ranked.rank = 1

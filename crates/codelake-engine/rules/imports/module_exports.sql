-- What `from M import N` finds, for every repository module M and name N bound in its
-- namespace: the definition (def or class node), another binding, a module of the repository,
-- or an external module, following re-exports through imports and star imports (which bind
-- the names in the source's `__all__`, or its public names) up to $max_reexport_depth hops.
WITH RECURSIVE exports(module, name, target_kind, target_id, target_module, depth) AS (
  -- Names bound in the module itself.
  -- (Text columns go through concat(x, ''): the recursive union must not inherit the tables'
  -- field metadata, which its recursive term cannot carry.)
  SELECT concat(mi.module, ''), concat(b.name, ''),
         CASE WHEN b.kind IN ('def', 'class') THEN 'def' ELSE 'binding' END,
         CASE WHEN b.kind IN ('def', 'class') THEN b.node_id ELSE b.binding_id END,
         CAST(NULL AS VARCHAR),
         CAST(0 AS BIGINT)
  FROM module_index mi
  JOIN bindings b ON b.scope_id = mi.module_scope_id
  WHERE b.kind NOT IN ('import', 'del', 'global', 'nonlocal')
  UNION ALL
  -- Names an import binds to a module: `import m`, `import m as n`, and `from p import m`
  -- where p.m is a module of the repository; or anything imported from outside it.
  SELECT concat(l.module, ''), concat(l.name, ''),
         CASE WHEN target.module IS NOT NULL THEN 'module' ELSE 'external' END,
         COALESCE(target.module_node_id,
                  stable_id('external_module', COALESCE(l.src_module, ''))),
         concat(COALESCE(target.module, l.src_module), ''),
         CAST(0 AS BIGINT)
  -- A module outside the repository is external as `import_sites` classifies the import
  -- (which makes the EXTERNAL_MODULE nodes): one under a top-level package of the repository
  -- that has no file there (a compiled extension, a generated module) is not, and stays
  -- unresolved.
  FROM module_links l
  JOIN import_sites it ON it.node_id = l.import_node_id
  LEFT JOIN module_index src ON src.module = l.src_module
  LEFT JOIN module_index target
    ON target.module = CASE WHEN l.kind = 'import' THEN l.src_module
                            ELSE concat(l.src_module, '.', l.src_name) END
  WHERE NOT l.is_star AND l.src_module IS NOT NULL
    AND (target.module IS NOT NULL
         OR (NOT it.in_repo_package AND (l.kind = 'import' OR src.module IS NULL)))
  UNION ALL
  -- Re-exports: `from S import X [as N]` and `from S import *` in M, for S in the repository.
  SELECT concat(l.module, ''),
         concat(CASE WHEN l.is_star THEN e.name ELSE l.name END, ''),
         e.target_kind, e.target_id, e.target_module, e.depth + 1
  FROM exports e
  JOIN module_links l ON l.src_module = e.module AND l.kind = 'from'
  LEFT JOIN module_all a ON a.module = e.module AND a.name = e.name
  LEFT JOIN (SELECT DISTINCT module FROM module_all) has_all ON has_all.module = e.module
  WHERE e.depth < $max_reexport_depth
    AND ((NOT l.is_star AND e.name = l.src_name)
         OR (l.is_star AND (a.name IS NOT NULL
                            OR (has_all.module IS NULL AND left(e.name, 1) <> '_'))))
)
SELECT DISTINCT exports.module, exports.name, exports.target_kind, exports.target_id,
       exports.target_module
FROM exports

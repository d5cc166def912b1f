-- Every import alias with what can be known of it before following exports: the module it
-- names (absolute), whether that is a module of the repository (its node) or lies in one of the
-- repository's top-level packages, whether a relative import climbs beyond the top, and whether
-- it binds the top-level package of what it names (`import a.b.c` binds `a`). Read by
-- import_targets, and by cpg_nodes for the EXTERNAL_MODULE nodes (so that cpg_nodes need not
-- wait for module_exports).
WITH sites AS (
  SELECT i.node_id, i.file_id, i.kind, i.is_star, i.name, i.bstart, i.bend, i.level,
         i.module AS written_module,
         CASE WHEN i.kind = 'import' THEN i.module ELSE i.absolute_module END AS src_module,
         split_part(CASE WHEN i.kind = 'import' THEN i.module ELSE i.absolute_module END,
                    '.', 1) AS top_package,
         i.absolute_module IS NULL AND i.kind = 'from' AS beyond_top,
         i.kind = 'import' AND i.asname IS NULL AS binds_top_package
  FROM imports i
  WHERE i.node_id IS NOT NULL
),
top_packages AS (SELECT DISTINCT split_part(mi.module, '.', 1) AS top FROM module_index mi),
classified AS (
  SELECT s.*, src.module_node_id AS src_node_id, tp.top IS NOT NULL AS in_repo_package
  FROM sites s
  LEFT JOIN module_index src ON src.module = s.src_module
  LEFT JOIN top_packages tp ON tp.top = s.top_package
)
SELECT c.node_id, c.file_id, c.kind, c.is_star, c.name, c.bstart, c.bend, c.level,
       c.written_module, c.src_module, c.beyond_top, c.src_node_id, c.in_repo_package,
       c.binds_top_package
FROM classified c

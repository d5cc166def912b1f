-- What each import statement at module level binds, as a link: the bound name, the module it
-- comes from (absolute) and the name there (null for `import m` and for star imports).
SELECT mi.module, mi.module_node_id, i.node_id AS import_node_id, i.kind, i.is_star,
       i.bound_name AS name,
       CASE WHEN i.kind = 'import' AND i.asname IS NULL THEN split_part(i.module, '.', 1)
            WHEN i.kind = 'import' THEN i.module
            ELSE i.absolute_module END AS src_module,
       CASE WHEN i.kind = 'import' THEN CAST(NULL AS VARCHAR) ELSE i.name END AS src_name
FROM module_index mi
JOIN imports i ON i.scope_id = mi.module_scope_id
WHERE i.node_id IS NOT NULL

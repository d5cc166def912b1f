-- The names a module lists in a literal `__all__ = [...]` / `(...)` (or `+=`), which is what a
-- star import of it binds.
SELECT DISTINCT mi.module, substr(c.value, 2, length(c.value) - 2) AS name
FROM module_index mi
JOIN ast_nodes t ON t.file_id = mi.file_id
JOIN ast_nodes st ON st.node_id = t.parent_id
JOIN ast_nodes lst ON lst.parent_id = st.node_id
JOIN ast_nodes c ON c.parent_id = lst.node_id
WHERE t.kind = 'Name' AND t.name = '__all__' AND t.ctx = 'Store'
  AND st.kind IN ('Assign', 'AugAssign', 'AnnAssign')
  AND lst.field = 'value' AND lst.kind IN ('List', 'Tuple')
  AND c.kind = 'Constant' AND (c.value LIKE '''%''' OR c.value LIKE '"%"')

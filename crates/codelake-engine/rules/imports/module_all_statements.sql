-- The module-level statements that bind `__all__` (`__all__ = ...`, `__all__ += ...`,
-- `__all__: ... = ...`), with the module and the span of each: `module_all` reads them twice,
-- for their literals and for the `__all__`s of other modules they add.
SELECT mi.module, st.file_id, st.bstart, st.bend
FROM module_index mi
JOIN bindings b ON b.scope_id = mi.module_scope_id AND b.name = '__all__'
JOIN ast_nodes t ON t.node_id = b.node_id
JOIN ast_nodes st ON st.node_id = t.parent_id
WHERE b.kind IN ('assign', 'augassign', 'annassign')
  AND st.kind IN ('Assign', 'AugAssign', 'AnnAssign')

-- Which modules' `__all__` each module's `__all__` adds: a name in one of its `__all__`
-- statements (`module_all_statements`) bound by `from m import __all__ as name`: the name
-- loads of `name_refs` inside the statement (a third as many rows as the AST nodes a search for
-- Name nodes would read; module-level names are not mangled). Kept apart from `module_all` so
-- this scan runs once, not once per step of that rule's recursion.
SELECT DISTINCT s.module, l.src_module
FROM module_all_statements s
JOIN name_refs n
  ON n.file_id = s.file_id AND n.bstart >= s.bstart AND n.bend <= s.bend
JOIN module_links l ON l.module = s.module AND l.name = n.name
WHERE n.ctx = 'Load'
  AND l.kind = 'from' AND l.src_name = '__all__' AND l.src_module IS NOT NULL

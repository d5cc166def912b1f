-- The names a module's `__all__` lists, which is what a star import of it binds. These are
-- the string literals of the lists and tuples in its module-level `__all__ = ...`,
-- `__all__ += ...` and `__all__: ... = ...` statements (so `[...] + [...]` counts too), and,
-- where such a statement adds a name bound by `from m import __all__ as name`
-- (`module_all_includes`), every name of m's `__all__`, transitively up to
-- $max_reexport_depth modules away (Django's `__all__ = aggregates_all + fields_all + ...`).
-- A module whose `__all__` is computed some other way has no rows here, and a star import of
-- it binds its public names. (The statements are those of `module_all_statements`.)
WITH RECURSIVE literals AS (
  SELECT s.module, substr(c.value, 2, length(c.value) - 2) AS name
  FROM module_all_statements s
  JOIN ast_nodes lst
    ON lst.file_id = s.file_id AND lst.bstart >= s.bstart AND lst.bend <= s.bend
  JOIN ast_nodes c ON c.parent_id = lst.node_id
  WHERE lst.kind IN ('List', 'Tuple') AND lst.ctx = 'Load'
    -- (A str constant's value is its repr, which opens with its quote; testing the first byte
    -- costs a third of the LIKE pair '''%''' / '"%"' over the million nodes the filter reads.)
    AND c.kind = 'Constant' AND (starts_with(c.value, '''') OR starts_with(c.value, '"'))
),
-- (Text columns go through concat(x, ''): the recursive union must not inherit the tables'
-- field metadata, which its recursive term cannot carry.)
listed(module, name, depth) AS (
  SELECT concat(lit.module, ''), concat(lit.name, ''), CAST(0 AS BIGINT)
  FROM literals lit
  UNION ALL
  SELECT concat(i.module, ''), listed.name, listed.depth + 1
  FROM listed
  JOIN module_all_includes i ON i.src_module = listed.module
  WHERE listed.depth < $max_reexport_depth
)
SELECT DISTINCT listed.module, listed.name
FROM listed

-- The static edges of the value flow: every value of `src` is a value of `dst`. Keys are AST
-- nodes (expressions, Name targets, parameters, defs, import aliases) and a few made ones:
-- a function's return (`ret`), a name's slot in a module or class namespace (`own`), the
-- undecorated def.
--   * an assignment's value flows to each Name target (=, annotated, walrus), a tuple or list
--     of values to a tuple or list of targets element by element;
--   * a definition flows to each read it reaches: the flow layer's reaching definitions where
--     they cover the read (locals of functions), else every binding of the name in the scope
--     it resolves to (ref_candidates);
--   * a `return` value to its function's return, a lambda's body to the lambda's;
--   * a decorated def: the outermost decorator's application to the def's node;
--   * the bindings of a module or class body to the name's slot in its namespace
--     (stable_id('own', namespace value, name)), and a class's slot to the slot of each class
--     that inherits the name (the first class binding it in method resolution order,
--     vf_ancestors), and to what `super()` in the class finds (stable_id('super', class,
--     name): the first after the class itself);
--   * an import: the slot of the imported name in its module, or the def, binding or module;
--   * a container display's items to its slots: `[i]` for the i-th item of a list, tuple or
--     set, `[repr]` for a dict value whose key is a constant, `[?]` for other keys and starred
--     items, and every item to `[*]`; a yield's value to `[*]` of its function's generator;
--   * a parameter's default to the parameter.
WITH stmt AS (
  SELECT n.node_id, n.kind FROM ast_nodes n
  WHERE n.kind IN ('Assign', 'AnnAssign', 'NamedExpr', 'Return', 'Lambda')
),
parts AS (
  SELECT s.node_id AS stmt_id, s.kind AS stmt_kind, c.node_id, c.kind, c.field
  FROM stmt s JOIN ast_nodes c ON c.parent_id = s.node_id
  WHERE c.field IN ('targets', 'target', 'value', 'body')
),
assign AS (
  SELECT v.node_id AS src, t.node_id AS dst, t.kind AS t_kind, v.kind AS v_kind
  FROM parts t JOIN parts v ON v.stmt_id = t.stmt_id AND v.field = 'value'
  WHERE t.field IN ('targets', 'target') AND t.stmt_kind IN ('Assign', 'AnnAssign', 'NamedExpr')
),
covered AS (
  SELECT DISTINCT u.use_node_id FROM defs_uses u
),
func_scope AS (
  SELECT s.scope_id, s.node_id FROM scopes s WHERE s.kind IN ('function', 'lambda')
),
namespace AS (
  -- Module and class scopes with the value their names are slots of.
  SELECT s.scope_id, stable_id('module', s.file_id) AS value_id FROM scopes s WHERE s.kind = 'module'
  UNION ALL
  SELECT s.scope_id, s.node_id FROM scopes s WHERE s.kind = 'class' AND s.node_id IS NOT NULL
),
own AS (
  SELECT DISTINCT ns.value_id, b.name FROM bindings b JOIN namespace ns ON ns.scope_id = b.scope_id
  WHERE b.kind NOT IN ('del', 'global', 'nonlocal')
),
nearest AS (
  -- For each class and each name an ancestor binds, the first such ancestor in method
  -- resolution order after the class itself (vf_ancestors).
  SELECT a.class_id, o.name, min(a.rank) AS rank
  FROM vf_ancestors a JOIN own o ON o.value_id = a.ancestor_id
  WHERE a.rank > 0
  GROUP BY a.class_id, o.name
),
above AS (
  SELECT n.class_id, n.name, a.ancestor_id
  FROM nearest n JOIN vf_ancestors a ON a.class_id = n.class_id AND a.rank = n.rank
)
SELECT a.src, a.dst FROM assign a WHERE a.t_kind = 'Name'
UNION ALL
SELECT ve.node_id, te.node_id
FROM assign a
JOIN ast_nodes te ON te.parent_id = a.dst AND te.field = 'elts'
JOIN ast_nodes ve ON ve.parent_id = a.src AND ve.field = 'elts' AND ve.field_index = te.field_index
WHERE a.t_kind IN ('Tuple', 'List') AND a.v_kind IN ('Tuple', 'List') AND te.kind = 'Name'
UNION ALL
SELECT u.def_node_id, u.use_node_id FROM defs_uses u
UNION ALL
SELECT r.site_node_id, r.node_id FROM ref_candidates r
LEFT JOIN covered c ON c.use_node_id = r.node_id
WHERE c.use_node_id IS NULL
UNION ALL
SELECT v.node_id, stable_id('ret', fs.node_id)
FROM cfg_nodes cn
JOIN func_scope fs ON fs.scope_id = cn.scope_id
JOIN parts v ON v.stmt_id = cn.node_id AND v.field = 'value'
WHERE cn.kind = 'Return' AND v.stmt_kind = 'Return'
UNION ALL
SELECT b.node_id, stable_id('ret', p.stmt_id) FROM parts p
JOIN ast_nodes b ON b.node_id = p.node_id
WHERE p.stmt_kind = 'Lambda' AND p.field = 'body'
UNION ALL
SELECT stable_id('decorator', dc.decorator_id), d.node_id
FROM decorators dc JOIN defs d ON d.def_id = dc.def_id
WHERE dc.position = 0 AND dc.node_id IS NOT NULL AND d.node_id IS NOT NULL
UNION ALL
SELECT b.node_id, stable_id('own', ns.value_id, b.name)
FROM bindings b JOIN namespace ns ON ns.scope_id = b.scope_id
WHERE b.kind NOT IN ('del', 'global', 'nonlocal')
UNION ALL
SELECT stable_id('own', o.value_id, o.name), stable_id('slot', o.value_id, o.name) FROM own o
UNION ALL
SELECT stable_id('own', a.ancestor_id, a.name), stable_id('slot', a.class_id, a.name)
FROM above a
LEFT JOIN own mine ON mine.value_id = a.class_id AND mine.name = a.name
WHERE mine.value_id IS NULL
UNION ALL
SELECT stable_id('own', a.ancestor_id, a.name), stable_id('super', a.class_id, a.name)
FROM above a
UNION ALL
SELECT CASE t.target_kind
         WHEN 'def' THEN t.target_id
         WHEN 'binding' THEN b.node_id END, t.node_id
FROM import_targets t
LEFT JOIN bindings b ON b.binding_id = t.target_id AND t.target_kind = 'binding'
WHERE t.target_kind IN ('def', 'binding') AND (t.target_kind = 'def' OR b.node_id IS NOT NULL)
UNION ALL
SELECT e.src, e.dst FROM (
  SELECT i.node_id AS src,
         stable_id('slot', c.node_id, CASE WHEN i.kind = 'Starred' THEN '[?]'
                                           ELSE '[' || CAST(i.field_index AS VARCHAR) || ']' END) AS dst
  FROM ast_nodes c JOIN ast_nodes i ON i.parent_id = c.node_id AND i.field = 'elts'
  WHERE c.kind IN ('List', 'Tuple', 'Set')
  UNION ALL
  SELECT v.node_id AS src,
         stable_id('slot', c.node_id, CASE WHEN k.kind = 'Constant' THEN '[' || k.value || ']'
                                           ELSE '[?]' END) AS dst
  FROM ast_nodes c
  JOIN ast_nodes v ON v.parent_id = c.node_id AND v.field = 'values'
  LEFT JOIN ast_nodes k ON k.parent_id = c.node_id AND k.field = 'keys'
                        AND k.field_index = v.field_index
  WHERE c.kind = 'Dict'
  UNION ALL
  SELECT i.node_id AS src, stable_id('slot', c.node_id, '[*]') AS dst
  FROM ast_nodes c JOIN ast_nodes i ON i.parent_id = c.node_id
  WHERE (c.kind IN ('List', 'Tuple', 'Set') AND i.field = 'elts')
     OR (c.kind = 'Dict' AND i.field = 'values')
  UNION ALL
  SELECT v.node_id AS src, stable_id('slot', stable_id('generator', fs.node_id), '[*]') AS dst
  FROM cfg_nodes cn
  JOIN func_scope fs ON fs.scope_id = cn.scope_id
  JOIN ast_nodes v ON v.parent_id = cn.node_id AND v.field = 'value'
  WHERE cn.kind IN ('Yield', 'YieldFrom')
) e
UNION ALL
-- Parameter defaults: the i-th of `defaults` belongs to the last positional parameters, a
-- `kw_defaults` item to the keyword-only parameter at its index.
SELECT d.node_id AS src, p.node_id AS dst
FROM (SELECT a.node_id AS args_id,
             sum(CASE WHEN c.field IN ('posonlyargs', 'args') THEN 1 ELSE 0 END) AS n_pos,
             sum(CASE WHEN c.field = 'defaults' THEN 1 ELSE 0 END) AS n_def,
             sum(CASE WHEN c.field = 'posonlyargs' THEN 1 ELSE 0 END) AS n_posonly
      FROM ast_nodes a JOIN ast_nodes c ON c.parent_id = a.node_id
      WHERE a.kind = 'arguments'
      GROUP BY a.node_id) k
JOIN ast_nodes d ON d.parent_id = k.args_id AND d.field = 'defaults'
JOIN ast_nodes p ON p.parent_id = k.args_id AND p.field IN ('posonlyargs', 'args')
WHERE CASE WHEN p.field = 'args' THEN p.field_index + k.n_posonly ELSE p.field_index END
      = k.n_pos - k.n_def + d.field_index
UNION ALL
SELECT d.node_id AS src, p.node_id AS dst
FROM ast_nodes d
JOIN ast_nodes p ON p.parent_id = d.parent_id AND p.field = 'kwonlyargs'
                 AND p.field_index = d.field_index
WHERE d.field = 'kw_defaults'

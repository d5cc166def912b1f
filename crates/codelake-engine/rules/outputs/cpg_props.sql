-- Typed properties: of AST nodes (ctx, op, constant value), definitions, calls, scopes,
-- bindings and files. Each branch names the type of its value (a constant, where a CASE would
-- build the same strings row by row).
WITH p AS (
  SELECT n.node_id AS entity_id, 'ctx' AS key, 'str' AS value_type, n.ctx AS s,
         CAST(NULL AS BIGINT) AS i, CAST(NULL AS BOOLEAN) AS b
  FROM ast_nodes n WHERE n.ctx IS NOT NULL
  UNION ALL
  SELECT n.node_id, 'op', 'str', n.op, NULL, NULL FROM ast_nodes n WHERE n.op IS NOT NULL
  UNION ALL
  SELECT n.node_id, 'value', 'str', n.value, NULL, NULL FROM ast_nodes n WHERE n.value IS NOT NULL
  UNION ALL
  SELECT d.node_id, 'is_async', 'bool', NULL, NULL, d.is_async
  FROM defs d WHERE d.node_id IS NOT NULL
  UNION ALL
  SELECT d.node_id, 'decorator_count', 'int', NULL, CAST(d.decorator_count AS BIGINT), NULL
  FROM defs d WHERE d.node_id IS NOT NULL
  UNION ALL
  SELECT d.node_id, 'returns_annotation', 'str', d.returns_annotation, NULL, NULL
  FROM defs d WHERE d.node_id IS NOT NULL AND d.returns_annotation IS NOT NULL
  UNION ALL
  SELECT c.node_id, 'callee', 'str', c.callee_text, NULL, NULL
  FROM calls c WHERE c.node_id IS NOT NULL
  UNION ALL
  SELECT c.node_id, 'arg_count', 'int', NULL, CAST(c.arg_count AS BIGINT), NULL
  FROM calls c WHERE c.node_id IS NOT NULL
  UNION ALL
  SELECT s.scope_id, 'scope_kind', 'str', s.kind, NULL, NULL FROM scopes s
  UNION ALL
  SELECT s.scope_id, 'is_generator', 'bool', NULL, NULL, s.is_generator FROM scopes s
  UNION ALL
  SELECT s.scope_id, 'is_coroutine', 'bool', NULL, NULL, s.is_coroutine FROM scopes s
  UNION ALL
  SELECT b.binding_id, 'binding_kind', 'str', b.kind, NULL, NULL FROM bindings b
  UNION ALL
  SELECT c.cfg_node_id, 'flow_role', 'str', c.role, NULL, NULL FROM cfg_nodes c
  WHERE c.node_id IS NULL OR c.cfg_node_id <> c.node_id
  UNION ALL
  SELECT c.cfg_node_id, 'flow_copy', 'int', NULL, CAST(c.copy AS BIGINT), NULL
  FROM cfg_nodes c WHERE c.copy <> 0
  UNION ALL
  SELECT f.file_id, 'size_bytes', 'int', NULL, f.size_bytes, NULL FROM files f
  UNION ALL
  SELECT f.file_id, 'line_count', 'int', NULL, CAST(f.line_count AS BIGINT), NULL FROM files f
  UNION ALL
  SELECT f.file_id, 'content_hash', 'str', f.content_hash, NULL, NULL FROM files f
  UNION ALL
  SELECT f.file_id, 'encoding', 'str', f.encoding, NULL, NULL
  FROM files f WHERE f.encoding IS NOT NULL
  UNION ALL
  SELECT f.file_id, 'is_package', 'bool', NULL, NULL, f.is_package FROM files f
  UNION ALL
  SELECT f.file_id, 'is_stub', 'bool', NULL, NULL, f.is_stub FROM files f
)
SELECT p.entity_id, p.key, p.value_type,
       p.s AS value_str, p.i AS value_int, CAST(NULL AS DOUBLE) AS value_float,
       p.b AS value_bool
FROM p

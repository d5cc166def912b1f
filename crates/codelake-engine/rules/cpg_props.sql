-- Typed properties: of AST nodes (ctx, op, constant value), definitions, calls, scopes,
-- bindings and files.
WITH p AS (
  SELECT n.node_id AS entity_id, 'ctx' AS key, n.ctx AS s, CAST(NULL AS BIGINT) AS i,
         CAST(NULL AS BOOLEAN) AS b
  FROM ast_nodes n WHERE n.ctx IS NOT NULL
  UNION ALL
  SELECT n.node_id, 'op', n.op, NULL, NULL FROM ast_nodes n WHERE n.op IS NOT NULL
  UNION ALL
  SELECT n.node_id, 'value', n.value, NULL, NULL FROM ast_nodes n WHERE n.value IS NOT NULL
  UNION ALL
  SELECT d.node_id, 'is_async', NULL, NULL, d.is_async FROM defs d WHERE d.node_id IS NOT NULL
  UNION ALL
  SELECT d.node_id, 'decorator_count', NULL, CAST(d.decorator_count AS BIGINT), NULL
  FROM defs d WHERE d.node_id IS NOT NULL
  UNION ALL
  SELECT d.node_id, 'returns_annotation', d.returns_annotation, NULL, NULL
  FROM defs d WHERE d.node_id IS NOT NULL AND d.returns_annotation IS NOT NULL
  UNION ALL
  SELECT c.node_id, 'callee', c.callee_text, NULL, NULL FROM calls c WHERE c.node_id IS NOT NULL
  UNION ALL
  SELECT c.node_id, 'arg_count', NULL, CAST(c.arg_count AS BIGINT), NULL
  FROM calls c WHERE c.node_id IS NOT NULL
  UNION ALL
  SELECT s.scope_id, 'scope_kind', s.kind, NULL, NULL FROM scopes s
  UNION ALL
  SELECT s.scope_id, 'is_generator', NULL, NULL, s.is_generator FROM scopes s
  UNION ALL
  SELECT s.scope_id, 'is_coroutine', NULL, NULL, s.is_coroutine FROM scopes s
  UNION ALL
  SELECT b.binding_id, 'binding_kind', b.kind, NULL, NULL FROM bindings b
  UNION ALL
  SELECT f.file_id, 'size_bytes', NULL, f.size_bytes, NULL FROM files f
  UNION ALL
  SELECT f.file_id, 'line_count', NULL, CAST(f.line_count AS BIGINT), NULL FROM files f
  UNION ALL
  SELECT f.file_id, 'content_hash', f.content_hash, NULL, NULL FROM files f
  UNION ALL
  SELECT f.file_id, 'encoding', f.encoding, NULL, NULL FROM files f WHERE f.encoding IS NOT NULL
  UNION ALL
  SELECT f.file_id, 'is_package', NULL, NULL, f.is_package FROM files f
  UNION ALL
  SELECT f.file_id, 'is_stub', NULL, NULL, f.is_stub FROM files f
)
SELECT p.entity_id, p.key,
       CASE WHEN p.s IS NOT NULL THEN 'str' WHEN p.i IS NOT NULL THEN 'int' ELSE 'bool' END
         AS value_type,
       p.s AS value_str, p.i AS value_int, CAST(NULL AS DOUBLE) AS value_float,
       p.b AS value_bool
FROM p

-- Each entity's properties as one map<key, value-as-text>, its entries sorted by key: the same
-- properties as cpg_props, built row by row from the evidence row that holds them, each entry a
-- named_struct('key', ..., 'value', ...), listed in key order by make_array and made a map by
-- map_from_entries. A map of one entry is its struct cast to a list (arrow_cast): the cast
-- wraps the struct array as it is, where make_array copies it row by row (most maps have one
-- entry).
-- Every entity takes its properties from exactly one evidence row (an AST node has at most one
-- of ctx, op and value; definitions and calls are AST nodes that have none of them; scope,
-- binding, flow node and file ids are ids of their own), so no aggregation is needed (grouping cpg_props'
-- rows by entity costs about ten times as much).
-- `codelake diag` checks that the maps hold exactly cpg_props' rows.
-- (The AST nodes come in three branches, one per property, each with its key a constant:
-- choosing the key and value row by row with CASE cost more than the two extra scans of the
-- nodes' null masks.)
SELECT n.node_id AS entity_id,
       map_from_entries(arrow_cast(named_struct('key', 'ctx', 'value', n.ctx),
                                   'List(Struct("key": Utf8, "value": Utf8))')) AS props
FROM ast_nodes n
WHERE n.ctx IS NOT NULL
UNION ALL
SELECT n.node_id,
       map_from_entries(arrow_cast(named_struct('key', 'op', 'value', n.op),
                                   'List(Struct("key": Utf8, "value": Utf8))'))
FROM ast_nodes n
WHERE n.op IS NOT NULL
UNION ALL
SELECT n.node_id,
       map_from_entries(arrow_cast(named_struct('key', 'value', 'value', n.value),
                                   'List(Struct("key": Utf8, "value": Utf8))'))
FROM ast_nodes n
WHERE n.value IS NOT NULL
UNION ALL
SELECT d.node_id,
       CASE WHEN d.returns_annotation IS NULL THEN map_from_entries(make_array(
              named_struct('key', 'decorator_count', 'value', CAST(d.decorator_count AS VARCHAR)),
              named_struct('key', 'is_async', 'value', CAST(d.is_async AS VARCHAR))))
            ELSE map_from_entries(make_array(
              named_struct('key', 'decorator_count', 'value', CAST(d.decorator_count AS VARCHAR)),
              named_struct('key', 'is_async', 'value', CAST(d.is_async AS VARCHAR)),
              named_struct('key', 'returns_annotation', 'value', d.returns_annotation))) END
FROM defs d
WHERE d.node_id IS NOT NULL
UNION ALL
SELECT c.node_id,
       map_from_entries(make_array(
         named_struct('key', 'arg_count', 'value', CAST(c.arg_count AS VARCHAR)),
         named_struct('key', 'callee', 'value', c.callee_text)))
FROM calls c
WHERE c.node_id IS NOT NULL
UNION ALL
SELECT s.scope_id,
       map_from_entries(make_array(
         named_struct('key', 'is_coroutine', 'value', CAST(s.is_coroutine AS VARCHAR)),
         named_struct('key', 'is_generator', 'value', CAST(s.is_generator AS VARCHAR)),
         named_struct('key', 'scope_kind', 'value', s.kind)))
FROM scopes s
UNION ALL
SELECT b.binding_id,
       map_from_entries(arrow_cast(named_struct('key', 'binding_kind', 'value', b.kind),
                                   'List(Struct("key": Utf8, "value": Utf8))'))
FROM bindings b
UNION ALL
SELECT c.cfg_node_id,
       CASE WHEN c.copy = 0 THEN map_from_entries(arrow_cast(
              named_struct('key', 'flow_role', 'value', c.role),
              'List(Struct("key": Utf8, "value": Utf8))'))
            ELSE map_from_entries(make_array(
              named_struct('key', 'flow_copy', 'value', CAST(c.copy AS VARCHAR)),
              named_struct('key', 'flow_role', 'value', c.role))) END
FROM cfg_nodes c
WHERE c.node_id IS NULL OR c.cfg_node_id <> c.node_id
UNION ALL
SELECT f.file_id,
       CASE WHEN f.encoding IS NULL THEN map_from_entries(make_array(
              named_struct('key', 'content_hash', 'value', f.content_hash),
              named_struct('key', 'is_package', 'value', CAST(f.is_package AS VARCHAR)),
              named_struct('key', 'is_stub', 'value', CAST(f.is_stub AS VARCHAR)),
              named_struct('key', 'line_count', 'value', CAST(f.line_count AS VARCHAR)),
              named_struct('key', 'size_bytes', 'value', CAST(f.size_bytes AS VARCHAR))))
            ELSE map_from_entries(make_array(
              named_struct('key', 'content_hash', 'value', f.content_hash),
              named_struct('key', 'encoding', 'value', f.encoding),
              named_struct('key', 'is_package', 'value', CAST(f.is_package AS VARCHAR)),
              named_struct('key', 'is_stub', 'value', CAST(f.is_stub AS VARCHAR)),
              named_struct('key', 'line_count', 'value', CAST(f.line_count AS VARCHAR)),
              named_struct('key', 'size_bytes', 'value', CAST(f.size_bytes AS VARCHAR)))) END
FROM files f

-- The parameters of every function and lambda as keys of the value flow: `position` for those
-- an argument can fill by position (null for keyword-only), `name` for those a keyword can
-- fill (null for positional-only); *args and **kwargs are not filled.
SELECT d.node_id AS function_id,
       CASE WHEN p.kind IN ('posonly', 'positional') THEN p.position END AS position,
       CASE WHEN p.kind IN ('positional', 'kwonly') THEN p.name END AS name,
       p.node_id AS param_key
FROM params p
JOIN defs d ON d.def_id = p.def_id
WHERE p.node_id IS NOT NULL AND d.node_id IS NOT NULL AND p.kind NOT IN ('vararg', 'kwarg')

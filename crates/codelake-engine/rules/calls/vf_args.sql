-- The arguments of the value flow's call sites (vf_calls): a call's arguments by position
-- among the positional ones, or by keyword; a decorator application's one argument, the def
-- below it (the next decorator's application, or the undecorated def for the lowest).
WITH positional AS (
  SELECT a.call_id, a.node_id, a.keyword, a.star,
         row_number() OVER (PARTITION BY a.call_id ORDER BY a.position) - 1 AS pos
  FROM call_args a
  WHERE a.keyword IS NULL AND a.star IS NULL AND a.node_id IS NOT NULL
)
SELECT c.node_id AS call_key, CAST(p.pos AS INT) AS position, CAST(NULL AS VARCHAR) AS keyword,
       p.node_id AS arg_key
FROM positional p
JOIN calls c ON c.call_id = p.call_id
WHERE c.node_id IS NOT NULL
UNION ALL
SELECT c.node_id, CAST(NULL AS INT), a.keyword, a.node_id
FROM call_args a
JOIN calls c ON c.call_id = a.call_id
WHERE a.keyword IS NOT NULL AND a.star IS NULL AND a.node_id IS NOT NULL AND c.node_id IS NOT NULL
UNION ALL
SELECT stable_id('decorator', dc.decorator_id), CAST(0 AS INT), CAST(NULL AS VARCHAR),
       CASE WHEN below.decorator_id IS NULL THEN stable_id('undecorated', d.node_id)
            ELSE stable_id('decorator', below.decorator_id) END
FROM decorators dc
JOIN defs d ON d.def_id = dc.def_id
LEFT JOIN decorators below ON below.def_id = dc.def_id AND below.position = dc.position + 1
WHERE dc.node_id IS NOT NULL AND d.node_id IS NOT NULL

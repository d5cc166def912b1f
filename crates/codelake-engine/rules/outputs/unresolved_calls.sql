-- Every call with no callee in the call graph, and why: `no_value` when the value flow reaches
-- its callee with nothing, `not_callable` when only with values a call cannot run (a module,
-- an instance whose class has no __call__, ...).
WITH resolved AS (
  SELECT DISTINCT v.src AS call_key FROM value_flow v WHERE v.rel IN ('call', 'ext')
),
has_value AS (
  SELECT DISTINCT c.call_key
  FROM vf_calls c JOIN value_flow v ON v.rel = 'pt' AND v.src = c.callee_key
  WHERE c.site_kind = 'call'
)
SELECT c.node_id AS site_node_id, c.file_id, c.callee_text,
       CASE WHEN h.call_key IS NULL THEN 'no_value' ELSE 'not_callable' END AS reason,
       c.bstart, c.bend
FROM calls c
LEFT JOIN resolved r ON r.call_key = c.node_id
LEFT JOIN has_value h ON h.call_key = c.node_id
WHERE c.node_id IS NOT NULL AND r.call_key IS NULL

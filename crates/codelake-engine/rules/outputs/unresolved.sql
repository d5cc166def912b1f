-- Every site a resolution rule could not connect, with the reason.
WITH refs AS (
  -- Name loads with no binding, builtin or module attribute to go to.
  SELECT r.file_id, r.node_id, 'edges_refers_to' AS rule, r.name,
         CASE WHEN r.resolution = 'unresolved' AND star.file_id IS NOT NULL THEN 'star_import'
              WHEN r.resolution = 'unresolved' THEN 'undefined_name'
              WHEN star.file_id IS NOT NULL THEN 'star_import'
              ELSE 'no_binding' END AS reason,
         r.bstart, r.bend
  FROM name_refs r
  LEFT JOIN ref_candidates c ON c.ref_id = r.ref_id
  LEFT JOIN edges_refers_to e ON e.src_id = r.node_id
  LEFT JOIN (SELECT DISTINCT i.file_id FROM imports i WHERE i.is_star) star
    ON star.file_id = r.file_id
  WHERE r.ctx = 'Load' AND r.resolution <> 'builtin' AND c.ref_id IS NULL AND e.src_id IS NULL
  UNION ALL
  -- Sites whose candidates are all below $min_confidence: the complement of the filter of
  -- edges_refers_to (a site's candidates share one confidence). Filtering the candidates
  -- first leaves the join with the few sites dropped, where an anti join against the kept
  -- edges would hash every candidate and probe them again.
  SELECT c.file_id, c.node_id, 'edges_refers_to', c.name, 'below_confidence',
         r.bstart, r.bend
  FROM ref_candidates c
  JOIN name_refs r ON r.ref_id = c.ref_id
  WHERE c.confidence < $min_confidence
),
imports_failed AS (
  SELECT it.file_id, it.node_id, 'edges_imports' AS rule, it.looked_up AS name, it.reason,
         it.bstart, it.bend
  FROM import_targets it
  WHERE it.target_id IS NULL
),
dotted_failed AS (
  SELECT dt.file_id, dt.site_id AS node_id, dt.rule, min(dt.text) AS name,
         min(dt.reason) AS reason, min(dt.bstart) AS bstart, min(dt.bend) AS bend
  FROM dotted_targets dt
  LEFT JOIN (SELECT DISTINCT d.site_id FROM dotted_targets d
             WHERE d.target_id IS NOT NULL) ok ON ok.site_id = dt.site_id
  WHERE ok.site_id IS NULL
  GROUP BY dt.file_id, dt.site_id, dt.rule
  UNION ALL
  -- A base that names something other than a class.
  SELECT dt.file_id, dt.site_id, dt.rule, min(dt.text), 'not_a_class', min(dt.bstart),
         min(dt.bend)
  FROM dotted_targets dt
  LEFT JOIN defs d ON d.node_id = dt.target_id AND d.kind = 'ClassDef'
  WHERE dt.rule = 'edges_inherits' AND dt.target_id IS NOT NULL
  GROUP BY dt.file_id, dt.site_id, dt.rule
  HAVING max(CASE WHEN d.node_id IS NOT NULL THEN 1 ELSE 0 END) = 0
),
u AS (
  SELECT * FROM refs
  UNION ALL SELECT * FROM imports_failed
  UNION ALL SELECT * FROM dotted_failed
)
SELECT DISTINCT stable_id('unresolved', u.rule, u.node_id) AS unresolved_id, u.file_id,
       u.node_id, u.rule, COALESCE(u.name, '') AS name, u.reason, u.bstart, u.bend
FROM u

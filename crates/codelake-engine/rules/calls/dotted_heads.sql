-- The dotted sites with what their chain's head denotes (for dotted_targets): the head's name
-- reference, each of its REFERS_TO candidates (a definition, an import's target, a value) or
-- its builtin, and for a head that is a module the full dotted path, split into the owning
-- module and the leaf name. Materialised once: dotted_targets reads it three times.
WITH heads AS (
  SELECT s.*, r.node_id AS head_node_id, r.ref_id AS head_ref_id, r.resolution,
         CASE WHEN strpos(s.dotted, '.') > 0
              THEN substr(s.dotted, strpos(s.dotted, '.') + 1) END AS rest
  FROM dotted_sites s
  LEFT JOIN name_refs r
    ON r.file_id = s.file_id AND r.bstart = s.head_bstart AND r.ctx = 'Load'
  WHERE s.dotted IS NOT NULL
),
denoted AS (
  SELECT h.*, c.n,
         CASE WHEN c.binding_kind IN ('def', 'class') THEN 'def'
              WHEN c.binding_kind = 'import' THEN COALESCE(it.target_kind, 'unresolved')
              WHEN c.binding_kind IS NOT NULL THEN 'value'
              WHEN h.resolution = 'builtin' THEN 'builtin'
              ELSE 'unresolved' END AS head_kind,
         CASE WHEN c.binding_kind IN ('def', 'class') THEN c.site_node_id
              ELSE it.target_id END AS head_target,
         it.target_module AS head_module
  FROM heads h
  LEFT JOIN ref_candidates c ON c.ref_id = h.head_ref_id
  LEFT JOIN import_targets it ON c.binding_kind = 'import' AND it.node_id = c.site_node_id
),
pathed AS (
  SELECT d.*, d.head_module || '.' || d.rest AS full_path
  FROM denoted d
),
split AS (
  SELECT p.*,
         regexp_replace(p.full_path, '\.[^.]*$', '') AS owner_module,
         regexp_replace(p.full_path, '^.*\.', '') AS leaf
  FROM pathed p
)
SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text, s.rest, s.n,
       s.head_kind, s.head_target, s.owner_module, s.leaf
FROM split s

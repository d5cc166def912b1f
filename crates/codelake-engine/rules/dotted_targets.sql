-- What each dotted site names. The chain's head is a name reference; through its REFERS_TO
-- candidates it denotes a definition, a module (through an import), an external module, a
-- builtin or some other value. The rest of the chain is followed through modules of the
-- repository (pkg.mod.func); attributes of classes and values are a later issue's (method
-- resolution) and are reported as `attribute`. One row per (site, target), or one row with the
-- reason when there is no target.
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
),
resolved AS (
  -- A name that denotes a definition.
  SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
         s.head_target AS target_id, CAST(NULL AS VARCHAR) AS reason, s.n AS candidates
  FROM split s
  WHERE s.rest IS NULL AND s.head_kind = 'def'
  UNION ALL
  -- module.path.name, through the exports of a module of the repository.
  SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
         e.target_id, CASE WHEN e.target_kind = 'def' THEN CAST(NULL AS VARCHAR)
                           ELSE 'not_a_definition' END, s.n
  FROM split s
  JOIN module_exports e ON e.module = s.owner_module AND e.name = s.leaf
  WHERE s.rest IS NOT NULL AND s.head_kind = 'module'
)
SELECT r.rule, r.site_id, r.src_id, r.file_id, r.bstart, r.bend, r.text,
       CASE WHEN r.reason IS NULL THEN r.target_id END AS target_id, r.reason
FROM resolved r
UNION ALL
SELECT DISTINCT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
       CAST(NULL AS BIGINT),
       CASE WHEN s.head_kind = 'builtin' THEN 'builtin'
            WHEN s.head_kind = 'external' THEN 'external'
            WHEN s.head_kind = 'unresolved' THEN 'unresolved_name'
            WHEN s.rest IS NULL THEN 'not_a_definition'
            WHEN s.head_kind = 'module' THEN 'not_in_module'
            ELSE 'attribute' END
FROM split s
LEFT JOIN resolved r ON r.site_id = s.site_id
WHERE r.site_id IS NULL
UNION ALL
SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
       CAST(NULL AS BIGINT),
       CASE WHEN s.shape IN ('name', 'attribute') THEN 'attribute' ELSE 'dynamic' END
FROM dotted_sites s
WHERE s.dotted IS NULL

-- What each dotted site names. The chain's head is a name reference; through its REFERS_TO
-- candidates it denotes a definition, a module (through an import), an external module, a
-- builtin or some other value. The rest of the chain is followed through modules of the
-- repository (pkg.mod.func); attributes of classes and values are a later issue's (method
-- resolution) and are reported as `attribute`. One row per (site, target), or one row with the
-- reason when there is no target.
WITH resolved AS (
  -- A name that denotes a definition.
  SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
         s.head_target AS target_id, CAST(NULL AS VARCHAR) AS reason, s.n AS candidates
  FROM dotted_heads s
  WHERE s.rest IS NULL AND s.head_kind = 'def'
  UNION ALL
  -- module.path.name, through the exports of a module of the repository.
  SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
         e.target_id, CASE WHEN e.target_kind = 'def' THEN CAST(NULL AS VARCHAR)
                           ELSE 'not_a_definition' END, s.n
  FROM dotted_heads s
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
FROM dotted_heads s
LEFT JOIN resolved r ON r.site_id = s.site_id
WHERE r.site_id IS NULL
UNION ALL
SELECT s.rule, s.site_id, s.src_id, s.file_id, s.bstart, s.bend, s.text,
       CAST(NULL AS BIGINT),
       CASE WHEN s.shape IN ('name', 'attribute') THEN 'attribute' ELSE 'dynamic' END
FROM dotted_sites s
WHERE s.dotted IS NULL

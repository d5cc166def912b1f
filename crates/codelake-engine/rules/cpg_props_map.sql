-- Each entity's properties as one map<key, value-as-text>, built with map() over array_agg.
SELECT p.entity_id,
       map(array_agg(p.key ORDER BY p.key),
           array_agg(COALESCE(p.value_str, CAST(p.value_int AS VARCHAR),
                              CAST(p.value_float AS VARCHAR), CAST(p.value_bool AS VARCHAR))
                     ORDER BY p.key)) AS props
FROM cpg_props p
GROUP BY p.entity_id

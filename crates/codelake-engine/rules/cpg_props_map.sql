-- Each entity's properties as one map<key, value-as-text>, its entries sorted by key: the
-- entries are aggregated unordered (array_agg of named_struct), sorted with array_sort and made
-- a map with map_from_entries. (An order-sensitive array_agg(... ORDER BY key) keeps an
-- accumulator per group and takes gigabytes on a million entities.)
SELECT p.entity_id,
       map_from_entries(array_sort(array_agg(named_struct(
         'key', p.key,
         'value', COALESCE(p.value_str, CAST(p.value_int AS VARCHAR),
                           CAST(p.value_float AS VARCHAR), CAST(p.value_bool AS VARCHAR)))))) AS props
FROM cpg_props p
GROUP BY p.entity_id

-- One round of the value flow (value_flow.sql describes its facts): what the facts new in the
-- last round (value_flow_delta) give, joined with every fact so far (value_flow) where a rule
-- joins two derived facts. (The engine keeps the facts that are not known yet.)
WITH dpt AS (SELECT v.src, v.dst, v.qualname FROM value_flow_delta v WHERE v.rel = 'pt'),
apt AS (SELECT v.src, v.dst, v.qualname FROM value_flow v WHERE v.rel = 'pt'),
dflow AS (SELECT v.src, v.dst FROM value_flow_delta v WHERE v.rel = 'flow'),
aflow AS (SELECT v.src, v.dst FROM value_flow v WHERE v.rel = 'flow'),
dcall AS (SELECT v.src, v.dst, v.aux FROM value_flow_delta v WHERE v.rel = 'call'),
dbind AS (SELECT v.src, v.dst, v.aux FROM value_flow_delta v WHERE v.rel = 'bind'),
abind AS (SELECT v.src, v.dst, v.aux FROM value_flow v WHERE v.rel = 'bind'),
-- New values of call sites' callee keys, with what they are.
called AS (
  SELECT c.call_key, c.site_kind, p.dst AS value_id, p.qualname, vv.kind, vv.def_node_id
  FROM dpt p
  JOIN vf_calls c ON c.callee_key = p.src
  LEFT JOIN vf_values vv ON vv.value_id = p.dst
),
-- New values of attributes' objects, with what they are.
objects AS (
  SELECT a.node_id, a.name, a.ctx, a.value_key, p.dst AS value_id, p.qualname, vv.kind,
         vv.def_node_id
  FROM dpt p
  JOIN vf_attrs a ON a.obj_key = p.src
  LEFT JOIN vf_values vv ON vv.value_id = p.dst
),
-- New values of subscripts' and iterations' objects.
items AS (
  SELECT s.node_id, s.site_kind, s.key_repr, s.ctx, s.value_key, p.dst AS value_id
  FROM dpt p
  JOIN vf_subscripts s ON s.obj_key = p.src
  JOIN vf_values vv ON vv.value_id = p.dst AND vv.kind = 'container'
),
-- Class attributes reaching an attribute through an instance (or new bind facts' slots).
bound AS (
  SELECT b.dst AS node_id, b.aux AS receiver, s.dst AS value_id, s.qualname
  FROM dbind b JOIN apt s ON s.src = b.src
  UNION ALL
  SELECT b.dst, b.aux, s.dst, s.qualname
  FROM abind b JOIN dpt s ON s.src = b.src
),
bound_v AS (
  SELECT b.node_id, b.receiver, b.value_id, b.qualname, f.kind, f.method_kind, f.def_node_id,
         rv.kind AS receiver_kind, rv.def_node_id AS receiver_class
  FROM bound b
  LEFT JOIN vf_values f ON f.value_id = b.value_id
  LEFT JOIN vf_values rv ON rv.value_id = b.receiver
)
-- Values along the static edges, the edges found so far, and the edges found last round.
SELECT 'pt' AS rel, e.dst AS src, p.dst AS dst, CAST(NULL AS BIGINT) AS aux, p.qualname
FROM dpt p JOIN vf_edges e ON e.src = p.src
UNION ALL
SELECT 'pt', f.dst, p.dst, CAST(NULL AS BIGINT), p.qualname
FROM dpt p JOIN aflow f ON f.src = p.src
UNION ALL
SELECT 'pt', f.dst, p.dst, CAST(NULL AS BIGINT), p.qualname
FROM dflow f JOIN apt p ON p.src = f.src
UNION ALL
-- Calls: a function (or, through init and dunder_call, an __init__ or __call__) is called; a
-- bound method with its receiver first.
SELECT 'call', c.call_key, c.def_node_id,
       CAST(CASE WHEN c.site_kind = 'init' THEN 2
                 WHEN c.site_kind = 'dunder_call' THEN 3
                 WHEN c.kind = 'bound' THEN 1
                 ELSE 0 END AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM called c
WHERE c.kind IN ('function', 'bound') AND c.site_kind <> 'raise'
UNION ALL
-- A class called makes an instance and runs its __init__ (found in its namespace).
SELECT 'pt', c.call_key, stable_id('instance', c.value_id), CAST(NULL AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM called c WHERE c.kind = 'class' AND c.site_kind IN ('call', 'decorator', 'raise')
UNION ALL
SELECT 'flow', stable_id('slot', c.value_id, '__init__'), stable_id('init', c.call_key),
       CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM called c WHERE c.kind = 'class' AND c.site_kind IN ('call', 'raise')
UNION ALL
-- An instance called runs its class's __call__.
SELECT 'flow', stable_id('slot', c.def_node_id, '__call__'), stable_id('dunder_call', c.call_key),
       CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM called c WHERE c.kind = 'instance' AND c.site_kind = 'call'
UNION ALL
-- An external or builtin called: the call is recorded, and (as PyCG has it) its result is
-- the external itself, whose attributes are its qualified name's.
SELECT 'ext', c.call_key, c.value_id, CAST(NULL AS BIGINT), c.qualname
FROM called c WHERE c.qualname IS NOT NULL AND c.site_kind IN ('call', 'decorator')
UNION ALL
SELECT 'pt', c.call_key, c.value_id, CAST(NULL AS BIGINT), c.qualname
FROM called c
WHERE c.qualname IS NOT NULL AND c.site_kind = 'call' AND c.qualname NOT LIKE 'builtins.%'
UNION ALL
-- An external decorator (dataclasses.dataclass, functools.lru_cache, ...) is taken to give
-- back what it decorates, as the builtin ones below do.
SELECT 'flow', a.arg_key, c.call_key, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM called c JOIN vf_args a ON a.call_key = c.call_key AND a.position = 0
WHERE c.qualname IS NOT NULL AND c.site_kind = 'decorator'
UNION ALL
-- staticmethod, classmethod, property and functools.partial give (for the call graph) the
-- function they wrap.
SELECT 'flow', a.arg_key, c.call_key, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM called c JOIN vf_args a ON a.call_key = c.call_key AND a.position = 0
WHERE c.qualname IN ('builtins.staticmethod', 'builtins.classmethod', 'builtins.property',
                     'functools.partial', 'functools.cached_property')
UNION ALL
-- A new call: its arguments flow to the parameters (by position, after the receiver of a
-- bound method or __init__, or by keyword), the function's return to the call, and for an
-- __init__ the instance (the call's value) to its first parameter.
SELECT 'flow', a.arg_key, p.param_key, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM dcall c
JOIN vf_args a ON a.call_key = c.src
JOIN vf_params p ON p.function_id = c.dst
WHERE (a.position IS NOT NULL AND p.position = a.position + CASE WHEN c.aux > 0 THEN 1 ELSE 0 END)
   OR (a.keyword IS NOT NULL AND p.name = a.keyword)
UNION ALL
SELECT 'flow' AS rel, stable_id('ret', c.dst) AS src, c.src AS dst, CAST(NULL AS BIGINT) AS aux,
       CAST(NULL AS VARCHAR) AS qualname
FROM dcall c WHERE c.aux <> 2
UNION ALL
SELECT 'flow' AS rel, c.src AS src, p.param_key AS dst, CAST(NULL AS BIGINT) AS aux,
       CAST(NULL AS VARCHAR) AS qualname
FROM dcall c JOIN vf_params p ON p.function_id = c.dst AND p.position = 0
WHERE c.aux = 2
UNION ALL
-- Attribute loads: the slot of a module, class or instance; through an instance, the slot of
-- its class too (binding methods: bind facts), through super() the class's ancestors'; an external's attribute is the external named
-- by its qualified name (at most 8 attributes deep).
SELECT 'flow', stable_id('slot', o.value_id, o.name), o.node_id, CAST(NULL AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM objects o WHERE o.kind IN ('module', 'class', 'instance') AND o.ctx = 'Load'
UNION ALL
SELECT 'bind', stable_id(CASE WHEN o.kind = 'super' THEN 'super' ELSE 'slot' END,
                         o.def_node_id, o.name), o.node_id, o.value_id, CAST(NULL AS VARCHAR)
FROM objects o WHERE o.kind IN ('instance', 'super') AND o.ctx = 'Load'
UNION ALL
SELECT 'pt', o.node_id, stable_id('external', o.qualname || '.' || o.name), CAST(NULL AS BIGINT),
       o.qualname || '.' || o.name
FROM objects o
WHERE o.qualname IS NOT NULL AND o.qualname NOT LIKE 'builtins.%' AND o.ctx = 'Load'
  AND length(o.qualname) - length(replace(o.qualname, '.', '')) < 8
UNION ALL
-- Attribute stores: the assigned value flows to the slot of the object's module, class or
-- instance.
SELECT 'flow', o.value_key, stable_id('slot', o.value_id, o.name), CAST(NULL AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM objects o
WHERE o.kind IN ('module', 'class', 'instance') AND o.ctx = 'Store' AND o.value_key IS NOT NULL
UNION ALL
-- A class attribute through an instance: a method becomes the bound method (its first
-- parameter the instance; a class method's, the class), a property's getter is called, any
-- other value is itself.
SELECT 'pt', b.node_id, CASE WHEN b.method_kind IN ('method', 'class') AND b.kind = 'function'
                             THEN stable_id('bound', b.value_id) ELSE b.value_id END,
       CAST(NULL AS BIGINT), b.qualname
FROM bound_v b WHERE b.method_kind IS NULL OR b.method_kind <> 'property' OR b.kind <> 'function'
UNION ALL
SELECT 'pt', p.param_key, CASE WHEN b.method_kind = 'class' THEN b.receiver_class ELSE b.receiver END,
       CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM bound_v b JOIN vf_params p ON p.function_id = b.def_node_id AND p.position = 0
WHERE b.kind = 'function' AND b.method_kind IN ('method', 'class', 'property')
  AND b.receiver_kind = 'instance'
UNION ALL
SELECT 'call', b.node_id, b.def_node_id, CAST(1 AS BIGINT), CAST(NULL AS VARCHAR)
FROM bound_v b WHERE b.kind = 'function' AND b.method_kind = 'property'
UNION ALL
-- A generator function called makes its generator.
SELECT 'pt', c.call_key, stable_id('generator', c.def_node_id), CAST(NULL AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM called c JOIN vf_values g ON g.value_id = stable_id('generator', c.def_node_id)
WHERE c.kind = 'function' AND c.site_kind = 'call'
UNION ALL
-- Items: a constant index reads its slot and the slot of unknown keys, any other index (and
-- an iteration) every item; a store writes its slot (or the unknown keys') and every item's.
SELECT 'flow', CASE WHEN i.key_repr IS NOT NULL AND i.site_kind = 'subscript'
                    THEN stable_id('slot', i.value_id, '[' || i.key_repr || ']')
                    ELSE stable_id('slot', i.value_id, '[*]') END,
       i.node_id, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM items i WHERE i.ctx = 'Load'
UNION ALL
SELECT 'flow', stable_id('slot', i.value_id, '[?]'), i.node_id, CAST(NULL AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM items i WHERE i.ctx = 'Load' AND i.key_repr IS NOT NULL AND i.site_kind = 'subscript'
UNION ALL
SELECT 'flow', i.value_key, stable_id('slot', i.value_id, CASE WHEN i.key_repr IS NULL THEN '[?]'
                                                             ELSE '[' || i.key_repr || ']' END),
       CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR)
FROM items i WHERE i.ctx = 'Store' AND i.value_key IS NOT NULL
UNION ALL
SELECT 'flow', i.value_key, stable_id('slot', i.value_id, '[*]'), CAST(NULL AS BIGINT),
       CAST(NULL AS VARCHAR)
FROM items i WHERE i.ctx = 'Store' AND i.value_key IS NOT NULL

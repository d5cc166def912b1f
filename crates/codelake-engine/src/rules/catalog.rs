//! The rule catalog: every rule with its layer and kind, its SQL, and the rules' parameters.
//!
//! A rule's SQL lives in `crates/codelake-engine/rules/<layer>/<name>.sql`; the comment lines
//! it opens with are its description. Adding a rule is a SQL file and a line in [`RULES`].

use std::collections::BTreeMap;

use datafusion::common::{ParamValues, ScalarValue};

use crate::error::{EngineError, Result};

/// What becomes of a rule's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Read by other rules: computed once, kept in memory for the rest of the run.
    Intermediate,
    /// Written to the Delta table of the spec with the rule's name.
    Output,
    /// A recursive relation, computed to a fixpoint by semi-naive iteration and then kept in
    /// memory like an intermediate: its SQL gives the first facts, its step
    /// ([`RuleDef::step`]) the facts derivable in one round from `<name>` (every fact so far)
    /// and `<name>_delta` (the facts new in the last round); a round keeps the step's facts
    /// that are not yet known, and the iteration ends in the round that finds none.
    Fixpoint,
}

/// A rule of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    pub name: &'static str,
    pub layer: RuleLayer,
    pub kind: RuleKind,
    pub sql: &'static str,
    /// A [`RuleKind::Fixpoint`] rule's step (`rules/<layer>/<name>.step.sql`).
    pub step: Option<&'static str>,
}

/// The layer a rule belongs to: what it relates, and the directory of `rules/` its SQL is in.
/// Layers build on the ones before them; a new analysis goes into the layer of what it
/// derives (a call graph through methods into `calls`, control and data flow into `flow`),
/// its outputs into `outputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleLayer {
    /// Structure of the tree itself: AST edges, which definition contains which.
    Syntax,
    /// Scopes and names: scope nesting, bindings, what each name reference can read.
    Scopes,
    /// Modules and imports: the module index, `__all__`, exports, where each import leads.
    Imports,
    /// Dotted names to definitions: callees and base classes, the call graph.
    Calls,
    /// Control and data flow: the CFG, CDG, dominator trees and reaching definitions of the
    /// flow evidence as CPG edges.
    Flow,
    /// The CPG tables written to Delta, from the edge and node rules of the other layers.
    Outputs,
}

/// The directory of a layer under `rules/`, as a literal (for `include_str!` and
/// [`RuleLayer::name`]).
macro_rules! layer_dir {
    (Syntax) => {
        "syntax"
    };
    (Scopes) => {
        "scopes"
    };
    (Imports) => {
        "imports"
    };
    (Calls) => {
        "calls"
    };
    (Flow) => {
        "flow"
    };
    (Outputs) => {
        "outputs"
    };
}

impl RuleLayer {
    pub const ALL: [RuleLayer; 6] = [
        RuleLayer::Syntax,
        RuleLayer::Scopes,
        RuleLayer::Imports,
        RuleLayer::Calls,
        RuleLayer::Flow,
        RuleLayer::Outputs,
    ];

    /// The layer's name, which is also its directory under `crates/codelake-engine/rules/`.
    pub fn name(self) -> &'static str {
        match self {
            RuleLayer::Syntax => layer_dir!(Syntax),
            RuleLayer::Scopes => layer_dir!(Scopes),
            RuleLayer::Imports => layer_dir!(Imports),
            RuleLayer::Calls => layer_dir!(Calls),
            RuleLayer::Flow => layer_dir!(Flow),
            RuleLayer::Outputs => layer_dir!(Outputs),
        }
    }
}

macro_rules! rule {
    ($layer:ident, $name:literal, $kind:ident) => {
        RuleDef {
            name: $name,
            layer: RuleLayer::$layer,
            kind: RuleKind::$kind,
            sql: include_str!(concat!(
                "../../rules/",
                layer_dir!($layer),
                "/",
                $name,
                ".sql"
            )),
            step: None,
        }
    };
}

/// A [`RuleKind::Fixpoint`] rule: its first facts from `<name>.sql`, its step from
/// `<name>.step.sql`.
macro_rules! fixpoint {
    ($layer:ident, $name:literal) => {
        RuleDef {
            step: Some(include_str!(concat!(
                "../../rules/",
                layer_dir!($layer),
                "/",
                $name,
                ".step.sql"
            ))),
            kind: RuleKind::Fixpoint,
            ..rule!($layer, $name, Fixpoint)
        }
    };
}

/// Every rule, by layer: the one list of the catalog. The order only breaks ties: rules run
/// in dependency order (the tables each one's SQL names).
pub const RULES: &[RuleDef] = &[
    rule!(Syntax, "edges_ast", Intermediate),
    rule!(Syntax, "edges_contains", Intermediate),
    rule!(Scopes, "ref_candidates", Intermediate),
    rule!(Scopes, "edges_scope_parent", Intermediate),
    rule!(Scopes, "edges_defines", Intermediate),
    rule!(Scopes, "edges_binds", Intermediate),
    rule!(Scopes, "edges_refers_to", Intermediate),
    rule!(Scopes, "edges_builtin", Intermediate),
    rule!(Imports, "module_index", Intermediate),
    rule!(Imports, "module_all_statements", Intermediate),
    rule!(Imports, "module_links", Intermediate),
    rule!(Imports, "module_all_includes", Intermediate),
    rule!(Imports, "module_all", Intermediate),
    rule!(Imports, "module_exports", Intermediate),
    rule!(Imports, "import_sites", Intermediate),
    rule!(Imports, "import_targets", Intermediate),
    rule!(Imports, "edges_imports", Intermediate),
    rule!(Calls, "dotted_sites", Intermediate),
    rule!(Calls, "dotted_heads", Intermediate),
    rule!(Calls, "dotted_targets", Intermediate),
    rule!(Calls, "edges_calls", Intermediate),
    rule!(Calls, "edges_inherits", Intermediate),
    rule!(Calls, "vf_values", Intermediate),
    rule!(Calls, "vf_calls", Intermediate),
    rule!(Calls, "vf_args", Intermediate),
    rule!(Calls, "vf_params", Intermediate),
    rule!(Calls, "vf_attrs", Intermediate),
    rule!(Calls, "vf_subscripts", Intermediate),
    rule!(Calls, "vf_ancestors", Intermediate),
    rule!(Calls, "vf_edges", Intermediate),
    fixpoint!(Calls, "value_flow"),
    rule!(Flow, "edges_cfg", Intermediate),
    rule!(Flow, "edges_cdg", Intermediate),
    rule!(Flow, "edges_dominate", Intermediate),
    rule!(Flow, "edges_post_dominate", Intermediate),
    rule!(Flow, "edges_reaching_def", Intermediate),
    rule!(Flow, "edges_evaluates", Intermediate),
    rule!(Outputs, "cpg_nodes", Output),
    rule!(Outputs, "cpg_edges", Output),
    rule!(Outputs, "cpg_props", Output),
    rule!(Outputs, "unresolved", Output),
    rule!(Outputs, "cpg_props_map", Output),
    rule!(Outputs, "cpg_edges_by_src", Output),
    rule!(Outputs, "call_edges", Output),
    rule!(Outputs, "unresolved_calls", Output),
    rule!(Outputs, "points_to", Output),
];

/// The description of a rule: the comment lines its SQL opens with.
pub fn description(rule: &RuleDef) -> String {
    rule.sql
        .lines()
        .take_while(|l| l.starts_with("--"))
        .map(|l| l.trim_start_matches("--").trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The boolean parameter that turns a rule on, if any: the value flow of the call graph
/// (`vf_*` and `value_flow`) runs only with `call_graph` on; off, its rules give no rows (and
/// the call graph's outputs are empty).
pub fn gate(rule: &RuleDef) -> Option<&'static str> {
    (rule.layer == RuleLayer::Calls && (rule.name.starts_with("vf_") || rule.name == "value_flow"))
        .then_some("call_graph")
}

/// The values of the rules' `$name` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleParams(pub BTreeMap<String, ScalarValue>);

impl Default for RuleParams {
    fn default() -> Self {
        Self(BTreeMap::from([
            // Keep every candidate of an ambiguous name (1/n each).
            (
                "min_confidence".to_string(),
                ScalarValue::Float64(Some(0.0)),
            ),
            // Re-export chains longer than this are not followed (cycles end here too).
            (
                "max_reexport_depth".to_string(),
                ScalarValue::Int64(Some(8)),
            ),
            // The call graph (the value flow and its outputs) is computed only when on: it is
            // not yet bounded on large repositories (issue 34).
            ("call_graph".to_string(), ScalarValue::Boolean(Some(false))),
            // A fixpoint rule that has not converged after this many rounds fails the build.
            (
                "max_rounds".to_string(),
                ScalarValue::Int64(Some(super::fixpoint::DEFAULT_MAX_ROUNDS as i64)),
            ),
        ]))
    }
}

impl RuleParams {
    /// Sets a parameter from `name=value` text, typed as its default is.
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            EngineError::Other(format!("rule parameter `{assignment}` is not NAME=VALUE"))
        })?;
        let name = name.trim().trim_start_matches('$');
        let Some(old) = self.0.get(name) else {
            let known: Vec<_> = self.0.keys().cloned().collect();
            return Err(EngineError::Other(format!(
                "unknown rule parameter `{name}` (known: {})",
                known.join(", ")
            )));
        };
        let new = ScalarValue::try_from_string(value.trim().to_string(), &old.data_type())
            .map_err(|e| {
                EngineError::Other(format!(
                    "rule parameter {name}: `{value}` is not a {}: {e}",
                    old.data_type()
                ))
            })?;
        self.0.insert(name.to_string(), new);
        Ok(())
    }

    /// Whether a rule runs: it has no gate ([`gate`]) or its gate is on.
    pub fn enabled(&self, rule: &RuleDef) -> bool {
        match gate(rule) {
            None => true,
            Some(name) => matches!(self.0.get(name), Some(ScalarValue::Boolean(Some(true)))),
        }
    }

    pub(crate) fn values(&self) -> ParamValues {
        ParamValues::Map(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalog and the `rules/` directory agree: every SQL file is a rule of the layer
    /// its directory names, every rule has its file there, and no name is used twice.
    #[test]
    fn every_sql_file_is_a_rule_of_its_directory() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&root).expect("rules/") {
            let path = entry.expect("entry").path();
            assert!(
                path.is_dir(),
                "{} is not in a layer's directory",
                path.display()
            );
            let dir = path.file_name().and_then(|n| n.to_str()).expect("name");
            let layer = RuleLayer::ALL.into_iter().find(|l| l.name() == dir);
            let layer = layer.unwrap_or_else(|| panic!("rules/{dir} is not a layer"));
            for file in std::fs::read_dir(&path).expect("layer dir") {
                let file = file.expect("entry").path();
                assert_eq!(file.extension().and_then(|e| e.to_str()), Some("sql"));
                let stem = file.file_stem().and_then(|s| s.to_str()).expect("stem");
                // A fixpoint's step sits beside its first facts.
                if let Some(rule) = stem.strip_suffix(".step") {
                    assert!(
                        RULES.iter().any(|r| r.name == rule
                            && r.layer == layer
                            && r.kind == RuleKind::Fixpoint
                            && r.step.is_some()),
                        "{} is the step of no fixpoint rule of its layer",
                        file.display()
                    );
                    continue;
                }
                files.push((layer, stem.to_string()));
            }
        }
        files.sort();
        let mut listed: Vec<_> = RULES
            .iter()
            .map(|r| (r.layer, r.name.to_string()))
            .collect();
        listed.sort();
        assert_eq!(files, listed);
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len(), "a rule name is used twice");
        // Outputs are exactly the rules of the outputs layer.
        for rule in RULES {
            assert_eq!(
                rule.kind == RuleKind::Output,
                rule.layer == RuleLayer::Outputs,
                "{}",
                rule.name
            );
        }
    }

    #[test]
    fn params_are_typed_as_their_defaults() {
        let mut p = RuleParams::default();
        p.set("min_confidence=0.5").unwrap();
        assert_eq!(p.0["min_confidence"], ScalarValue::Float64(Some(0.5)));
        assert!(p.set("min_confidence=high").is_err());
        assert!(p.set("nope=1").is_err());
        assert!(p.set("max_reexport_depth").is_err());
    }
}

//! What the flow layer costs per scope: builds every scope's graph, its graph facts and its
//! reaching definitions for each file under a directory, single-threaded, and prints the
//! totals and the scopes that cost most (nodes, definitions, def-use pairs, time), so the
//! largest functions of a corpus show whether anything grows faster than linearly.
//! `cargo run --release -p codelake-extract --example flow_cost -- DIR [TOP]`
use std::time::{Duration, Instant};

use codelake_extract::ast::{AstEmitter, NodeIds};
use codelake_extract::flow::{self, graph, reach};
use codelake_extract::scopes;
use codelake_extract::tables::AstRows;
use codelake_schema::span::LineIndex;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Cost {
    path: String,
    qualname: String,
    nodes: usize,
    defs: usize,
    pairs: usize,
    time: Duration,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: flow_cost DIR [TOP]");
        std::process::exit(2);
    };
    let top: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(5);
    let scanned = match codelake_extract::scan(
        std::path::Path::new(&dir),
        &codelake_extract::ScanOptions::default(),
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (mut parse, mut build, mut analyze) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut nodes, mut pairs) = (0usize, 0usize);
    let mut costs: Vec<Cost> = Vec::new();
    for f in &scanned.files {
        let Ok(text) = std::fs::read_to_string(&f.abs_path) else {
            continue;
        };
        let t = Instant::now();
        let parsed = ruff_python_parser::parse_unchecked(
            &text,
            ruff_python_parser::ParseOptions::from(ruff_python_parser::Mode::Module),
        );
        let Some(module) = parsed.syntax().as_module() else {
            continue;
        };
        let index = LineIndex::new(&text, 0);
        let mut rows = AstRows::default();
        AstEmitter::new(1, 0, &index, parsed.tokens(), &mut rows).module(module, text.len() as u32);
        let ids = NodeIds::new(rows.spans_from(0).0.to_vec());
        let module_id = ids.get(module).unwrap_or(0);
        let tree = scopes::analyze(module, module_id, text.len() as u32, &ids, &index, 0);
        parse += t.elapsed();
        let t = Instant::now();
        let flows = flow::build(module, &tree, &ids);
        build += t.elapsed();
        for fl in &flows {
            let t = Instant::now();
            let facts = graph::analyze(fl);
            let scope = &tree.scopes[fl.scope];
            let tracked = reach::tracked(fl, scope);
            let du = reach::def_uses(fl, &facts, &tracked);
            let time = t.elapsed();
            analyze += time;
            nodes += fl.nodes.len();
            pairs += du.len();
            let defs = fl
                .events
                .iter()
                .filter(|e| !matches!(e.access, flow::Access::Read))
                .count();
            costs.push(Cost {
                path: f.rel_path.clone(),
                qualname: scope.qualname.clone(),
                nodes: fl.nodes.len(),
                defs,
                pairs: du.len(),
                time,
            });
        }
    }
    println!(
        "{} files: parse+AST+scopes {:.2}s; flow graphs {:.2}s; graph facts + reaching definitions {:.2}s; {} flow nodes, {} def-use pairs",
        scanned.files.len(),
        parse.as_secs_f64(),
        build.as_secs_f64(),
        analyze.as_secs_f64(),
        nodes,
        pairs
    );
    let list = |title: &str, costs: &[Cost]| {
        println!("{title}:");
        for c in costs.iter().take(top) {
            let name = if c.qualname.is_empty() {
                "<module>"
            } else {
                &c.qualname
            };
            println!(
                "  {:>8.2} ms  {:>6} nodes {:>6} defs {:>7} pairs  {} {name}",
                c.time.as_secs_f64() * 1e3,
                c.nodes,
                c.defs,
                c.pairs,
                c.path,
            );
        }
    };
    costs.sort_by_key(|c| std::cmp::Reverse(c.time));
    list("costliest scopes (facts + reaching definitions)", &costs);
    costs.sort_by_key(|c| std::cmp::Reverse(c.nodes));
    list("largest scopes", &costs);
}

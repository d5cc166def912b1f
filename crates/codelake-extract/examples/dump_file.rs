//! Prints the evidence rows of one file, table by table: `cargo run -p codelake-extract
//! --example dump_file -- FILE [TABLE...]`; CODELAKE_TREE_SITTER_ALWAYS=1 parses with tree-sitter too.
//! A debugging aid for extraction work.
use codelake_extract::{ExtractConfig, ScannedFile, extract_file};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: dump_file FILE [TABLE...]");
        std::process::exit(2);
    };
    let only: Vec<String> = args.collect();
    let file = ScannedFile {
        rel_path: path.clone(),
        abs_path: path.into(),
        module: Some("m".into()),
        is_package: false,
        is_stub: false,
    };
    let mut config = ExtractConfig::default();
    if std::env::var_os("CODELAKE_TREE_SITTER_ALWAYS").is_some() {
        config.tree_sitter = codelake_extract::TreeSitter::Always;
    }
    let ev = match extract_file(&file, &config) {
        Ok(ev) => ev,
        Err(e) => {
            eprintln!("extraction failed: {e}");
            std::process::exit(1);
        }
    };
    for e in &ev.errors {
        println!(
            "error: {} {} {:?}:{:?} {}",
            e.stage, e.kind, e.line, e.col, e.message
        );
    }
    for (table, batch) in &ev.batches {
        if !only.is_empty() && !only.iter().any(|o| o == table.name()) {
            continue;
        }
        println!("== {} ({} rows)", table.name(), batch.num_rows());
        match arrow_cast::pretty::pretty_format_batches(std::slice::from_ref(batch)) {
            Ok(t) => println!("{t}"),
            Err(e) => println!("cannot format: {e}"),
        }
    }
}

//! Times the extraction pass alone (scan + parse + rows, batches dropped): the ceiling for a
//! whole build. `cargo run --release -p codelake-extract --example extract_only -- REPO [JOBS]
//! [--no-scopes] [--no-syntax]`
use std::time::Instant;

use codelake_extract::{EvidenceSink, ExtractConfig, ScanOptions, Table};

/// The allocator of the `codelake` binary (mimalloc v2), so the figures match a build's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Null;
impl EvidenceSink for Null {
    fn send(&self, _: Table, _: arrow_array::RecordBatch) -> Result<(), String> {
        Ok(())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(repo) = args.next() else {
        eprintln!("usage: extract_only REPO [JOBS]");
        std::process::exit(2);
    };
    let mut cfg = ExtractConfig::default();
    for a in args {
        match a.parse() {
            Ok(j) => cfg.jobs = j,
            Err(_) if a == "--no-scopes" => cfg.scopes = false,
            Err(_) if a == "--no-syntax" => cfg.syntax = false,
            Err(_) => {
                eprintln!("unknown argument {a}");
                std::process::exit(2);
            }
        }
    }
    let t = Instant::now();
    let scanned = match codelake_extract::scan(std::path::Path::new(&repo), &ScanOptions::default())
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let scan = t.elapsed();
    let stats = match codelake_extract::extract_all(&scanned.files, &cfg, &Null, &|_| {}) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let total = t.elapsed();
    println!(
        "{} files, {:.2} MB: scan {:.3}s, total {:.3}s, {:.1} MB/s, jobs {}",
        stats.files,
        stats.bytes as f64 / 1e6,
        scan.as_secs_f64(),
        total.as_secs_f64(),
        stats.bytes as f64 / 1e6 / total.as_secs_f64(),
        cfg.jobs
    );
}

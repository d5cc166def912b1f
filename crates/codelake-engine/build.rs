//! Records the versions of the engine's main dependencies, read from the workspace's
//! Cargo.lock, for the build manifest.

fn main() {
    // The directory is read when the script runs, not baked in when it is compiled: one
    // compiled script serves every checkout that shares the target directory.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock = std::path::Path::new(&manifest_dir).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    for (package, var) in [
        ("datafusion", "CODELAKE_DATAFUSION_VERSION"),
        ("deltalake", "CODELAKE_DELTALAKE_VERSION"),
        ("arrow", "CODELAKE_ARROW_VERSION"),
    ] {
        let version = text
            .split("[[package]]")
            .find_map(|block| {
                let mut lines = block.lines().map(str::trim);
                let name = lines.find(|l| l.starts_with("name = "))?;
                if name != format!("name = \"{package}\"") {
                    return None;
                }
                let v = block
                    .lines()
                    .map(str::trim)
                    .find(|l| l.starts_with("version = "))?;
                Some(
                    v.trim_start_matches("version = ")
                        .trim_matches('"')
                        .to_string(),
                )
            })
            .unwrap_or_else(|| "unknown".to_string());
        println!("cargo:rustc-env={var}={version}");
    }
}

//! Writes the shared test vectors (`tests/vectors/*.json`) from the core, with fixed keys,
//! salts, seeds and times, so the output is the same on every run. CI regenerates them
//! into a scratch folder and fails on any difference; every binding replays them.
//!
//! Usage: `gen-vectors [OUT_DIR]` (default `tests/vectors`).

mod cases;

use serde_json::{json, Value};
use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let out: PathBuf = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/vectors".to_owned())
        .into();
    let files: Vec<(&str, Result<Value, tenxyte_core::Error>)> = vec![
        ("jwt.json", cases::jwt()),
        ("password.json", cases::password()),
        ("otp.json", cases::otp()),
        ("numeric_codes.json", cases::numeric_codes()),
        ("secret.json", cases::secret()),
        ("policy.json", cases::policy()),
        ("backup_codes.json", cases::backup_codes()),
        ("config.json", cases::config()),
        ("rbac.json", cases::rbac()),
        ("org.json", cases::org()),
        ("agent.json", cases::agent()),
    ];
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("gen-vectors: cannot create {}: {e}", out.display());
        return std::process::ExitCode::from(2);
    }
    for (name, content) in files {
        let content = match content {
            Ok(c) => c,
            Err(e) => {
                eprintln!("gen-vectors: {name}: {e}");
                return std::process::ExitCode::from(1);
            }
        };
        let doc = json!({
            "format": 1,
            "generated_by": "cargo run -p tenxyte-conformance --bin gen-vectors",
            "cases": content,
        });
        let text = match serde_json::to_string_pretty(&doc) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("gen-vectors: {name}: {e}");
                return std::process::ExitCode::from(1);
            }
        };
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("gen-vectors: cannot write {}: {e}", path.display());
            return std::process::ExitCode::from(2);
        }
        println!("wrote {}", path.display());
    }
    std::process::ExitCode::SUCCESS
}

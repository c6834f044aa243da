//! Replays the shared vectors (`tests/vectors/{jwt,password,otp}.json`) through the
//! `tenxyte` binary's `--jsonl` modes: the CLI is held to the same answers as every
//! other binding, byte for byte after JSON parsing, one process per file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

fn replay(file: &str, args: &[&str]) {
    let path = format!("{}/../tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(!cases.is_empty(), "{file} has no cases");
    let mut input = String::new();
    for case in cases {
        input.push_str(&case["request"].to_string());
        input.push('\n');
        // A garbage line between cases must answer an error and not stop the stream.
        input.push_str("{not json\n");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenxyte"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{file}: exit {:?}", out.status);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len() * 2, "{file}: one answer per line");
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(
            lines[2 * i],
            case["expected"],
            "{file}: case {:?}",
            case["name"]
        );
        assert_eq!(lines[2 * i + 1]["code"], "invalid_input");
    }
}

#[test]
fn jwt_vectors() {
    replay("jwt.json", &["jwt", "verify", "--jsonl"]);
}

#[test]
fn password_vectors() {
    replay("password.json", &["password", "verify", "--jsonl"]);
}

#[test]
fn otp_vectors() {
    replay("otp.json", &["otp", "verify", "--jsonl"]);
}

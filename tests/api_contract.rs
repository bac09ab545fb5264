//! The OpenAPI document tells the truth: schemathesis (from PyPI, set up by
//! scripts/setup) runs every check it has against the running demo, as each
//! role with a session and as nobody, and finds no failure: no server
//! error, no status the document does not list, no request valid by the
//! document refused as malformed, none invalid by it let through, no
//! credential ignored (422, a rule of the law refusing a request of the
//! documented shape, is allowed: tests/schemathesis.toml says why). The
//! event and look streams (they never end) and the
//! log-out (it would end the session) are left out; the fuzz test in
//! http_api.rs covers them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

mod common;

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Logs in with raw HTTP and returns the bearer token.
fn log_in(address: &str, name: &str, password: &str) -> String {
    let body = format!(r#"{{"name":"{name}","password":"{password}"}}"#);
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /api/login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|_| panic!("{name} logs in: {answer}"));
    json["token"].as_str().unwrap().to_string()
}

#[test]
fn schemathesis_finds_no_contract_failure_in_any_role() {
    let schemathesis = common::repo().join(".cache/venv-schemathesis/bin/schemathesis");
    assert!(
        schemathesis.exists(),
        "scripts/setup schemathesis installs it into .cache/venv-schemathesis"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
        .args(["demo", "--port", "0", "--seconds", "600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let _demo = Demo(child);
    let (mut url, mut passwords) = (None, Vec::new());
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("staff app: ") {
            url = Some(rest.trim().trim_end_matches('/').to_string());
            break;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, password, role] = words[..] {
            if role.starts_with('(') {
                passwords.push((name.to_string(), password.to_string()));
            }
        }
    }
    // The demo goes on printing its alarms: keep reading, or it would stop.
    std::thread::spawn(move || lines.map_while(Result::ok).count());
    let url = url.expect("the demo prints its address");
    let address = url.trim_start_matches("http://").to_string();
    // Every log-in first: schemathesis's own log-in attempts soon meet the limit.
    let tokens: Vec<(String, String)> = passwords
        .iter()
        .map(|(name, password)| (name.clone(), log_in(&address, name, password)))
        .collect();
    assert_eq!(tokens.len(), 4, "staff, case officer, installer, auditor");
    let document = dir.path().join("openapi.json");
    std::fs::write(&document, common::tryghed(&["openapi"]).stdout).unwrap();
    for (role, token) in tokens {
        // Its cache goes to the test's own folder, not the work tree.
        let out = Command::new(&schemathesis)
            .current_dir(dir.path())
            .arg("--config-file")
            .arg(common::repo().join("tests/schemathesis.toml"))
            .arg("run")
            .arg(&document)
            .args(["--url", &url, "--checks", "all", "--max-time", "20"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args([
                "--exclude-path",
                "/api/logout",
                "--exclude-path",
                "/api/events",
            ])
            .args(["--exclude-path", "/api/looks/{id}/view", "--no-color"])
            .output()
            .unwrap();
        let said = common::text(&out.stdout);
        let summary = said.lines().rev().take(14).collect::<Vec<_>>();
        println!(
            "{role}: {}",
            summary.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        assert!(
            out.status.success(),
            "as {role}:\n{said}\n{}",
            common::text(&out.stderr)
        );
        assert!(!said.contains("failures"), "as {role}:\n{said}");
    }
}

//! Every requirement of `../shared/docs/requirements.md` is traced to the
//! tests that name it, in `docs/requirements-matrix.md`, which this test
//! keeps current (`TRYGHED_WRITE_MATRIX=1 cargo test --release --test
//! requirements_matrix` writes it anew). An id that no test names must be
//! among the known gaps below, with why; one that gains a test must leave
//! the list. So the matrix can neither go stale nor hide a gap.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Requirements no test names yet, and why.
const GAPS: &[(&str, &str)] = &[];

/// Sections that only point to another requirement.
const POINTERS: &[(&str, &str)] = &[("R4", "R2.1"), ("R7", "R2.4")];

const MATRIX: &str = "docs/requirements-matrix.md";

/// The requirement ids in order, each with the first line of its text.
fn requirements() -> Vec<(String, String)> {
    let path = common::repo().join("../shared/docs/requirements.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let (id, rest) = if let Some(rest) = line.strip_prefix("- R") {
            rest.split_once(' ').unwrap_or((rest, ""))
        } else if let Some(rest) = line.strip_prefix("## R") {
            rest.split_once(' ').unwrap_or((rest, ""))
        } else {
            continue;
        };
        if id.chars().all(|c| c.is_ascii_digit() || c == '.') {
            out.push((format!("R{id}"), rest.trim().to_string()));
        }
    }
    // A section with numbered parts is its parts.
    let parents: Vec<String> = out
        .iter()
        .filter_map(|(id, _)| id.split_once('.').map(|(p, _)| p.to_string()))
        .collect();
    out.retain(|(id, _)| !parents.contains(id));
    out
}

/// The test code: the integration tests, the browser script, and the unit
/// tests after `#[cfg(test)]` in the sources.
fn test_sources() -> Vec<(PathBuf, String)> {
    let repo = common::repo();
    let mut files = Vec::new();
    collect(&repo.join("tests"), &mut files);
    collect(&repo.join("src"), &mut files);
    files
        .into_iter()
        .filter(|f| !f.ends_with("tests/requirements_matrix.rs"))
        .filter(|f| !f.components().any(|c| c.as_os_str() == "node_modules"))
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            let relative = f.strip_prefix(repo).ok()?.to_path_buf();
            if relative.starts_with("src") {
                let at = text.find("#[cfg(test)]")?;
                Some((relative, text[at..].to_string()))
            } else {
                Some((relative, text))
            }
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "mjs") {
            files.push(path);
        }
    }
}

/// The tests (`file::function`) whose code names `id`, not a longer id.
fn naming(id: &str, sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, text) in sources {
        for (at, _) in text.match_indices(id) {
            let before = text[..at].chars().next_back();
            let after = text[at + id.len()..].chars().take(2).collect::<String>();
            let longer = after.starts_with(|c: char| c.is_ascii_digit())
                || (after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()));
            if longer || before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let name = match test_at(text, at) {
                Some(test) if !test.is_empty() => format!("{}::{test}", file.display()),
                _ => file.display().to_string(),
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out.sort();
    out
}

/// The test function around `at`, or the one a doc comment at `at` is about.
fn test_at(text: &str, at: usize) -> Option<&str> {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let in_doc = text[line_start..at].trim_start().starts_with("///");
    let start = if in_doc {
        at + text[at..].find("fn ")?
    } else {
        text[..at].rfind("fn ")?
    };
    text[start + 3..].split(['(', '<']).next().map(str::trim)
}

fn matrix(traced: &BTreeMap<String, (String, Vec<String>)>, order: &[String]) -> String {
    let mut out = String::from(
        "# Requirements and the tests that check them\n\n\
         Written by `tests/requirements_matrix.rs` from `../shared/docs/requirements.md`\n\
         and the test code; that test fails when this file is stale or an id has\n\
         no test and is not among its known gaps.\n\n\
         | id | requirement | tests |\n|---|---|---|\n",
    );
    for id in order {
        let (text, tests) = &traced[id];
        let pointer = POINTERS.iter().find(|(p, _)| p == id);
        let gap = GAPS.iter().find(|(g, _)| g == id);
        let cell = match (pointer, gap) {
            (Some((_, to)), _) => format!("see {to}"),
            (None, Some((_, why))) => format!("**gap**: {why}"),
            (None, None) => tests
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join("<br>"),
        };
        let text = text.replace('|', "\\|");
        out.push_str(&format!("| {id} | {text} | {cell} |\n"));
    }
    out
}

#[test]
fn every_requirement_is_traced_to_its_tests_or_is_a_known_gap() {
    let requirements = requirements();
    assert!(requirements.len() >= 30, "{requirements:?}");
    let sources = test_sources();
    let order: Vec<String> = requirements.iter().map(|(id, _)| id.clone()).collect();
    let traced: BTreeMap<String, (String, Vec<String>)> = requirements
        .into_iter()
        .map(|(id, text)| {
            let tests = naming(&id, &sources);
            (id, (text, tests))
        })
        .collect();
    let untested: Vec<&String> = order
        .iter()
        .filter(|id| traced[*id].1.is_empty() && !POINTERS.iter().any(|(p, _)| p == *id))
        .collect();
    let gaps: Vec<&str> = GAPS.iter().map(|(id, _)| *id).collect();
    let tested_gaps: Vec<&&str> = gaps
        .iter()
        .filter(|g| !untested.iter().any(|u| u == *g))
        .collect();
    assert!(
        tested_gaps.is_empty(),
        "these now have tests: take them off the known gaps: {tested_gaps:?}"
    );
    let hidden: Vec<&&String> = untested
        .iter()
        .filter(|u| !gaps.contains(&u.as_str()))
        .collect();
    assert!(
        hidden.is_empty(),
        "no test names these requirements: {hidden:?}"
    );

    let written = matrix(&traced, &order);
    let file = common::repo().join(MATRIX);
    if std::env::var_os("TRYGHED_WRITE_MATRIX").is_some() {
        std::fs::write(&file, &written).unwrap();
    }
    let kept = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        kept == written,
        "{MATRIX} is stale: TRYGHED_WRITE_MATRIX=1 cargo test --release --test requirements_matrix"
    );
    let covered = order.len() - untested.len();
    println!("{covered} of {} requirements named by tests", order.len());
}

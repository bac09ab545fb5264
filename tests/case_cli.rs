//! The case officer's command line, end to end on a real database.

mod common;

use std::path::Path;

use common::text;
use sha2::{Digest, Sha256};

fn run(data: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "--data-dir",
        data.to_str().unwrap(),
        "--actor",
        "case officer K",
    ];
    all.extend_from_slice(args);
    common::tryghed(&all)
}

fn setup(data: &Path) {
    let out = run(
        data,
        &[
            "resident",
            "add",
            "--id",
            "r-017",
            "--room",
            "A12",
            "--name",
            "Ellen",
            "--representative",
            "guardian:Guardian G:personal",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let basis = [
        &[
            "--now",
            "2026-01-01T09:00:00Z",
            "basis",
            "record",
            "--id",
            "b1",
            "--resident",
            "r-017",
            "--type",
            "136e",
            "--kinds",
            "video,sound",
            "--alarm",
            "--supervision-minutes",
            "5",
            "--start",
            "2026-01-01T08:00:00Z",
            "--decided-by",
            "K",
            "--informed",
            "resident@2025-12-20",
            "--informed",
            "rep-1@2025-12-20",
            "--signals",
            "fall,scream",
        ][..],
        common::FACTS_136E,
    ]
    .concat();
    let out = run(data, &basis);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn status(data: &Path, now: &str) -> serde_json::Value {
    let out = run(data, &["--now", now, "status", "r-017", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_case_from_resident_to_opposition() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let s = status(dir.path(), "2026-02-01T00:00:00Z");
    assert_eq!(s["basis_id"], "b1");
    assert_eq!(
        s["problems"][0]["rule"], "R8.2",
        "no AI disclosure yet: {s}"
    );
    let out = run(
        dir.path(),
        &[
            "disclosure",
            "record",
            "--resident",
            "r-017",
            "--informed",
            "resident",
            "--at",
            "2026-01-02T10:00:00+01:00",
            "--how",
            "in person",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        status(dir.path(), "2026-02-01T00:00:00Z")["problems"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let out = run(
        dir.path(),
        &[
            "opposition",
            "record",
            "--resident",
            "r-017",
            "--by",
            "rep-1",
            "--at",
            "2026-02-05T00:00:00Z",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = status(dir.path(), "2026-02-10T00:00:00Z");
    assert!(s["basis_id"].is_null());
    assert_eq!(s["problems"][0]["rule"], "R1.4");
    let out = run(dir.path(), &["audit", "verify"]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("intact: 4 rows"),
        "{}",
        text(&out.stdout)
    );
}

/// Representatives are added, corrected and ended over time, each on the
/// chain, and referred to by id: a name opposes nothing, an ended mandate
/// opposes nothing, the guardian added later does (R1.4).
#[test]
fn representatives_change_over_time_and_are_referred_to_by_id() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let ok = |args: &[&str]| {
        let out = run(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let refused = |args: &[&str]| {
        let out = run(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        text(&out.stderr)
    };
    let oppose = |by: &str, at: &str| {
        let args = [
            "opposition",
            "record",
            "--resident",
            "r-017",
            "--by",
            by,
            "--at",
            at,
        ];
        args.map(str::to_string)
    };
    let said = ok(&[
        "resident",
        "rename-representative",
        "--resident",
        "r-017",
        "--id",
        "rep-1",
        "--name",
        "Gitte Hansen",
    ]);
    assert!(
        said.contains("representative rep-1: Gitte Hansen (guardian, personal matters)"),
        "{said}"
    );
    let said = ok(&[
        "resident",
        "end-representative",
        "--resident",
        "r-017",
        "--id",
        "rep-1",
        "--at",
        "2026-02-01",
        "--reason",
        "guardianship lifted",
    ]);
    assert!(
        said.contains("ended 2026-02-01: guardianship lifted"),
        "{said}"
    );
    let said = ok(&[
        "resident",
        "add-representative",
        "--resident",
        "r-017",
        "--role",
        "attorney",
        "--name",
        "Frida Holm",
        "--personal",
        "--since",
        "2026-02-01",
    ]);
    assert!(
        said.contains(
            "representative rep-2: Frida Holm (attorney, personal matters, since 2026-02-01)"
        ),
        "{said}"
    );

    let by_name = oppose("Frida Holm", "2026-02-10");
    let why = refused(&by_name.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(why.contains("R1.4: `Frida Holm` is not an attorney or guardian of r-017 with a mandate on 2026-02-10 (recorded: rep-2 (Frida Holm))"), "{why}");
    let ended = oppose("rep-1", "2026-02-10");
    let why = refused(&ended.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        why.contains("`rep-1` is not an attorney or guardian"),
        "{why}"
    );
    let by_id = oppose("rep-2", "2026-02-10");
    ok(&by_id.iter().map(String::as_str).collect::<Vec<_>>());

    let actions = sqlite(dir.path(), "SELECT action FROM audit WHERE action LIKE 'representative.%' OR action LIKE 'opposition.%' ORDER BY seq");
    assert_eq!(
        actions.lines().collect::<Vec<_>>(),
        [
            "representative.rename",
            "representative.end",
            "representative.add",
            "opposition.record"
        ]
    );
    assert!(text(&run(dir.path(), &["audit", "verify"]).stdout).contains("intact"));
}

#[test]
fn audit_verify_names_an_edited_row_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let db = dir.path().join(tryghed::store::DATABASE_FILE);
    let edit = common::sqlite3(
        &db,
        "UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE seq = 1",
    )
    .status;
    assert!(edit.success());
    let out = run(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).starts_with("row 1: edited"),
        "{}",
        text(&out.stdout)
    );
}

fn sqlite(data: &Path, sql: &str) -> String {
    let out = common::sqlite3(data.join(tryghed::store::DATABASE_FILE), sql);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

/// A basis edited in the database behind the product's back (60-minute
/// looks instead of 5): the gate does not obey it, loudly, and `audit
/// verify` names it. Edited together with its seal, the gate cannot tell,
/// but the chain can.
#[test]
fn a_record_edited_behind_the_products_back_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let now = ["--now", "2026-02-01T00:00:00Z"];
    assert!(run(dir.path(), &[&now[..], &["status", "r-017"]].concat())
        .status
        .success());
    let widened = "json_set(data, '$.supervision_max_minutes', 60)";
    sqlite(
        dir.path(),
        &format!("UPDATE bases SET data = {widened} WHERE id = 'b1'"),
    );
    let out = run(dir.path(), &[&now[..], &["status", "r-017"]].concat());
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "the gate obeyed an edited basis");
    assert!(
        stderr.contains("bases b1: the record does not match the audit chain"),
        "{stderr}"
    );
    let out = run(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("bases b1"),
        "{}",
        text(&out.stdout)
    );

    // The seal recomputed as tryghed would: the gate follows, the chain does not.
    let data = sqlite(dir.path(), "SELECT data FROM bases WHERE id = 'b1'");
    let mut hasher = Sha256::new();
    for part in ["bases", "b1", data.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let resealed = hex::encode(hasher.finalize());
    sqlite(
        dir.path(),
        &format!(
            "UPDATE record_seals SET sha256 = '{resealed}' WHERE tbl = 'bases' AND key = 'b1'"
        ),
    );
    let out = run(dir.path(), &[&now[..], &["status", "r-017"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("bases b1: the record and its seal were changed together"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_case_input_is_refused_with_the_rule_or_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let cases: [(&[&str], &str); 7] = [
        (&["status", "r-404"], "unknown resident r-404"),
        (
            &[
                "basis",
                "record",
                "--id",
                "b2",
                "--resident",
                "r-017",
                "--type",
                "128b",
                "--kinds",
                "video",
                "--alarm",
                "--start",
                "2026-03-01",
                "--end",
                "2026-02-01",
                "--decided-by",
                "K",
            ],
            "R1.2: the basis ends before it starts",
        ),
        (
            &[
                "basis",
                "record",
                "--id",
                "b3",
                "--resident",
                "r-017",
                "--type",
                "136e",
                "--kinds",
                "video",
                "--alarm",
                "--start",
                "2026-06-01",
                "--decided-by",
                "K",
                "--informed",
                "resident@2026-05-01",
                "--informed",
                "rep-1@2026-05-01",
            ],
            "overlaps basis b1",
        ),
        (
            &[
                "basis",
                "record",
                "--id",
                "b4",
                "--resident",
                "r-017",
                "--type",
                "136e",
                "--kinds",
                "video",
                "--alarm",
                "--start",
                "2026-31-01",
                "--decided-by",
                "K",
            ],
            "--start: `2026-31-01` is not an ISO 8601 time",
        ),
        (
            &[
                "basis",
                "record",
                "--id",
                "b5",
                "--resident",
                "r-017",
                "--type",
                "136e",
                "--kinds",
                "smell",
                "--alarm",
                "--start",
                "2026-06-01",
                "--decided-by",
                "K",
            ],
            "unknown kind `smell`",
        ),
        // R1.3: a situational look-in is not a basis this product records.
        (
            &[
                "basis",
                "record",
                "--id",
                "b6",
                "--resident",
                "r-017",
                "--type",
                "128b-situational",
                "--kinds",
                "video",
                "--alarm",
                "--start",
                "2026-06-01",
                "--decided-by",
                "K",
            ],
            "R1.3: a situational camera look-in (SEL § 128 b stk. 1",
        ),
        (
            &["basis", "stop", "--id", "b9", "--reason", "x"],
            "unknown legal basis b9",
        ),
    ];
    for (args, says) in cases {
        let out = run(dir.path(), args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{args:?} should say {says:?}: {stderr}"
        );
    }
    // Nothing refused reached the trail.
    assert!(text(&run(dir.path(), &["audit", "verify"]).stdout).contains("intact: 2 rows"));
}

#[test]
fn log_ins_are_added_with_the_password_on_standard_input_and_stored_hashed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let add_in = |name: &str, role: &str, password: &str, more: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tryghed"))
            .args([
                "--data-dir",
                dir.path().to_str().unwrap(),
                "user",
                "add",
                "--name",
                name,
                "--role",
                role,
            ])
            .args(more)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let add = |name: &str, role: &str, password: &str| add_in(name, role, password, &[]);
    let out = add("hanne", "staff", "a long enough password");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = add("ole", "staff", "short");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("at least 10 characters"));
    assert_eq!(
        add("ole", "boss", "a long enough password").status.code(),
        Some(2)
    );
    assert_eq!(
        add("hanne", "staff", "another long password").status.code(),
        Some(2),
        "names are unique"
    );
    // Rooms a staff member answers for; changed later, each change audited.
    let out = add_in(
        "bo",
        "staff",
        "a long enough password",
        &["--rooms", "B03,B04"],
    );
    assert!(
        text(&out.stdout).contains("user bo added as staff, rooms B03, B04"),
        "{}",
        text(&out.stderr)
    );
    let rooms = |args: &[&str]| run(dir.path(), &[&["user", "rooms"], args].concat());
    assert!(text(&rooms(&["--name", "bo", "--rooms", "B05"]).stdout).contains("user bo: rooms B05"));
    assert_eq!(
        rooms(&["--name", "nobody", "--rooms", "B05"]).status.code(),
        Some(2),
        "unknown user"
    );
    let out = rooms(&["--name", "bo", "--rooms", "B05,\u{7}"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let store = tryghed::store::Store::open(dir.path()).unwrap();
    assert_eq!(
        store.user("bo").unwrap().unwrap().rooms,
        vec!["B05".to_string()]
    );
    assert!(
        store.user("hanne").unwrap().unwrap().rooms.is_empty(),
        "every room unless told"
    );
    drop(store);
    assert!(text(&rooms(&["--name", "bo", "--rooms", ""]).stdout).contains("user bo: every room"));
    let trail = text(
        &common::sqlite3(
            dir.path().join("tryghed.sqlite"),
            "SELECT action || ' ' || detail FROM audit WHERE action = 'user.rooms'",
        )
        .stdout,
    );
    assert_eq!(
        trail.lines().collect::<Vec<_>>(),
        [
            r#"user.rooms {"rooms":["B05"]}"#,
            r#"user.rooms {"rooms":[]}"#
        ]
    );
    let store = tryghed::store::Store::open(dir.path()).unwrap();
    assert!(store.user("bo").unwrap().unwrap().rooms.is_empty());
    assert!(store
        .check_password("hanne", "a long enough password")
        .unwrap()
        .is_some());
    assert!(store
        .check_password("hanne", "a long enough passwore")
        .unwrap()
        .is_none());
    let dump = text(&common::sqlite3(dir.path().join("tryghed.sqlite"), ".dump").stdout);
    assert!(
        dump.contains("$argon2id$") && !dump.contains("a long enough password"),
        "only the hash is stored"
    );
    // A new password, and a user disabled and let in again; each audited.
    let with_password = |args: &[&str], password: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tryghed"))
            .args(["--data-dir", dir.path().to_str().unwrap(), "user"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let out = with_password(&["password", "--name", "hanne"], "a brand new password");
    assert!(
        text(&out.stdout).contains("user hanne: new password; 0 session(s) ended"),
        "{}",
        text(&out.stderr)
    );
    let out = with_password(&["password", "--name", "hanne"], "short");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = run(dir.path(), &["user", "disable", "--name", "hanne"]);
    assert!(
        text(&out.stdout).contains("user hanne disabled"),
        "{}",
        text(&out.stderr)
    );
    let store = tryghed::store::Store::open(dir.path()).unwrap();
    assert!(store
        .check_password("hanne", "a brand new password")
        .unwrap()
        .is_none());
    drop(store);
    let out = run(dir.path(), &["user", "enable", "--name", "hanne"]);
    assert!(text(&out.stdout).contains("user hanne may log in again"));
    let out = run(dir.path(), &["user", "disable", "--name", "nobody"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown user: {}",
        text(&out.stderr)
    );
    let store = tryghed::store::Store::open(dir.path()).unwrap();
    assert!(store
        .check_password("hanne", "a brand new password")
        .unwrap()
        .is_some());
    assert!(store.verify_audit().unwrap().intact());
}

#[test]
fn prune_deletes_what_retention_no_longer_keeps_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let out = run(dir.path(), &["prune", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let pruned: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pruned["alarms"], 0, "nothing is old yet: {pruned}");
    // Ten years on, every audit row but the newest is past five years.
    let out = run(dir.path(), &["--now", "2036-06-01T00:00:00Z", "prune"]);
    let said = text(&out.stdout);
    assert!(said.contains("audit rows older than 1825 days"), "{said}");
    assert!(!said.contains(" 0 audit rows"), "{said}");
    let verify = run(dir.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify.stdout));
}

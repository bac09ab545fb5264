//! `docs/protocol.md` and the JSON Schemas in `docs/protocol/` against the
//! protocol's types (`tryghed::protocol`): every message has its row in the
//! table and its schema file, made from the type that sends it. Stale
//! files fail; `TRYGHED_WRITE_PROTOCOL=1` writes them anew.

mod common;

use tryghed::protocol::{messages, Direction, Message};

fn row(message: &Message) -> String {
    let direction = match message.direction {
        Direction::DeviceToHub => "device → hub",
        Direction::HubToDevice => "hub → device",
    };
    let retained = if message.retained { "yes" } else { "no" };
    format!(
        "| {} | `tryghed/v1/{{room}}/{}` | {direction} | {} | {retained} | [schema](protocol/{}.schema.json) |",
        message.name, message.topic, message.qos, message.name
    )
}

#[test]
fn every_message_has_its_row_and_its_schema() {
    let docs = common::repo().join("docs");
    let write = std::env::var_os("TRYGHED_WRITE_PROTOCOL").is_some();
    let table = std::fs::read_to_string(docs.join("protocol.md")).unwrap();
    let mut stale = Vec::new();
    for message in messages() {
        let row = row(&message);
        assert!(
            table.contains(&row),
            "docs/protocol.md lacks the row\n{row}"
        );
        let file = docs
            .join("protocol")
            .join(format!("{}.schema.json", message.name));
        let schema = serde_json::to_string_pretty(&(message.schema)()).unwrap() + "\n";
        if write {
            std::fs::write(&file, &schema).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(schema.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas (TRYGHED_WRITE_PROTOCOL=1 cargo test --release --test protocol_doc): {stale:?}"
    );
    let files = std::fs::read_dir(docs.join("protocol")).unwrap().count();
    assert_eq!(files, messages().len(), "a schema file for no message");
}

/// A permit as a device receives it round-trips through its schema's
/// fields: nothing sent that the schema does not name.
#[test]
fn a_signed_permit_names_only_what_its_schema_names() {
    let schema = serde_json::to_value(schemars::schema_for!(tryghed::permit::RoomPermit)).unwrap();
    let named: std::collections::BTreeSet<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut store = tryghed::store::Store::open(dir.path()).unwrap();
    let now = chrono::Utc::now();
    let (resident, _, _) = tryghed::app::product::demo_records(&mut store, now).unwrap();
    let permit = tryghed::permit::RoomPermit::grant(&store.case_file(&resident).unwrap(), 1, now);
    let sent = serde_json::to_value(&permit).unwrap();
    let fields: std::collections::BTreeSet<&str> = sent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, named);
    assert_eq!(schema["additionalProperties"], false, "{schema}");
}

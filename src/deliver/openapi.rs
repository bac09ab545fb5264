//! The OpenAPI document of the staff app's API, served at
//! `/api/openapi.json` and driving the API's fuzz test and schemathesis.
//! It tells the truth: every status an operation can answer, and every
//! constraint a request must meet. 400 means the request breaks the
//! document; 422 means it has the documented shape and a rule of the law
//! refuses it (the rule is named); 409 that the alarm is not in a state
//! that allows it.

use serde_json::{json, Value};

use super::http::{COOKIE, MAX_BODY_BYTES};

fn error(why: &str) -> Value {
    json!({ "description": why, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// An operation that needs a session: 401 without one, 403 for a role
/// that may not, 400 for a malformed query.
fn secured(summary: &str, ok: &str) -> Value {
    json!({
        "summary": summary,
        "security": [{ "session": [] }, { "bearer": [] }],
        "responses": {
            "200": { "description": ok },
            "400": error("a malformed query"),
            "401": error("no session, or it has ended; or two different credentials"),
            "403": error("this role may not, or a rule refuses it (named)")
        }
    })
}

/// With an `{id}` in the path: 404 when nothing has it.
fn with_id(mut op: Value) -> Value {
    op["parameters"] =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    op["responses"]["404"] = error("no such id");
    op
}

/// With a JSON body of `properties`: 400 when it breaks the schema, 413
/// when too large, 415 when not JSON, 422 when a rule refuses it.
fn with_body(op: Value, properties: Value, required: &[&str]) -> Value {
    let schema = json!({
        "type": "object", "additionalProperties": false, "required": required, "properties": properties
    });
    with_schema(op, schema)
}

/// With a JSON body of `schema`, answering as [`with_body`] does.
fn with_schema(mut op: Value, schema: Value) -> Value {
    op["requestBody"] =
        json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    let responses = &mut op["responses"];
    responses["400"] = error("the body breaks this schema, or is not JSON");
    responses["413"] = error(&format!("the body is larger than {MAX_BODY_BYTES} bytes"));
    responses["415"] = error("the body is not sent as application/json");
    responses["422"] = error("a rule of the law refuses it (named in the error)");
    op
}

/// Free text the app keeps: 1 to `max` characters, not only spaces.
fn words(max: usize) -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S" })
}

fn nullable_words(max: usize) -> Value {
    let mut schema = words(max);
    schema["nullable"] = json!(true);
    schema
}

/// `resident`, or the id of a representative on the resident's record.
fn party() -> Value {
    let mut schema = words(200);
    schema["description"] = json!("`resident` or a representative's id (rep-1, …)");
    schema
}

/// One change of a representative: which fields it takes depends on `change`.
fn representative_change() -> Value {
    let nullable_time = json!({ "type": "string", "format": "date-time", "nullable": true });
    let change = |name: &str, properties: Value, required: &[&str]| {
        let mut properties = properties;
        properties["change"] = json!({ "type": "string", "enum": [name] });
        let required: Vec<&str> = ["change"].iter().chain(required).copied().collect();
        json!({ "type": "object", "additionalProperties": false, "required": required, "properties": properties })
    };
    json!({ "oneOf": [
        change("add", json!({
            "name": words(200),
            "role": { "type": "string", "enum": ["guardian", "attorney"] },
            "covers_personal_matters": { "type": "boolean" },
            "since": nullable_time,
        }), &["name", "role"]),
        change("rename", json!({ "representative": words(200), "name": words(200) }), &["representative", "name"]),
        change("end", json!({ "representative": words(200), "reason": words(200), "at": nullable_time }), &["representative", "reason"]),
    ] })
}

fn date_time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn basis_properties() -> Value {
    let nullable_time = json!({ "type": "string", "format": "date-time", "nullable": true });
    json!({
        // No slash or control character, and not only spaces.
        "id": { "type": "string", "minLength": 1, "maxLength": 64,
                "pattern": "^[^/\\u0000-\\u001f\\u007f-\\u009f]*[^/\\s\\u0000-\\u001f\\u007f-\\u009f][^/\\u0000-\\u001f\\u007f-\\u009f]*$" },
        "basis_type": { "type": "string", "enum": ["consent", "sel136e", "sel128b", "sel128b-unlimited"] },
        "kinds": { "type": "array", "items": { "type": "string", "enum": ["movement", "sound", "video", "location"] } },
        "signals": { "type": "array", "items": { "type": "string" } },
        "reactive_alarm": { "type": "boolean" },
        "supervision_max_minutes": { "type": "integer", "minimum": 0, "maximum": u32::MAX, "nullable": true },
        "start": date_time(),
        "end": nullable_time,
        "consent_at": nullable_time,
        "hearing": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["heard", "at"],
                     "properties": { "heard": words(200), "at": date_time() } },
        "informed": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["who", "at"],
                      "properties": { "who": party(), "at": date_time() } } },
        "documents": { "type": "object", "additionalProperties": false, "properties": {
            "diagnosis": nullable_words(200), "earlier_efforts": nullable_words(200),
            "action_plan": nullable_words(200), "skema_3": nullable_words(200) } },
        "dpia": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["at", "outcome"],
                  "properties": { "at": date_time(), "outcome": words(200) } },
        "target_group": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["ground", "reference"],
                          "properties": { "ground": { "type": "string", "enum": ["reduced-function", "progressive-decline"] }, "reference": words(200) } },
        "purposes": { "type": "array", "items": { "type": "string", "enum": ["injury-risk", "safety", "dignity", "care"] } },
        "catalogue": { "type": "array", "items": { "type": "string", "enum": ["sensor-alarm", "door-alarm", "seizure-alarm", "gps-tracking"] } },
        "beyond_catalogue": nullable_words(200)
    })
}

fn login() -> Value {
    json!({ "post": {
        "summary": "Log in; sets the session cookie and returns a bearer token",
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
            "type": "object", "additionalProperties": false, "required": ["name", "password"],
            "properties": { "name": { "type": "string" }, "password": { "type": "string" } } } } } },
        "responses": {
            "200": { "description": "logged in" },
            "400": error("the body breaks this schema, or is not JSON"),
            "401": error("wrong name or password"),
            "413": error(&format!("the body is larger than {MAX_BODY_BYTES} bytes")),
            "415": error("the body is not sent as application/json"),
            "429": error("too many failed log-ins from this address; wait five minutes")
        }
    } })
}

fn asset(summary: &str, content_type: &str) -> Value {
    json!({ "get": { "summary": summary, "responses": { "200": { "description": summary, "content": { content_type: {} } } } } })
}

/// The alarm operations: acknowledge, and resolve with an outcome.
fn alarm_steps() -> (Value, Value) {
    let mut ack = with_id(secured(
        "Acknowledge an alarm: someone is on the way (staff)",
        "the step taken",
    ));
    ack["responses"]["409"] = error("already acknowledged");
    let mut resolve = with_body(
        with_id(secured(
            "Resolve an acknowledged alarm with its outcome (staff)",
            "the step taken",
        )),
        json!({ "outcome": words(500) }),
        &["outcome"],
    );
    resolve["responses"]["409"] = error("not acknowledged yet");
    (ack, resolve)
}

fn events() -> Value {
    let mut events = secured("Alarm steps as server-sent events (staff: their rooms' alarms and every escalated one); `after` or Last-Event-ID resumes", "text/event-stream");
    events["parameters"] = json!([{ "name": "after", "in": "query", "required": false,
        "schema": { "type": "integer", "format": "int64" }, "description": "the last place seen" }]);
    events
}

fn looks() -> (Value, Value) {
    let look = with_body(
        secured("Ask for a time-bounded look at a resident's silhouette, with a reason (staff; the basis must allow it, R3.2)", "the look's id and end"),
        json!({ "resident": { "type": "string" }, "minutes": { "type": "integer", "minimum": 1, "maximum": u32::MAX }, "reason": words(300) }),
        &["resident", "minutes", "reason"],
    );
    let mut look = look;
    look["responses"]["404"] = error("no such resident");
    let view = with_id(secured(
        "The look's live silhouette as server-sent events until it ends (the staff member who asked)",
        "text/event-stream",
    ));
    (look, view)
}

/// The API, described for clients and for schema-driven testing.
pub fn openapi_document() -> Value {
    let (ack, resolve) = alarm_steps();
    let (look, view) = looks();
    json!({
        "openapi": "3.0.3",
        "info": { "title": "tryghed staff app", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/": asset("The staff app's page", "text/html"),
            "/app.js": asset("The staff app's script", "text/javascript"),
            "/style.css": asset("The staff app's style", "text/css"),
            "/health": { "get": { "summary": "The device answers", "responses": { "200": { "description": "ok" } } } },
            "/api/login": login(),
            "/api/logout": { "post": secured("End the session", "logged out") },
            "/api/me": { "get": secured("Who is logged in", "the user") },
            "/api/openapi.json": { "get": secured("This document", "the document") },
            "/api/alarms": { "get": secured("Open alarms: for staff those of the rooms they answer for and every escalated one; for auditors all", "the alarms") },
            "/api/alarms/{id}/acknowledge": { "post": ack },
            "/api/alarms/{id}/resolve": { "post": resolve },
            "/api/events": { "get": events() },
            "/api/residents/{id}/bases": { "post": with_body(with_id(secured("Record a legal basis for the resident, decided by the logged-in case officer; refused with its rules (422) when the law does not allow it", "the basis and what the case allows now")), basis_properties(), &["id", "basis_type", "kinds", "signals", "reactive_alarm", "start"]) },
            "/api/camera": { "get": secured("How far the camera looks down, as the device learnt it from people standing, and from how many frames (installer, auditor)", "the learnt tilt, or learnt: false") },
            "/api/certificate": { "get": secured("The device's TLS certificate: its SHA-256 fingerprint and the names it is made for, or null on plain loopback HTTP (installer, auditor)", "the certificate") },
            "/api/catalogue": { "get": secured("What a basis can name: kinds, basis types, signals with their kind", "the catalogue") },
            "/api/residents": { "get": secured("Residents with their legal status and device state (staff: of their rooms; case officer, auditor: all); the posture word only inside an alarm about the resident or the user's own look (R3.2), with `seen_in` saying which; a resident whose record was changed outside tryghed has `legal.tampered` naming it instead of an assessment", "the residents") },
            "/api/looks": { "post": look },
            "/api/residents/{id}/case": { "get": with_id(secured("A resident's case file and what it allows now (case officer, auditor)", "the case")) },
            "/api/residents/{id}/opposition": { "post": with_body(with_id(secured("Record an opposition (R1.4) (case officer)", "recorded")), json!({ "by": party() }), &["by"]) },
            "/api/residents/{id}/disclosure": { "post": with_body(with_id(secured("Record the AI disclosure (R8.2) (case officer)", "recorded")), json!({ "informed": party(), "how": words(300) }), &["informed", "how"]) },
            "/api/residents/{id}/representatives": { "post": with_schema(with_id(secured("Add an attorney or guardian (change: add, with name, role, covers_personal_matters, since), correct a name's spelling (rename, with representative and name) or end a mandate (end, with representative, reason, at); on the chain (case officer). Answers with the representative and the id every other record refers to", "the representative as recorded")), representative_change()) },
            "/api/bases/{id}/stop": { "post": with_body(with_id(secured("Stop a legal basis now (R10.3) (case officer)", "stopped")), json!({ "reason": words(300) }), &["reason"]) },
            "/api/looks/{id}/view": { "get": view },
            "/api/looks/{id}/end": { "post": with_id(secured("End one's own look before its time (staff); audited as look.end", "ended")) },
        },
        "components": {
            "schemas": { "Error": { "type": "object", "required": ["error"], "properties": {
                "error": { "type": "string" },
                "refusals": { "type": "array", "description": "with a 422: each rule that refuses the record, by its id, in English and Danish", "items": {
                    "type": "object", "required": ["rule", "en", "da"],
                    "properties": { "rule": { "type": "string" }, "en": { "type": "string" }, "da": { "type": "string" } }
                } }
            } } },
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": COOKIE },
                "bearer": { "type": "http", "scheme": "bearer" }
            }
        }
    })
}

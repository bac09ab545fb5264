//! The OpenAPI document of the staff app's API, served at
//! `/api/openapi.json` and driving the API's fuzz test.

use serde_json::json;

use super::http::COOKIE;

/// The API, described for clients and for schema-driven testing.
pub fn openapi_document() -> serde_json::Value {
    let error = json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let secured = |summary: &str, ok: &str| json!({ "summary": summary, "security": [{ "session": [] }, { "bearer": [] }], "responses": { "200": { "description": ok }, "401": error, "403": error } });
    let mut resolve = secured(
        "Resolve an acknowledged alarm with its outcome (staff)",
        "the step taken",
    );
    resolve["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["outcome"], "properties": { "outcome": { "type": "string", "minLength": 1, "maxLength": 500 } } } } } });
    let id =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    let mut look = secured("Ask for a time-bounded look at a resident's silhouette, with a reason (staff; the basis must allow it, R3.2)", "the look's id and end");
    look["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["resident", "minutes", "reason"], "properties": { "resident": { "type": "string" }, "minutes": { "type": "integer", "minimum": 1 }, "reason": { "type": "string", "minLength": 1, "maxLength": 300 } } } } } });
    let with_id = |mut op: serde_json::Value| {
        op["parameters"] = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
        op
    };
    let with_body = |mut op: serde_json::Value,
                     properties: serde_json::Value,
                     required: &[&str]| {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": required, "properties": properties } } } });
        op
    };
    let mut view = secured("The look's live silhouette as server-sent events until it ends (the staff member who asked)", "text/event-stream");
    view["parameters"] = id.clone();
    let mut ack = secured(
        "Acknowledge an alarm: someone is on the way (staff)",
        "the step taken",
    );
    ack["parameters"] = id.clone();
    resolve["parameters"] = id;
    json!({
        "openapi": "3.0.3",
        "info": { "title": "tryghed staff app", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/health": { "get": { "summary": "The device answers", "responses": { "200": { "description": "ok" } } } },
            "/api/login": { "post": {
                "summary": "Log in; sets the session cookie and returns a bearer token",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["name", "password"], "properties": { "name": { "type": "string" }, "password": { "type": "string" } } } } } },
                "responses": { "200": { "description": "logged in" }, "400": error, "401": error, "429": error }
            } },
            "/api/logout": { "post": secured("End the session", "logged out") },
            "/api/me": { "get": secured("Who is logged in", "the user") },
            "/api/openapi.json": { "get": secured("This document", "the document") },
            "/api/alarms": { "get": secured("Open alarms: for staff those of the rooms they answer for and every escalated one; for auditors all", "the alarms") },
            "/api/alarms/{id}/acknowledge": { "post": ack },
            "/api/alarms/{id}/resolve": { "post": resolve },
            "/api/events": { "get": secured("Alarm steps as server-sent events (staff: their rooms' alarms and every escalated one); `after` or Last-Event-ID resumes", "text/event-stream") },
            "/api/residents/{id}/bases": { "post": with_body(with_id(secured("Record a legal basis for the resident, decided by the logged-in case officer; refused with its rules (422) when the law does not allow it", "the basis and what the case allows now")), json!({
                "id": { "type": "string", "minLength": 1, "maxLength": 64 },
                "basis_type": { "type": "string", "enum": ["consent", "sel136e", "sel128b", "sel128b-unlimited"] },
                "kinds": { "type": "array", "items": { "type": "string", "enum": ["movement", "sound", "video", "location"] } },
                "signals": { "type": "array", "items": { "type": "string" } },
                "reactive_alarm": { "type": "boolean" },
                "supervision_max_minutes": { "type": "integer", "minimum": 0, "nullable": true },
                "start": { "type": "string", "format": "date-time" },
                "end": { "type": "string", "format": "date-time", "nullable": true },
                "consent_at": { "type": "string", "format": "date-time", "nullable": true },
                "hearing": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["heard", "at"], "properties": { "heard": { "type": "string" }, "at": { "type": "string", "format": "date-time" } } },
                "informed": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["who", "at"], "properties": { "who": { "type": "string" }, "at": { "type": "string", "format": "date-time" } } } },
                "documents": { "type": "object", "additionalProperties": false, "properties": { "diagnosis": { "type": "string", "nullable": true }, "earlier_efforts": { "type": "string", "nullable": true }, "action_plan": { "type": "string", "nullable": true }, "skema_3": { "type": "string", "nullable": true } } },
                "dpia": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["at", "outcome"], "properties": { "at": { "type": "string", "format": "date-time" }, "outcome": { "type": "string" } } }
            }), &["id", "basis_type", "kinds", "signals", "reactive_alarm", "start"]) },
            "/api/camera": { "get": secured("How far the camera looks down, as the device learnt it from people standing, and from how many frames (installer, auditor)", "the learnt tilt, or learnt: false") },
            "/api/catalogue": { "get": secured("What a basis can name: kinds, basis types, signals with their kind", "the catalogue") },
            "/api/residents": { "get": secured("Residents with their legal status and current posture (staff: of their rooms; case officer, auditor: all)", "the residents") },
            "/api/looks": { "post": look },
            "/api/residents/{id}/case": { "get": with_id(secured("A resident's case file and what it allows now (case officer, auditor)", "the case")) },
            "/api/residents/{id}/opposition": { "post": with_body(with_id(secured("Record an opposition (R1.4) (case officer)", "recorded")), json!({ "by": { "type": "string", "description": "`resident` or a representative's name" } }), &["by"]) },
            "/api/residents/{id}/disclosure": { "post": with_body(with_id(secured("Record the AI disclosure (R8.2) (case officer)", "recorded")), json!({ "informed": { "type": "string" }, "how": { "type": "string", "maxLength": 300 } }), &["informed", "how"]) },
            "/api/bases/{id}/stop": { "post": with_body(with_id(secured("Stop a legal basis now (R10.3) (case officer)", "stopped")), json!({ "reason": { "type": "string", "maxLength": 300 } }), &["reason"]) },
            "/api/looks/{id}/view": { "get": view },
        },
        "components": {
            "schemas": { "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } } },
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": COOKIE },
                "bearer": { "type": "http", "scheme": "bearer" }
            }
        }
    })
}

//! The OpenAPI 3.1 document, derived from the field catalogue so it cannot drift from the API.

use bulwark_domain::catalogue::{ALL, FieldKind, Write};
use bulwark_domain::{Entity, FieldDef};
use serde_json::{Map, Value, json};

fn field_schema(f: &FieldDef) -> Value {
    let mut s = match f.kind {
        FieldKind::Int => json!({ "type": "integer" }),
        FieldKind::Bool => json!({ "type": "boolean" }),
        FieldKind::Money => {
            json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$", "description": "decimal amount" })
        }
        FieldKind::Fraction => json!({ "type": "string", "pattern": "^[01](\\.[0-9]{1,4})?$" }),
        FieldKind::Date => json!({ "type": "string", "format": "date" }),
        FieldKind::Timestamp => json!({ "type": "string", "format": "date-time" }),
        FieldKind::Enum(values) => json!({ "type": "string", "enum": values }),
        FieldKind::Ref(e) => {
            json!({ "type": "string", "format": "uuid", "description": format!("id of a record of {}", e.as_str()) })
        }
        FieldKind::Id => json!({ "type": "string", "format": "uuid" }),
        FieldKind::Email => json!({ "type": "string", "format": "email", "maxLength": 254 }),
        FieldKind::RoleList => json!({ "type": "array", "items": { "type": "string" } }),
        _ => json!({ "type": "string", "maxLength": f.max_len }),
    };
    s["x-classification"] = json!(f.class.as_str());
    if f.write == Write::Server {
        s["readOnly"] = json!(true);
    }
    s
}

fn entity_schema(e: Entity) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in e.def().fields {
        props.insert(f.name.into(), field_schema(f));
        if f.required && f.write != Write::Server {
            required.push(f.name);
        }
    }
    json!({
        "type": "object",
        "description": "Fields your role may not see are absent; masked fields carry a masked string.",
        "properties": props,
        "required": required,
    })
}

fn problem() -> Value {
    json!({ "description": "RFC 9457 problem", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

/// Builds the document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(
        "Problem".into(),
        json!({ "type": "object", "properties": {
            "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
            "detail": { "type": "string" }, "parameter": { "type": "string" }, "code": { "type": "string" },
            "errors": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } } } }),
    );
    let errors = json!({ "400": problem(), "401": problem(), "403": problem(), "404": problem(), "422": problem() });
    for e in ALL {
        let name = e.as_str();
        let schema_ref = json!({ "$ref": format!("#/components/schemas/{name}") });
        schemas.insert(name.into(), entity_schema(*e));
        let mut params = vec![
            json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } }),
            json!({ "name": "cursor", "in": "query", "schema": { "type": "string" } }),
            json!({ "name": "q", "in": "query", "schema": { "type": "string", "maxLength": 100 } }),
        ];
        let sortable: Vec<String> = e
            .def()
            .fields
            .iter()
            .filter(|f| f.sortable)
            .flat_map(|f| [f.name.to_string(), format!("-{}", f.name)])
            .collect();
        params.push(json!({ "name": "sort", "in": "query", "schema": { "type": "string", "enum": sortable } }));
        for f in e.def().fields.iter().filter(|f| f.filterable) {
            params.push(json!({ "name": f.name, "in": "query", "schema": field_schema(f) }));
        }
        let mut list_resp = errors.clone();
        list_resp["200"] = json!({ "description": "a page", "content": { "application/json": { "schema": {
            "type": "object", "properties": { "items": { "type": "array", "items": schema_ref }, "next_cursor": { "type": ["string", "null"] } } } } } });
        let mut one = errors.clone();
        one["200"] = json!({ "description": "the record", "content": { "application/json": { "schema": schema_ref } } });
        let mut created = errors.clone();
        created["201"] = json!({ "description": "created", "content": { "application/json": { "schema": schema_ref } } });
        let mut deleted = errors.clone();
        deleted["204"] = json!({ "description": "deleted" });
        let mut revealed = errors.clone();
        revealed["200"] = json!({ "description": "clear values", "content": { "application/json": { "schema": { "type": "object" } } } });
        let body = json!({ "required": true, "content": { "application/json": { "schema": schema_ref } } });
        let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
        paths.insert(format!("/api/v1/{name}"), json!({
            "get": { "summary": format!("List {name}"), "parameters": params, "responses": list_resp },
            "post": { "summary": format!("Create a record of {name}"), "requestBody": body, "responses": created },
        }));
        paths.insert(format!("/api/v1/{name}/{{id}}"), json!({
            "get": { "summary": format!("Read a record of {name}"), "parameters": [id], "responses": one },
            "patch": { "summary": format!("Change a record of {name}"), "parameters": [id], "requestBody": body, "responses": one },
            "delete": { "summary": format!("Delete a record of {name}"), "parameters": [id], "responses": deleted },
        }));
        paths.insert(format!("/api/v1/{name}/{{id}}/reveal"), json!({
            "post": { "summary": "Reveal masked fields with a written reason (audited)", "parameters": [id],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["fields", "reason"], "additionalProperties": false,
                    "properties": { "fields": { "type": "array", "items": { "type": "string" } }, "reason": { "type": "string", "minLength": 5, "maxLength": 500 } } } } } },
                "responses": revealed },
        }));
    }
    paths.insert("/healthz".into(), json!({ "get": { "summary": "Readiness", "security": [], "responses": { "200": { "description": "ok" } } } }));
    paths.insert("/api/v1/auth/login".into(), json!({ "post": { "summary": "Password login; sets the session and CSRF cookies", "security": [],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "additionalProperties": false,
            "properties": { "username": { "type": "string" }, "password": { "type": "string", "format": "password" } } } } } },
        "responses": { "200": { "description": "logged in; body carries csrf_token" }, "401": problem() } } }));
    paths.insert("/api/v1/auth/logout".into(), json!({ "post": { "summary": "End the session", "responses": { "204": { "description": "logged out" } } } }));
    paths.insert("/api/v1/me".into(), json!({ "get": { "summary": "The caller, their roles and permissions", "responses": { "200": { "description": "me" }, "401": problem() } } }));
    paths.insert("/api/v1/audit/events".into(), json!({ "get": { "summary": "Audit events, newest first (auditor only)", "parameters": [
        { "name": "actor_id", "in": "query", "schema": { "type": "string" } }, { "name": "action", "in": "query", "schema": { "type": "string" } },
        { "name": "entity", "in": "query", "schema": { "type": "string" } }, { "name": "outcome", "in": "query", "schema": { "type": "string", "enum": ["success", "denied", "not_found", "invalid", "error"] } },
        { "name": "since", "in": "query", "schema": { "type": "string", "format": "date-time" } }, { "name": "until", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "limit", "in": "query", "schema": { "type": "integer" } }, { "name": "cursor", "in": "query", "schema": { "type": "string" } } ],
        "responses": { "200": { "description": "a page of events" }, "403": problem() } } }));
    paths.insert("/api/v1/audit/verify".into(), json!({ "get": { "summary": "Verify the audit chain (auditor only)", "responses": { "200": { "description": "verification result" }, "403": problem() } } }));
    paths.insert("/api/v1/openapi.json".into(), json!({ "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI" } } } }));
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Bulwark API", "version": env!("CARGO_PKG_VERSION"),
            "description": "Security-first supply-chain CRM. Every response is shaped by the caller's role: hidden fields are absent, masked fields are masked." },
        "servers": [{ "url": "/" }],
        "security": [{ "session": [] }, { "bearer": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "bulwark_session", "description": "State-changing requests must also send X-CSRF-Token." },
                "bearer": { "type": "http", "scheme": "bearer", "description": "Personal API token (bulwark token create)" }
            }
        }
    })
}

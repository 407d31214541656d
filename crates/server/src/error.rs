//! The one place where errors become HTTP responses: RFC 9457 problem details with a stable
//! `type`, a safe message, and never an internal cause (that goes to the log only).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bulwark_store::StoreError;
use serde::Serialize;
use serde_json::json;

/// One field's problem in a 422 answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field (or body key) name.
    pub field: String,
    /// What is wrong (never the submitted value).
    pub message: String,
}

/// Makes client-supplied text (a field or parameter name) safe to echo in an answer or an
/// audit event: bidi controls removed, other control characters replaced, at most 64
/// graphemes.
pub fn safe_echo(s: &str) -> String {
    let n = bulwark_domain::text::neutralize_bidi(s);
    let clean: String = n
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    bulwark_domain::text::truncate_graphemes(&clean, 64)
}

impl FieldProblem {
    /// Builds a field problem (the name is made safe to echo).
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: safe_echo(field),
            message: message.into(),
        }
    }
}

/// Every error a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Login failed (the same answer for unknown users and bad passwords).
    #[error("invalid username or password")]
    BadCredentials,
    /// The CSRF token is missing or wrong.
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// The policy denies the request.
    #[error("{detail}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Safe explanation.
        detail: String,
        /// Fields concerned, if any.
        fields: Vec<String>,
    },
    /// No such record (or not in the caller's scope: the two are indistinguishable).
    #[error("not found")]
    NotFound,
    /// A query parameter is invalid.
    #[error("invalid parameter {param}: {detail}")]
    BadParam {
        /// The parameter name.
        param: String,
        /// What is wrong.
        detail: String,
    },
    /// The request body is not acceptable JSON.
    #[error("{0}")]
    BadBody(String),
    /// Field values are invalid.
    #[error("invalid fields")]
    Invalid(Vec<FieldProblem>),
    /// The change conflicts with existing data.
    #[error("{0}")]
    Conflict(String),
    /// The body is too large.
    #[error("request body too large")]
    TooLarge,
    /// Anything unexpected: logged, answered generically.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 403 with a code and explanation.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
            fields: Vec::new(),
        }
    }
    /// A 400 naming a parameter (the name is made safe to echo).
    pub fn bad_param(param: &str, detail: impl Into<String>) -> Self {
        Self::BadParam {
            param: safe_echo(param),
            detail: detail.into(),
        }
    }
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Csrf | Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadParam { .. } | Self::BadBody(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad-credentials",
            Self::Csrf => "csrf",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound => "not-found",
            Self::BadParam { .. } => "bad-parameter",
            Self::BadBody(_) => "bad-body",
            Self::Invalid(_) => "invalid-fields",
            Self::Conflict(_) => "conflict",
            Self::TooLarge => "too-large",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => {
                Self::Conflict(format!("a record with the same {what} already exists"))
            }
            StoreError::Reference => Self::Conflict(
                "the record is referenced by other records, or references a missing one".into(),
            ),
            other => Self::Internal(format!("{other:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            tracing::error!(cause = %cause, "request failed");
        }
        let mut body = json!({
            "type": format!("https://bulwark.dev/problems/{}", self.kind()),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": self.to_string(),
        });
        match &self {
            Self::Invalid(fields) => body["errors"] = json!(fields),
            Self::BadParam { param, .. } => body["parameter"] = json!(param),
            Self::Forbidden { code, fields, .. } => {
                body["code"] = json!(code);
                if !fields.is_empty() {
                    body["fields"] = json!(fields);
                }
            }
            _ => {}
        }
        let mut resp = (status, axum::Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

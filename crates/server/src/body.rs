//! JSON request bodies, read with a size limit. The extractor never rejects by itself: it
//! hands the handler either the parsed JSON or the problem, so the handler can audit the
//! failed attempt before answering 4xx.

use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::header;

/// Largest accepted JSON body.
pub const MAX_BODY: usize = 256 * 1024;

/// A JSON body, or why it was refused.
#[derive(Debug)]
pub struct JsonBody(pub Result<serde_json::Value, ApiError>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or_default().trim();
                mime.eq_ignore_ascii_case("application/json")
            });
        if !json_type {
            return Ok(Self(Err(ApiError::BadBody(
                "the body must be JSON with Content-Type: application/json".into(),
            ))));
        }
        let bytes = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
            Ok(b) => b,
            Err(_) => return Ok(Self(Err(ApiError::TooLarge))),
        };
        Ok(Self(serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::BadBody(format!(
                "the body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })))
    }
}

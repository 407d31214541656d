//! The audit event model.
//!
//! An [`AuditEvent`] records *who* did *what* to *which* records, *when*, and
//! how it turned out. It deliberately carries field **names** only, never field
//! values: the audit trail must not become a second copy of the sensitive data
//! it protects.
//!
//! The model is independent of how events are chained or stored; the canonical
//! byte form lives in [`crate::canonical`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The canonical-encoding version written by this crate (see
/// [`crate::canonical::encode`]). Stored in [`AuditEvent::version`].
pub const EVENT_VERSION: u16 = 1;

/// One audited action.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Canonical-encoding version; currently always [`EVENT_VERSION`].
    pub version: u16,
    /// When the action happened, RFC 3339 in UTC (e.g.
    /// `"2026-12-03T16:20:00.123456Z"`). Supplied by the caller; this crate
    /// does no clock I/O.
    pub time: String,
    /// Identifier of the request (or CLI invocation) that caused the event.
    pub request_id: String,
    /// Opaque user id (UUID string) of the actor; `None` for anonymous.
    pub actor_id: Option<String>,
    /// Login name of the actor; `None` for anonymous.
    pub actor_name: Option<String>,
    /// Roles the actor held when acting.
    pub roles: Vec<String>,
    /// What was done: `"read"`, `"list"`, `"create"`, `"update"`, `"delete"`,
    /// `"reveal"`, `"export"`, `"login"`, `"logout"`, `"import"`,
    /// `"token.create"`, `"user.create"`, ...
    pub action: String,
    /// The entity (collection) acted on, e.g. `"accounts"`, `"contacts"`.
    pub entity: Option<String>,
    /// Ids of the records involved.
    pub record_ids: Vec<String>,
    /// Names of the fields returned, changed or revealed. Names only, never
    /// values.
    pub fields: Vec<String>,
    /// How the action turned out.
    pub outcome: Outcome,
    /// HTTP status code, or `0` for CLI actions.
    pub status: u16,
    /// Client IP address, if known.
    pub client_ip: Option<String>,
    /// Free-form reason: the written justification of a reveal, or the
    /// denial reason code.
    pub reason: Option<String>,
}

/// How an audited action turned out.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The action was performed.
    Success,
    /// The action was refused by policy or authentication.
    Denied,
    /// The target did not exist (or is not visible to the actor).
    NotFound,
    /// The request was malformed or failed validation.
    Invalid,
    /// The action failed for an internal reason.
    Error,
}

impl Outcome {
    /// All outcomes, in declaration order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Success,
        Outcome::Denied,
        Outcome::NotFound,
        Outcome::Invalid,
        Outcome::Error,
    ];

    /// The stable string form (identical to the serde form), used in the
    /// canonical encoding: `"success"`, `"denied"`, `"not_found"`,
    /// `"invalid"`, `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::NotFound => "not_found",
            Outcome::Invalid => "invalid",
            Outcome::Error => "error",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing an unknown [`Outcome`] string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit outcome {0:?}")]
pub struct UnknownOutcome(pub String);

impl FromStr for Outcome {
    type Err = UnknownOutcome;

    /// Parses the exact string produced by [`Outcome::as_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| UnknownOutcome(s.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn outcome_str_matches_serde_and_parses_back() {
        for o in Outcome::ALL {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
            assert_eq!(o.to_string(), o.as_str());
        }
        assert!("NotFound".parse::<Outcome>().is_err());
        assert!("".parse::<Outcome>().is_err());
    }

    #[test]
    fn event_serde_roundtrip() {
        let e = crate::testutil::sample_event(7);
        let json = serde_json::to_string(&e).unwrap();
        let back: AuditEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }
}

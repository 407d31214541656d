//! Bulwark audit trail: the pure core.
//!
//! This crate holds no I/O. It defines what an audit event is, how it is
//! turned into bytes, and how those bytes are chained so that tampering with
//! the stored trail is detectable. Storage, clocks and key loading live
//! elsewhere.
//!
//! # Pieces
//!
//! * [`event`]: the [`AuditEvent`] model (who, what, which records, which
//!   field *names*, outcome). Field values are never recorded.
//! * [`canonical`]: [`encode`], a versioned, length-prefixed binary encoding
//!   that is injective (equal events ⇔ equal bytes), with [`decode`] as its
//!   exact inverse. It is independent of the chain, so a later Merkle tree can
//!   hash the very same bytes.
//! * [`chain`]: a keyed hash chain. Entry `seq` stores
//!   `HMAC-SHA256(key, "bulwark-audit-chain-v1" || seq || prev_hash || encode(event))`,
//!   produced by an [`Appender`] and checked, one entry at a time in constant
//!   memory, by a [`Verifier`] that reports the first bad sequence number as a
//!   [`ChainFault`].
//!
//! # Why the chain is keyed
//!
//! A plain hash chain only proves internal consistency: anyone who can write
//! the audit table (a DBA, a compromised backup, an attacker with SQL access)
//! could alter or delete an entry and simply recompute every later hash. With
//! an HMAC, recomputing requires the [`ChainKey`], which is kept outside the
//! database; a database insider without it cannot produce links that verify.
//!
//! # Why the head is recorded separately
//!
//! Every prefix of a valid chain is itself a valid chain, so deleting the most
//! recent entries cannot be detected from the chain alone. The store therefore
//! records the current head (last sequence number and hash) separately, and
//! [`Verifier::finish`] compares the end of the chain against it, reporting
//! [`FaultKind::Truncated`] or [`FaultKind::HeadMismatch`].
//!
//! # What a fault means
//!
//! Sequence numbers start at 1 and are contiguous. A [`ChainFault`] names the
//! first sequence number that cannot be trusted; everything before it
//! verified. A missing or reordered entry is a [`FaultKind::Gap`]; an altered
//! event, an altered stored hash, a removed-and-renumbered predecessor or the
//! wrong key is a [`FaultKind::HashMismatch`]. All hash comparisons are
//! constant-time.

#![forbid(unsafe_code)]

pub mod canonical;
pub mod chain;
pub mod event;

#[cfg(test)]
mod testutil;

pub use canonical::{DecodeError, MAGIC, decode, encode};
pub use chain::{
    Appender, CHAIN_DOMAIN, ChainFault, ChainKey, ChainKeyError, ChainSummary, FaultKind, GENESIS,
    MIN_KEY_LEN, Verifier, link_hash,
};
pub use event::{AuditEvent, EVENT_VERSION, Outcome, UnknownOutcome};

//! Keyed hash chain over audit events.
//!
//! Entry `seq` (starting at 1, contiguous) stores
//!
//! ```text
//! hash[seq] = HMAC-SHA256(key, "bulwark-audit-chain-v1" || seq (u64 BE) || hash[seq-1] || encode(event))
//! ```
//!
//! with `hash[0] = GENESIS` (32 zero bytes). Because every link covers its
//! predecessor's hash and its own sequence number, altering, removing,
//! inserting or reordering any entry breaks verification at (or before) the
//! first affected sequence number. Because the hash is keyed, someone who can
//! write the database but does not hold the key cannot recompute a valid chain
//! after tampering. Truncating the tail leaves a valid prefix; that is caught
//! by comparing with the head recorded separately (see [`Verifier::finish`]).
//!
//! All hash comparisons are constant-time.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::canonical::encode;
use crate::event::AuditEvent;

/// The "previous hash" of the first entry (sequence 1).
pub const GENESIS: [u8; 32] = [0; 32];

/// Domain-separation prefix of every link hash. Changes only with the chain
/// construction itself.
pub const CHAIN_DOMAIN: &[u8] = b"bulwark-audit-chain-v1";

/// Minimum length of a [`ChainKey`] in bytes.
pub const MIN_KEY_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// SHA-256 block size: HMAC keys are zero-padded (or hashed, if longer) to it.
const HMAC_BLOCK: usize = 64;

/// HMAC-SHA256 keyed with `key`, any length, infallibly.
///
/// Applies RFC 2104's key preprocessing (keys longer than the block are
/// hashed; all are zero-padded to the block) and hands the resulting
/// block-sized key to the fixed-size constructor, which yields exactly the
/// same MAC as `Hmac::new_from_slice(key)` without a `Result` to unwrap.
fn keyed_mac(key: &[u8]) -> HmacSha256 {
    let mut block = Zeroizing::new([0u8; HMAC_BLOCK]);
    if key.len() > HMAC_BLOCK {
        let digest = Sha256::digest(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    HmacSha256::new(&(*block).into())
}

/// Computes one link from an already keyed MAC.
fn link_with(mac: &HmacSha256, seq: u64, prev: &[u8; 32], event: &AuditEvent) -> [u8; 32] {
    let mut mac = mac.clone();
    mac.update(CHAIN_DOMAIN);
    mac.update(&seq.to_be_bytes());
    mac.update(prev);
    mac.update(&encode(event));
    mac.finalize().into_bytes().into()
}

fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// The hash of chain entry `seq`:
/// `HMAC-SHA256(key, CHAIN_DOMAIN || seq (u64 BE) || prev || encode(event))`.
///
/// `prev` is the hash of entry `seq - 1`, or [`GENESIS`] for `seq == 1`.
/// Prefer [`ChainKey::link_hash`], [`Appender`] and [`Verifier`], which
/// enforce the key length; this takes raw bytes of any length.
pub fn link_hash(key: &[u8], seq: u64, prev: &[u8; 32], event: &AuditEvent) -> [u8; 32] {
    link_with(&keyed_mac(key), seq, prev, event)
}

/// The secret key of the audit chain (at least [`MIN_KEY_LEN`] bytes).
///
/// Its `Debug` output is redacted and its memory is zeroed on drop. It is
/// deliberately not `PartialEq` (no variable-time comparisons of secrets).
#[derive(Clone)]
pub struct ChainKey {
    bytes: Zeroizing<Vec<u8>>,
}

/// Why a [`ChainKey`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainKeyError {
    /// Fewer than [`MIN_KEY_LEN`] bytes.
    #[error("audit chain key is too short: {len} bytes, at least {min} required")]
    TooShort {
        /// Length supplied.
        len: usize,
        /// Length required.
        min: usize,
    },
    /// [`ChainKey::from_hex`] was given something that is not hex.
    #[error("audit chain key is not valid hex")]
    InvalidHex,
}

impl ChainKey {
    /// Wraps a copy of `bytes`; fails if shorter than [`MIN_KEY_LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChainKeyError> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(ChainKeyError::TooShort {
                len: bytes.len(),
                min: MIN_KEY_LEN,
            });
        }
        Ok(Self {
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// Parses a hex-encoded key (surrounding whitespace ignored); fails if
    /// not hex or shorter than [`MIN_KEY_LEN`] bytes once decoded.
    pub fn from_hex(hex_key: &str) -> Result<Self, ChainKeyError> {
        let bytes =
            Zeroizing::new(hex::decode(hex_key.trim()).map_err(|_| ChainKeyError::InvalidHex)?);
        Self::from_bytes(&bytes)
    }

    /// [`link_hash`] under this key.
    pub fn link_hash(&self, seq: u64, prev: &[u8; 32], event: &AuditEvent) -> [u8; 32] {
        link_with(&self.mac(), seq, prev, event)
    }

    fn mac(&self) -> HmacSha256 {
        keyed_mac(&self.bytes)
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}

/// What is wrong at the first bad position of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The next stored entry does not carry sequence number `expected`: an
    /// entry is missing, or entries are out of order or duplicated.
    Gap {
        /// The sequence number that should have come next.
        expected: u64,
    },
    /// The stored hash does not match the recomputed one: this event was
    /// altered, or a predecessor was altered or removed (and the rest
    /// renumbered), or the chain was written under a different key.
    HashMismatch,
    /// The chain ends before the separately recorded head: the tail was
    /// removed.
    Truncated {
        /// Sequence number of the recorded head.
        head_seq: u64,
    },
    /// The chain does not end at the separately recorded head: the head
    /// record was altered, or entries beyond it were added or rewritten.
    HeadMismatch,
}

/// A verification failure: the first sequence number at which the chain can
/// no longer be trusted, and why. Entries `1..seq` verified correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainFault {
    /// First bad sequence number.
    pub seq: u64,
    /// What is wrong there.
    pub kind: FaultKind,
}

impl fmt::Display for ChainFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "first bad event at sequence {}: ", self.seq)?;
        match self.kind {
            FaultKind::Gap { expected } => write!(
                f,
                "sequence gap (entry {expected} missing, or entries out of order)"
            ),
            FaultKind::HashMismatch => {
                f.write_str("hash mismatch (event altered, or a predecessor altered/removed)")
            }
            FaultKind::Truncated { head_seq } => write!(
                f,
                "chain truncated (recorded head is at sequence {head_seq}; later entries removed)"
            ),
            FaultKind::HeadMismatch => f.write_str(
                "recorded head does not match the chain (head altered, or entries added/rewritten)",
            ),
        }
    }
}

impl std::error::Error for ChainFault {}

/// Result of a successful verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSummary {
    /// Number of entries verified (equal to the last sequence number).
    pub entries: u64,
    /// Sequence number and hash of the last entry; `None` for an empty chain.
    pub head: Option<(u64, [u8; 32])>,
}

/// Streaming chain verifier: feed entries in sequence order with
/// [`push`](Self::push), then call [`finish`](Self::finish). Holds only the
/// previous link, so chains of any length verify in constant memory.
///
/// The first fault is sticky: once `push` has failed, every later `push` and
/// `finish` return that same fault, so callers may stop early or not.
pub struct Verifier {
    mac: HmacSha256,
    last_seq: u64,
    last_hash: [u8; 32],
    fault: Option<ChainFault>,
}

impl Verifier {
    /// A verifier for a chain written under `key`, expecting sequence 1 next.
    pub fn new(key: &ChainKey) -> Self {
        Self {
            mac: key.mac(),
            last_seq: 0,
            last_hash: GENESIS,
            fault: None,
        }
    }

    /// Verifies the next stored entry: `seq` must be the successor of the
    /// previous one (1 for the first), and `stored_hash` must equal the link
    /// hash recomputed from the key, `seq`, the previous stored hash and
    /// `event`.
    pub fn push(
        &mut self,
        seq: u64,
        event: &AuditEvent,
        stored_hash: &[u8; 32],
    ) -> Result<(), ChainFault> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        let expected = self.last_seq.saturating_add(1);
        if seq != expected {
            return Err(self.fail(expected, FaultKind::Gap { expected }));
        }
        let computed = link_with(&self.mac, seq, &self.last_hash, event);
        if !hashes_equal(&computed, stored_hash) {
            return Err(self.fail(seq, FaultKind::HashMismatch));
        }
        self.last_seq = seq;
        self.last_hash = *stored_hash;
        Ok(())
    }

    /// Number of entries verified so far.
    pub fn verified(&self) -> u64 {
        self.last_seq
    }

    /// Ends verification. If `expected_head` (the head recorded separately
    /// from the chain) is given, the last verified entry must be exactly it:
    /// a head beyond the end means the tail was truncated
    /// ([`FaultKind::Truncated`]); any other difference is a
    /// [`FaultKind::HeadMismatch`]. `Some((0, GENESIS))` is the head of an
    /// empty chain. Without a head, a truncated chain verifies as a shorter
    /// valid chain.
    pub fn finish(
        self,
        expected_head: Option<(u64, [u8; 32])>,
    ) -> Result<ChainSummary, ChainFault> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        if let Some((head_seq, head_hash)) = expected_head {
            if head_seq > self.last_seq {
                return Err(ChainFault {
                    seq: self.last_seq.saturating_add(1),
                    kind: FaultKind::Truncated { head_seq },
                });
            }
            if head_seq < self.last_seq {
                return Err(ChainFault {
                    seq: head_seq.saturating_add(1),
                    kind: FaultKind::HeadMismatch,
                });
            }
            if !hashes_equal(&head_hash, &self.last_hash) {
                return Err(ChainFault {
                    seq: head_seq,
                    kind: FaultKind::HeadMismatch,
                });
            }
        }
        Ok(ChainSummary {
            entries: self.last_seq,
            head: (self.last_seq > 0).then_some((self.last_seq, self.last_hash)),
        })
    }

    fn fail(&mut self, seq: u64, kind: FaultKind) -> ChainFault {
        let fault = ChainFault { seq, kind };
        self.fault = Some(fault);
        fault
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("verified", &self.last_seq)
            .field("fault", &self.fault)
            .finish_non_exhaustive()
    }
}

/// Produces new chain links after a known head, e.g. for a batch of events
/// written in one transaction together with the new head.
pub struct Appender {
    mac: HmacSha256,
    seq: u64,
    hash: [u8; 32],
}

impl Appender {
    /// Continues the chain after `head` (`None`: start a new chain at
    /// sequence 1 from [`GENESIS`]).
    pub fn new(key: &ChainKey, head: Option<(u64, [u8; 32])>) -> Self {
        let (seq, hash) = head.unwrap_or((0, GENESIS));
        Self {
            mac: key.mac(),
            seq,
            hash,
        }
    }

    /// Links `event` as the next entry and returns its sequence number and
    /// hash, which become the new head.
    pub fn append(&mut self, event: &AuditEvent) -> (u64, [u8; 32]) {
        // 2^64 entries cannot be reached; saturating keeps this panic-free,
        // and a repeated sequence number would be rejected by the store and
        // the verifier.
        self.seq = self.seq.saturating_add(1);
        self.hash = link_with(&self.mac, self.seq, &self.hash, event);
        (self.seq, self.hash)
    }

    /// The current head (the last appended entry, or the starting head);
    /// `None` if the chain is still empty.
    pub fn head(&self) -> Option<(u64, [u8; 32])> {
        (self.seq > 0).then_some((self.seq, self.hash))
    }
}

impl fmt::Debug for Appender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Appender")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testutil::{FIELD_COUNT, arb_event, mutate, sample_event};
    use proptest::prelude::*;

    const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

    fn key() -> ChainKey {
        ChainKey::from_bytes(&KEY).unwrap()
    }

    /// A stored row: (seq, event, hash).
    type Row = (u64, AuditEvent, [u8; 32]);

    fn build(key: &ChainKey, events: Vec<AuditEvent>) -> Vec<Row> {
        let mut app = Appender::new(key, None);
        events
            .into_iter()
            .map(|e| {
                let (seq, hash) = app.append(&e);
                (seq, e, hash)
            })
            .collect()
    }

    fn chain5() -> Vec<Row> {
        build(&key(), (1..=5).map(sample_event).collect())
    }

    fn head(rows: &[Row]) -> Option<(u64, [u8; 32])> {
        rows.last().map(|(s, _, h)| (*s, *h))
    }

    fn verify(
        key: &ChainKey,
        rows: &[Row],
        expected_head: Option<(u64, [u8; 32])>,
    ) -> Result<ChainSummary, ChainFault> {
        let mut v = Verifier::new(key);
        for (seq, e, h) in rows {
            v.push(*seq, e, h)?;
        }
        v.finish(expected_head)
    }

    fn plain_sha256_link(seq: u64, prev: &[u8; 32], e: &AuditEvent) -> [u8; 32] {
        let mut d = Sha256::new();
        d.update(CHAIN_DOMAIN);
        d.update(seq.to_be_bytes());
        d.update(prev);
        d.update(encode(e));
        d.finalize().into()
    }

    fn fault(seq: u64, kind: FaultKind) -> Result<ChainSummary, ChainFault> {
        Err(ChainFault { seq, kind })
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chain5();
        let h = head(&rows);
        let summary = verify(&key(), &rows, h).unwrap();
        assert_eq!(
            summary,
            ChainSummary {
                entries: 5,
                head: h
            }
        );
        assert_eq!(verify(&key(), &rows, None).unwrap(), summary);
        // Links are exactly the documented formula.
        let mut prev = GENESIS;
        for (seq, e, h) in &rows {
            assert_eq!(*h, link_hash(&KEY, *seq, &prev, e));
            assert_eq!(*h, key().link_hash(*seq, &prev, e));
            prev = *h;
        }
    }

    #[test]
    fn empty_chain() {
        let empty = ChainSummary {
            entries: 0,
            head: None,
        };
        assert_eq!(verify(&key(), &[], None), Ok(empty));
        assert_eq!(verify(&key(), &[], Some((0, GENESIS))), Ok(empty));
        assert_eq!(
            verify(&key(), &[], Some((0, [1; 32]))),
            fault(0, FaultKind::HeadMismatch)
        );
        assert_eq!(
            verify(&key(), &[], Some((3, [1; 32]))),
            fault(1, FaultKind::Truncated { head_seq: 3 })
        );
    }

    #[test]
    fn a_altered_field_detected_at_its_seq() {
        let mut rows = chain5();
        rows[2].1.fields.push("ssn".into());
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::HashMismatch)
        );
        let mut rows = chain5();
        rows[2].1.outcome = crate::Outcome::Denied;
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::HashMismatch)
        );
    }

    #[test]
    fn b_deleted_entry_is_a_gap() {
        let mut rows = chain5();
        rows.remove(2);
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::Gap { expected: 3 })
        );
    }

    #[test]
    fn c_deleted_and_renumbered_is_detected() {
        let original = chain5();
        let mut rows = original.clone();
        rows.remove(2);
        // Renumber only.
        for (i, row) in rows.iter_mut().enumerate() {
            row.0 = i as u64 + 1;
        }
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::HashMismatch)
        );
        // Renumber and recompute plain (unkeyed) SHA-256 links from 3 on.
        let mut prev = rows[1].2;
        for row in rows.iter_mut().skip(2) {
            row.2 = plain_sha256_link(row.0, &prev, &row.1);
            prev = row.2;
        }
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::HashMismatch)
        );
        // Renumber and recompute under a guessed key.
        let mut prev = rows[1].2;
        for row in rows.iter_mut().skip(2) {
            row.2 = link_hash(b"guessed key", row.0, &prev, &row.1);
            prev = row.2;
        }
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::HashMismatch)
        );
    }

    #[test]
    fn d_swapped_entries_detected_at_first() {
        let original = chain5();
        // Swap the events, keep seq and hash columns.
        let mut rows = original.clone();
        let e2 = rows[1].1.clone();
        rows[1].1 = rows[2].1.clone();
        rows[2].1 = e2;
        assert_eq!(
            verify(&key(), &rows, None),
            fault(2, FaultKind::HashMismatch)
        );
        // Swap event and hash, keep the seq column.
        let mut rows = original.clone();
        let (e2, h2) = (rows[1].1.clone(), rows[1].2);
        rows[1].1 = rows[2].1.clone();
        rows[1].2 = rows[2].2;
        rows[2].1 = e2;
        rows[2].2 = h2;
        assert_eq!(
            verify(&key(), &rows, None),
            fault(2, FaultKind::HashMismatch)
        );
        // Whole rows out of order.
        let mut rows = original;
        rows.swap(1, 2);
        assert_eq!(
            verify(&key(), &rows, None),
            fault(2, FaultKind::Gap { expected: 2 })
        );
    }

    #[test]
    fn e_truncation_detected_with_head() {
        let rows = chain5();
        let h = head(&rows);
        let truncated = &rows[..3];
        assert_eq!(
            verify(&key(), truncated, h),
            fault(4, FaultKind::Truncated { head_seq: 5 })
        );
        // Without the separately recorded head it is a valid shorter chain.
        assert_eq!(verify(&key(), truncated, None).unwrap().entries, 3);
    }

    #[test]
    fn head_mismatches() {
        let rows = chain5();
        let (s, h) = head(&rows).unwrap();
        let mut bad = h;
        bad[31] ^= 1;
        assert_eq!(
            verify(&key(), &rows, Some((s, bad))),
            fault(5, FaultKind::HeadMismatch)
        );
        // Entries beyond the recorded head.
        assert_eq!(
            verify(&key(), &rows, Some((4, rows[3].2))),
            fault(5, FaultKind::HeadMismatch)
        );
    }

    #[test]
    fn f_wrong_key_fails_at_first_entry() {
        let rows = chain5();
        let other = ChainKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(
            verify(&other, &rows, None),
            fault(1, FaultKind::HashMismatch)
        );
    }

    #[test]
    fn tampered_hash_column_detected() {
        let mut rows = chain5();
        rows[3].2[0] ^= 0x80;
        assert_eq!(
            verify(&key(), &rows, None),
            fault(4, FaultKind::HashMismatch)
        );
    }

    #[test]
    fn bad_first_seq_and_duplicates() {
        let mut rows = chain5();
        rows[0].0 = 0;
        assert_eq!(
            verify(&key(), &rows, None),
            fault(1, FaultKind::Gap { expected: 1 })
        );
        let mut rows = chain5();
        let dup = rows[1].clone();
        rows.insert(2, dup);
        assert_eq!(
            verify(&key(), &rows, None),
            fault(3, FaultKind::Gap { expected: 3 })
        );
    }

    #[test]
    fn fault_is_sticky() {
        let mut rows = chain5();
        rows[1].1.action = "delete".into();
        let mut v = Verifier::new(&key());
        let mut results = Vec::new();
        for (seq, e, h) in &rows {
            results.push(v.push(*seq, e, h));
        }
        let f = ChainFault {
            seq: 2,
            kind: FaultKind::HashMismatch,
        };
        assert_eq!(results[0], Ok(()));
        assert!(results[1..].iter().all(|r| *r == Err(f)));
        assert_eq!(v.verified(), 1);
        assert_eq!(v.finish(head(&rows)), Err(f));
    }

    #[test]
    fn appender_continues_from_head() {
        let k = key();
        let all = chain5();
        let mut app = Appender::new(&k, head(&all[..2]));
        assert_eq!(app.head(), head(&all[..2]));
        for (seq, e, h) in &all[2..] {
            assert_eq!(app.append(e), (*seq, *h));
        }
        assert_eq!(app.head(), head(&all));
        assert_eq!(Appender::new(&k, None).head(), None);
    }

    #[test]
    fn display_messages() {
        let f = ChainFault {
            seq: 4,
            kind: FaultKind::HashMismatch,
        };
        assert_eq!(
            f.to_string(),
            "first bad event at sequence 4: hash mismatch (event altered, or a predecessor altered/removed)"
        );
        let g = ChainFault {
            seq: 3,
            kind: FaultKind::Gap { expected: 3 },
        };
        assert!(
            g.to_string()
                .starts_with("first bad event at sequence 3: sequence gap")
        );
        let t = ChainFault {
            seq: 4,
            kind: FaultKind::Truncated { head_seq: 5 },
        };
        assert!(t.to_string().contains("recorded head is at sequence 5"));
    }

    #[test]
    fn key_rules_and_redaction() {
        assert_eq!(
            ChainKey::from_bytes(&[1; 31]).unwrap_err(),
            ChainKeyError::TooShort { len: 31, min: 32 }
        );
        assert!(ChainKey::from_bytes(&[]).is_err());
        assert!(ChainKey::from_bytes(&[1; 32]).is_ok());
        assert!(ChainKey::from_bytes(&[1; 200]).is_ok());
        let k = ChainKey::from_bytes(&[0xAB; 32]).unwrap();
        let dbg = format!("{k:?}");
        assert_eq!(dbg, "ChainKey(<redacted>)");
        assert!(!dbg.to_lowercase().contains("ab"));
        let hex_key = format!("  {}\n", hex::encode(KEY));
        let from_hex = ChainKey::from_hex(&hex_key).unwrap();
        let e = sample_event(1);
        assert_eq!(
            from_hex.link_hash(1, &GENESIS, &e),
            key().link_hash(1, &GENESIS, &e)
        );
        assert_eq!(
            ChainKey::from_hex("zz").unwrap_err(),
            ChainKeyError::InvalidHex
        );
        assert!(matches!(
            ChainKey::from_hex(&hex::encode([1u8; 16])),
            Err(ChainKeyError::TooShort { len: 16, .. })
        ));
    }

    /// RFC 4231 test cases 1, 2 and 6 (short, tiny and over-long keys).
    #[test]
    fn keyed_mac_is_standard_hmac_sha256() {
        let cases: [(&[u8], &[u8], &str); 3] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (k, msg, want) in cases {
            let mut mac = keyed_mac(k);
            mac.update(msg);
            assert_eq!(hex::encode(mac.finalize().into_bytes()), want);
        }
        // And identical to the library's own variable-length constructor.
        for len in [0usize, 1, 31, 32, 63, 64, 65, 200] {
            let k: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut a = keyed_mac(&k);
            let mut b = HmacSha256::new_from_slice(&k).unwrap();
            a.update(b"x");
            b.update(b"x");
            assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any single-field, smallest-scale alteration of any event is
        /// detected exactly at that event's sequence number.
        #[test]
        fn any_alteration_detected_at_its_seq(
            events in proptest::collection::vec(arb_event(), 1..8),
            which in any::<prop::sample::Index>(),
            field in 0..FIELD_COUNT,
            pos in any::<usize>(),
            byte in any::<u8>(),
        ) {
            let k = key();
            let mut rows = build(&k, events);
            let h = head(&rows);
            prop_assert!(verify(&k, &rows, h).is_ok());
            let i = which.index(rows.len());
            let before = rows[i].1.clone();
            mutate(&mut rows[i].1, field, pos, byte);
            prop_assert_ne!(&rows[i].1, &before);
            prop_assert_eq!(
                verify(&k, &rows, h),
                Err(ChainFault { seq: i as u64 + 1, kind: FaultKind::HashMismatch })
            );
        }

        /// Any single bit flipped in any stored hash is detected at that seq.
        #[test]
        fn any_hash_bit_flip_detected(n in 1usize..8, which in any::<prop::sample::Index>(), bit in 0usize..256) {
            let k = key();
            let mut rows = build(&k, (1..=n as u32).map(sample_event).collect());
            let h = head(&rows);
            let i = which.index(rows.len());
            rows[i].2[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(
                verify(&k, &rows, h),
                Err(ChainFault { seq: i as u64 + 1, kind: FaultKind::HashMismatch })
            );
        }
    }
}

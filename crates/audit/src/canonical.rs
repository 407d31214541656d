//! Canonical, versioned, unambiguous binary encoding of an [`AuditEvent`].
//!
//! This is what gets hashed (by the chain today, by a Merkle tree later), so it
//! must be **injective**: two events are equal if and only if their encodings
//! are equal. JSON of a map is unsuitable (key order, whitespace, escaping and
//! number formatting all vary between serializers), so the layout is fixed
//! here, byte for byte.
//!
//! # Layout (version 1)
//!
//! All integers are big-endian.
//!
//! | part | encoding |
//! | --- | --- |
//! | magic | the 4 bytes `BWAE` |
//! | `version` | `u16` |
//! | `time` | string |
//! | `request_id` | string |
//! | `actor_id` | option of string |
//! | `actor_name` | option of string |
//! | `roles` | list of strings |
//! | `action` | string |
//! | `entity` | option of string |
//! | `record_ids` | list of strings |
//! | `fields` | list of strings |
//! | `outcome` | string ([`Outcome::as_str`]) |
//! | `status` | `u16` |
//! | `client_ip` | option of string |
//! | `reason` | option of string |
//!
//! * **string**: length in bytes, then the UTF-8 bytes.
//! * **option**: one presence byte, `0x00` (absent, nothing follows) or
//!   `0x01` (present, the value follows).
//! * **list**: item count, then each item.
//! * **length / count**: a `u32`. Values `>= 0xFFFF_FFFF` (never produced in
//!   practice) are written as the marker `0xFFFF_FFFF` followed by a `u64`, so
//!   the encoding stays total and injective without a fallible API.
//!
//! Every variable-size part is self-delimiting, so no concatenation trick
//! (e.g. `["ab", "c"]` vs `["a", "bc"]`) can make two distinct events encode
//! identically; [`decode`] is the exact inverse of [`encode`] and is used by the
//! tests to prove it.

use crate::event::{AuditEvent, EVENT_VERSION, Outcome};

/// The 4-byte magic that starts every encoded event.
pub const MAGIC: [u8; 4] = *b"BWAE";

/// Marker for a length/count that does not fit below it in a `u32`.
const LEN_ESCAPE: u32 = u32::MAX;

/// Encodes `event` canonically (see the [module docs](self) for the layout).
///
/// The `version` field is written as carried by the event; the layout is the
/// version-1 layout.
pub fn encode(event: &AuditEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate_len(event));
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&event.version.to_be_bytes());
    put_str(&mut out, &event.time);
    put_str(&mut out, &event.request_id);
    put_opt(&mut out, event.actor_id.as_deref());
    put_opt(&mut out, event.actor_name.as_deref());
    put_list(&mut out, &event.roles);
    put_str(&mut out, &event.action);
    put_opt(&mut out, event.entity.as_deref());
    put_list(&mut out, &event.record_ids);
    put_list(&mut out, &event.fields);
    put_str(&mut out, event.outcome.as_str());
    out.extend_from_slice(&event.status.to_be_bytes());
    put_opt(&mut out, event.client_ip.as_deref());
    put_opt(&mut out, event.reason.as_deref());
    out
}

fn estimate_len(e: &AuditEvent) -> usize {
    let s = |v: &str| 4 + v.len();
    let o = |v: &Option<String>| 1 + v.as_deref().map_or(0, s);
    let l = |v: &[String]| 4 + v.iter().map(|x| s(x)).sum::<usize>();
    MAGIC.len()
        + 2
        + s(&e.time)
        + s(&e.request_id)
        + o(&e.actor_id)
        + o(&e.actor_name)
        + l(&e.roles)
        + s(&e.action)
        + o(&e.entity)
        + l(&e.record_ids)
        + l(&e.fields)
        + s(e.outcome.as_str())
        + 2
        + o(&e.client_ip)
        + o(&e.reason)
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // usize is at most 64 bits on every supported target.
    let len = len as u64;
    match u32::try_from(len) {
        Ok(small) if small != LEN_ESCAPE => out.extend_from_slice(&small.to_be_bytes()),
        _ => {
            out.extend_from_slice(&LEN_ESCAPE.to_be_bytes());
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_list(out: &mut Vec<u8>, items: &[String]) {
    put_len(out, items.len());
    for item in items {
        put_str(out, item);
    }
}

/// Why [`decode`] rejected its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input does not start with [`MAGIC`].
    #[error("not an encoded audit event (bad magic)")]
    BadMagic,
    /// The version is not one this crate can decode.
    #[error("unsupported audit event encoding version {0}")]
    UnsupportedVersion(u16),
    /// The input ended in the middle of a value.
    #[error("encoded audit event is truncated")]
    Truncated,
    /// A length or count does not fit this platform or the remaining input,
    /// or is not in its canonical (shortest) form.
    #[error("encoded audit event has an invalid length")]
    BadLength,
    /// A presence byte was neither `0` nor `1`.
    #[error("encoded audit event has an invalid presence byte {0:#04x}")]
    BadPresence(u8),
    /// A string was not valid UTF-8.
    #[error("encoded audit event contains invalid UTF-8")]
    BadUtf8,
    /// The outcome string is not a known [`Outcome`].
    #[error("encoded audit event has unknown outcome {0:?}")]
    BadOutcome(String),
    /// Bytes remained after the last field.
    #[error("encoded audit event has trailing bytes")]
    TrailingBytes,
}

/// Decodes bytes produced by [`encode`], the exact inverse of it.
///
/// Strict: only [`EVENT_VERSION`] is accepted, and any non-canonical input
/// (bad presence byte, over-long length form, trailing bytes, ...) is
/// rejected, so `encode(&decode(b)?) == b` for every accepted `b`.
pub fn decode(bytes: &[u8]) -> Result<AuditEvent, DecodeError> {
    let mut r = Reader { rest: bytes };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = r.u16()?;
    if version != EVENT_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let time = r.string()?;
    let request_id = r.string()?;
    let actor_id = r.opt()?;
    let actor_name = r.opt()?;
    let roles = r.list()?;
    let action = r.string()?;
    let entity = r.opt()?;
    let record_ids = r.list()?;
    let fields = r.list()?;
    let outcome_str = r.string()?;
    let outcome = outcome_str
        .parse::<Outcome>()
        .map_err(|_| DecodeError::BadOutcome(outcome_str))?;
    let status = r.u16()?;
    let client_ip = r.opt()?;
    let reason = r.opt()?;
    if !r.rest.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(AuditEvent {
        version,
        time,
        request_id,
        actor_id,
        actor_name,
        roles,
        action,
        entity,
        record_ids,
        fields,
        outcome,
        status,
        client_ip,
        reason,
    })
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        let small = u32::from_be_bytes(self.array()?);
        let len = if small == LEN_ESCAPE {
            let big = u64::from_be_bytes(self.array()?);
            if big < u64::from(LEN_ESCAPE) {
                return Err(DecodeError::BadLength);
            }
            big
        } else {
            u64::from(small)
        };
        usize::try_from(len).map_err(|_| DecodeError::BadLength)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError::BadUtf8)
    }

    fn opt(&mut self) -> Result<Option<String>, DecodeError> {
        match self.array::<1>()?[0] {
            0 => Ok(None),
            1 => self.string().map(Some),
            b => Err(DecodeError::BadPresence(b)),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, DecodeError> {
        let count = self.len()?;
        // Every item takes at least 4 bytes; refuse counts the input cannot
        // hold before allocating anything.
        if count > self.rest.len() / 4 {
            return Err(DecodeError::BadLength);
        }
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(self.string()?);
        }
        Ok(items)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testutil::{FIELD_COUNT, arb_event, mutate, sample_event};
    use proptest::prelude::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|x| (*x).to_owned()).collect()
    }

    /// Freezes the exact byte layout: if this test has to change, the
    /// encoding version must change too.
    #[test]
    fn golden_bytes() {
        let e = AuditEvent {
            version: 1,
            time: "T".into(),
            request_id: "r".into(),
            actor_id: None,
            actor_name: s("al"),
            roles: v(&["a", "bc"]),
            action: "read".into(),
            entity: s("x"),
            record_ids: vec![],
            fields: v(&[""]),
            outcome: Outcome::NotFound,
            status: 404,
            client_ip: None,
            reason: s("é"),
        };
        let mut want: Vec<u8> = Vec::new();
        want.extend_from_slice(b"BWAE\x00\x01");
        want.extend_from_slice(b"\x00\x00\x00\x01T");
        want.extend_from_slice(b"\x00\x00\x00\x01r");
        want.extend_from_slice(b"\x00");
        want.extend_from_slice(b"\x01\x00\x00\x00\x02al");
        want.extend_from_slice(b"\x00\x00\x00\x02\x00\x00\x00\x01a\x00\x00\x00\x02bc");
        want.extend_from_slice(b"\x00\x00\x00\x04read");
        want.extend_from_slice(b"\x01\x00\x00\x00\x01x");
        want.extend_from_slice(b"\x00\x00\x00\x00");
        want.extend_from_slice(b"\x00\x00\x00\x01\x00\x00\x00\x00");
        want.extend_from_slice(b"\x00\x00\x00\x09not_found");
        want.extend_from_slice(b"\x01\x94");
        want.extend_from_slice(b"\x00");
        want.extend_from_slice(b"\x01\x00\x00\x00\x02\xc3\xa9");
        let got = encode(&e);
        assert_eq!(hex::encode(&got), hex::encode(&want));
        assert_eq!(got.len(), estimate_len(&e));
        assert_eq!(decode(&got).unwrap(), e);
    }

    #[test]
    fn concatenation_tricks_do_not_collide() {
        let base = sample_event(1);
        let with = |f: &dyn Fn(&mut AuditEvent)| {
            let mut e = base.clone();
            f(&mut e);
            encode(&e)
        };
        // Items shifted between list entries.
        assert_ne!(
            with(&|e| e.fields = v(&["ab", "c"])),
            with(&|e| e.fields = v(&["a", "bc"]))
        );
        // One item vs. two.
        assert_ne!(
            with(&|e| e.fields = v(&["ab"])),
            with(&|e| e.fields = v(&["a", "b"]))
        );
        // Empty list vs. a list holding one empty string.
        assert_ne!(
            with(&|e| e.record_ids = vec![]),
            with(&|e| e.record_ids = v(&[""]))
        );
        // Absent vs. present-but-empty.
        assert_ne!(with(&|e| e.reason = None), with(&|e| e.reason = s("")));
        // Bytes moved across adjacent fields.
        assert_ne!(
            with(&|e| {
                e.time = "ab".into();
                e.request_id = "c".into();
            }),
            with(&|e| {
                e.time = "a".into();
                e.request_id = "bc".into();
            })
        );
        // Moved from one list to the next.
        assert_ne!(
            with(&|e| {
                e.record_ids = v(&["a", "b"]);
                e.fields = v(&[]);
            }),
            with(&|e| {
                e.record_ids = v(&["a"]);
                e.fields = v(&["b"]);
            })
        );
        // actor_id vs actor_name (the same value in a different slot).
        assert_ne!(
            with(&|e| {
                e.actor_id = s("u");
                e.actor_name = None;
            }),
            with(&|e| {
                e.actor_id = None;
                e.actor_name = s("u");
            })
        );
    }

    #[test]
    fn every_single_field_change_changes_the_encoding() {
        let base = sample_event(3);
        let enc = encode(&base);
        for field in 0..FIELD_COUNT {
            for (pos, byte) in [(0usize, 0u8), (5, 0x41), (usize::MAX, 0xFF)] {
                let mut e = base.clone();
                mutate(&mut e, field, pos, byte);
                assert_ne!(e, base, "mutation of field {field} was a no-op");
                assert_ne!(encode(&e), enc, "field {field} change not encoded");
            }
        }
    }

    #[test]
    fn decode_rejects_malformed_input() {
        let good = encode(&sample_event(2));
        assert_eq!(decode(b"BWAF"), Err(DecodeError::BadMagic));
        assert_eq!(decode(b"BW"), Err(DecodeError::Truncated));
        let mut v2 = good.clone();
        v2[5] = 2;
        assert_eq!(decode(&v2), Err(DecodeError::UnsupportedVersion(2)));
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err(), "prefix {cut} accepted");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(DecodeError::TrailingBytes));
        // A huge list count must be rejected without allocating.
        let mut e = sample_event(2);
        e.actor_id = None;
        e.actor_name = None;
        let mut huge = encode(&e);
        let roles_at = 4 + 2 + 4 + e.time.len() + 4 + e.request_id.len() + 1 + 1;
        huge[roles_at..roles_at + 4].copy_from_slice(&0xFFFF_FFFEu32.to_be_bytes());
        assert_eq!(decode(&huge), Err(DecodeError::BadLength));
    }

    #[test]
    fn non_canonical_long_length_form_is_rejected() {
        // time encoded with the escape marker although it fits a u32.
        let mut bytes = b"BWAE\x00\x01".to_vec();
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        bytes.extend_from_slice(&1u64.to_be_bytes());
        bytes.push(b'T');
        assert_eq!(decode(&bytes), Err(DecodeError::BadLength));
    }

    proptest! {
        #[test]
        fn roundtrip(e in arb_event()) {
            let bytes = encode(&e);
            prop_assert_eq!(bytes.len(), estimate_len(&e));
            prop_assert_eq!(decode(&bytes).unwrap(), e);
        }

        #[test]
        fn equal_iff_same_bytes(a in arb_event(), b in arb_event()) {
            prop_assert_eq!(a == b, encode(&a) == encode(&b));
        }

        #[test]
        fn any_mutation_changes_bytes(
            e in arb_event(),
            field in 0..FIELD_COUNT,
            pos in any::<usize>(),
            byte in any::<u8>(),
        ) {
            let mut m = e.clone();
            mutate(&mut m, field, pos, byte);
            prop_assert_ne!(&m, &e);
            prop_assert_ne!(encode(&m), encode(&e));
        }
    }
}

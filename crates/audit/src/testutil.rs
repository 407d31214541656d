//! Test helpers: sample events, a proptest strategy, and single-field
//! mutations that are guaranteed to change an event.

use proptest::prelude::*;

use crate::event::{AuditEvent, EVENT_VERSION, Outcome};

/// Number of fields in [`AuditEvent`] (the range of `mutate`'s `field`).
pub const FIELD_COUNT: usize = 14;

/// A realistic event, distinct for each `n`.
pub fn sample_event(n: u32) -> AuditEvent {
    AuditEvent {
        version: EVENT_VERSION,
        time: format!("2026-12-03T16:20:{:02}.123456Z", n % 60),
        request_id: format!("req-{n:04}"),
        actor_id: Some("0193a5d2-7c1e-7b7e-9f00-00000000002a".into()),
        actor_name: Some("alice".into()),
        roles: vec!["sales".into(), "reveal".into()],
        action: "reveal".into(),
        entity: Some("contacts".into()),
        record_ids: vec![format!("rec-{n}"), "rec-x".into()],
        fields: vec!["email".into(), "phone".into()],
        outcome: Outcome::Success,
        status: 200,
        client_ip: Some("192.0.2.7".into()),
        reason: Some("customer called about invoice".into()),
    }
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9._-]{0,10}", "\\PC{0,6}", Just(String::new()),]
}

fn arb_opt() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(arb_string())
}

fn arb_list() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(arb_string(), 0..4)
}

/// Arbitrary events (always of the current [`EVENT_VERSION`]).
pub fn arb_event() -> impl Strategy<Value = AuditEvent> {
    (
        (arb_string(), arb_string(), arb_opt(), arb_opt(), arb_list()),
        (arb_string(), arb_opt(), arb_list(), arb_list()),
        (
            proptest::sample::select(Outcome::ALL.to_vec()),
            any::<u16>(),
            arb_opt(),
            arb_opt(),
        ),
    )
        .prop_map(
            |(
                (time, request_id, actor_id, actor_name, roles),
                (action, entity, record_ids, fields),
                (outcome, status, client_ip, reason),
            )| AuditEvent {
                version: EVENT_VERSION,
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
            },
        )
}

/// Changes exactly one field of `e` (`field` in `0..FIELD_COUNT`, in
/// declaration order) at the smallest scale that still keeps valid UTF-8:
/// one character replaced, inserted or removed, one item added or removed,
/// presence toggled, one bit flipped, or the outcome switched. `pos` and
/// `byte` pick where and what. The result always differs from the input.
pub fn mutate(e: &mut AuditEvent, field: usize, pos: usize, byte: u8) {
    match field % FIELD_COUNT {
        0 => e.version ^= 1 << (byte % 16),
        1 => mutate_str(&mut e.time, pos, byte),
        2 => mutate_str(&mut e.request_id, pos, byte),
        3 => mutate_opt(&mut e.actor_id, pos, byte),
        4 => mutate_opt(&mut e.actor_name, pos, byte),
        5 => mutate_list(&mut e.roles, pos, byte),
        6 => mutate_str(&mut e.action, pos, byte),
        7 => mutate_opt(&mut e.entity, pos, byte),
        8 => mutate_list(&mut e.record_ids, pos, byte),
        9 => mutate_list(&mut e.fields, pos, byte),
        10 => {
            let i = Outcome::ALL
                .iter()
                .position(|o| *o == e.outcome)
                .unwrap_or(0);
            e.outcome = Outcome::ALL[(i + 1 + usize::from(byte % 4)) % Outcome::ALL.len()];
        }
        11 => e.status ^= 1 << (byte % 16),
        12 => mutate_opt(&mut e.client_ip, pos, byte),
        _ => mutate_opt(&mut e.reason, pos, byte),
    }
}

fn printable(byte: u8) -> char {
    char::from(b' ' + byte % 95)
}

fn mutate_str(s: &mut String, pos: usize, byte: u8) {
    let op = byte >> 6;
    if s.is_empty() || op == 1 {
        // Insert one character at a char boundary.
        let at = floor_boundary(s, pos % (s.len() + 1));
        s.insert(at, printable(byte));
        return;
    }
    let at = floor_boundary(s, pos % s.len());
    let Some(old) = s[at..].chars().next() else {
        s.push(printable(byte));
        return;
    };
    s.replace_range(at..at + old.len_utf8(), "");
    if op != 2 {
        // Replace with a different character (op 2 just deletes).
        let mut new = printable(byte);
        if new == old {
            new = printable(byte.wrapping_add(1));
        }
        s.insert(at, new);
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate_opt(o: &mut Option<String>, pos: usize, byte: u8) {
    match (o.as_mut(), byte % 5) {
        (None, _) => *o = Some(String::new()),
        (Some(_), 0) => *o = None,
        (Some(s), _) => mutate_str(s, pos, byte),
    }
}

fn mutate_list(v: &mut Vec<String>, pos: usize, byte: u8) {
    if v.is_empty() {
        v.push(String::new());
        return;
    }
    let n = v.len();
    let i = pos % n;
    match byte % 5 {
        0 => {
            v.remove(i);
        }
        1 => v.insert(i, String::new()),
        _ => mutate_str(&mut v[i], pos / n, byte),
    }
}

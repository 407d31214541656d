//! Masking of personal data for viewers who may see a field only masked.
//!
//! Every function here:
//!
//! * NFKC-normalises its input first, so full-width digits and signs (`１３８`, `＋`) are treated
//!   like their ASCII forms, then trims surrounding whitespace;
//! * returns an empty string for empty (or whitespace-only) input;
//! * fails closed: a value it cannot make sense of is shown as [`FULL_MASK`], never partially;
//! * uses fixed-width masks wherever the rule allows, so the length of the output does not reveal
//!   the length of what was hidden;
//! * counts and cuts user text in grapheme clusters, never by byte index, and never panics.
//!
//! | rule | example input | output |
//! | --- | --- | --- |
//! | phone (CN mobile) | `13812345678` | `138****5678` |
//! | phone (CN mobile, country code) | `0086-139-0000-4321` | `+86 139****4321` |
//! | phone (other) | `+1 (555) 010-0199 ext. 42` | `+1 ****0199` |
//! | phone (other, no country code) | `030-0074321` | `****4321` |
//! | resident id | `110105194912310021` | `1****************1` |
//! | bank account | `6222 0212 3456 6021` | `**** 6021` |
//! | email | `lin.test@example.com` | `l***@example.com` |
//! | person name | `张伟` / `Ana Trujillo` / `Maria` | `张*` / `A. *` / `M*` |
//! | address | `北京市朝阳区建国路88号` | `北京市朝阳区****` |
//! | redact | anything | `****` |

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::catalogue::MaskRule;

/// The mask shown in place of a value (or part of a value) that is hidden entirely.
pub const FULL_MASK: &str = "****";

/// The most stars [`mask_id_number`] prints, so that an over-long value does not produce an
/// over-long mask (an 18-character resident id shows exactly this many).
const MAX_ID_STARS: usize = 16;

/// Phone numbers with fewer national digits than this are shown fully masked: keeping four
/// digits of a short code would reveal most of it.
const MIN_PHONE_NATIONAL_DIGITS: usize = 7;

/// Applies a masking rule to a clear value.
///
/// `apply(MaskRule::Phone, "13812345678")` is `"138****5678"`; see the module documentation for
/// one example of every rule.
pub fn apply(rule: MaskRule, raw: &str) -> String {
    match rule {
        MaskRule::Phone => mask_phone(raw),
        MaskRule::IdNumber => mask_id_number(raw),
        MaskRule::BankAccount => mask_bank_account(raw),
        MaskRule::Email => mask_email(raw),
        MaskRule::PersonName => mask_person_name(raw),
        MaskRule::Address => mask_address(raw),
        MaskRule::Redact => redact(raw),
    }
}

/// NFKC-normalises and trims.
fn prepare(raw: &str) -> String {
    let normalized: String = raw.nfkc().collect();
    normalized.trim().to_string()
}

/// Masks a phone number.
///
/// * A mainland China mobile number keeps its first three and last four digits:
///   `13812345678` → `138****5678`; written with a country code (`+86`, `0086`, `(+86)`, or a
///   bare `86` before the 11 digits) it keeps that too: `+8613900004321` → `+86 139****4321`.
/// * Any other number keeps its country code (only when written with a `+` or `00` prefix) and
///   the last four digits of the national number behind a fixed-width mask:
///   `+44 20 7946 0958` → `+44 ****0958`, `(5) 555-4729` → `****4729`. An extension (`x42`,
///   `ext. 42`, `#42`, `转42`, `分机42`) is removed first and never shown.
/// * Fewer than 7 national digits, letters, unexpected symbols, non-ASCII digits or anything
///   else that does not parse → [`FULL_MASK`]. Empty → empty.
///
/// The output never contains a digit other than the country code, the kept first three of a
/// mainland mobile and the last four.
pub fn mask_phone(raw: &str) -> String {
    let s = prepare(raw);
    if s.is_empty() {
        return String::new();
    }
    let Some(parsed) = parse_phone(&s) else {
        return FULL_MASK.to_string();
    };
    let national = &parsed.national;
    let cc = parsed.country_code.as_deref();
    if matches!(cc, None | Some("86")) && is_cn_mobile(national) {
        let head: String = national.chars().take(3).collect();
        let tail = last_chars(national, 4);
        return match cc {
            Some(code) => format!("+{code} {head}****{tail}"),
            None => format!("{head}****{tail}"),
        };
    }
    if national.chars().count() < MIN_PHONE_NATIONAL_DIGITS {
        return FULL_MASK.to_string();
    }
    let tail = last_chars(national, 4);
    match cc {
        Some(code) => format!("+{code} {FULL_MASK}{tail}"),
        None => format!("{FULL_MASK}{tail}"),
    }
}

/// Masks a resident identity number: first and last character kept, the rest replaced by one
/// `*` each (at most 16): `110105194912310021` → `1****************1`. A lower-case `x` is shown
/// as `X`; whitespace inside the value is ignored. Fewer than 3 characters → [`FULL_MASK`].
pub fn mask_id_number(raw: &str) -> String {
    let s = prepare(raw);
    if s.is_empty() {
        return String::new();
    }
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == 'x' { 'X' } else { c })
        .collect();
    let graphemes: Vec<&str> = compact.graphemes(true).collect();
    match graphemes.as_slice() {
        [first, middle @ .., last] if !middle.is_empty() => {
            let stars = "*".repeat(middle.len().min(MAX_ID_STARS));
            format!("{first}{stars}{last}")
        }
        _ => FULL_MASK.to_string(),
    }
}

/// Masks a bank account number: only the last four digits are kept behind a fixed-width
/// prefix: `6222 0212 3456 6021` → `**** 6021`. Separators and letters (IBAN) are ignored;
/// fewer than 8 digits, or a non-ASCII digit anywhere → [`FULL_MASK`].
pub fn mask_bank_account(raw: &str) -> String {
    let s = prepare(raw);
    if s.is_empty() {
        return String::new();
    }
    if has_non_ascii_numeric(&s) {
        return FULL_MASK.to_string();
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.chars().count() < 8 {
        return FULL_MASK.to_string();
    }
    format!("{FULL_MASK} {}", last_chars(&digits, 4))
}

/// Masks an e-mail address: the first character of the local part and the domain are kept:
/// `lin.test@example.com` → `l***@example.com` (always three stars). No `@`, an empty local
/// part or an empty domain → [`FULL_MASK`].
pub fn mask_email(raw: &str) -> String {
    let s = prepare(raw);
    if s.is_empty() {
        return String::new();
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return FULL_MASK.to_string();
    };
    let Some(first) = local.graphemes(true).next() else {
        return FULL_MASK.to_string();
    };
    if domain.is_empty() || domain.chars().any(char::is_whitespace) {
        return FULL_MASK.to_string();
    }
    format!("{first}***@{domain}")
}

/// Masks a person's name, keeping the surname (Chinese) or the initial (other scripts):
///
/// * Chinese, Japanese or Korean name (first character is CJK): first character kept, one `*`
///   for every further character (at least one): `张伟` → `张*`, `欧阳娜娜` → `欧***`.
/// * Several words: first letter of the first word and `. *`: `Ana Trujillo` → `A. *`.
/// * One word: first letter and `*`: `Maria` → `M*`.
///
/// Characters are counted in grapheme clusters, so `é` written as `e` + U+0301 or an emoji ZWJ
/// sequence is one unit and never cut.
pub fn mask_person_name(raw: &str) -> String {
    let s = prepare(raw);
    let Some(first) = s.graphemes(true).next() else {
        return String::new();
    };
    if first.chars().next().is_some_and(is_cjk) {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = compact.graphemes(true).count().saturating_sub(1).max(1);
        return format!("{first}{}", "*".repeat(rest));
    }
    if s.split_whitespace().nth(1).is_some() {
        format!("{first}. *")
    } else {
        format!("{first}*")
    }
}

/// Masks an address: the first 6 grapheme clusters (the province/city part of a Chinese
/// address) are kept and the rest replaced by `****`: `北京市朝阳区建国路88号` →
/// `北京市朝阳区****`. Six or fewer graphemes → [`FULL_MASK`].
pub fn mask_address(raw: &str) -> String {
    let s = prepare(raw);
    if s.is_empty() {
        return String::new();
    }
    let graphemes: Vec<&str> = s.graphemes(true).collect();
    if graphemes.len() <= 6 {
        return FULL_MASK.to_string();
    }
    let head: String = graphemes.iter().take(6).copied().collect();
    format!("{head}{FULL_MASK}")
}

/// Hides a value entirely: anything → `****`; empty (or whitespace-only) stays empty.
pub fn redact(raw: &str) -> String {
    if prepare(raw).is_empty() {
        String::new()
    } else {
        FULL_MASK.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Phone parsing, shared with `validate::Phone`.
// ---------------------------------------------------------------------------------------------

/// A phone number taken apart (digits are ASCII).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhoneParts {
    /// The country calling code, when the number was written with a `+` or `00` prefix (or a
    /// bare `86` in front of an 11-digit mainland mobile).
    pub(crate) country_code: Option<String>,
    /// The national number (everything after the country code), digits only.
    pub(crate) national: String,
    /// The extension digits, possibly empty.
    pub(crate) extension: String,
}

/// Extension markers, compared ASCII case-insensitively; longer before shorter.
const EXTENSION_MARKERS: [&str; 6] = ["extension", "ext", "x", "#", "分机", "转"];

/// Splits `chars` at the first extension marker into the main part and the extension digits.
/// No marker → the whole input and an empty extension. A marker not followed by digits only
/// (after optional `.`, `:` and spaces) → `None`.
pub(crate) fn split_extension(chars: &[char]) -> Option<(&[char], String)> {
    for start in 0..chars.len() {
        let rest = chars.get(start..).unwrap_or_default();
        let Some(marker_len) = EXTENSION_MARKERS
            .iter()
            .find(|m| starts_with_ignore_ascii_case(rest, m))
            .map(|m| m.chars().count())
        else {
            continue;
        };
        let main = chars.get(..start).unwrap_or_default();
        let after = rest.get(marker_len..).unwrap_or_default();
        let digits: Vec<char> = after
            .iter()
            .copied()
            .skip_while(|c| matches!(c, '.' | ':') || c.is_whitespace())
            .collect();
        if digits.is_empty() || !digits.iter().all(char::is_ascii_digit) {
            return None;
        }
        return Some((main, digits.into_iter().collect()));
    }
    Some((chars, String::new()))
}

fn starts_with_ignore_ascii_case(chars: &[char], pattern: &str) -> bool {
    let mut it = chars.iter();
    pattern
        .chars()
        .all(|p| it.next().is_some_and(|c| c.eq_ignore_ascii_case(&p)))
}

/// Separators accepted between the digits of a phone number.
fn is_phone_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '(' | ')' | '.' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// Parses an NFKC-normalised, trimmed phone number. `None` when it contains anything but
/// digits, separators, one leading `+` and an extension, or a non-ASCII digit.
pub(crate) fn parse_phone(s: &str) -> Option<PhoneParts> {
    if has_non_ascii_numeric(s) {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let (main, extension) = split_extension(&chars)?;
    let mut digits = String::new();
    let mut plus = false;
    for &c in main {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == '+' {
            // Only one `+`, and only before the first digit.
            if plus || !digits.is_empty() {
                return None;
            }
            plus = true;
        } else if !is_phone_separator(c) {
            return None;
        }
    }
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    match international {
        Some(rest) => {
            let rest: Vec<char> = rest.chars().collect();
            let cc_len = country_code_len(&rest)?;
            let country_code: String = rest.iter().take(cc_len).collect();
            let national: String = rest.iter().skip(cc_len).collect();
            Some(PhoneParts {
                country_code: Some(country_code),
                national,
                extension,
            })
        }
        None => {
            // A bare `86` in front of a mainland mobile.
            if let Some(rest) = digits.strip_prefix("86").filter(|rest| is_cn_mobile(rest)) {
                return Some(PhoneParts {
                    country_code: Some("86".to_string()),
                    national: rest.to_string(),
                    extension,
                });
            }
            Some(PhoneParts {
                country_code: None,
                national: digits,
                extension,
            })
        }
    }
}

/// Two-digit ITU-T E.164 country calling codes; `1` and `7` are the one-digit codes and every
/// other code has three digits, which makes the set prefix-free.
const TWO_DIGIT_COUNTRY_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Length of the country code at the start of `digits`, `None` when there is none (no digits,
/// a leading zero, or too few digits).
fn country_code_len(digits: &[char]) -> Option<usize> {
    let len = match digits {
        ['1' | '7', ..] => 1,
        [a @ '1'..='9', b, ..] => {
            let pair: String = [*a, *b].iter().collect();
            if TWO_DIGIT_COUNTRY_CODES.contains(&pair.as_str()) {
                2
            } else {
                3
            }
        }
        _ => return None,
    };
    (digits.len() >= len).then_some(len)
}

/// `1[3-9]` followed by nine digits.
pub(crate) fn is_cn_mobile(digits: &str) -> bool {
    let chars: Vec<char> = digits.chars().collect();
    chars.len() == 11
        && chars.iter().all(char::is_ascii_digit)
        && matches!(chars.as_slice(), ['1', '3'..='9', ..])
}

fn has_non_ascii_numeric(s: &str) -> bool {
    s.chars().any(|c| c.is_numeric() && !c.is_ascii_digit())
}

/// The last `n` characters of `s`.
fn last_chars(s: &str, n: usize) -> String {
    let count = s.chars().count();
    s.chars().skip(count.saturating_sub(n)).collect()
}

/// Chinese, Japanese and Korean characters (scripts written without spaces between surname and
/// given name).
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{2E80}'..='\u{2FDF}'     // radicals
            | '\u{3040}'..='\u{30FF}'   // hiragana, katakana
            | '\u{3100}'..='\u{312F}'   // bopomofo
            | '\u{3400}'..='\u{4DBF}'   // extension A
            | '\u{4E00}'..='\u{9FFF}'   // unified ideographs
            | '\u{AC00}'..='\u{D7AF}'   // hangul syllables
            | '\u{F900}'..='\u{FAFF}'   // compatibility ideographs
            | '\u{20000}'..='\u{3FFFF}' // extensions B and later
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL_RULES: [MaskRule; 7] = [
        MaskRule::Phone,
        MaskRule::IdNumber,
        MaskRule::BankAccount,
        MaskRule::Email,
        MaskRule::PersonName,
        MaskRule::Address,
        MaskRule::Redact,
    ];

    // ---- C19: phone masking --------------------------------------------------------------

    #[test]
    fn c19_every_format_keeps_only_country_code_and_last_four() {
        let cases = [
            // Mainland mobiles.
            ("13812345678", "138****5678"),
            ("138 1234 5678", "138****5678"),
            ("138-1234-5678", "138****5678"),
            ("+86 13812345678", "+86 138****5678"),
            ("+8613900004321", "+86 139****4321"),
            ("0086-139-0000-4321", "+86 139****4321"),
            ("(+86)139 0000 4321", "+86 139****4321"),
            ("＋８６ １３９ ００００ ４３２１", "+86 139****4321"),
            ("１３８１２３４５６７８", "138****5678"),
            ("8613900004321", "+86 139****4321"),
            ("+86 139 0000 4321 ext. 88", "+86 139****4321"),
            // Other numbers: country code (when written with + or 00) and last four.
            ("030-0074321", "****4321"),
            ("(5) 555-4729", "****4729"),
            ("(171) 555-7788", "****7788"),
            ("0241-039123", "****9123"),
            ("(91) 555 22 82", "****2282"),
            ("+1 (555) 010-0199 ext. 42", "+1 ****0199"),
            ("+1-555-010-0199 x42", "+1 ****0199"),
            ("+1 555 010 0199 X 42", "+1 ****0199"),
            ("+1.555.010.0199 extension 4242", "+1 ****0199"),
            ("+44 20 7946 0958", "+44 ****0958"),
            ("0044 20 7946 0958", "+44 ****0958"),
            ("+44 (0)20 7946 0958", "+44 ****0958"),
            ("+852 2345 6789", "+852 ****6789"),
            ("+7 495 123-45-67", "+7 ****4567"),
            ("+49 30 1234567", "+49 ****4567"),
            ("010-12345678转123", "****5678"),
            ("021 6123 4567 分机 8", "****4567"),
            ("+86 10 8888 6666", "+86 ****6666"),
            ("+86 12345678901", "+86 ****8901"),
            ("  13812345678  ", "138****5678"),
            ("1234567", "****4567"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_phone(input), want, "input {input:?}");
            assert_eq!(apply(MaskRule::Phone, input), want, "input {input:?}");
        }
    }

    #[test]
    fn c19_short_codes_and_unparseable_values_fail_closed() {
        for input in [
            "12345",
            "110",
            "95588",
            "+1 234",
            "N/A",
            "n/a",
            "unknown",
            "call 13812345678",
            "13812345678 (mobile)",
            "138+12345678",
            "++8613812345678",
            "+0 123 4567 890",
            "+",
            "00",
            "x42",
            "13812345678 x",
            "13812345678 ext. forty",
            "١٣٨١٢٣٤٥٦٧٨",
            "138１２３٤5678",
            "13812345678\u{202E}",
            "-",
        ] {
            assert_eq!(mask_phone(input), FULL_MASK, "input {input:?}");
        }
    }

    #[test]
    fn c19_empty_stays_empty() {
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("   "), "");
        assert_eq!(mask_phone("\u{3000}"), "");
    }

    #[test]
    fn c19_extension_is_never_shown() {
        for input in [
            "+1 (555) 010-0199 ext. 4321",
            "+1-555-010-0199 x9876",
            "030-0074321 #5555",
        ] {
            let out = mask_phone(input);
            let ext: String = input
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect();
            assert!(
                !out.contains(&ext.chars().rev().collect::<String>()),
                "{out}"
            );
        }
    }

    #[test]
    fn c19_mask_width_does_not_reveal_digit_count() {
        assert_eq!(mask_phone("+44 1234 567890"), "+44 ****7890");
        assert_eq!(mask_phone("+44 20 7946 7890"), "+44 ****7890");
        assert_eq!(mask_phone("1234567890123456"), "****3456");
        assert_eq!(mask_phone("0123 4567 890"), "****7890");
    }

    /// Checks that `out` has one of the shapes a phone mask may have, and returns the digits it
    /// shows.
    fn phone_mask_shape_ok(out: &str) -> bool {
        fn digits(s: &str, min: usize, max: usize) -> bool {
            let n = s.chars().count();
            (min..=max).contains(&n) && s.chars().all(|c| c.is_ascii_digit())
        }
        fn national(s: &str) -> bool {
            if let Some(rest) = s.strip_prefix("****") {
                return digits(rest, 4, 4);
            }
            let chars: Vec<char> = s.chars().collect();
            chars.len() == 11
                && digits(&chars[..3].iter().collect::<String>(), 3, 3)
                && chars[3..7].iter().all(|&c| c == '*')
                && digits(&chars[7..].iter().collect::<String>(), 4, 4)
        }
        if out.is_empty() || out == FULL_MASK {
            return true;
        }
        if let Some(rest) = out.strip_prefix('+') {
            let Some((cc, nat)) = rest.split_once(' ') else {
                return false;
            };
            // The kept first three digits are only ever shown for +86.
            return digits(cc, 1, 3) && (nat.starts_with("****") || cc == "86") && national(nat);
        }
        national(out)
    }

    /// The ASCII digits of the input before any extension marker.
    fn input_digits(raw: &str) -> String {
        let s: String = raw.nfkc().collect();
        let chars: Vec<char> = s.chars().collect();
        match split_extension(&chars) {
            Some((main, _)) => main.iter().filter(|c| c.is_ascii_digit()).collect(),
            None => String::new(),
        }
    }

    fn fullwidth(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
                '+' => '＋',
                '-' => '－',
                ' ' => '\u{3000}',
                other => other,
            })
            .collect()
    }

    /// Writes `digits` in groups separated by `sep`, group sizes taken from `groups`.
    fn grouped(digits: &str, groups: &[usize], sep: &str) -> String {
        let chars: Vec<char> = digits.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let mut g = 0;
        while i < chars.len() {
            let size = groups
                .get(g % groups.len().max(1))
                .copied()
                .unwrap_or(4)
                .max(1);
            if i > 0 {
                out.push_str(sep);
            }
            out.extend(chars[i..(i + size).min(chars.len())].iter());
            i += size;
            g += 1;
        }
        out
    }

    fn phone_like() -> impl Strategy<Value = (String, String)> {
        let cc = prop_oneof![
            Just(None),
            Just(Some("1")),
            Just(Some("7")),
            Just(Some("44")),
            Just(Some("49")),
            Just(Some("86")),
            Just(Some("852")),
            Just(Some("971")),
        ];
        let prefix = prop_oneof![Just("+"), Just("00"), Just("(+")];
        let sep = prop_oneof![Just(""), Just(" "), Just("-"), Just("."), Just(" - ")];
        let ext = prop_oneof![
            Just(""),
            Just(" x"),
            Just("x"),
            Just(" ext. "),
            Just(" EXT "),
            Just(" #"),
            Just("转"),
        ];
        (
            cc,
            prefix,
            "[1-9][0-9]{0,13}",
            sep,
            prop::collection::vec(1usize..5, 1..4),
            ext,
            "[0-9]{1,5}",
            any::<bool>(),
        )
            .prop_map(
                |(cc, prefix, national, sep, groups, ext, ext_digits, wide)| {
                    let mut s = String::new();
                    if let Some(code) = cc {
                        s.push_str(prefix);
                        s.push_str(code);
                        s.push_str(if prefix == "(+" { ")" } else { " " });
                    }
                    s.push_str(&grouped(&national, &groups, sep));
                    if !ext.is_empty() {
                        s.push_str(ext);
                        s.push_str(&ext_digits);
                    }
                    if wide {
                        s = fullwidth(&s);
                    }
                    let n = national.chars().count();
                    let tail: String = national.chars().skip(n.saturating_sub(4)).collect();
                    let head: String = national.chars().take(3).collect();
                    let cn_mobile = is_cn_mobile(&national);
                    let bare_86_mobile = cc.is_none()
                        && national.starts_with("86")
                        && is_cn_mobile(national.get(2..).unwrap_or(""));
                    let want = match cc {
                        _ if bare_86_mobile => {
                            let nat: String = national.chars().skip(2).collect();
                            let head: String = nat.chars().take(3).collect();
                            format!("+86 {head}****{tail}")
                        }
                        None | Some("86") if cn_mobile => match cc {
                            Some(code) => format!("+{code} {head}****{tail}"),
                            None => format!("{head}****{tail}"),
                        },
                        _ if n < 7 => FULL_MASK.to_string(),
                        Some(code) => format!("+{code} ****{tail}"),
                        None => format!("****{tail}"),
                    };
                    (s, want)
                },
            )
    }

    proptest! {
        #[test]
        fn c19_generated_phone_numbers_mask_exactly((input, want) in phone_like()) {
            prop_assert_eq!(mask_phone(&input), want);
        }

        #[test]
        fn c19_generated_phone_numbers_show_no_other_digit((input, _want) in phone_like()) {
            let out = mask_phone(&input);
            prop_assert!(phone_mask_shape_ok(&out), "{:?} -> {:?}", input, out);
            let digits = input_digits(&input);
            let shown_tail: String = out.chars().rev().take_while(|c| c.is_ascii_digit()).collect();
            let shown_tail: String = shown_tail.chars().rev().collect();
            prop_assert!(digits.ends_with(&shown_tail));
        }

        #[test]
        fn c19_arbitrary_strings_never_reveal_extra_digits(input in any::<String>()) {
            let out = mask_phone(&input);
            prop_assert!(phone_mask_shape_ok(&out), "{:?} -> {:?}", input, out);
            prop_assert!(out.chars().filter(|c| c.is_numeric()).all(|c| c.is_ascii_digit()));
            prop_assert!(out.chars().filter(|c| c.is_numeric()).count() <= 3 + 3 + 4);
            // The shown last four are the last four digits of the number itself.
            let shown_tail: String = out.chars().rev().take_while(|c| c.is_ascii_digit()).collect();
            let shown_tail: String = shown_tail.chars().rev().collect();
            prop_assert!(input_digits(&input).ends_with(&shown_tail));
        }

        #[test]
        fn c19_arbitrary_phone_alphabet_never_reveals_extra_digits(
            input in "[0-9０-９+＋ ()\\-./xX#ext]{0,40}"
        ) {
            let out = mask_phone(&input);
            prop_assert!(phone_mask_shape_ok(&out), "{:?} -> {:?}", input, out);
        }

        #[test]
        fn apply_never_panics(input in any::<String>()) {
            for rule in ALL_RULES {
                let _ = apply(rule, &input);
            }
        }

        #[test]
        fn apply_keeps_empty_empty_and_nonempty_nonempty(input in "\\PC{0,30}") {
            for rule in ALL_RULES {
                let out = apply(rule, &input);
                prop_assert_eq!(out.is_empty(), input.nfkc().collect::<String>().trim().is_empty());
            }
        }
    }

    // ---- Other rules -----------------------------------------------------------------------

    #[test]
    fn id_number_keeps_first_and_last() {
        assert_eq!(mask_id_number("110105194912310021"), "1****************1");
        assert_eq!(mask_id_number("11010519491231002x"), "1****************X");
        assert_eq!(
            mask_id_number("１１０１０５１９４９１２３１００２Ｘ"),
            "1****************X"
        );
        assert_eq!(mask_id_number("110105 19491231 002X"), "1****************X");
        assert_eq!(mask_id_number("110105491231002"), "1*************2");
        assert_eq!(mask_id_number("abc"), "a*c");
        assert_eq!(mask_id_number("ab"), FULL_MASK);
        assert_eq!(
            mask_id_number("1101051949123100211234"),
            "1****************4"
        );
        assert_eq!(mask_id_number(""), "");
        assert_eq!(
            apply(MaskRule::IdNumber, "110105194912310021"),
            "1****************1"
        );
    }

    #[test]
    fn bank_account_keeps_last_four() {
        assert_eq!(mask_bank_account("6222 0212 3456 6021"), "**** 6021");
        assert_eq!(mask_bank_account("6222021234566021"), "**** 6021");
        assert_eq!(mask_bank_account("6222-0212-3456-6021-123"), "**** 1123");
        assert_eq!(mask_bank_account("12345678"), "**** 5678");
        assert_eq!(mask_bank_account("1234567"), FULL_MASK);
        assert_eq!(mask_bank_account("N/A"), FULL_MASK);
        assert_eq!(
            mask_bank_account("６２２２０２１２３４５６６０２１"),
            "**** 6021"
        );
        assert_eq!(mask_bank_account(""), "");
        assert_eq!(
            apply(MaskRule::BankAccount, "6222 0212 3456 6021"),
            "**** 6021"
        );
    }

    #[test]
    fn email_keeps_first_char_and_domain() {
        assert_eq!(mask_email("lin.test@example.com"), "l***@example.com");
        assert_eq!(mask_email("a@example.com"), "a***@example.com");
        assert_eq!(mask_email("李雷@例子.中国"), "李***@例子.中国");
        assert_eq!(mask_email("no-at-sign"), FULL_MASK);
        assert_eq!(mask_email("@example.com"), FULL_MASK);
        assert_eq!(mask_email("lin@"), FULL_MASK);
        assert_eq!(mask_email(""), "");
        assert_eq!(
            apply(MaskRule::Email, "lin.test@example.com"),
            "l***@example.com"
        );
    }

    #[test]
    fn person_name_keeps_surname_or_initial() {
        assert_eq!(mask_person_name("张伟"), "张*");
        assert_eq!(mask_person_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_person_name("李"), "李*");
        assert_eq!(mask_person_name("张 伟"), "张*");
        assert_eq!(mask_person_name("𠮷田太郎"), "𠮷***");
        assert_eq!(mask_person_name("Ana Trujillo"), "A. *");
        assert_eq!(mask_person_name("Maria"), "M*");
        assert_eq!(mask_person_name("  Maria  Anders "), "M. *");
        assert_eq!(mask_person_name("e\u{0301}mile Zola"), "\u{e9}. *");
        assert_eq!(
            mask_person_name("👩\u{200d}👩\u{200d}👧 Smith"),
            "👩\u{200d}👩\u{200d}👧. *"
        );
        assert_eq!(mask_person_name(""), "");
        assert_eq!(apply(MaskRule::PersonName, "张伟"), "张*");
    }

    #[test]
    fn address_keeps_first_six_graphemes() {
        assert_eq!(mask_address("北京市朝阳区建国路88号"), "北京市朝阳区****");
        assert_eq!(mask_address("Obere Str. 57, Berlin"), "Obere ****");
        assert_eq!(mask_address("北京市朝阳区"), FULL_MASK);
        assert_eq!(
            mask_address("e\u{0301}e\u{0301}e\u{0301}e\u{0301}e\u{0301}e\u{0301}x"),
            "éééééé****"
        );
        assert_eq!(mask_address(""), "");
        assert_eq!(
            apply(MaskRule::Address, "北京市朝阳区建国路88号"),
            "北京市朝阳区****"
        );
    }

    #[test]
    fn redact_hides_everything() {
        assert_eq!(redact("anything at all"), FULL_MASK);
        assert_eq!(redact(""), "");
        assert_eq!(apply(MaskRule::Redact, "secret"), FULL_MASK);
    }

    #[test]
    fn grapheme_clusters_are_never_cut() {
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
        let out = mask_address(&format!(
            "{family}{family}{family}{family}{family}{family}{family}"
        ));
        assert_eq!(
            out,
            format!("{family}{family}{family}{family}{family}{family}****")
        );
        assert_eq!(
            mask_person_name(&format!("{family}王")),
            format!("{family}*")
        );
    }
}

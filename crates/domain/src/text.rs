//! Text hygiene for free-text fields: normalisation, rejection of invisible control characters
//! (including the bidirectional overrides behind "Trojan Source" / `gpj.exe` spoofing), and
//! truncation that never splits a character.
//!
//! Genuine right-to-left text (Arabic, Hebrew), emoji and ZWJ sequences, combining marks and
//! CJK characters outside the Basic Multilingual Plane are all ordinary text and accepted; only
//! the invisible *controls* are refused. [`TextError`] messages name the problem and a position,
//! never the input.

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Why a text was rejected. Messages never contain the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TextError {
    /// A NUL character (U+0000).
    #[error("text must not contain a NUL character (found at character {position})")]
    Nul {
        /// 1-based position in characters of the normalised, trimmed text.
        position: usize,
    },
    /// A C0 or C1 control character (other than tab, line feed and carriage return in multi-line
    /// text), or a line/paragraph separator in single-line text.
    #[error("text must not contain control characters (found at character {position})")]
    ControlCharacter {
        /// 1-based position in characters of the normalised, trimmed text.
        position: usize,
    },
    /// A bidirectional formatting control (see [`is_bidi_control`]).
    #[error(
        "text must not contain invisible bidirectional control characters \
         (found at character {position})"
    )]
    BidiControl {
        /// 1-based position in characters of the normalised, trimmed text.
        position: usize,
    },
    /// More characters than allowed.
    #[error("text must be at most {max} characters long")]
    TooLong {
        /// The maximum allowed, in characters.
        max: usize,
    },
}

/// Whether `c` is a Unicode bidirectional formatting character that can reorder how the text
/// around it is displayed: the embeddings and overrides U+202A–U+202E (LRE, RLE, PDF, LRO,
/// RLO), the isolates U+2066–U+2069 (LRI, RLI, FSI, PDI), and the marks U+200E (LRM), U+200F
/// (RLM) and U+061C (ALM).
///
/// The marks cannot reorder text on their own but are invisible and never needed in the data
/// this CRM holds (right-to-left text displays correctly without them), so they are treated the
/// same way.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Cleans user-supplied text for storage:
///
/// 1. NFC-normalises it (so `e` + U+0301 is stored as `é`);
/// 2. trims surrounding whitespace;
/// 3. rejects NUL ([`TextError::Nul`]) and every other C0/C1 control character
///    ([`TextError::ControlCharacter`]), except tab, line feed and carriage return when
///    `multiline`; U+2028/U+2029 (line and paragraph separators) are rejected in single-line
///    text only;
/// 4. rejects bidirectional controls ([`TextError::BidiControl`], see [`is_bidi_control`]);
/// 5. rejects text longer than `max_chars` characters (Unicode scalar values, counted after
///    normalising and trimming) with [`TextError::TooLong`].
///
/// Empty text (or only whitespace) is returned as `""`; whether that is allowed is the caller's
/// business.
pub fn clean_text(input: &str, max_chars: usize, multiline: bool) -> Result<String, TextError> {
    let normalized: String = input.nfc().collect();
    let trimmed = normalized.trim();
    let mut count = 0usize;
    for (index, c) in trimmed.chars().enumerate() {
        let position = index + 1;
        if c == '\0' {
            return Err(TextError::Nul { position });
        }
        if c.is_control() {
            let allowed = multiline && matches!(c, '\n' | '\t' | '\r');
            if !allowed {
                return Err(TextError::ControlCharacter { position });
            }
        }
        if !multiline && matches!(c, '\u{2028}' | '\u{2029}') {
            return Err(TextError::ControlCharacter { position });
        }
        if is_bidi_control(c) {
            return Err(TextError::BidiControl { position });
        }
        count = position;
    }
    if count > max_chars {
        return Err(TextError::TooLong { max: max_chars });
    }
    Ok(trimmed.to_string())
}

/// The ellipsis appended by the truncation functions.
const ELLIPSIS: char = '…';

/// Shortens `s` to at most `max` grapheme clusters (user-perceived characters), replacing the
/// cut-off part with `…` (which counts towards `max`). Text that fits is returned unchanged; a
/// grapheme cluster (an emoji ZWJ sequence, a letter with combining marks) is never split.
///
/// `truncate_graphemes("北京市朝阳区", 4)` is `"北京市…"`; `max == 0` gives `""`.
pub fn truncate_graphemes(s: &str, max: usize) -> String {
    let graphemes: Vec<&str> = s.graphemes(true).take(max.saturating_add(1)).collect();
    if graphemes.len() <= max {
        return s.to_string();
    }
    let Some(keep) = max.checked_sub(1) else {
        return String::new();
    };
    let mut out: String = graphemes.iter().take(keep).copied().collect();
    out.push(ELLIPSIS);
    out
}

/// Shortens `s` to at most `max_bytes` bytes of UTF-8 (for a store with a byte limit), cutting
/// only between grapheme clusters and ending the cut text with `…` (3 bytes, included in the
/// limit; left off when `max_bytes` is smaller than 3). Text that fits is returned unchanged.
///
/// `truncate_to_bytes("北京市朝阳区", 12)` is `"北京市…"`.
pub fn truncate_to_bytes(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_string();
    }
    let ellipsis_len = ELLIPSIS.len_utf8();
    let (budget, ellipsis) = if max_bytes >= ellipsis_len {
        (max_bytes - ellipsis_len, true)
    } else {
        (max_bytes, false)
    };
    let mut out = String::new();
    for g in s.graphemes(true) {
        if out.len() + g.len() > budget {
            break;
        }
        out.push_str(g);
    }
    if ellipsis {
        out.push(ELLIPSIS);
    }
    out
}

/// Removes bidirectional controls (see [`is_bidi_control`]) from `s`, for displaying legacy data
/// that was stored before [`clean_text`] refused them. Everything else, including genuine
/// right-to-left text, is kept as it is.
pub fn neutralize_bidi(s: &str) -> String {
    s.chars().filter(|&c| !is_bidi_control(c)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::is_nfc;

    // ---- C20 --------------------------------------------------------------------------------

    #[test]
    fn c20_bidi_override_filename_spoof_rejected() {
        let input = "Zhang Wei\u{202E}fdp.exe";
        let err = clean_text(input, 200, false).unwrap_err();
        assert_eq!(err, TextError::BidiControl { position: 10 });
        let msg = err.to_string();
        assert!(!msg.contains("Zhang") && !msg.contains("fdp") && !msg.contains("exe"));
        // Every bidi control is refused, in single- and multi-line text.
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
        ]
        .into_iter()
        .chain([
            '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ]) {
            let s = format!("abc{c}def");
            assert_eq!(
                clean_text(&s, 200, false),
                Err(TextError::BidiControl { position: 4 })
            );
            assert!(clean_text(&s, 200, true).is_err());
            // ... and at the ends too (they are not whitespace, so not trimmed away).
            assert!(clean_text(&format!("{c}abc"), 200, false).is_err());
            assert!(clean_text(&format!("abc{c}"), 200, false).is_err());
        }
    }

    #[test]
    fn c20_neutralize_bidi_removes_controls_only() {
        assert_eq!(
            neutralize_bidi("Zhang Wei\u{202E}fdp.exe"),
            "Zhang Weifdp.exe"
        );
        assert_eq!(neutralize_bidi("a\u{2066}b\u{2069}c\u{200F}"), "abc");
        let arabic = "مؤسسة النور للتجارة";
        assert_eq!(neutralize_bidi(arabic), arabic);
    }

    #[test]
    fn c20_arabic_accepted_unchanged() {
        let arabic = "مؤسسة النور للتجارة";
        assert_eq!(clean_text(arabic, 200, false).unwrap(), arabic);
        let hebrew = "חברת הובלות בע\"מ";
        assert_eq!(clean_text(hebrew, 200, false).unwrap(), hebrew);
        let mixed = "Al Noor مؤسسة النور 2024";
        assert_eq!(clean_text(mixed, 200, false).unwrap(), mixed);
    }

    #[test]
    fn c20_emoji_company_name_accepted() {
        let name = "李雷🚚物流有限公司";
        assert_eq!(clean_text(name, 200, false).unwrap(), name);
        assert_eq!(clean_text(name, 9, false).unwrap(), name);
        assert_eq!(
            clean_text(name, 8, false),
            Err(TextError::TooLong { max: 8 })
        );
    }

    #[test]
    fn c20_cjk_outside_bmp_accepted() {
        let name = "𠮷野家";
        assert_eq!(clean_text(name, 3, false).unwrap(), name);
        assert_eq!(truncate_graphemes("𠮷野家牛丼", 2), "𠮷…");
    }

    #[test]
    fn c20_emoji_zwj_sequence_never_split() {
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
        let s = format!("{family}{family} team");
        assert_eq!(clean_text(&s, 200, false).unwrap(), s);
        assert_eq!(truncate_graphemes(&s, 2), format!("{family}…"));
        assert_eq!(truncate_graphemes(&s, 1), "…");
        // A byte budget that ends inside the second family emoji keeps only the first.
        let out = truncate_to_bytes(&s, family.len() + 10);
        assert_eq!(out, format!("{family}…"));
        let flag = "🇨🇳";
        assert_eq!(
            truncate_graphemes(&format!("{flag}{flag}{flag}"), 2),
            format!("{flag}…")
        );
    }

    #[test]
    fn c20_combining_mark_kept_with_its_letter() {
        // NFC composes e + U+0301 to é.
        assert_eq!(clean_text("Rene\u{301}", 200, false).unwrap(), "Ren\u{e9}");
        assert_eq!(
            clean_text("Rene\u{301}", 4, false).unwrap().chars().count(),
            4
        );
        // A sequence without a precomposed form stays a cluster and is never cut in two.
        let s = "x\u{301}\u{316}y\u{301}\u{316}z";
        assert_eq!(truncate_graphemes(s, 2), "x\u{301}\u{316}…");
        assert_eq!(truncate_graphemes("e\u{301}e\u{301}", 1), "…");
        assert_eq!(truncate_graphemes("e\u{301}", 1), "e\u{301}");
        assert_eq!(truncate_to_bytes("ae\u{301}b", 4), "a…");
    }

    #[test]
    fn c20_truncation_of_41_ascii_bytes_and_e_acute_is_safe() {
        // 41 ASCII bytes then a 2-byte é: a cut at byte 42 would split é in half.
        let s = format!("{}é", "a".repeat(41));
        assert_eq!(s.len(), 43);
        assert_eq!(truncate_graphemes(&s, 42), s);
        assert_eq!(truncate_graphemes(&s, 41), format!("{}…", "a".repeat(40)));
        let cut = truncate_to_bytes(&s, 42);
        assert!(cut.len() <= 42);
        assert_eq!(cut, format!("{}…", "a".repeat(39)));
        assert_eq!(truncate_to_bytes(&s, 43), s);
        // Decomposed é (e + U+0301): the letter and its accent stay together.
        let d = format!("{}e\u{301}", "a".repeat(41));
        assert_eq!(truncate_to_bytes(&d, 44), d);
        assert_eq!(truncate_to_bytes(&d, 43), format!("{}…", "a".repeat(40)));
        assert_eq!(truncate_graphemes(&d, 42), d);
    }

    #[test]
    fn c20_nul_rejected() {
        assert_eq!(
            clean_text("abc\u{0}def", 200, false),
            Err(TextError::Nul { position: 4 })
        );
        assert_eq!(
            clean_text("abc\u{0}", 200, true),
            Err(TextError::Nul { position: 4 })
        );
        assert!(
            !clean_text("secret\u{0}", 200, false)
                .unwrap_err()
                .to_string()
                .contains("secret")
        );
    }

    // ---- Other behaviour ------------------------------------------------------------------

    #[test]
    fn control_characters_rejected_except_whitespace_in_multiline() {
        for c in [
            '\u{1}', '\u{7}', '\u{1B}', '\u{7F}', '\u{80}', '\u{85}', '\u{9F}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(
                clean_text(&s, 200, false),
                Err(TextError::ControlCharacter { position: 2 })
            );
            assert!(clean_text(&s, 200, true).is_err());
        }
        for c in ['\n', '\t', '\r'] {
            let s = format!("a{c}b");
            assert!(clean_text(&s, 200, false).is_err());
            assert_eq!(clean_text(&s, 200, true).unwrap(), s);
        }
        assert!(clean_text("a\u{2028}b", 200, false).is_err());
        assert!(clean_text("a\u{2028}b", 200, true).is_ok());
        // Surrounding whitespace (including newlines) is trimmed, not rejected.
        assert_eq!(clean_text("  Acme Ltd\n", 200, false).unwrap(), "Acme Ltd");
        assert_eq!(
            clean_text("\tline 1\r\nline 2\n\n", 200, true).unwrap(),
            "line 1\r\nline 2"
        );
    }

    #[test]
    fn length_is_counted_in_characters_after_trimming() {
        assert_eq!(clean_text("  abc  ", 3, false).unwrap(), "abc");
        assert_eq!(
            clean_text("abcd", 3, false),
            Err(TextError::TooLong { max: 3 })
        );
        assert_eq!(clean_text("北京市", 3, false).unwrap(), "北京市");
        assert_eq!(clean_text("", 0, false).unwrap(), "");
        assert_eq!(clean_text("   ", 0, false).unwrap(), "");
        assert_eq!(
            TextError::TooLong { max: 3 }.to_string(),
            "text must be at most 3 characters long"
        );
    }

    #[test]
    fn truncation_edge_cases() {
        assert_eq!(truncate_graphemes("", 0), "");
        assert_eq!(truncate_graphemes("abc", 0), "");
        assert_eq!(truncate_graphemes("abc", 3), "abc");
        assert_eq!(truncate_graphemes("abcd", 3), "ab…");
        assert_eq!(truncate_graphemes("北京市朝阳区", 4), "北京市…");
        assert_eq!(truncate_to_bytes("北京市朝阳区", 12), "北京市…");
        assert_eq!(truncate_to_bytes("abc", 2), "ab");
        assert_eq!(truncate_to_bytes("北京", 2), "");
        assert_eq!(truncate_to_bytes("abcd", 3), "…");
    }

    proptest! {
        #[test]
        fn clean_text_never_panics_and_output_is_clean(
            input in any::<String>(),
            max in 0usize..64,
            multiline in any::<bool>(),
        ) {
            if let Ok(out) = clean_text(&input, max, multiline) {
                prop_assert!(out.chars().count() <= max);
                prop_assert!(is_nfc(&out));
                prop_assert_eq!(out.trim(), out.as_str());
                for c in out.chars() {
                    prop_assert!(!is_bidi_control(c));
                    prop_assert!(c != '\0');
                    if c.is_control() {
                        prop_assert!(multiline && matches!(c, '\n' | '\t' | '\r'));
                    }
                }
                // Cleaning is idempotent.
                prop_assert_eq!(clean_text(&out, max, multiline), Ok(out.clone()));
            }
        }

        #[test]
        fn clean_text_error_never_echoes_input(input in "[a-z]{8,20}\u{0}[a-z]{0,5}") {
            let err = clean_text(&input, 100, false).unwrap_err();
            let letters: String = input.chars().take_while(|c| c.is_ascii_lowercase()).collect();
            prop_assert!(!err.to_string().contains(&letters));
        }

        #[test]
        fn truncate_graphemes_never_splits(input in any::<String>(), max in 0usize..40) {
            let out = truncate_graphemes(&input, max);
            prop_assert!(out.graphemes(true).count() <= max);
            if out != input {
                let kept = out.strip_suffix(ELLIPSIS).unwrap_or(&out);
                prop_assert!(input.starts_with(kept));
                // What was kept is whole grapheme clusters of the input.
                let original: Vec<&str> = input.graphemes(true).collect();
                let kept_graphemes: Vec<&str> = kept.graphemes(true).collect();
                prop_assert_eq!(&original[..kept_graphemes.len()], kept_graphemes.as_slice());
            }
        }

        #[test]
        fn truncate_to_bytes_never_splits(input in any::<String>(), max in 0usize..80) {
            let out = truncate_to_bytes(&input, max);
            prop_assert!(out.len() <= max);
            if out != input {
                let kept = out.strip_suffix(ELLIPSIS).unwrap_or(&out);
                prop_assert!(input.starts_with(kept));
                let original: Vec<&str> = input.graphemes(true).collect();
                let kept_graphemes: Vec<&str> = kept.graphemes(true).collect();
                prop_assert_eq!(&original[..kept_graphemes.len()], kept_graphemes.as_slice());
            }
        }

        #[test]
        fn neutralize_bidi_leaves_no_controls(input in any::<String>()) {
            let out = neutralize_bidi(&input);
            prop_assert!(!out.chars().any(is_bidi_control));
            prop_assert_eq!(neutralize_bidi(&out), out);
        }
    }
}

//! Validators for identifiers used in Chinese business: parse-don't-validate newtypes.
//!
//! Each type has a private field and is built only by `parse`, which NFKC-normalises (so
//! full-width `１３８` and `＋` are accepted) and trims its input, checks it, and keeps a canonical
//! form. A value of the type is therefore always valid. `as_str()` gives the canonical text and
//! `Display` prints it; `Debug` prints a **masked** form for the types that hold personal data
//! ([`Mobile`], [`Phone`], [`ResidentId`], [`Email`], [`BankAccount`]), so a stray `{:?}` does not
//! put personal data into logs. Serde (de)serialises the canonical text, validating on the way in.
//!
//! [`ValidationError`] messages name the kind of value and the rule it broke, never the value.

use std::fmt;
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

use crate::mask;

/// Why a value was rejected. The message names the kind and the rule, never the value itself
/// (the reasons are `'static` strings, so they cannot carry user input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ValidationError {
    /// Not a mainland China mobile number.
    #[error("mobile number {0}")]
    Mobile(&'static str),
    /// Not a phone number.
    #[error("phone number {0}")]
    Phone(&'static str),
    /// Not a valid resident identity number (GB 11643-1999).
    #[error("resident identity number {0}")]
    ResidentId(&'static str),
    /// Not a valid unified social credit code (GB 32100-2015).
    #[error("unified social credit code {0}")]
    CreditCode(&'static str),
    /// Not an e-mail address.
    #[error("e-mail address {0}")]
    Email(&'static str),
    /// Not a bank account number.
    #[error("bank account number {0}")]
    BankAccount(&'static str),
}

impl ValidationError {
    /// The kind of value that was rejected, e.g. `"mobile number"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Mobile(_) => "mobile number",
            Self::Phone(_) => "phone number",
            Self::ResidentId(_) => "resident identity number",
            Self::CreditCode(_) => "unified social credit code",
            Self::Email(_) => "e-mail address",
            Self::BankAccount(_) => "bank account number",
        }
    }

    /// The rule that was broken, e.g. `"must have 11 digits starting with 1"`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Mobile(r)
            | Self::Phone(r)
            | Self::ResidentId(r)
            | Self::CreditCode(r)
            | Self::Email(r)
            | Self::BankAccount(r) => r,
        }
    }
}

/// NFKC-normalises and trims.
fn prepare(raw: &str) -> String {
    let normalized: String = raw.nfkc().collect();
    normalized.trim().to_string()
}

/// The common trait implementations of a validated text newtype. `$debug` renders the value
/// for `Debug` (a masking function for personal data).
macro_rules! validated_text {
    ($ty:ident, $debug:expr) => {
        impl $ty {
            /// The canonical text of the value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let shown: String = $debug(&self.0);
                f.debug_tuple(stringify!($ty)).field(&shown).finish()
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = ValidationError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.0
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Mobile
// ---------------------------------------------------------------------------------------------

/// A mainland China mobile number, stored as its 11 digits (`1[3-9]` and nine more).
///
/// Input may carry a `+86`, `0086` or `86` prefix and spaces, dashes and parentheses:
/// `+86 (138) 1234-5678` → `13812345678`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

validated_text!(Mobile, mask::mask_phone);

impl Mobile {
    const RULE: &'static str =
        "must have 11 digits starting with 1 and then 3-9, optionally after +86";

    /// Parses a mainland mobile number.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = prepare(raw);
        if s.is_empty() {
            return Err(ValidationError::Mobile("must not be empty"));
        }
        let compact: String = s
            .chars()
            .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')')))
            .collect();
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.strip_prefix("86").ok_or(ValidationError::Mobile(
                "must be a mainland China number (country code +86)",
            ))?
        } else if let Some(rest) = compact.strip_prefix("0086") {
            rest
        } else if compact.chars().count() == 13 {
            compact.strip_prefix("86").unwrap_or(&compact)
        } else {
            &compact
        };
        if mask::is_cn_mobile(digits) {
            Ok(Self(digits.to_string()))
        } else {
            Err(ValidationError::Mobile(Self::RULE))
        }
    }

    /// The 11 digits, without country code or separators: `13812345678`.
    pub fn normalized(&self) -> &str {
        &self.0
    }

    /// The number in E.164 form: `+8613812345678`.
    pub fn e164(&self) -> String {
        format!("+86{}", self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Phone
// ---------------------------------------------------------------------------------------------

/// Any phone number as people write it, stored as written (NFKC-normalised and trimmed):
/// digits, spaces, `+ - ( ) . /`, and an optional extension (`x42`, `ext. 42`, `转42`).
/// It has 3 to 20 digits in all (extension included) and at most 40 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

validated_text!(Phone, mask::mask_phone);

impl Phone {
    /// Parses a phone number.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = prepare(raw);
        if s.is_empty() {
            return Err(ValidationError::Phone("must not be empty"));
        }
        if s.chars().count() > 40 {
            return Err(ValidationError::Phone("must be at most 40 characters"));
        }
        if s.chars()
            .any(|c| c.is_control() || crate::text::is_bidi_control(c))
        {
            return Err(ValidationError::Phone(
                "must not contain control characters",
            ));
        }
        let chars: Vec<char> = s.chars().collect();
        let (main, extension) = mask::split_extension(&chars).ok_or(ValidationError::Phone(
            "extension must be digits after x or ext.",
        ))?;
        let allowed =
            |c: &char| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/');
        if !main.iter().all(allowed) {
            return Err(ValidationError::Phone(
                "may contain only digits, spaces, + - ( ) . / and an extension",
            ));
        }
        if mask::parse_phone(&s).is_none() {
            return Err(ValidationError::Phone(
                "may have a + only at the start, before a valid country code",
            ));
        }
        let digits = main.iter().filter(|c| c.is_ascii_digit()).count() + extension.len();
        if !(3..=20).contains(&digits) {
            return Err(ValidationError::Phone("must have 3 to 20 digits"));
        }
        Ok(Self(s))
    }
}

// ---------------------------------------------------------------------------------------------
// Resident identity number
// ---------------------------------------------------------------------------------------------

/// A GB 11643-1999 18-character resident identity number: 17 digits and a check character
/// (`0`-`9` or `X`; a lower-case `x` is accepted and stored upper-case). The check character
/// (ISO 7064 MOD 11-2), the birth date (a real date from 1900-01-01 to 2100-12-31) and the
/// province code are verified.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);

validated_text!(ResidentId, mask::mask_id_number);

const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_ID_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level codes that a resident identity number may start with.
const PROVINCE_CODES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The digit values of `s` when it is exactly `n` ASCII digits.
fn ascii_digits(s: &str, n: usize) -> Option<Vec<u32>> {
    let digits: Vec<u32> = s.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    (digits.len() == n).then_some(digits)
}

/// The GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 characters of a
/// resident identity number; `None` unless `first17` is exactly 17 ASCII digits.
///
/// `resident_id_check_char("11010519491231002") == Some('X')`.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    let digits = ascii_digits(first17, 17)?;
    let sum: u32 = digits
        .iter()
        .zip(RESIDENT_ID_WEIGHTS)
        .map(|(d, w)| d * w)
        .sum();
    RESIDENT_ID_CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Whether year/month/day form a real date from 1900-01-01 to 2100-12-31.
fn is_real_birth_date(year: u32, month: u32, day: u32) -> bool {
    let (Ok(year), Ok(month), Ok(day)) =
        (i32::try_from(year), u8::try_from(month), u8::try_from(day))
    else {
        return false;
    };
    let Ok(month) = time::Month::try_from(month) else {
        return false;
    };
    (1900..=2100).contains(&year) && time::Date::from_calendar_date(year, month, day).is_ok()
}

fn number(digits: &[u32]) -> u32 {
    digits.iter().fold(0, |acc, d| acc * 10 + d)
}

impl ResidentId {
    /// Parses a resident identity number.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = prepare(raw);
        if s.is_empty() {
            return Err(ValidationError::ResidentId("must not be empty"));
        }
        let chars: Vec<char> = s.chars().map(|c| if c == 'x' { 'X' } else { c }).collect();
        let [body @ .., check] = chars.as_slice() else {
            return Err(ValidationError::ResidentId("must have 18 characters"));
        };
        if chars.len() != 18 {
            return Err(ValidationError::ResidentId("must have 18 characters"));
        }
        let first17: String = body.iter().collect();
        let Some(digits) = ascii_digits(&first17, 17) else {
            return Err(ValidationError::ResidentId(
                "must have 17 digits followed by a digit or X",
            ));
        };
        if !(check.is_ascii_digit() || *check == 'X') {
            return Err(ValidationError::ResidentId(
                "must have 17 digits followed by a digit or X",
            ));
        }
        let province = number(digits.get(0..2).unwrap_or_default());
        if !PROVINCE_CODES.contains(&province) {
            return Err(ValidationError::ResidentId(
                "must start with a valid province code",
            ));
        }
        let year = number(digits.get(6..10).unwrap_or_default());
        let month = number(digits.get(10..12).unwrap_or_default());
        let day = number(digits.get(12..14).unwrap_or_default());
        if !is_real_birth_date(year, month, day) {
            return Err(ValidationError::ResidentId(
                "must contain a real birth date between 1900-01-01 and 2100-12-31",
            ));
        }
        if resident_id_check_char(&first17) != Some(*check) {
            return Err(ValidationError::ResidentId(
                "check character does not match (mistyped digit?)",
            ));
        }
        Ok(Self(chars.iter().collect()))
    }
}

// ---------------------------------------------------------------------------------------------
// Unified social credit code
// ---------------------------------------------------------------------------------------------

/// A GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters from
/// `0-9 A-H J-N P-R T U W-Y` (no I, O, Z, S, V) with a verified check character. Input is
/// upper-cased first.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

validated_text!(CreditCode, String::from);

/// The GB 32100-2015 character set; a character's value is its position.
const CREDIT_CODE_CHARSET: [char; 31] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J',
    'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'T', 'U', 'W', 'X', 'Y',
];
const CREDIT_CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn credit_code_value(c: char) -> Option<u32> {
    let upper = c.to_ascii_uppercase();
    CREDIT_CODE_CHARSET
        .iter()
        .position(|&x| x == upper)
        .and_then(|p| u32::try_from(p).ok())
}

/// The GB 32100-2015 check character for the first 17 characters of a unified social credit
/// code; `None` unless `first17` is exactly 17 characters of the code's character set (lower
/// case accepted).
///
/// `credit_code_check_char("91350100M000100Y4") == Some('3')`.
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    let values: Vec<u32> = first17
        .chars()
        .map(credit_code_value)
        .collect::<Option<_>>()?;
    if values.len() != 17 {
        return None;
    }
    let sum: u32 = values
        .iter()
        .zip(CREDIT_CODE_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    CREDIT_CODE_CHARSET.get(check as usize).copied()
}

impl CreditCode {
    /// Parses a unified social credit code.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = prepare(raw).to_ascii_uppercase();
        if s.is_empty() {
            return Err(ValidationError::CreditCode("must not be empty"));
        }
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(ValidationError::CreditCode("must have 18 characters"));
        }
        if !chars.iter().all(|&c| credit_code_value(c).is_some()) {
            return Err(ValidationError::CreditCode(
                "may contain only digits and upper-case letters other than I, O, Z, S and V",
            ));
        }
        let first17: String = chars.iter().take(17).collect();
        if credit_code_check_char(&first17) != chars.last().copied() {
            return Err(ValidationError::CreditCode(
                "check character does not match (mistyped character?)",
            ));
        }
        Ok(Self(s))
    }
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

/// A pragmatically checked e-mail address: one `@`, a local part of 1 to 64 characters, a
/// domain with a dot and no empty labels, no spaces or control characters, at most 254
/// characters. The domain is stored in lower case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

validated_text!(Email, mask::mask_email);

/// Characters never accepted in an address (they usually mean a pasted `Name <a@b.c>` or a list).
fn is_email_forbidden(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || crate::text::is_bidi_control(c)
        || matches!(
            c,
            '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '"' | '\\' | '\u{200B}'
                ..='\u{200D}' | '\u{FEFF}'
        )
}

impl Email {
    /// Parses an e-mail address.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = prepare(raw);
        if s.is_empty() {
            return Err(ValidationError::Email("must not be empty"));
        }
        if s.chars().count() > 254 {
            return Err(ValidationError::Email("must be at most 254 characters"));
        }
        if s.chars().any(is_email_forbidden) {
            return Err(ValidationError::Email(
                "must not contain spaces, control characters or <>()[],;:\"\\",
            ));
        }
        let (local, domain) = match s.split_once('@') {
            Some((l, d)) if !d.contains('@') => (l, d),
            _ => return Err(ValidationError::Email("must contain exactly one @")),
        };
        let local_len = local.chars().count();
        if local_len == 0 || local_len > 64 {
            return Err(ValidationError::Email(
                "must have 1 to 64 characters before the @",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(ValidationError::Email(
                "must not have a leading, trailing or double dot before the @",
            ));
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(ValidationError::Email(
                "must have a domain with a dot after the @, like example.com",
            ));
        }
        if domain
            .split('.')
            .any(|label| label.starts_with('-') || label.ends_with('-'))
        {
            return Err(ValidationError::Email(
                "must not have a domain part starting or ending with -",
            ));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    /// The domain (lower case), e.g. `example.com`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

// ---------------------------------------------------------------------------------------------
// Bank account
// ---------------------------------------------------------------------------------------------

/// A bank account or card number: 8 to 30 digits once spaces and dashes are removed; stored as
/// the digits only.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BankAccount(String);

validated_text!(BankAccount, mask::mask_bank_account);

impl BankAccount {
    /// Parses a bank account number.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = prepare(raw);
        if s.is_empty() {
            return Err(ValidationError::BankAccount("must not be empty"));
        }
        let digits: String = s
            .chars()
            .filter(|c| !(c.is_whitespace() || *c == '-'))
            .collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(ValidationError::BankAccount(
                "may contain only digits, spaces and dashes",
            ));
        }
        if !(8..=30).contains(&digits.chars().count()) {
            return Err(ValidationError::BankAccount("must have 8 to 30 digits"));
        }
        Ok(Self(digits))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Asserts that an error's message does not contain the rejected input (or its digits).
    fn assert_no_echo(err: ValidationError, input: &str) {
        let msg = err.to_string();
        let trimmed = input.trim();
        if trimmed.chars().count() >= 3 {
            assert!(!msg.contains(trimmed), "{msg:?} echoes {input:?}");
        }
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            assert!(!msg.contains(&digits), "{msg:?} echoes digits of {input:?}");
        }
    }

    #[test]
    fn mobile_accepts_mainland_numbers_in_any_writing() {
        for input in [
            "13812345678",
            "+86 13812345678",
            "+8613812345678",
            "0086 138 1234 5678",
            "86 138-1234-5678",
            "(+86) 138 1234 5678",
            "+86 (138) 1234-5678",
            "１３８１２３４５６７８",
            "＋８６ １３８ １２３４ ５６７８",
            "  13812345678\t",
        ] {
            let m = Mobile::parse(input).unwrap();
            assert_eq!(m.normalized(), "13812345678", "{input:?}");
            assert_eq!(m.as_str(), "13812345678");
            assert_eq!(m.to_string(), "13812345678");
            assert_eq!(m.e164(), "+8613812345678");
        }
        for prefix in ['3', '4', '5', '6', '7', '8', '9'] {
            assert!(Mobile::parse(&format!("1{prefix}012345678")).is_ok());
        }
    }

    #[test]
    fn mobile_rejects_everything_else() {
        for input in [
            "",
            "   ",
            "1381234567",
            "138123456789",
            "12812345678",
            "10012345678",
            "23812345678",
            "+1 13812345678",
            "+852 13812345678",
            "010-12345678",
            "138.1234.5678",
            "138 1234 567a",
            "N/A",
            "٠١٣٨١٢٣٤٥٦٧",
            "++8613812345678",
        ] {
            let err = Mobile::parse(input).unwrap_err();
            assert!(matches!(err, ValidationError::Mobile(_)), "{input:?}");
            assert_no_echo(err, input);
        }
        assert_eq!(
            Mobile::parse("1381234567").unwrap_err().to_string(),
            "mobile number must have 11 digits starting with 1 and then 3-9, optionally after +86"
        );
    }

    #[test]
    fn phone_accepts_numbers_as_people_write_them() {
        for input in [
            "030-0074321",
            "(5) 555-4729",
            "(171) 555-7788",
            "0241-039123",
            "(91) 555 22 82",
            "+1 (555) 010-0199 ext. 42",
            "+1-555-010-0199 x42",
            "+44 20 7946 0958",
            "+86 10 8888 6666",
            "010-12345678转123",
            "0311/555 12 34",
            "555.0199",
            "110",
            "13812345678",
        ] {
            let p = Phone::parse(input).unwrap();
            assert_eq!(p.as_str(), input.trim(), "{input:?}");
        }
        assert_eq!(
            Phone::parse(" ＋４４ ２０ ７９４６ ０９５８ ")
                .unwrap()
                .as_str(),
            "+44 20 7946 0958"
        );
    }

    #[test]
    fn phone_rejects_non_numbers() {
        for input in [
            "",
            "N/A",
            "12",
            "call me",
            "555-0199 (mobile)",
            "123456789012345678901",
            "+1 555 010 0199 555 010 0199 555 010 0199 0",
            "555-0199 x",
            "555-0199 ext. forty",
            "555-0199\u{202E}",
            "555\u{0}0199",
            "12+34567",
            "+0 555 0199",
            "٠١٢٣٤٥٦٧",
        ] {
            let err = Phone::parse(input).unwrap_err();
            assert!(matches!(err, ValidationError::Phone(_)), "{input:?}");
            assert_no_echo(err, input);
        }
    }

    const VALID_RESIDENT_ID: &str = "11010519491231002X";

    #[test]
    fn resident_id_known_good() {
        for input in [
            VALID_RESIDENT_ID,
            "11010519491231002x",
            " 11010519491231002X ",
        ] {
            let id = ResidentId::parse(input).unwrap();
            assert_eq!(id.as_str(), VALID_RESIDENT_ID);
        }
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        // Full-width input.
        assert!(ResidentId::parse("１１０１０５１９４９１２３１００２Ｘ").is_ok());
        // Built with the check-char function.
        for first17 in [
            "44030420000229123",
            "65010219000101000",
            "82000021001231999",
        ] {
            let check = resident_id_check_char(first17).unwrap();
            assert!(
                ResidentId::parse(&format!("{first17}{check}")).is_ok(),
                "{first17}"
            );
        }
    }

    #[test]
    fn resident_id_known_bad() {
        let cases = [
            ("", "must not be empty"),
            ("110105194912310021", "check character"),
            ("11010519491231002", "18 characters"),
            ("11010519491231002X1", "18 characters"),
            ("1101051949123100XX", "17 digits"),
            ("11010519491231002A", "17 digits"),
            ("10010519491231002X", "province"),
            ("99010519491231002X", "province"),
            ("11010518991231002X", "birth date"),
            ("11010521010101002X", "birth date"),
            ("11010519490230002X", "birth date"),
            ("11010519491301002X", "birth date"),
            ("11010519490000002X", "birth date"),
        ];
        for (input, reason) in cases {
            let err = ResidentId::parse(input).unwrap_err();
            assert!(matches!(err, ValidationError::ResidentId(_)), "{input:?}");
            assert!(err.to_string().contains(reason), "{input:?}: {err}");
            assert_no_echo(err, input);
        }
        assert_eq!(resident_id_check_char("1101051949123100"), None);
        assert_eq!(resident_id_check_char("1101051949123100A"), None);
        assert_eq!(
            resident_id_check_char("１１０１０５１９４９１２３１００２"),
            None
        );
    }

    #[test]
    fn resident_id_leap_days() {
        let build = |first17: &str| {
            let check = resident_id_check_char(first17).unwrap();
            ResidentId::parse(&format!("{first17}{check}"))
        };
        assert!(build("11010520000229001").is_ok());
        assert!(build("11010519000229001").is_err());
        assert!(build("11010521000229001").is_err());
        assert!(build("11010519000101001").is_ok());
        assert!(build("11010521001231001").is_ok());
    }

    #[test]
    fn credit_code_known_good() {
        assert_eq!(credit_code_check_char("91350100M000100Y4"), Some('3'));
        for input in [
            "91350100M000100Y43",
            "91350100m000100y43",
            " 91350100M000100Y43 ",
        ] {
            assert_eq!(
                CreditCode::parse(input).unwrap().as_str(),
                "91350100M000100Y43"
            );
        }
        assert!(CreditCode::parse("９１３５０１００Ｍ０００１００Ｙ４３").is_ok());
    }

    #[test]
    fn credit_code_known_bad() {
        for input in [
            "",
            "91350100M000100Y44",
            "91350100M000100Y4",
            "91350100M000100Y433",
            "91350100I000100Y43",
            "91350100O000100Y43",
            "91350100M000100S43",
            "91350100M000100V43",
            "91350100M000100Z43",
            "91350100M000100Y4-",
        ] {
            let err = CreditCode::parse(input).unwrap_err();
            assert!(matches!(err, ValidationError::CreditCode(_)), "{input:?}");
            assert_no_echo(err, input);
        }
        assert_eq!(credit_code_check_char("91350100I000100Y4"), None);
        assert_eq!(credit_code_check_char("91350100M000100Y"), None);
    }

    #[test]
    fn email_known_good() {
        let e = Email::parse(" Lin.Test@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Lin.Test@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e.local_part(), "Lin.Test");
        for input in [
            "a@b.co",
            "first.last+tag@sub.example.com.cn",
            "李雷@例子.中国",
            "o'brien@example.ie",
        ] {
            assert!(Email::parse(input).is_ok(), "{input:?}");
        }
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@example.com")).is_ok());
    }

    #[test]
    fn email_known_bad() {
        let local65 = format!("{}@example.com", "a".repeat(65));
        let long = format!("a@{}.com", "b".repeat(250));
        for input in [
            "",
            "plainaddress",
            "@example.com",
            "lin@",
            "lin@example",
            "lin@@example.com",
            "lin@exa@mple.com",
            "lin test@example.com",
            "lin@example..com",
            "lin@.example.com",
            "lin@example.com.",
            "lin@-example.com",
            ".lin@example.com",
            "lin.@example.com",
            "li..n@example.com",
            "Lin <lin@example.com>",
            "lin@example.com,bob@example.com",
            "lin\u{0}@example.com",
            "lin\u{202E}@example.com",
            local65.as_str(),
            long.as_str(),
        ] {
            let err = Email::parse(input).unwrap_err();
            assert!(matches!(err, ValidationError::Email(_)), "{input:?}");
            assert_no_echo(err, input);
        }
    }

    #[test]
    fn bank_account_known_good_and_bad() {
        assert_eq!(
            BankAccount::parse("6222 0212 3456 6021").unwrap().as_str(),
            "6222021234566021"
        );
        assert_eq!(
            BankAccount::parse("1234-5678").unwrap().as_str(),
            "12345678"
        );
        assert_eq!(
            BankAccount::parse("６２２２ ０２１２ ３４５６ ６０２１")
                .unwrap()
                .as_str(),
            "6222021234566021"
        );
        assert!(BankAccount::parse(&"1".repeat(30)).is_ok());
        let too_long = "1".repeat(31);
        for input in [
            "",
            "1234567",
            too_long.as_str(),
            "6222 0212 3456 602A",
            "6222.0212.3456.6021",
            "GB29 NWBK 6016 1331 9268 19",
            "٦٢٢٢٠٢١٢٣٤٥٦٦٠٢١",
        ] {
            let err = BankAccount::parse(input).unwrap_err();
            assert!(matches!(err, ValidationError::BankAccount(_)), "{input:?}");
            assert_no_echo(err, input);
        }
    }

    #[test]
    fn debug_masks_personal_data() {
        let m = Mobile::parse("13812345678").unwrap();
        assert_eq!(format!("{m:?}"), "Mobile(\"138****5678\")");
        let id = ResidentId::parse(VALID_RESIDENT_ID).unwrap();
        assert_eq!(format!("{id:?}"), "ResidentId(\"1****************X\")");
        let e = Email::parse("lin.test@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "Email(\"l***@example.com\")");
        let b = BankAccount::parse("6222021234566021").unwrap();
        assert_eq!(format!("{b:?}"), "BankAccount(\"**** 6021\")");
        let p = Phone::parse("+44 20 7946 0958").unwrap();
        assert_eq!(format!("{p:?}"), "Phone(\"+44 ****0958\")");
        let c = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(format!("{c:?}"), "CreditCode(\"91350100M000100Y43\")");
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let m: Mobile = serde_json::from_str("\"+86 138 1234 5678\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"13812345678\"");
        let bad = serde_json::from_str::<Mobile>("\"12345\"").unwrap_err();
        assert!(!bad.to_string().contains("12345"));
        let c: CreditCode = serde_json::from_str("\"91350100M000100Y43\"").unwrap();
        assert_eq!(c.as_str(), "91350100M000100Y43");
    }

    #[test]
    fn error_kind_and_reason() {
        let err = BankAccount::parse("1").unwrap_err();
        assert_eq!(err.kind(), "bank account number");
        assert_eq!(err.reason(), "must have 8 to 30 digits");
        assert_eq!(
            err.to_string(),
            "bank account number must have 8 to 30 digits"
        );
    }

    fn valid_resident_id() -> impl Strategy<Value = String> {
        (
            prop::sample::select(PROVINCE_CODES.to_vec()),
            0u32..10_000,
            1900u32..=2100,
            1u32..=12,
            1u32..=28,
            0u32..1000,
        )
            .prop_map(|(province, area, year, month, day, seq)| {
                let first17 = format!("{province:02}{area:04}{year:04}{month:02}{day:02}{seq:03}");
                let check = resident_id_check_char(&first17).unwrap();
                format!("{first17}{check}")
            })
    }

    fn valid_credit_code() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(CREDIT_CODE_CHARSET.to_vec()), 17).prop_map(
            |chars| {
                let first17: String = chars.into_iter().collect();
                let check = credit_code_check_char(&first17).unwrap();
                format!("{first17}{check}")
            },
        )
    }

    /// Replaces the character at `index` with `replacement`.
    fn replace_char(s: &str, index: usize, replacement: char) -> String {
        s.chars()
            .enumerate()
            .map(|(i, c)| if i == index { replacement } else { c })
            .collect()
    }

    proptest! {
        #[test]
        fn generated_resident_ids_parse(id in valid_resident_id()) {
            let parsed = ResidentId::parse(&id).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
            prop_assert!(ResidentId::parse(&id.to_lowercase()).is_ok());
        }

        #[test]
        fn resident_id_single_change_fails(
            id in valid_resident_id(),
            index in 0usize..18,
            shift in 1usize..11,
        ) {
            // Replace one character by a different one of `0-9` and `X`.
            const ALPHABET: [char; 11] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'];
            let original = id.chars().nth(index).unwrap();
            let at = ALPHABET.iter().position(|&c| c == original).unwrap();
            let replacement = ALPHABET[(at + shift) % ALPHABET.len()];
            let changed = replace_char(&id, index, replacement);
            prop_assert!(ResidentId::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn generated_credit_codes_parse(code in valid_credit_code()) {
            let parsed = CreditCode::parse(&code).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
            prop_assert!(CreditCode::parse(&code.to_lowercase()).is_ok());
        }

        #[test]
        fn credit_code_single_change_fails(
            code in valid_credit_code(),
            index in 0usize..18,
            shift in 1usize..31,
        ) {
            // Replace one character by a different one of the code's character set.
            let original = code.chars().nth(index).unwrap();
            let at = CREDIT_CODE_CHARSET.iter().position(|&c| c == original).unwrap();
            let replacement = CREDIT_CODE_CHARSET[(at + shift) % CREDIT_CODE_CHARSET.len()];
            let changed = replace_char(&code, index, replacement);
            prop_assert!(CreditCode::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn parsers_never_panic(input in any::<String>()) {
            let _ = Mobile::parse(&input);
            let _ = Phone::parse(&input);
            let _ = ResidentId::parse(&input);
            let _ = CreditCode::parse(&input);
            let _ = Email::parse(&input);
            let _ = BankAccount::parse(&input);
        }

        #[test]
        fn parsing_is_idempotent(input in "[0-9+ ()x.-]{0,24}") {
            if let Ok(p) = Phone::parse(&input) {
                prop_assert_eq!(Phone::parse(p.as_str()).unwrap(), p);
            }
            if let Ok(m) = Mobile::parse(&input) {
                prop_assert_eq!(Mobile::parse(m.as_str()).unwrap(), m);
            }
            if let Ok(b) = BankAccount::parse(&input) {
                prop_assert_eq!(BankAccount::parse(b.as_str()).unwrap(), b);
            }
        }
    }
}

/// Checks a login name: 2 to 64 characters of lower-case ASCII letters, digits, `.`, `_` or
/// `-`, starting with a letter. Restricting the alphabet rules out look-alike names
/// (`SALES`, full-width `ｓａｌｅｓ`) next to existing ones in the audit log.
pub fn username(s: &str) -> Result<(), &'static str> {
    let ok = (2..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err("must be 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter")
    }
}

#[cfg(test)]
mod username_tests {
    #[test]
    fn usernames_are_plain_ascii() {
        for ok in ["sales", "nancy.davolio", "field_staff", "li-lei2"] {
            assert!(super::username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "SALES",
            "ｓａｌｅｓ",
            "s",
            "1abc",
            "sales manager",
            "sa\u{202E}les",
            "",
        ] {
            assert!(super::username(bad).is_err(), "{bad}");
        }
    }
}

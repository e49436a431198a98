//! Users: ids, usernames, passwords and roles.

use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A registered account as the rest of the service sees it (no password hash here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub role: Role,
    pub created_at: time::OffsetDateTime,
    /// Bumped whenever earlier tokens must stop working (password change); a token carries the
    /// version it was issued under.
    pub session_version: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum UsernameError {
    #[error("username must be 3 to 150 characters long")]
    Length,
    #[error("username may only contain ASCII letters, digits and _ . @ + -")]
    Character,
}

/// A username as typed (case kept for display); uniqueness ignores case, see [`Username::canonical`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 150;

    /// # Errors
    /// `Length` outside 3..=150 characters, `Character` for anything outside the allowed set.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        if !raw.chars().all(Self::allowed) {
            return Err(UsernameError::Character);
        }
        // Only ASCII is left, so bytes and characters agree.
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len()) {
            return Err(UsernameError::Length);
        }
        Ok(Self(raw.to_owned()))
    }

    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two usernames are compared in: `Alice` and `alice` are the same user.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least 8 characters long")]
    TooShort,
    #[error("password must be at most 128 characters long")]
    TooLong,
}

/// A plaintext password that satisfies the length rule, in Unicode normalization form NFKC
/// (NIST SP 800-63B): "é" typed as one character or as "e" and a combining accent is the same
/// password. Its `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// # Errors
    /// `TooShort` below 8 characters, `TooLong` above 128 (counted in Unicode scalar values,
    /// after normalization).
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let normalized = Self::normalize(raw);
        let chars = normalized.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(normalized))
        }
    }

    /// `typed` in NFKC, the form passwords are hashed and checked in.
    pub fn normalize(typed: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        typed.nfkc().collect()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn passwords_are_kept_in_nfkc_whatever_form_they_were_typed_in() {
        let composed = "caf\u{e9}-p\u{e2}t\u{e9}"; // é and â as single characters
        let decomposed = "cafe\u{301}-pa\u{302}te\u{301}"; // letters plus combining accents
        assert_ne!(composed, decomposed);
        let a = Password::parse(composed).expect("valid");
        let b = Password::parse(decomposed).expect("valid");
        assert_eq!(a, b);
        assert_eq!(a.expose(), composed);
        // Compatibility forms fold too: a full-width "Ａ" is an "A".
        assert_eq!(Password::normalize("\u{ff21}bcdefgh"), "Abcdefgh");
    }

    #[test]
    fn username_accepts_letters_digits_and_the_five_symbols() {
        assert!(Username::parse("al_ice.b@x+y-z9").is_ok());
    }

    #[test]
    fn username_must_be_three_to_one_hundred_fifty_characters() {
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(150)).is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(151)),
            Err(UsernameError::Length)
        );
    }

    #[test]
    fn username_rejects_spaces_and_non_ascii() {
        assert_eq!(Username::parse("al ice"), Err(UsernameError::Character));
        assert_eq!(Username::parse("élodie"), Err(UsernameError::Character));
        assert_eq!(Username::parse("a/b/c"), Err(UsernameError::Character));
    }

    #[test]
    fn username_uniqueness_ignores_case() {
        let a = Username::parse("Alice").expect("valid");
        let b = Username::parse("aLICE").expect("valid");
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.as_str(), "Alice", "display keeps the case as typed");
    }

    #[test]
    fn password_must_be_eight_to_one_hundred_twenty_eight_characters() {
        assert_eq!(Password::parse("1234567"), Err(PasswordError::TooShort));
        assert!(Password::parse("12345678").is_ok());
        assert!(
            Password::parse(&"é".repeat(128)).is_ok(),
            "counted in characters"
        );
        assert_eq!(
            Password::parse(&"x".repeat(129)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn password_debug_does_not_leak_the_secret() {
        let p = Password::parse("hunter2hunter2").expect("valid");
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn roles_are_user_and_admin() {
        assert_eq!(Role::parse("user"), Some(Role::User));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::Admin.as_str(), "admin");
    }

    proptest! {
        #[test]
        fn username_parse_accepts_exactly_the_documented_language(s in "[ -~é]{0,160}") {
            let expected = (3..=150).contains(&s.len())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.@+-".contains(c));
            prop_assert_eq!(Username::parse(&s).is_ok(), expected);
        }
    }
}

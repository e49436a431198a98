//! Redemption codes: each claim's own code, the one a shop redeems.
//!
//! Eighty random bits written as sixteen Crockford base32 characters in groups of four
//! (`K7QM-3XPA-9TRD-W2HF`). The alphabet has no `I`, `L`, `O` or `U`, so a code read aloud or
//! typed from paper survives: parsing ignores case, spaces and dashes, and reads `O` as zero and
//! `I` or `L` as one. The randomness comes from the caller; this module only spells it.

use thiserror::Error;

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters per code: 16 × 5 bits = 80 bits.
const LENGTH: usize = 16;

/// Characters per group between dashes.
const GROUP: usize = 4;

/// Random bytes a code is made from.
pub const REDEMPTION_CODE_BYTES: usize = 10;

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("a redemption code is 16 letters and digits, for example K7QM-3XPA-9TRD-W2HF")]
pub struct RedemptionCodeError;

/// A claim's redemption code, always in its canonical spelling (upper case, grouped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedemptionCode(String);

impl RedemptionCode {
    /// Spells 80 random bits as a code.
    pub fn from_random(bytes: [u8; REDEMPTION_CODE_BYTES]) -> Self {
        let bits = bytes
            .iter()
            .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        let digits = (0..LENGTH).rev().map(|i| {
            let index = ((bits >> (i * 5)) & 31) as usize;
            ALPHABET[index]
        });
        Self(grouped(digits))
    }

    /// Reads a code as a person typed it.
    ///
    /// # Errors
    /// When it is not 16 characters of the alphabet once spaces and dashes are dropped.
    pub fn parse(typed: &str) -> Result<Self, RedemptionCodeError> {
        let mut digits = Vec::with_capacity(LENGTH);
        for c in typed.chars() {
            if c == '-' || c == ' ' {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || digits.len() == LENGTH {
                return Err(RedemptionCodeError);
            }
            digits.push(c as u8);
        }
        if digits.len() != LENGTH {
            return Err(RedemptionCodeError);
        }
        Ok(Self(grouped(digits.into_iter())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn grouped(digits: impl Iterator<Item = u8>) -> String {
    let mut code = String::with_capacity(LENGTH + LENGTH / GROUP - 1);
    for (i, d) in digits.enumerate() {
        if i > 0 && i % GROUP == 0 {
            code.push('-');
        }
        code.push(char::from(d));
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_eighty_bits_in_four_groups() {
        let zero = RedemptionCode::from_random([0; 10]);
        assert_eq!(zero.as_str(), "0000-0000-0000-0000");
        let ones = RedemptionCode::from_random([0xff; 10]);
        assert_eq!(ones.as_str(), "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        let one = RedemptionCode::from_random([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(one.as_str(), "0000-0000-0000-0001");
        let top = RedemptionCode::from_random([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            top.as_str(),
            "G000-0000-0000-0000",
            "the first bit is not lost"
        );
    }

    #[test]
    fn different_bits_give_different_codes() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..=255u8 {
            for j in [0u8, 7, 128] {
                let code = RedemptionCode::from_random([i, 0, 0, 0, j, 0, 0, 0, 0, i]);
                assert!(seen.insert(code));
            }
        }
    }

    #[test]
    fn reads_what_people_type() {
        let code = RedemptionCode::parse("K7QM-3XPA-9TRD-W2HF").expect("canonical");
        assert_eq!(code.as_str(), "K7QM-3XPA-9TRD-W2HF");
        for typed in [
            "k7qm3xpa9trdw2hf",
            " K7QM 3XPA 9TRD W2HF ",
            "k7qm-3xpa-9trd-w2hf",
        ] {
            assert_eq!(RedemptionCode::parse(typed), Ok(code.clone()), "{typed}");
        }
        assert_eq!(
            RedemptionCode::parse("O0IL-0000-0000-0000").map(|c| c.0),
            Ok("0011-0000-0000-0000".into())
        );
    }

    #[test]
    fn refuses_what_is_not_a_code() {
        for typed in [
            "",
            "K7QM-3XPA-9TRD",
            "K7QM-3XPA-9TRD-W2HF-0",
            "K7QM-3XPA-9TRD-W2HU",
            "K7QM-3XPA-9TRD-W2H\0",
            "K7QM-3XPA-9TRD-W2Hé",
            "DUNE-2026",
        ] {
            assert_eq!(
                RedemptionCode::parse(typed),
                Err(RedemptionCodeError),
                "{typed:?}"
            );
        }
    }
}

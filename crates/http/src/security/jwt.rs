//! HS256 access tokens.

use domain::{User, UserId};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ports::{IssuedToken, TokenClaims, TokenError, Tokens};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    /// The user's session version when the token was issued.
    ver: i64,
    jti: String,
    iat: i64,
    exp: i64,
}

/// A device token: which account the browser logged in to, and the browser's own id.
#[derive(Debug, Serialize, Deserialize)]
struct DeviceClaims {
    acc: String,
    dev: String,
    exp: i64,
}

/// How long a browser stays trusted after its last successful log-in to the account.
pub const DEVICE_TRUST: Duration = Duration::days(180);

pub struct JwtTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    device_encoding: EncodingKey,
    device_decoding: DecodingKey,
    device_validation: Validation,
    ttl: Duration,
    verified: Mutex<HashMap<Box<str>, TokenClaims>>,
}

/// Tokens whose signature this process has checked, so a client's next requests skip the HMAC,
/// the base64 and the JSON. Keyed by the exact token text, so only an identical token hits;
/// expiry is still checked on every use, and revocation is never cached here. Past the bound
/// the map starts afresh.
const MAX_VERIFIED: usize = 50_000;

impl std::fmt::Debug for JwtTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtTokens")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtTokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock below, to the second, with no leeway.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "sub"].iter().map(|s| (*s).to_owned()).collect();
        let mut device_validation = Validation::new(Algorithm::HS256);
        device_validation.validate_exp = false;
        device_validation.required_spec_claims = ["exp".to_owned()].into_iter().collect();
        // A key of their own: a device token can never verify as an access token, or back.
        let device_secret = [b"device-token:".as_slice(), secret].concat();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            device_encoding: EncodingKey::from_secret(&device_secret),
            device_decoding: DecodingKey::from_secret(&device_secret),
            device_validation,
            ttl,
            verified: Mutex::default(),
        }
    }

    fn check_signature(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let c = data.claims;
        let user_id = c.sub.parse::<i64>().map_err(|_| TokenError::Invalid)?;
        let at = |secs| OffsetDateTime::from_unix_timestamp(secs).map_err(|_| TokenError::Invalid);
        Ok(TokenClaims {
            user_id: UserId(user_id),
            session_version: c.ver,
            token_id: c.jti,
            issued_at: at(c.iat)?,
            expires_at: at(c.exp)?,
        })
    }
}

impl Tokens for JwtTokens {
    fn issue(&self, user: &User, now: OffsetDateTime) -> Result<IssuedToken, TokenError> {
        let issued_at = now.replace_nanosecond(0).unwrap_or(now);
        let expires_at = issued_at + self.ttl;
        let claims = Claims {
            sub: user.id.0.to_string(),
            ver: user.session_version,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: issued_at.unix_timestamp(),
            exp: expires_at.unix_timestamp(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Issue(e.to_string()))?;
        Ok(IssuedToken {
            token,
            claims: TokenClaims {
                user_id: user.id,
                session_version: user.session_version,
                token_id: claims.jti,
                issued_at,
                expires_at,
            },
        })
    }

    fn verify(&self, token: &str, now: OffsetDateTime) -> Result<TokenClaims, TokenError> {
        let known = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned();
        let claims = match known {
            Some(claims) => claims,
            None => {
                let claims = self.check_signature(token)?;
                let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
                if verified.len() >= MAX_VERIFIED {
                    verified.clear();
                }
                verified.insert(token.into(), claims.clone());
                claims
            }
        };
        if now >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn issue_device(&self, account: &str, now: OffsetDateTime) -> Result<String, TokenError> {
        let claims = DeviceClaims {
            acc: account.to_owned(),
            dev: uuid::Uuid::new_v4().simple().to_string(),
            exp: (now + DEVICE_TRUST).unix_timestamp(),
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.device_encoding,
        )
        .map_err(|e| TokenError::Issue(e.to_string()))
    }

    fn verify_device(&self, token: &str, account: &str, now: OffsetDateTime) -> Option<String> {
        let claims = decode::<DeviceClaims>(token, &self.device_decoding, &self.device_validation)
            .ok()?
            .claims;
        (claims.acc == account && now.unix_timestamp() < claims.exp).then_some(claims.dev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Role, Username};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 09:30 UTC);

    fn user() -> User {
        User {
            id: UserId(42),
            username: Username::parse("alice").expect("valid"),
            role: Role::User,
            created_at: NOW,
            session_version: 3,
        }
    }

    #[test]
    fn issued_tokens_verify_and_carry_user_version_and_unique_id() {
        let tokens = JwtTokens::new(b"secret", Duration::HOUR);
        let a = tokens.issue(&user(), NOW).expect("issued");
        let b = tokens.issue(&user(), NOW).expect("issued");
        assert_ne!(a.claims.token_id, b.claims.token_id);
        let claims = tokens.verify(&a.token, NOW).expect("valid");
        assert_eq!(claims, a.claims);
        assert_eq!(claims.session_version, 3);
        assert_eq!(claims.expires_at, NOW + Duration::HOUR);
    }

    #[test]
    fn tokens_expire_exactly_at_their_expiry() {
        let tokens = JwtTokens::new(b"secret", Duration::HOUR);
        let t = tokens.issue(&user(), NOW).expect("issued");
        assert!(tokens.verify(&t.token, NOW + Duration::minutes(59)).is_ok());
        assert_eq!(
            tokens.verify(&t.token, NOW + Duration::HOUR),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tokens_signed_with_another_secret_or_mangled_are_invalid() {
        let t = JwtTokens::new(b"secret", Duration::HOUR)
            .issue(&user(), NOW)
            .expect("issued");
        let other = JwtTokens::new(b"other", Duration::HOUR);
        assert_eq!(other.verify(&t.token, NOW), Err(TokenError::Invalid));
        assert_eq!(other.verify("garbage", NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn device_tokens_name_their_account_expire_and_never_pass_as_access_tokens() {
        let tokens = JwtTokens::new(b"secret", Duration::HOUR);
        let device = tokens.issue_device("alice", NOW).expect("issued");
        let id = tokens
            .verify_device(&device, "alice", NOW)
            .expect("trusted");
        assert_eq!(id.len(), 32);
        assert_eq!(tokens.verify_device(&device, "bob", NOW), None);
        assert_eq!(
            tokens.verify_device(&device, "alice", NOW + DEVICE_TRUST),
            None
        );
        assert_eq!(tokens.verify(&device, NOW), Err(TokenError::Invalid));
        let access = tokens.issue(&user(), NOW).expect("issued");
        assert_eq!(tokens.verify_device(&access.token, "alice", NOW), None);
        let other = JwtTokens::new(b"other", Duration::HOUR);
        assert_eq!(other.verify_device(&device, "alice", NOW), None);
    }
}

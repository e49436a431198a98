//! Adapters for the password-hashing and token ports.

mod jwt;
mod password;

pub use jwt::JwtTokens;
pub use password::Argon2Hasher;

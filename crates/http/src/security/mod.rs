//! Adapters for the password-hashing and token ports.

pub mod jwt;
mod password;

pub use jwt::JwtTokens;
pub use password::Argon2Hasher;

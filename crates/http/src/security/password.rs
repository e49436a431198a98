//! argon2id password hashing, kept off the async workers.
//!
//! Hashing is deliberately slow (~25 ms of CPU), so it runs on the blocking pool, and a
//! semaphore sized to the core count keeps a login storm from starving request handling of CPU.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::Argon2;
use async_trait::async_trait;
use domain::Password;
use ports::{BackendError, PasswordHasher};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random secret, checked for unknown users so they cost the same time.
    dummy_hash: Arc<str>,
}

impl Argon2Hasher {
    /// # Errors
    /// When the dummy hash cannot be computed (never with the default parameters).
    pub fn new() -> Result<Self, BackendError> {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy = uuid::Uuid::new_v4().to_string();
        let dummy_hash = hash_blocking(&dummy)?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(parallel)),
            dummy_hash: dummy_hash.into(),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, BackendError> {
        let _permit = self.permits.acquire().await.map_err(BackendError::new)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(BackendError::new)
    }
}

fn hash_blocking(password: &str) -> Result<String, BackendError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| BackendError::msg(format!("argon2 hashing failed: {e}")))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match argon2::password_hash::phc::PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String, BackendError> {
        let password = password.expose().to_owned();
        self.run(move || hash_blocking(&password)).await?
    }

    async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, BackendError> {
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let hasher = Argon2Hasher::new().expect("hasher");
        let password = Password::parse("correct horse").expect("valid");
        let hash = hasher.hash(&password).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher
            .verify("correct horse", Some(hash.clone()))
            .await
            .expect("ok"));
        assert!(!hasher.verify("wrong horse", Some(hash)).await.expect("ok"));
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = Argon2Hasher::new().expect("hasher");
        assert!(!hasher.verify("anything", None).await.expect("ok"));
        assert!(!hasher
            .verify("anything", Some("not a hash".into()))
            .await
            .expect("ok"));
    }
}

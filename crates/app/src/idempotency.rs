//! Idempotency keys on the user-facing creates, with the semantics payment APIs made standard:
//! the same key and the same request from the same user within 24 hours gets the first answer
//! again, without the work being done twice; the same key with another request is refused; a
//! retry while the first is still running is told so.

use crate::error::{AppError, Conflict, Invalid};
use domain::UserId;
use ports::{Clock, IdempotencyKeys, KeyAges, KeyStart};
use std::sync::Arc;
use time::Duration;

/// How long an answer is replayed.
pub const REPLAY_FOR: Duration = Duration::hours(24);

/// How long an unanswered key stays taken. A request that outlives this has died with its
/// process (requests are bounded far below it), so its key is free again.
pub const IN_FLIGHT_FOR: Duration = Duration::seconds(60);

/// The `Idempotency-Key` header as sent: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// # Errors
    /// `Invalid::IdempotencyKey` for an empty, too long or non-printable key.
    pub fn parse(raw: &[u8]) -> Result<Self, AppError> {
        let visible = |b: &u8| (0x21..=0x7e).contains(b);
        if raw.is_empty() || raw.len() > 255 || !raw.iter().all(visible) {
            return Err(Invalid::IdempotencyKey.into());
        }
        Ok(Self(String::from_utf8_lossy(raw).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored answer, replayed as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

/// What a keyed request does, once its key is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// The work, under this key.
    Fresh,
    /// Nothing: this answer is given again.
    Replay(StoredAnswer),
    /// Nothing: the work committed and made record `resource_id`, but its answer was never
    /// stored (its process died, or is storing it now). The record is the answer.
    Done { resource_id: i64 },
}

#[derive(Clone)]
pub struct IdempotencyService {
    keys: Arc<dyn IdempotencyKeys>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for IdempotencyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyService").finish_non_exhaustive()
    }
}

impl IdempotencyService {
    pub fn new(keys: Arc<dyn IdempotencyKeys>, clock: Arc<dyn Clock>) -> Self {
        Self { keys, clock }
    }

    /// Takes `key` for this request, or says what to answer instead.
    ///
    /// # Errors
    /// `Invalid::IdempotencyKeyReused` when the key belonged to another request,
    /// `Conflict::IdempotencyKeyInProgress` while its first request runs.
    pub async fn begin(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Begun, AppError> {
        let now = self.clock.now();
        let ages = KeyAges {
            answered_before: now - REPLAY_FOR,
            in_flight_before: now - IN_FLIGHT_FOR,
        };
        match self
            .keys
            .start(user, key.as_str(), fingerprint, now, ages)
            .await?
        {
            KeyStart::Started => Ok(Begun::Fresh),
            KeyStart::Replay { status, body } => {
                metrics::counter!("idempotent_replays_total").increment(1);
                Ok(Begun::Replay(StoredAnswer { status, body }))
            }
            KeyStart::Done { resource_id } => {
                metrics::counter!("idempotent_replays_total").increment(1);
                Ok(Begun::Done { resource_id })
            }
            KeyStart::Reused => Err(Invalid::IdempotencyKeyReused.into()),
            KeyStart::InFlight => Err(Conflict::IdempotencyKeyInProgress.into()),
        }
    }

    /// Stores the answer given under `key`. A failure is logged: the work is done and the
    /// client has its answer; a retry would find the key in flight until it expires.
    pub async fn finish(&self, user: UserId, key: &IdempotencyKey, answer: &StoredAnswer) {
        if let Err(e) = self
            .keys
            .finish(user, key.as_str(), answer.status, &answer.body)
            .await
        {
            tracing::warn!(error = %e, "could not store an idempotent answer");
        }
    }

    /// Frees `key` after an answer not worth replaying (busy, unavailable): a retry does the
    /// work.
    pub async fn abandon(&self, user: UserId, key: &IdempotencyKey) {
        if let Err(e) = self.keys.abandon(user, key.as_str()).await {
            tracing::warn!(error = %e, "could not free an idempotency key");
        }
    }

    /// Deletes answers past their replay time; returns how many.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        Ok(self.keys.purge(self.clock.now() - REPLAY_FOR).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse(b"order-42_a.b:c").is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        for bad in [
            &b""[..],
            &[b'k'; 256],
            b"has space",
            b"nul\0",
            "é".as_bytes(),
        ] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}

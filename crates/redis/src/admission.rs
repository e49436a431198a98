//! The voucher admission gate: a per-voucher count of units left and the set of users who
//! claimed, so that a sold-out voucher or a repeat claimer is answered without the database.
//!
//! The count is a hint seeded from the database's `remaining` and corrected from every database
//! answer; the database's guarded update is what prevents over-issue. The count lives for
//! `COUNT_TTL` and is then re-seeded, so any drift (a process that died between taking a unit
//! and settling the claim, a lost write) heals by itself. If Redis restarts or loses the keys,
//! the gate answers "unknown" and claims go to the database until it is re-seeded: slower for a
//! moment, never wrong.

use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use domain::voucher::VoucherId;
use domain::UserId;
use ports::{Admission, AdmissionGate, BackendError};
use std::sync::LazyLock;

/// How long a seeded count is trusted before it is re-read from the database.
const COUNT_TTL_MS: u64 = 60_000;
/// How long the set of claimers is kept after the last claim.
const CLAIMERS_TTL_MS: u64 = 24 * 3_600_000;

/// Takes a unit and counts the user as a claimer at once, so a second press of theirs while
/// the first is still in flight is `already_claimed` instead of holding a second unit.
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"if redis.call("SISMEMBER", KEYS[2], ARGV[1]) == 1 then return 2 end
           local left = redis.call("GET", KEYS[1])
           if not left then return 3 end
           if tonumber(left) > 0 then
               redis.call("DECR", KEYS[1])
               redis.call("SADD", KEYS[2], ARGV[1])
               redis.call("PEXPIRE", KEYS[2], ARGV[2])
               return 1
           end
           return 0"#,
    )
});

/// Undoes an admission the database refused: the user is no claimer after all, and the unit
/// goes back, but only to a count that still exists (never resurrects an expired one).
static GIVE_BACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"redis.call("SREM", KEYS[2], ARGV[1])
           if redis.call("EXISTS", KEYS[1]) == 1 then return redis.call("INCR", KEYS[1]) end
           return -1"#,
    )
});

#[derive(Debug, Clone)]
pub struct RedisAdmission {
    backend: RedisBackend,
}

impl RedisAdmission {
    pub fn new(backend: RedisBackend) -> Self {
        Self { backend }
    }

    fn count_key(&self, v: VoucherId) -> String {
        self.backend.key(&format!("voucher:{v}:left"))
    }

    fn claimers_key(&self, v: VoucherId) -> String {
        self.backend.key(&format!("voucher:{v}:claimers"))
    }

    async fn run(&self, cmd: &mut redis::Cmd) -> Result<(), BackendError> {
        let mut conn = self.backend.conn().await?;
        let _: redis::Value = cmd
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}

#[async_trait]
impl AdmissionGate for RedisAdmission {
    async fn admit(&self, voucher: VoucherId, user: UserId) -> Result<Admission, BackendError> {
        let mut conn = self.backend.conn().await?;
        let answer: i64 = ADMIT
            .key(self.count_key(voucher))
            .key(self.claimers_key(voucher))
            .arg(user.0)
            .arg(CLAIMERS_TTL_MS)
            .invoke_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(match answer {
            1 => Admission::Admitted,
            2 => Admission::AlreadyClaimed,
            0 => Admission::SoldOut,
            _ => Admission::Unknown,
        })
    }

    async fn seed(&self, voucher: VoucherId, remaining: u32) -> Result<(), BackendError> {
        self.run(
            redis::cmd("SET")
                .arg(self.count_key(voucher))
                .arg(remaining)
                .arg("NX")
                .arg("PX")
                .arg(COUNT_TTL_MS),
        )
        .await
    }

    async fn claimed(&self, voucher: VoucherId, user: UserId) -> Result<(), BackendError> {
        let key = self.claimers_key(voucher);
        let mut conn = self.backend.conn().await?;
        let _: (i64, i64) = redis::pipe()
            .cmd("SADD")
            .arg(&key)
            .arg(user.0)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(CLAIMERS_TTL_MS)
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }

    async fn give_back(&self, voucher: VoucherId, user: UserId) -> Result<(), BackendError> {
        let mut conn = self.backend.conn().await?;
        let _: i64 = GIVE_BACK
            .key(self.count_key(voucher))
            .key(self.claimers_key(voucher))
            .arg(user.0)
            .invoke_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }

    async fn sold_out(&self, voucher: VoucherId) -> Result<(), BackendError> {
        self.run(
            redis::cmd("SET")
                .arg(self.count_key(voucher))
                .arg(0)
                .arg("PX")
                .arg(COUNT_TTL_MS),
        )
        .await
    }

    async fn forget(&self, voucher: VoucherId) -> Result<(), BackendError> {
        self.run(redis::cmd("DEL").arg(self.count_key(voucher)))
            .await
    }
}

//! The shared cache on Redis: one key per user's session state, one tag per date of seat
//! counters, and one epoch tag that retags every date at once. Availability reads fetch the
//! session, the date's tag and the epoch in one `MGET` (a script creates a tag when one is
//! missing); every other authenticated request is one `GET`.

use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use domain::{Role, SessionState, UserId};
use ports::{BackendError, CachedView, DayTag, SharedCache};
use std::sync::LazyLock;
use time::Date;

/// Unused session states leave Redis after this long and are rebuilt from the database on the
/// next request. It also bounds the one case a push cannot cover (a write lost while Redis was
/// unreachable but kept its data).
const SESSION_TTL_MS: u64 = 10 * 60_000;
/// Date tags are recreated when missing, so they need not outlive the busy days of a date.
const DAY_TAG_TTL_MS: u64 = 2 * 24 * 3_600_000;

/// Stores a session state unless the stored one has the same or a higher version.
static KEEP_NEWEST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"local current = redis.call("GET", KEYS[1])
           if current then
               local v = tonumber(string.match(current, "^(%-?%d+)|"))
               if v and v >= tonumber(ARGV[1]) then return 0 end
           end
           redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
           return 1"#,
    )
});

/// Reads a session state together with a date's tag and the epoch tag, creating either tag
/// (with the caller's fresh random value) when it is missing, so a reader always gets a tag
/// that the next change will replace.
static VIEW_WITH_DAY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"local session = redis.call("GET", KEYS[1])
           local day = redis.call("GET", KEYS[2])
           if not day then
               day = ARGV[1]
               redis.call("SET", KEYS[2], day, "PX", ARGV[2])
           end
           local epoch = redis.call("GET", KEYS[3])
           if not epoch then
               epoch = ARGV[1]
               redis.call("SET", KEYS[3], epoch)
           end
           return {session, day, epoch}"#,
    )
});

#[derive(Debug, Clone)]
pub struct RedisCache {
    backend: RedisBackend,
}

impl RedisCache {
    pub fn new(backend: RedisBackend) -> Self {
        Self { backend }
    }

    fn session_key(&self, user: UserId) -> String {
        self.backend.key(&format!("session:{user}"))
    }

    fn day_key(&self, day: Date) -> String {
        self.backend.key(&format!("day:{day}"))
    }

    fn epoch_key(&self) -> String {
        self.backend.key("day-epoch")
    }
}

/// `version|role|session_version|deleted|token,token`: token ids are hex, so neither `|` nor
/// `,` can occur inside a field.
fn encode(state: &SessionState) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        state.version,
        state.role.as_str(),
        state.session_version,
        u8::from(state.deleted),
        state.revoked.join(",")
    )
}

fn decode(user_id: UserId, raw: &str) -> Option<SessionState> {
    let mut fields = raw.splitn(5, '|');
    let version = fields.next()?.parse().ok()?;
    let role = Role::parse(fields.next()?)?;
    let session_version = fields.next()?.parse().ok()?;
    let deleted = match fields.next()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let revoked = fields
        .next()?
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    Some(SessionState {
        user_id,
        version,
        role,
        session_version,
        deleted,
        revoked,
    })
}

fn tag(day: Option<String>, epoch: Option<String>) -> Option<DayTag> {
    Some(DayTag(day?.parse().ok()?, epoch?.parse().ok()?))
}

#[async_trait]
impl SharedCache for RedisCache {
    async fn view(&self, user: UserId, day: Option<Date>) -> Result<CachedView, BackendError> {
        let mut conn = self.backend.conn().await?;
        let Some(day) = day else {
            let raw: Option<String> = redis::cmd("GET")
                .arg(self.session_key(user))
                .query_async(&mut conn)
                .await
                .map_err(BackendError::new)?;
            return Ok(CachedView {
                // An entry that does not parse is treated as missing and rebuilt.
                session: raw.and_then(|r| decode(user, &r)),
                day: None,
            });
        };
        let keys = [self.session_key(user), self.day_key(day), self.epoch_key()];
        // Both tags exist nearly always. A plain MGET costs Redis half of the script's time or
        // less (measured with pipelined calls), so the script runs only to create a tag.
        let (mut raw, mut day_tag, mut epoch): (Option<String>, Option<String>, Option<String>) =
            redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .map_err(BackendError::new)?;
        if day_tag.is_none() || epoch.is_none() {
            (raw, day_tag, epoch) = VIEW_WITH_DAY
                .key(&keys[0])
                .key(&keys[1])
                .key(&keys[2])
                .arg(rand::random::<u64>())
                .arg(DAY_TAG_TTL_MS)
                .invoke_async(&mut conn)
                .await
                .map_err(BackendError::new)?;
        }
        Ok(CachedView {
            session: raw.and_then(|r| decode(user, &r)),
            day: tag(day_tag, epoch),
        })
    }

    async fn keep_session(&self, state: &SessionState) -> Result<(), BackendError> {
        let mut conn = self.backend.conn().await?;
        let _: i64 = KEEP_NEWEST
            .key(self.session_key(state.user_id))
            .arg(state.version)
            .arg(encode(state))
            .arg(SESSION_TTL_MS)
            .invoke_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }

    async fn days_changed(&self, days: &[Date]) -> Result<(), BackendError> {
        if days.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for day in days {
            pipe.cmd("SET")
                .arg(self.day_key(*day))
                .arg(rand::random::<u64>())
                .arg("PX")
                .arg(DAY_TAG_TTL_MS)
                .ignore();
        }
        let mut conn = self.backend.conn().await?;
        let () = pipe
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }

    async fn all_days_changed(&self) -> Result<(), BackendError> {
        let mut conn = self.backend.conn().await?;
        let () = redis::cmd("SET")
            .arg(self.epoch_key())
            .arg(rand::random::<u64>())
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_states_survive_the_round_trip_through_text() {
        let state = SessionState {
            user_id: UserId(9),
            version: 12,
            role: Role::Admin,
            session_version: 2,
            deleted: false,
            revoked: vec!["a1".into(), "b2".into()],
        };
        assert_eq!(decode(UserId(9), &encode(&state)), Some(state.clone()));
        let none_revoked = SessionState {
            revoked: vec![],
            deleted: true,
            ..state
        };
        assert_eq!(
            decode(UserId(9), &encode(&none_revoked)),
            Some(none_revoked)
        );
    }

    #[test]
    fn garbage_is_not_a_session() {
        assert_eq!(decode(UserId(1), "x|admin|0|0|"), None);
        assert_eq!(decode(UserId(1), "1|root|0|0|"), None);
        assert_eq!(decode(UserId(1), "1|user|0|2|"), None);
    }
}

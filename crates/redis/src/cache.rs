//! The shared cache on Redis: one key per user's session state, one tag per date of seat
//! counters, and one epoch tag that retags every date at once. A view (every authenticated
//! request) reads its session, and for availability the date's tag and the epoch, in the
//! thread's next batched `MGET` (see `batched`); a script creates a tag when one is missing.

use crate::batched::ReadMany;
use crate::RedisBackend;
use async_trait::async_trait;
use deadpool_redis::redis::{self, Script};
use domain::{Role, SessionState, UserId};
use ports::{BackendError, CachedView, DayTag, SharedCache};
use std::collections::HashMap;
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

/// What one session view asks of the thread's next batched read.
pub(crate) struct ViewAsk {
    user: UserId,
    day: Option<Date>,
}

/// A date's tag or the epoch, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    /// The key is not there: the view creates it.
    Missing,
    /// Not a number: the date cannot be vouched for, and is read from the database.
    Unreadable,
    Value(u64),
}

impl Tag {
    fn read(raw: Option<&str>) -> Self {
        match raw.map(str::parse) {
            None => Tag::Missing,
            Some(Ok(value)) => Tag::Value(value),
            Some(Err(_)) => Tag::Unreadable,
        }
    }
}

/// What the batched read saw for one view: the session, and the date's tag and the epoch when
/// a date was asked for.
pub(crate) struct ViewSeen {
    session: Option<SessionState>,
    tags: Option<(Tag, Tag)>,
}

/// One `MGET` for the views of a batch: each user's session and each date's tag once, and the
/// epoch once if any view asked for a date (most views of a batch share the date tags and the
/// epoch). MGET is one command, so every value comes from the same instant.
impl ReadMany<ViewAsk, ViewSeen> for RedisCache {
    async fn read_many(&self, asks: &[ViewAsk]) -> Result<Vec<ViewSeen>, BackendError> {
        let mut users: HashMap<UserId, usize> = HashMap::new();
        let mut days: HashMap<Date, usize> = HashMap::new();
        let mut mget = redis::cmd("MGET");
        let mut keys = 0;
        let mut place = |mget: &mut redis::Cmd, key: String| {
            mget.arg(key);
            keys += 1;
            keys - 1
        };
        let places: Vec<(usize, Option<usize>)> = asks
            .iter()
            .map(|ask| {
                let session = *users
                    .entry(ask.user)
                    .or_insert_with(|| place(&mut mget, self.session_key(ask.user)));
                let day = ask.day.map(|day| {
                    *days
                        .entry(day)
                        .or_insert_with(|| place(&mut mget, self.day_key(day)))
                });
                (session, day)
            })
            .collect();
        let epoch = (!days.is_empty()).then(|| place(&mut mget, self.epoch_key()));
        let mut conn = self.backend.conn().await?;
        let values: Vec<Option<String>> = mget
            .query_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        if values.len() != keys {
            return Err(BackendError::msg(format!(
                "MGET of {keys} keys answered {} values",
                values.len()
            )));
        }
        let tag = |at: usize| Tag::read(values[at].as_deref());
        Ok(asks
            .iter()
            .zip(places)
            .map(|(ask, (session, day))| ViewSeen {
                // An entry that does not parse is treated as missing and rebuilt.
                session: values[session].as_deref().and_then(|r| decode(ask.user, r)),
                tags: day.zip(epoch).map(|(day, epoch)| (tag(day), tag(epoch))),
            })
            .collect())
    }
}

impl RedisCache {
    /// Reads a view with the script that creates the date's tag or the epoch when missing.
    async fn view_creating_tags(
        &self,
        user: UserId,
        day: Date,
    ) -> Result<CachedView, BackendError> {
        let mut conn = self.backend.conn().await?;
        let (raw, day_tag, epoch): (Option<String>, Option<String>, Option<String>) = VIEW_WITH_DAY
            .key(self.session_key(user))
            .key(self.day_key(day))
            .key(self.epoch_key())
            .arg(rand::random::<u64>())
            .arg(DAY_TAG_TTL_MS)
            .invoke_async(&mut conn)
            .await
            .map_err(BackendError::new)?;
        let day = match (Tag::read(day_tag.as_deref()), Tag::read(epoch.as_deref())) {
            (Tag::Value(day), Tag::Value(epoch)) => Some(DayTag(day, epoch)),
            _ => None,
        };
        Ok(CachedView {
            session: raw.and_then(|r| decode(user, &r)),
            day,
        })
    }
}

#[async_trait]
impl SharedCache for RedisCache {
    async fn view(&self, user: UserId, day: Option<Date>) -> Result<CachedView, BackendError> {
        let seen = self
            .backend
            .views()
            .ask(ViewAsk { user, day }, self)
            .await?;
        let day = match (day, seen.tags) {
            (Some(day), Some((Tag::Missing, _) | (_, Tag::Missing))) => {
                return self.view_creating_tags(user, day).await;
            }
            (_, Some((Tag::Value(day), Tag::Value(epoch)))) => Some(DayTag(day, epoch)),
            _ => None,
        };
        Ok(CachedView {
            session: seen.session,
            day,
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

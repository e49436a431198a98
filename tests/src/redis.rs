//! A Redis key prefix of this test's own, its keys deleted when the test ends.

use adapter_redis::RedisBackend;
use deadpool_redis::redis;

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

#[derive(Debug)]
pub struct TestRedis {
    prefix: String,
    url: String,
}

impl TestRedis {
    pub async fn new() -> Self {
        TestRedis {
            prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
            url: redis_url(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A fresh backend (its own pool) on this test's prefix.
    pub fn backend(&self) -> RedisBackend {
        RedisBackend::connect(&self.url, 8, &self.prefix).expect("redis pool")
    }

    /// How many keys this test left under its prefix.
    pub async fn key_count(&self) -> usize {
        self.keys().await.len()
    }

    /// Deletes every key under this test's prefix, as a Redis restart without persistence or a
    /// `FLUSHALL` would.
    pub async fn flush_prefix(&self) {
        let keys = self.keys().await;
        if keys.is_empty() {
            return;
        }
        let mut conn = self.connection().await;
        let _: i64 = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }

    async fn keys(&self) -> Vec<String> {
        let mut conn = self.connection().await;
        redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query_async(&mut conn)
            .await
            .expect("KEYS")
    }

    async fn connection(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.url.as_str()).expect("redis url");
        client
            .get_multiplexed_async_connection()
            .await
            .expect("redis reachable")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let (url, pattern) = (self.url.clone(), format!("{}*", self.prefix));
        let cleanup = std::thread::spawn(move || {
            let Ok(client) = redis::Client::open(url.as_str()) else {
                return;
            };
            let Ok(mut conn) = client.get_connection() else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query(&mut conn)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(keys).query(&mut conn);
            }
        });
        let _ = cleanup.join();
    }
}

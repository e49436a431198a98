//! The production setup on PostgreSQL: the schema owner migrates and grants, and the server runs
//! as a plain role that can work normally but cannot rewrite, empty or alter the audit trail.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use integration_tests::app::{slot, StatusCode, TestApp};
use integration_tests::db::admin_url;
use integration_tests::Backend;

async fn exec(url: &str, sql: &str) -> Result<usize, String> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .map_err(|e| e.to_string())?;
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())
}

/// `url` with its user replaced by `role` (trust authentication on the test server).
fn as_role(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}@{host}")
}

/// A login role of this test's own, dropped (with its grants) at the end.
struct Role {
    name: String,
    db_url: String,
}

impl Drop for Role {
    fn drop(&mut self) {
        let (name, db_url) = (self.name.clone(), self.db_url.clone());
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let _ = exec(&db_url, &format!("DROP OWNED BY {name}")).await;
                let _ = exec(&admin_url(), &format!("DROP ROLE IF EXISTS {name}")).await;
            });
        });
        let _ = cleanup.join();
    }
}

#[actix_web::test]
async fn a_server_running_as_a_granted_role_works_and_cannot_touch_the_audit_trail() {
    let owner = TestApp::spawn(Backend::Server).await;
    let role = Role {
        name: format!("app_{}", uuid::Uuid::new_v4().simple()),
        db_url: owner.pg().url().to_owned(),
    };
    exec(&admin_url(), &format!("CREATE ROLE {} LOGIN", role.name))
        .await
        .expect("role created");
    let line = api_server::migrate(&owner.settings, Some(&role.name))
        .await
        .expect("migrate and grant");
    assert!(
        line.contains(&format!("granted the server's privileges to {}", role.name)),
        "{line}"
    );

    // A server started with the plain role's URL finds nothing to migrate and serves.
    let role_url = as_role(owner.pg().url(), &role.name);
    let mut settings = owner.settings.clone();
    settings.database.url = settings::Secret::new(role_url.clone());
    let app = owner.another_instance_with(settings).await;
    let (admin, _) = owner.admin().await;
    let (user, _) = app.user().await;
    let id = app.reserved(&user, &slot(10, 9), &slot(10, 10), 2).await;
    let r = app.confirm(&admin, id).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the role writes audit rows: {:?}",
        r.body
    );
    let trail = app
        .get(
            "/api/v1/admin/audit?action=reservation.confirmed",
            Some(&admin),
        )
        .await;
    assert_eq!(trail.body["total"], 1);

    // The role cannot change, remove, empty or alter the trail, nor disarm its triggers.
    for sql in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
        "ALTER TABLE audit_log ADD COLUMN forged TEXT",
    ] {
        let refused = exec(&role_url, sql).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("permission denied") || e.contains("must be owner")),
            "{sql}: {refused:?}"
        );
    }
    // Nor record migrations of its own.
    let refused = exec(
        &role_url,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('99999999999999')",
    )
    .await;
    assert!(refused.is_err_and(|e| e.contains("permission denied")));
    drop(app);
}

//! The diesel schema. Instants are BIGINT epoch seconds (see migrations/README.md).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        role -> Text,
        session_version -> BigInt,
        created_at -> BigInt,
        deleted_at -> Nullable<BigInt>,
        auth_version -> BigInt,
    }
}

diesel::table! {
    revoked_tokens (token_id) {
        token_id -> Text,
        user_id -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    exam_slots (starts_at) {
        starts_at -> BigInt,
        capacity -> Integer,
        confirmed -> Integer,
        booking_mode -> Text,
    }
}

diesel::table! {
    reservations (id) {
        id -> BigInt,
        user_id -> BigInt,
        starts_at -> BigInt,
        ends_at -> BigInt,
        seats -> Integer,
        status -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        booking_mode -> Text,
    }
}

diesel::table! {
    books (id) {
        id -> BigInt,
        title -> Text,
        author -> Nullable<Text>,
        cover_url -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    vouchers (id) {
        id -> BigInt,
        book_id -> BigInt,
        code -> Text,
        quantity -> Integer,
        remaining -> Integer,
        closed -> Bool,
        opens_at -> Nullable<BigInt>,
        closes_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    voucher_claims (id) {
        id -> BigInt,
        user_id -> BigInt,
        voucher_id -> BigInt,
        claimed_at -> BigInt,
        used_at -> Nullable<BigInt>,
        redemption_code -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target_kind -> Text,
        target_id -> BigInt,
        changes -> Text,
        client_addr -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> BigInt,
        resource_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> BigInt,
        #[sql_name = "type"]
        kind -> Text,
        at -> BigInt,
        user_id -> Nullable<BigInt>,
        payload -> Text,
        dispatched -> Bool,
    }
}

diesel::joinable!(reservations -> users (user_id));
diesel::joinable!(revoked_tokens -> users (user_id));
diesel::joinable!(vouchers -> books (book_id));
diesel::joinable!(voucher_claims -> vouchers (voucher_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    revoked_tokens,
    exam_slots,
    reservations,
    books,
    vouchers,
    voucher_claims,
    audit_log,
    idempotency_keys,
    outbox_events
);

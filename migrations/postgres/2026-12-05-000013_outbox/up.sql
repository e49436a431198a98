-- The transactional outbox: every change someone may want to hear about (webhooks, live pages)
-- leaves one row here, written by a trigger in the transaction of the change itself. A change
-- that rolls back leaves no row; a committed one always has its row, whichever statement or
-- process made it. `payload` is the resource as the API shows it (JSON text); `user_id` is
-- its owner, whose own stream carries it. `dispatched` turns true once the row has been handed
-- to the webhook endpoints and the live streams. Rows are purged after a retention period.
CREATE TABLE outbox_events (
    id BIGSERIAL PRIMARY KEY,
    type TEXT NOT NULL,
    at BIGINT NOT NULL,
    user_id BIGINT,
    payload TEXT NOT NULL,
    dispatched BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX outbox_events_undispatched ON outbox_events (id) WHERE NOT dispatched;
CREATE INDEX outbox_events_at ON outbox_events (at);

-- The triggers run once per statement, over the statement's rows (transition tables), not once
-- per row: a batch of 200 creates writes its 200 events with one INSERT ... SELECT.

-- Epoch seconds as the API writes instants: RFC 3339 in UTC, whole seconds.
CREATE FUNCTION outbox_time(secs BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT replace((to_timestamp(secs) AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'
$$;

-- A reservation as GET /api/v1/reservations/{id} shows it (its place in a waitlist changes as
-- others leave the line, so it is read when needed rather than carried here).
CREATE FUNCTION outbox_reservation(r reservations) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', r.id, 'user_id', r.user_id,
        'starts_at', outbox_time(r.starts_at), 'ends_at', outbox_time(r.ends_at),
        'seats', r.seats, 'status', r.status, 'booking_mode', r.booking_mode,
        'created_at', outbox_time(r.created_at), 'updated_at', outbox_time(r.updated_at))::text
$$;

CREATE FUNCTION outbox_book(book_id BIGINT) RETURNS JSON LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', b.id, 'title', b.title, 'author', b.author,
                             'cover_url', b.cover_url)
    FROM books b WHERE b.id = book_id
$$;

-- A claim as its claimer reads it (GET /api/v1/users/me/vouchers).
CREATE FUNCTION outbox_claim(c voucher_claims) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', c.id, 'voucher_id', c.voucher_id, 'user_id', c.user_id,
                             'code', c.redemption_code, 'book', outbox_book(v.book_id),
                             'claimed_at', outbox_time(c.claimed_at),
                             'used_at', outbox_time(c.used_at))::text
    FROM vouchers v WHERE v.id = c.voucher_id
$$;

-- New reservations: created, and confirmed or waitlisted when first-come decided so at once.
CREATE FUNCTION reservations_created_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT k.type, r.updated_at, r.user_id, outbox_reservation(r)
    FROM inserted r
    CROSS JOIN LATERAL (VALUES
        (0, 'reservation.created'),
        (1, CASE r.status WHEN 'confirmed' THEN 'reservation.confirmed'
                          WHEN 'waitlisted' THEN 'reservation.waitlisted' END)) AS k(n, type)
    WHERE k.type IS NOT NULL
    ORDER BY r.id, k.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER reservations_created_outbox AFTER INSERT ON reservations
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION reservations_created_to_outbox();

-- Changed reservations: a new status (waitlisted to confirmed is a promotion), or new hours or
-- seats. Updates that change neither (a row locked by a no-op write) leave nothing.
CREATE FUNCTION reservations_changed_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT CASE
               WHEN n.status IS NOT DISTINCT FROM o.status THEN 'reservation.moved'
               WHEN n.status = 'confirmed' AND o.status = 'waitlisted' THEN 'reservation.promoted'
               ELSE 'reservation.' || n.status
           END,
           n.updated_at, n.user_id, outbox_reservation(n)
    FROM changed n JOIN previous o ON o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status
       OR (n.starts_at, n.ends_at, n.seats) IS DISTINCT FROM (o.starts_at, o.ends_at, o.seats)
    ORDER BY n.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER reservations_changed_outbox AFTER UPDATE ON reservations
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION reservations_changed_to_outbox();

CREATE FUNCTION claims_made_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'voucher.claimed', c.claimed_at, c.user_id, outbox_claim(c)
    FROM inserted c ORDER BY c.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER voucher_claims_made_outbox AFTER INSERT ON voucher_claims
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION claims_made_to_outbox();

CREATE FUNCTION claims_used_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'claim.redeemed', n.used_at, n.user_id, outbox_claim(n)
    FROM changed n JOIN previous o ON o.id = n.id
    WHERE o.used_at IS NULL AND n.used_at IS NOT NULL
    ORDER BY n.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER voucher_claims_used_outbox AFTER UPDATE ON voucher_claims
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION claims_used_to_outbox();

-- A voucher as GET /api/v1/events lists it, when its last unit goes.
CREATE FUNCTION vouchers_sold_out_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'voucher.sold_out', EXTRACT(EPOCH FROM now())::bigint, NULL,
           json_build_object('id', n.id, 'book', outbox_book(n.book_id),
                             'quantity', n.quantity, 'remaining', n.remaining,
                             'status', CASE WHEN n.closed THEN 'closed' ELSE 'sold_out' END,
                             'opens_at', outbox_time(n.opens_at),
                             'closes_at', outbox_time(n.closes_at))::text
    FROM changed n JOIN previous o ON o.id = n.id
    WHERE o.remaining > 0 AND n.remaining = 0
    ORDER BY n.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER vouchers_sold_out_outbox AFTER UPDATE ON vouchers
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION vouchers_sold_out_to_outbox();

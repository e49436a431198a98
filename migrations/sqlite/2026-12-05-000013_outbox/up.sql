-- The transactional outbox (see the PostgreSQL migration of the same name): one row per change
-- someone may want to hear about, written by a trigger in the change's own transaction.
CREATE TABLE outbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at BIGINT NOT NULL,
    user_id BIGINT,
    payload TEXT NOT NULL,
    dispatched BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX outbox_events_undispatched ON outbox_events (id) WHERE NOT dispatched;
CREATE INDEX outbox_events_at ON outbox_events (at);

-- The resources as the API shows them, once for every trigger below (SQLite has no stored
-- functions); instants as RFC 3339 in UTC.
CREATE VIEW outbox_reservations AS
SELECT r.id, json_object(
    'id', r.id, 'user_id', r.user_id,
    'starts_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.starts_at, 'unixepoch'),
    'ends_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.ends_at, 'unixepoch'),
    'seats', r.seats, 'status', r.status, 'booking_mode', r.booking_mode,
    'created_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.created_at, 'unixepoch'),
    'updated_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.updated_at, 'unixepoch')) AS payload
FROM reservations r;

CREATE VIEW outbox_claims AS
SELECT c.id, json_object(
    'id', c.id, 'voucher_id', c.voucher_id, 'user_id', c.user_id, 'code', c.redemption_code,
    'book', json_object('id', b.id, 'title', b.title, 'author', b.author, 'cover_url', b.cover_url),
    'claimed_at', strftime('%Y-%m-%dT%H:%M:%SZ', c.claimed_at, 'unixepoch'),
    'used_at', strftime('%Y-%m-%dT%H:%M:%SZ', c.used_at, 'unixepoch')) AS payload
FROM voucher_claims c JOIN vouchers v ON v.id = c.voucher_id JOIN books b ON b.id = v.book_id;

CREATE VIEW outbox_vouchers AS
SELECT v.id, json_object(
    'id', v.id,
    'book', json_object('id', b.id, 'title', b.title, 'author', b.author, 'cover_url', b.cover_url),
    'quantity', v.quantity, 'remaining', v.remaining,
    'status', CASE WHEN v.closed THEN 'closed' WHEN v.remaining = 0 THEN 'sold_out' ELSE 'active' END,
    'opens_at', strftime('%Y-%m-%dT%H:%M:%SZ', v.opens_at, 'unixepoch'),
    'closes_at', strftime('%Y-%m-%dT%H:%M:%SZ', v.closes_at, 'unixepoch')) AS payload
FROM vouchers v JOIN books b ON b.id = v.book_id;

CREATE TRIGGER reservations_outbox_created AFTER INSERT ON reservations BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT k.type, NEW.updated_at, NEW.user_id, o.payload
    FROM (SELECT 'reservation.created' AS type, 0 AS n
          UNION ALL SELECT 'reservation.confirmed', 1 WHERE NEW.status = 'confirmed'
          UNION ALL SELECT 'reservation.waitlisted', 1 WHERE NEW.status = 'waitlisted') k,
         outbox_reservations o
    WHERE o.id = NEW.id
    ORDER BY k.n;
END;

CREATE TRIGGER reservations_outbox_status AFTER UPDATE OF status ON reservations
WHEN NEW.status IS NOT OLD.status BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT CASE WHEN NEW.status = 'confirmed' AND OLD.status = 'waitlisted'
                THEN 'reservation.promoted' ELSE 'reservation.' || NEW.status END,
           NEW.updated_at, NEW.user_id, o.payload
    FROM outbox_reservations o WHERE o.id = NEW.id;
END;

CREATE TRIGGER reservations_outbox_moved AFTER UPDATE OF starts_at, ends_at, seats ON reservations
WHEN NEW.status IS OLD.status
 AND (NEW.starts_at IS NOT OLD.starts_at OR NEW.ends_at IS NOT OLD.ends_at
      OR NEW.seats IS NOT OLD.seats) BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'reservation.moved', NEW.updated_at, NEW.user_id, o.payload
    FROM outbox_reservations o WHERE o.id = NEW.id;
END;

CREATE TRIGGER voucher_claims_outbox_claimed AFTER INSERT ON voucher_claims BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'voucher.claimed', NEW.claimed_at, NEW.user_id, o.payload
    FROM outbox_claims o WHERE o.id = NEW.id;
END;

CREATE TRIGGER voucher_claims_outbox_redeemed AFTER UPDATE OF used_at ON voucher_claims
WHEN OLD.used_at IS NULL AND NEW.used_at IS NOT NULL BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'claim.redeemed', NEW.used_at, NEW.user_id, o.payload
    FROM outbox_claims o WHERE o.id = NEW.id;
END;

CREATE TRIGGER vouchers_outbox_sold_out AFTER UPDATE OF remaining ON vouchers
WHEN OLD.remaining > 0 AND NEW.remaining = 0 BEGIN
    INSERT INTO outbox_events (type, at, user_id, payload)
    SELECT 'voucher.sold_out', CAST(strftime('%s', 'now') AS INTEGER), NULL, o.payload
    FROM outbox_vouchers o WHERE o.id = NEW.id;
END;

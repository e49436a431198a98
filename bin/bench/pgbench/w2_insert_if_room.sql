-- W2's statement, as the api-server sends it: a pending reservation inserted only if every
-- covered slot exists with room. Spread over days 5..84 and the 24 hours, like the workload.
-- Variables from the command line: base (epoch of today's midnight, UTC), uid, now.
\set day random(5, 84)
\set hour random(0, 23)
\set seats random(1, 5)
\set start :base + :day * 86400 + :hour * 3600
INSERT INTO reservations (user_id, starts_at, ends_at, seats, status, created_at, updated_at)
SELECT :uid, :start, :start + 3600, :seats, 'pending', :now, :now
WHERE (SELECT COUNT(*) FROM exam_slots
       WHERE starts_at >= :start AND starts_at < :start + 3600 AND capacity - confirmed >= :seats) = 1
RETURNING id, user_id, starts_at, ends_at, seats, status, created_at, updated_at;

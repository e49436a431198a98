-- W3's whole statement, as the api-server sends it for a one-hour reservation: flip a pending
-- reservation, write its audit note, take its seats on the hot slot, all or nothing. Run over
-- pending reservations the bench inserts on the hot slot (ids first..last); a repeated id finds
-- its reservation confirmed already and changes nothing.
-- Variables from the command line: first, last, actor.
\set id random(:first, :last)
WITH flipped AS ( UPDATE reservations r SET status = 'confirmed', updated_at = 1000
  WHERE r.id = :id AND r.status = 'pending' AND r.starts_at > 1000
    AND (SELECT COUNT(*) FROM exam_slots s
         WHERE s.starts_at >= r.starts_at AND s.starts_at < r.ends_at
           AND s.confirmed + r.seats <= s.capacity) = (r.ends_at - r.starts_at) / 3600
  RETURNING r.id, r.user_id, r.starts_at, r.ends_at, r.seats, r.status, r.created_at, r.updated_at
), audited AS (
  INSERT INTO audit_log (at, actor_id, action, target_kind, target_id, changes)
  SELECT f.updated_at, :actor, 'reservation.confirmed', 'reservation', f.id,
         '{"status":{"before":"pending","after":"confirmed"}}'
  FROM flipped f RETURNING id
), locked AS (
  SELECT s.starts_at FROM exam_slots s JOIN flipped f
    ON s.starts_at >= f.starts_at AND s.starts_at < f.ends_at
  WHERE (SELECT COUNT(*) FROM audited) = 1 AND f.ends_at - f.starts_at > 3600
  ORDER BY s.starts_at FOR UPDATE OF s
), taken AS (
  UPDATE exam_slots s SET confirmed = s.confirmed + f.seats FROM flipped f
  WHERE s.starts_at >= f.starts_at AND s.starts_at < f.ends_at
    AND s.confirmed + f.seats <= s.capacity
    AND (SELECT COUNT(*) FROM audited) = 1 AND (SELECT COUNT(*) FROM locked) >= 0
  RETURNING s.starts_at
)
SELECT f.id, f.user_id, f.starts_at, f.ends_at, f.seats, f.status, f.created_at, f.updated_at,
       1 / (CASE WHEN (SELECT COUNT(*) FROM taken) = (f.ends_at - f.starts_at) / 3600
                 THEN 1 ELSE 0 END) AS every_slot_took_the_seats
FROM flipped f;

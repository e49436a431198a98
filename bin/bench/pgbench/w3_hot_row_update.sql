-- W3's core: the guarded counter update on one hot slot row, every client on the same row.
-- The row (starts_at = :hot) is made by the bench with a capacity that never runs out.
UPDATE exam_slots SET confirmed = confirmed + 1
WHERE starts_at = :hot AND confirmed + 1 <= capacity;

-- First-come booking. Each hourly slot books by approval (a request waits for an admin, as
-- before) or first-come (a request that fits takes its seats at once; one that does not may
-- wait, and freed seats go to the waiting ones in the order they joined). A reservation keeps
-- the mode it was made under; changing an hour's mode never changes an existing reservation.
ALTER TABLE exam_slots
    ADD COLUMN booking_mode TEXT NOT NULL DEFAULT 'approval'
    CHECK (booking_mode IN ('approval', 'first_come'));
ALTER TABLE reservations
    ADD COLUMN booking_mode TEXT NOT NULL DEFAULT 'approval'
    CHECK (booking_mode IN ('approval', 'first_come'));
-- Two more states: waiting for seats, and expired (still waiting when the window closed).
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('pending', 'confirmed', 'cancelled', 'waitlisted', 'expired'));
-- The waitlist of an hour in join order (ids grow with time), read on every release.
CREATE INDEX reservations_waiting ON reservations (starts_at, id) WHERE status = 'waitlisted';

DROP INDEX reservations_waiting;
DELETE FROM reservations WHERE status IN ('waitlisted', 'expired');
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('pending', 'confirmed', 'cancelled'));
ALTER TABLE reservations DROP COLUMN booking_mode;
ALTER TABLE exam_slots DROP COLUMN booking_mode;

ALTER TABLE reservations RESET (fillfactor);
CREATE INDEX reservations_status_newest ON reservations (status, created_at DESC, id DESC);

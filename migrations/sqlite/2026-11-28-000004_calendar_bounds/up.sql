-- Instants outside the service's calendar (the years 1970 to 9998, i.e. epoch seconds from 0 to
-- before 253370764800 = 9999-01-01) could be stored before the domain refused them, and a row
-- holding one could not be read back, taking every list that showed it down. Such a voucher window is dropped and the voucher closed: an admin reopens it
-- with a real window.
UPDATE vouchers
SET closed = 1, opens_at = NULL, closes_at = NULL
WHERE opens_at < 0 OR opens_at >= 253370764800
   OR closes_at < 0 OR closes_at >= 253370764800;

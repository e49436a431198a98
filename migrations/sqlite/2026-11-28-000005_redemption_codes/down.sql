ALTER TABLE voucher_claims DROP COLUMN redemption_code;

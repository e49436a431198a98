CREATE INDEX vouchers_live ON vouchers (id) WHERE NOT closed AND remaining > 0;

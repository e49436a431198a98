DROP TABLE voucher_claims;
DROP TABLE vouchers;
DROP TABLE books;

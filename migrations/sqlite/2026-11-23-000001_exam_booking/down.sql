DROP TABLE reservations;
DROP TABLE exam_slots;
DROP TABLE users;

-- The partial index `vouchers_live` named `remaining` in its predicate, so every claim's
-- decrement of the drop's one hot row had to write a new entry into every index of the table
-- instead of a heap-only (HOT) update. The event page's listing reads a table of a few hundred
-- rows at most, for which the index bought nothing.
DROP INDEX vouchers_live;

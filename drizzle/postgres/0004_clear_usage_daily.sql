-- The daily rollup gains the markup and credit value each event was charged at as part of its key
-- (next migration), and rows written before cannot say which: empty it here, and the next migration
-- rebuilds it from the events, which carry both.
DELETE FROM "usage_daily";

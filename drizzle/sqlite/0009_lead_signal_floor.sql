-- The default lead-signal actor (Google Search Scraper) refuses runs capped below $0.50; the
-- seeded floor of 50 credits capped them at $0.40 at the default markup. Raise the seeded floor
-- to 75 credits ($0.60 of Apify spend at markup 1.25 and $0.01 a credit), unless the operator
-- changed it already.
UPDATE `rate_cards` SET `floor_micro_credits` = 75000000 WHERE `feature` = 'lead_signal_fetch' AND `floor_micro_credits` = 50000000;

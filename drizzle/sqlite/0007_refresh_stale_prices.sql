-- Price lists cached before the cache kept cache-write, reasoning and web-search prices lack them:
-- mark them stale so the next start refreshes them from OpenRouter at once (in the background).
UPDATE `model_prices` SET `fetched_at` = 0;

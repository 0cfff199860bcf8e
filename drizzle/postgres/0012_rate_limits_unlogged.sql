-- Rate limit counters need no crash safety or replication: after a crash or a failover they start again
-- from zero, which costs at most one window's worth of requests. Unlogged, a counter's update writes no WAL
-- and its commit waits for no flush, so counting a request costs no durable commit.
ALTER TABLE "rate_limits" SET UNLOGGED;

-- Rolls usage events recorded before usage_daily existed into it (nothing to do on a fresh ledger).
-- The same rollup is what src/ledger/invariants.ts checks usage_daily against.
INSERT INTO `usage_daily` (`org_id`, `feature`, `day`, `deployment_mode`, `calls`, `events`, `cost_nano_usd`,
                           `charged_micro_credits`, `metered_micro_credits`, `estimated_events`, `over_hold_events`)
SELECT e.org_id, e.feature, e.settled_at - (e.settled_at % 86400000), c.deployment_mode,
       count(DISTINCT e.tool_call_id), count(*), sum(e.cost_nano_usd), sum(e.charged_micro_credits),
       sum(e.metered_micro_credits), sum(e.estimated), sum(e.over_hold)
  FROM usage_events e JOIN tool_calls c ON c.id = e.tool_call_id
 GROUP BY 1, 2, 3, 4;

-- Default rate card for every feature (SPEC section 5). Operators change rows
-- with `ecn-mcp rate-card set`; this migration only seeds a fresh ledger.
-- floor_micro_credits: 1 credit = 1,000,000 micro-credits.
INSERT INTO `rate_cards` (`feature`, `provider`, `model`, `max_tokens`, `floor_micro_credits`, `description`, `updated_at`) VALUES
  ('profile_draft', 'openrouter', 'openai/gpt-4o-mini', 1200, 1000000, 'Drafts a business profile (offer, ideal customer, voice) from notes and facts.', 0),
  ('context_author', 'openrouter', 'openai/gpt-4o-mini', 2000, 1000000, 'Writes a reusable context document for agents from source material.', 0),
  ('context_refresh', 'openrouter', 'openai/gpt-4o-mini', 2000, 1000000, 'Updates an existing context document with new facts, keeping what still holds.', 0),
  ('context_pack_compile', 'openrouter', 'openai/gpt-4o-mini', 3000, 2000000, 'Ranks documents against a goal with embeddings, then compiles the best into a context pack.', 0),
  ('lead_enrichment', 'openrouter', 'openai/gpt-4o-mini', 1200, 1000000, 'Turns raw lead data into a structured lead profile.', 0),
  ('lead_qualify', 'openrouter', 'openai/gpt-4o-mini', 600, 1000000, 'Scores a lead 0-100 against an ideal customer profile, with reasons.', 0),
  ('outreach_draft', 'openrouter', 'openai/gpt-4o-mini', 800, 1000000, 'Drafts a personalised outreach message for a lead and an offer.', 0),
  ('x_reply_draft', 'openrouter', 'openai/gpt-4o-mini', 300, 500000, 'Drafts a reply to a post on X in the brand''s voice.', 0),
  ('funnel_generate', 'openrouter', 'openai/gpt-4o-mini', 2500, 2000000, 'Generates a marketing funnel: stages with copy for each.', 0),
  ('lead_signal_fetch', 'apify', NULL, NULL, 50000000, 'Runs the lead-signal Apify actor and returns its dataset items.', 0);

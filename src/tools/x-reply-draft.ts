import { z } from "zod";
import { EcnError } from "../errors.js";
import { jsonExample } from "./model-json.js";
import { llmTool } from "./llm-tool.js";
import { llmOptions } from "./shared.js";

/** X's limit for a post without a premium account. */
export const X_POST_LIMIT = 280;
const GOALS = ["engage", "educate", "promote", "support"] as const;

const answer = z.object({ replies: z.array(z.string()).min(1).max(5) });

const SYSTEM_PROMPT = `You write replies to posts on X for a brand. A good reply adds something (an insight, a useful fact, a question, warmth) in the brand's voice, and never reads like an ad.

Rules:
- Each reply is at most ${X_POST_LIMIT} characters, no hashtags unless the brand voice asks for them, at most one emoji.
- goal "engage": continue the conversation; "educate": add one useful fact or tip; "promote": mention the brand's offer only if it genuinely answers the post; "support": acknowledge, help, offer a next step.
- Never argue, never make claims you cannot support, never copy the post.
- Write the requested number of distinct variants, best first.

${jsonExample({ replies: ["First reply...", "Second reply..."] })}`;

export const xReplyDraft = llmTool({
  name: "x_reply_draft",
  title: "Draft replies to a post on X",
  description:
    `Drafts reply variants (each at most ${X_POST_LIMIT} characters) to a post on X in your brand's voice, for a goal: ` +
    "engage, educate, promote or support. Paid: OpenRouter cost x markup.",
  input: z.strictObject({
    post_text: z.string().trim().min(1).max(4_000).describe("The post being replied to."),
    post_author: z.string().trim().min(1).max(100).optional().describe("Its author's handle or name."),
    brand_voice: z.string().trim().min(10).max(2_000).describe("How the brand sounds, and what it offers."),
    goal: z.enum(GOALS).default("engage").describe("What the reply should achieve."),
    variants: z.number().int().min(1).max(5).default(3).describe("How many reply options to write."),
    avoid: z.array(z.string().trim().min(1).max(200)).max(20).optional().describe("Topics or words to stay away from."),
    ...llmOptions,
  }),
  system: SYSTEM_PROMPT,
  brief: (args) => [
    ["Post", args.post_author ? `${args.post_author}: ${args.post_text}` : args.post_text],
    ["Brand voice", args.brand_voice],
    ["Goal", args.goal],
    ["Variants", String(args.variants)],
    ["Avoid", args.avoid?.join(", ")],
  ],
  json: answer,
  extraOutput: { replies: z.array(z.string().max(X_POST_LIMIT)).describe(`Reply options, best first, each at most ${X_POST_LIMIT} characters.`) },
  shape: (a, args) => {
    // Over-long variants are dropped rather than cut mid-sentence.
    const replies = a.replies
      .map((r) => r.trim())
      .filter((r) => r.length > 0 && r.length <= X_POST_LIMIT)
      .slice(0, args.variants);
    if (replies.length === 0) {
      throw new EcnError("provider_error", `the model wrote no reply within ${X_POST_LIMIT} characters. Retry, or pass a stronger model.`);
    }
    return { text: replies[0]!, replies };
  },
});

/**
 * A loopback fake of OpenRouter, faithful to the real API: chat completions
 * (plain and streamed, usage block with cost, X-Generation-Id), embeddings,
 * the generation endpoint (404 for a while after a completion), models, key
 * status and spend (from its own log), the activity endpoint's refusal of a
 * key that is not a management key, error bodies. It keeps its own log of
 * every request and what it billed, so tests (and `ecn-mcp audit-costs`)
 * can compare the provider's view with the ledger's.
 *
 * Behaviour is scripted per request: `behave()` queues outcomes for the next
 * paid requests; `defaults` applies otherwise.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Gate, listenLoopback, readJson, sendJson, sleep, waitForUnlessClosed, waitUnlessClosed, type LoopbackServer } from "./http.js";
import { echoSentence } from "./echo.js";
import { estimateTokens, MODEL_PRICES, priceUsd, reasoningTokens, serveModel, messageText, simulatedReply } from "./openrouter-content.js";
import { sendEmbeddings } from "./openrouter-embeddings.js";
import { ACTIVITY_REFUSAL, byokSplit, keyStatus } from "./openrouter-key.js";
import type { ChatBody, Generation, OpenRouterBehaviour, OpenRouterSimulator, SimulatedRequest } from "./openrouter-types.js";

export type { ChatBody, Generation, OpenRouterBehaviour, OpenRouterSimulator, SimulatedRequest } from "./openrouter-types.js";

export async function startOpenRouterSimulator(options: { apiKey?: string; port?: number } = {}): Promise<OpenRouterSimulator> {
  // Shaped like a real OpenRouter key: a prefix, then 64 hex digits.
  const apiKey = options.apiKey ?? "sk-or-v1-" + randomBytes(32).toString("hex");
  const requests: SimulatedRequest[] = [];
  const generations = new Map<string, Generation>();
  const queue: OpenRouterBehaviour[] = [];
  const defaults: OpenRouterSimulator["defaults"] = { generationLagMs: 0, unlistedModels: new Set() };
  let inFlight = 0;
  let maxInFlight = 0;
  /** While set, paid requests wait here before any answer (the provider still working on them). */
  const gate = new Gate();
  /** Paid requests still being worked on, also after their client left (ignoreDisconnect goes on and bills). */
  let working = 0;
  /** While set, streams wait here after their first chunk (the provider still generating). */
  const midStream = new Gate();

  const log = (req: IncomingMessage, url: URL, entry: Partial<SimulatedRequest>): SimulatedRequest => {
    const record: SimulatedRequest = {
      seq: requests.length + 1,
      at: Date.now(),
      method: req.method ?? "GET",
      path: url.pathname,
      paid: false,
      status: 200,
      model: null,
      generationId: null,
      billedUsd: 0,
      cancelled: false,
      authorization: req.headers.authorization,
      body: undefined,
      ...entry,
    };
    requests.push(record);
    return record;
  };

  const error = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    sendJson(res, status, { error: { code: status, message } }, headers);

  async function completion(req: IncomingMessage, res: ServerResponse, url: URL, embeddings: boolean) {
    const body = ((await readJson(req)) ?? {}) as ChatBody;
    const behaviour = { ...defaults, ...(queue.shift() ?? {}) };
    const entry = log(req, url, { paid: true, body, model: typeof body.model === "string" ? body.model : null });
    if (behaviour.ignoreDisconnect) await sleep(behaviour.latencyMs ?? 0);
    else if (!(await waitUnlessClosed(res, behaviour.latencyMs ?? 0))) return void (entry.cancelled = true);
    if (gate.current && !(await waitForUnlessClosed(res, gate.current))) return void (entry.cancelled = true);
    if (behaviour.fail) {
      entry.status = behaviour.fail.status;
      const headers: Record<string, string> = behaviour.fail.retryAfterSeconds ? { "retry-after": String(behaviour.fail.retryAfterSeconds) } : {};
      const echo = echoSentence("Authorization", req.headers.authorization, behaviour.echoCredentials);
      return error(res, behaviour.fail.status, (behaviour.fail.message ?? "Simulated failure") + echo, headers);
    }
    const requested = entry.model;
    const messages = Array.isArray(body.messages) ? body.messages : [];
    if (!requested || (!embeddings && messages.length === 0) || (embeddings && body.input === undefined)) {
      entry.status = 400;
      return error(res, 400, embeddings ? "model and input are required" : "model and messages are required");
    }
    const served = serveModel(requested);
    if (!served) {
      entry.status = 400;
      return error(res, 400, `${requested} is not a valid model ID`);
    }
    const { model, price: prices } = served;
    const id = `gen-${Date.now()}-${randomBytes(6).toString("hex")}`;
    entry.generationId = id;
    if (embeddings) return sendEmbeddings(res, body, id, model, behaviour, entry, generations, defaults.generationLagMs);

    const promptText = messages.map((m) => messageText(m.content)).join("\n");
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : 1024;
    const replyText = typeof behaviour.reply === "function" ? behaviour.reply(body) : (behaviour.reply ?? simulatedReply(body));
    const promptTokens = estimateTokens(promptText);
    const visibleTokens = Math.min(maxTokens, estimateTokens(replyText));
    const reasoning = reasoningTokens(prices, maxTokens, visibleTokens);
    const completionTokens = visibleTokens + reasoning;
    const text = replyText.slice(0, visibleTokens * 4);
    const costUsd = behaviour.costUsd ?? priceUsd(prices, promptTokens, visibleTokens, reasoning, served.webSearches);
    const reported = "reportedCost" in behaviour ? behaviour.reportedCost : costUsd;
    const generation: Generation = {
      id,
      model,
      costUsd,
      reportedCost: reported,
      promptTokens,
      completionTokens,
      visibleAt: 0,
      cancelled: false,
      streamed: body.stream === true,
      byok: behaviour.byok === true,
    };
    const split = byokSplit(generation.byok, reported);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      ...(behaviour.omitCost ? {} : { cost: split.fee }),
      is_byok: generation.byok,
      cost_details: { upstream_inference_cost: split.upstream },
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: reasoning },
    };
    const finish = (billed: number, cancelled: boolean) => {
      if (generation.reportedCost === generation.costUsd) generation.reportedCost = billed;
      generation.costUsd = billed;
      generation.cancelled = cancelled;
      generation.visibleAt = Date.now() + defaults.generationLagMs;
      generations.set(id, generation);
      entry.billedUsd = billed;
      entry.cancelled = cancelled;
    };
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) {
      finish(costUsd, false);
      return sendJson(
        res,
        200,
        {
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop", native_finish_reason: "stop" }],
          usage,
        },
        { "x-generation-id": id },
      );
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-generation-id": id });
    // Written as one piece unless something interrupts the stream, as a fast provider's answer arrives.
    const paused = midStream.current;
    const interrupted = (behaviour.stallMs ?? 0) > 0 || behaviour.inBandError !== undefined || paused !== null;
    if (!interrupted) res.cork();
    res.write(": OPENROUTER PROCESSING\n\n");
    const frame = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: object, finishReason: string | null, extra: object = {}) =>
      frame({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra });
    const pieces = text.match(/[\s\S]{1,40}/g) ?? [""];
    chunk({ role: "assistant", content: pieces[0] }, null);
    // From here on the generation exists and is billed, whatever happens to the connection.
    const promptOnly = priceUsd(prices, promptTokens, 0);
    if (!(await waitUnlessClosed(res, behaviour.stallMs ?? 0))) return finish(Math.min(promptOnly, costUsd), true);
    if (paused && !(await waitForUnlessClosed(res, paused))) return finish(Math.min(promptOnly, costUsd), true);
    if (behaviour.inBandError) {
      finish(Math.min(promptOnly, costUsd), false);
      frame({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        error: { code: 502, message: behaviour.inBandError },
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      });
      res.write("data: [DONE]\n\n");
      return void res.end();
    }
    for (const piece of pieces.slice(1)) chunk({ content: piece }, null);
    chunk({}, "stop");
    frame({ id, object: "chat.completion.chunk", created, model, choices: [], usage });
    res.write("data: [DONE]\n\n");
    finish(costUsd, false);
    res.end();
  }

  const server: LoopbackServer = await listenLoopback(async (req, res, url) => {
    const path = url.pathname.replace(/^\/api\/v1/, "");
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      log(req, url, { status: 401 });
      return error(res, 401, "No auth credentials found");
    }
    if (req.method === "POST" && (path === "/chat/completions" || path === "/embeddings")) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      res.once("close", () => inFlight--);
      working++;
      try {
        return await completion(req, res, url, path === "/embeddings");
      } finally {
        working--;
      }
    }
    if (req.method === "GET" && path === "/generation") {
      const generation = generations.get(url.searchParams.get("id") ?? "");
      const found = generation && Date.now() >= generation.visibleAt;
      log(req, url, { status: found ? 200 : 404, generationId: url.searchParams.get("id") });
      if (!found) return error(res, 404, "Generation not found");
      return sendJson(res, 200, {
        data: {
          id: generation.id,
          model: generation.model,
          provider_name: "Simulated",
          total_cost: byokSplit(generation.byok, generation.reportedCost).fee,
          upstream_inference_cost: byokSplit(generation.byok, generation.reportedCost).upstream,
          tokens_prompt: generation.promptTokens,
          tokens_completion: generation.completionTokens,
          native_tokens_prompt: generation.promptTokens,
          native_tokens_completion: generation.completionTokens,
          cancelled: generation.cancelled,
          streamed: generation.streamed,
          is_byok: generation.byok,
        },
      });
    }
    if (req.method === "GET" && path === "/models") {
      log(req, url, { status: defaults.modelsFailure ?? 200 });
      if (defaults.modelsFailure) return error(res, defaults.modelsFailure, "Simulated models failure");
      return sendJson(res, 200, {
        data: Object.entries(MODEL_PRICES)
          .filter(([id]) => !defaults.unlistedModels.has(id))
          .map(([id, p]) => ({
            id,
            context_length: 128_000,
            pricing: { request: "0", image: "0", ...p },
            top_provider: { max_completion_tokens: 16_384 },
          })),
      });
    }
    if (req.method === "GET" && path === "/key") {
      log(req, url, { status: defaults.keyFailure ?? 200 });
      await defaults.keyHeld;
      if (defaults.keyFailure) return error(res, defaults.keyFailure, "Simulated key status failure");
      return sendJson(res, 200, { data: keyStatus(apiKey, requests, generations) });
    }
    if (req.method === "GET" && path === "/activity") {
      log(req, url, { status: ACTIVITY_REFUSAL.status });
      return error(res, ACTIVITY_REFUSAL.status, ACTIVITY_REFUSAL.message);
    }
    log(req, url, { status: 404 });
    error(res, 404, "Not Found");
  }, options.port);

  return {
    baseUrl: `${server.origin}/api/v1`,
    apiKey,
    requests,
    defaults,
    behave: (...next) => void queue.push(...next),
    hold: () => gate.shut(),
    pauseStreams: () => midStream.shut(),
    paidRequests: () => requests.filter((r) => r.paid),
    maxInFlight: () => maxInFlight,
    working: () => working,
    close: () => server.close(),
  };
}

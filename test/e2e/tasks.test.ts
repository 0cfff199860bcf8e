/**
 * MCP tasks end to end: the SDK's own experimental task client against the
 * built server over Streamable HTTP, on both stores, with the Apify
 * simulator on a clock the test moves on. A run of 20 simulated seconds goes
 * on while no client is connected, and ends when the test says so: the
 * charge is its real usageTotalUsd x markup, once, whether or not anybody
 * fetches the result. A SIGKILLed server's task is resolved by another
 * server's sweep; a cancelled one is stopped and charged what it cost; an
 * organisation never sees another's task; an expired one is deleted.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, RELATED_TASK_META_KEY, type CallToolResult, type Task } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { OrgDetail } from "../../src/reports/views.js";
import type { ApifySimulatedRun } from "../../src/simulator/apify.js";
import { spawnHttpServer, startHttpStack } from "../helpers/http-stack.js";
import { connect } from "../helpers/oauth-browserless.js";
import { match } from "../helpers/matchers.js";
import { cliRunner, startProviders, startStack } from "../helpers/stack.js";
import { WAIT_BACKSTOP_MS, waitFor } from "../helpers/wait.js";
import { assertInvariants, openTestLedger, sqlRows, type TestLedger } from "../helpers/store.js";

/** Quick instances (a dead one is found within about a second), a sweep every half second, and no rate limit in the way of polling. */
const ENV = { ECN_HEARTBEAT_MS: "200", ECN_INSTANCE_TTL_MS: "1000", ECN_SWEEP_MS: "500", ECN_HTTP_RATE_LIMIT: "1000000" };
/** A run the simulated Apify takes 20 seconds over: one results page every 2 s. */
const TWENTY_SECONDS = { durationMs: 20_000, items: 10 };
/** 100 results: 10 pages of 10. */
const ARGS = { query: "roofers Denver hiring", max_results: 100 };

/** The simulated Apify's clock: still until the test moves it on. */
function testClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

async function taskClient(url: string, key: string): Promise<Client> {
  const client = new Client({ name: "task-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

/** Asks for lead_signal_fetch as a task with the SDK's task client and takes the task it answers at once (no polling). */
async function startTask(client: Client, ttl?: number, args: Record<string, unknown> = ARGS): Promise<Task> {
  const stream = client.experimental.tasks.callToolStream({ name: "lead_signal_fetch", arguments: args }, CallToolResultSchema, {
    task: ttl === undefined ? {} : { ttl },
  });
  const first = await stream.next();
  await stream.return(undefined);
  if (first.done || first.value.type !== "taskCreated") throw new Error(`no task: ${JSON.stringify(first.value)}`);
  return first.value.task;
}

/** The error a request ends in (it must end in one). */
async function failureOf(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (error) {
    return error as { code: number; message: string };
  }
  throw new Error("the request succeeded");
}

const textOf = (result: CallToolResult) => (result.content[0]?.type === "text" ? result.content[0].text : "");

/** What the ledger holds about a call's charge: its events' cost and charge, and its spends. */
async function chargeOf(ledger: TestLedger, callId: string) {
  const [events] = await sqlRows(
    ledger,
    `SELECT count(*) AS n, sum(cost_nano_usd) AS cost, sum(charged_micro_credits) AS charged FROM usage_events WHERE tool_call_id = '${callId}'`,
  );
  const spends = await sqlRows(ledger, `SELECT amount_micro_credits AS amount FROM credit_transactions WHERE kind = 'spend' AND tool_call_id = '${callId}'`);
  return { events: events!.n, cost: events!.cost, charged: events!.charged, spends: spends.map((s) => s.amount) };
}

/** usageTotalUsd x 1.25 / $0.01 per credit, in micro-credits (exact for the simulator's prices). */
const expectedCharge = (run: ApifySimulatedRun) => BigInt(Math.round(run.usageTotalUsd * 125 * 1_000_000));

async function callOfTask(ledger: TestLedger, taskId: string): Promise<string> {
  const [row] = await sqlRows(ledger, `SELECT tool_call_id AS id FROM tasks WHERE id = '${taskId}'`);
  return row!.id as string;
}

describe("lead_signal_fetch as an MCP task", () => {
  it("goes on while no client is connected; a new client fetches the result, charged once at the run's real cost", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ env: ENV, apify: { now: clock.now } });
    stack.providers.apify.behave(TWENTY_SECONDS);
    const first = await taskClient(stack.url, stack.keys.acme!);
    const { tools } = await first.listTools();
    expect(tools.filter((t) => t.execution).map((t) => [t.name, t.execution])).toEqual([["lead_signal_fetch", { taskSupport: "optional" }]]);

    const task = await startTask(first);
    // Answered at once: the run has not even begun its 20 seconds.
    expect(task).toMatchObject({ status: "working", ttl: 86_400_000, pollInterval: 5_000 });
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    const run = stack.providers.apify.startedRuns()[0]!;
    await first.close();

    clock.advance(10_000); // half the run, with nobody connected
    const second = await taskClient(stack.url, stack.keys.acme!);
    await waitFor(async () => /5 of 10 results pages so far/.test((await second.experimental.tasks.getTask(task.taskId)).statusMessage ?? ""));
    const callId = await callOfTask(stack.ledger, task.taskId);
    expect((await chargeOf(stack.ledger, callId)).spends).toEqual([]); // nothing charged while it runs
    const usage = (await second.callTool({ name: "get_usage", arguments: {} })).structuredContent as { open_tasks: unknown[] };
    expect(usage.open_tasks).toEqual([
      expect.objectContaining({
        task_id: task.taskId,
        tool: "lead_signal_fetch",
        status: "working",
        tool_call_id: callId,
        status_message: match.stringMatching(/5 of 10/),
      }),
    ]);
    const page = (await (await stack.get(`/api/v1/dashboard/orgs/${stack.orgIds.acme}`, stack.keys.acme)).json()) as OrgDetail;
    expect(page.open_tasks).toEqual([expect.objectContaining({ id: task.taskId, tool: "lead_signal_fetch", status: "working", tool_call_id: callId })]);
    await second.close();

    clock.advance(10_000); // the run ends; still nobody connected
    await waitFor(async () => (await stack.ledger.getCall(callId))?.state === "settled");
    // Charged at the run's end, before anybody asked for the result: its real cost x markup, once.
    expect(run.status).toBe("SUCCEEDED");
    expect(run.usageTotalUsd).toBeCloseTo(0.025, 9); // start $0.005 + 10 pages x $0.002
    expect(await chargeOf(stack.ledger, callId)).toEqual({ events: 1n, cost: 25_000_000n, charged: expectedCharge(run), spends: [-expectedCharge(run)] });

    const third = await taskClient(stack.url, stack.keys.acme!);
    expect(await third.experimental.tasks.getTask(task.taskId)).toMatchObject({
      status: "completed",
      statusMessage: match.stringMatching(/^Completed\. Charged 3\.125 credits for \$0\.025 of provider usage/),
    });
    const result = await third.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result._meta?.[RELATED_TASK_META_KEY]).toEqual({ taskId: task.taskId });
    const out = result.structuredContent as { items: unknown[]; run_id: string; status: string; metering: Record<string, unknown> };
    expect(out.items).toHaveLength(100);
    expect(out).toMatchObject({ run_id: run.id, status: "SUCCEEDED" });
    expect(out.metering).toMatchObject({ tool_call_id: callId, provider: "apify", cost_usd: 0.025, credits_charged: 3.125, balance_credits: 96.875 });
    // Fetched again: the same answer, and still one charge.
    expect(await third.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).toEqual(result);
    expect((await chargeOf(stack.ledger, callId)).spends).toEqual([-expectedCharge(run)]);
    expect(((await third.callTool({ name: "get_usage", arguments: {} })).structuredContent as { open_tasks: unknown[] }).open_tasks).toEqual([]);
    expect((await third.experimental.tasks.listTasks()).tasks.map((t) => [t.taskId, t.status])).toEqual([[task.taskId, "completed"]]);
    await third.close();
    await assertInvariants(stack.ledger);
  });

  it("survives its server's SIGKILL: another server's sweep aborts the run, settles it at its real cost, and the task says so", async () => {
    const clock = testClock();
    const providers = await startProviders({ env: ENV, apify: { now: clock.now } });
    const cli = cliRunner(providers.env);
    await cli("org", "create", "acme");
    await cli("credits", "grant", "--org", "acme", "--credits", "100");
    const key = (JSON.parse((await cli("key", "create", "--org", "acme", "--json")).stdout) as { key: string }).key;
    const [owner, survivor] = await Promise.all([spawnHttpServer(providers.env), spawnHttpServer(providers.env)]);
    const ledger = await openTestLedger(providers.target);
    providers.apify.behave(TWENTY_SECONDS);

    const client = await taskClient(owner.url, key);
    const task = await startTask(client);
    await client.close();
    const callId = await callOfTask(ledger, task.taskId);
    await waitFor(async () => (await ledger.getCall(callId))?.providerRefs.length === 1);
    const run = providers.apify.startedRuns()[0]!;
    clock.advance(6_000); // three pages done
    await waitFor(async () => (await ledger.getTask((await ledger.findOrg("acme"))!.id, task.taskId, Date.now()))?.statusMessage?.includes("3 of 10") ?? false);
    owner.proc.kill("SIGKILL");

    // The survivor's sweep finds the run orphaned and aborts it at Apify (nobody is left to deliver its results)...
    await waitFor(
      () => run.aborted,
      WAIT_BACKSTOP_MS,
      () => survivor.stderr(),
    );
    clock.advance(1_000); // ...which Apify completes
    const other = await taskClient(survivor.url, key);
    await waitFor(
      async () => (await other.experimental.tasks.getTask(task.taskId)).status === "failed",
      WAIT_BACKSTOP_MS,
      () => survivor.stderr(),
    );
    expect(run.status).toBe("ABORTED");
    const charge = expectedCharge(run); // start + 3 pages = $0.011: 1.375 credits
    expect(charge).toBe(1_375_000n);
    expect(await chargeOf(ledger, callId)).toEqual({ events: 1n, cost: 11_000_000n, charged: charge, spends: [-charge] });
    const failed = await other.experimental.tasks.getTask(task.taskId);
    expect(failed.statusMessage).toMatch(
      /^Failed: provider_error: orphaned: its server in_\S+ \(pid \d+ on .+\) has exited; settled at the cost apify reported\./,
    );
    expect(failed.statusMessage).toMatch(/Charged 1\.375 credits for \$0\.011 of provider usage/);
    const result = await other.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^provider_error: orphaned: .* has exited.* The provider work already done was charged: 1\.375 credits/);
    await other.close();
    await assertInvariants(ledger);
  });

  it("survives its server's restart: a SIGTERMed server lets the run end and settles it; the next instance answers the result", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ env: ENV, apify: { now: clock.now } });
    stack.providers.apify.behave(TWENTY_SECONDS);
    const client = await taskClient(stack.url, stack.keys.acme!);
    const task = await startTask(client);
    await client.close();
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    const run = stack.providers.apify.startedRuns()[0]!;
    clock.advance(6_000); // three pages
    const callId = await callOfTask(stack.ledger, task.taskId);
    await waitFor(async () => (await stack.ledger.getTask(stack.orgIds.acme!, task.taskId, Date.now()))?.statusMessage?.includes("3 of 10") ?? false);

    stack.proc.kill("SIGTERM");
    await waitFor(
      () => stack.stderr().includes("HTTP server stopping"),
      WAIT_BACKSTOP_MS,
      () => stack.stderr(),
    );
    // The stopping server waits for its paid calls, task runs among them: this one ends within the wait.
    expect(run.aborted).toBe(false);
    clock.advance(14_000);
    expect(await stack.exited).toBe(0);
    expect((await stack.ledger.getCall(callId))?.state).toBe("settled");
    expect(run.status).toBe("SUCCEEDED");

    const restarted = await spawnHttpServer(stack.providers.env);
    const later = await taskClient(restarted.url, stack.keys.acme!);
    expect(await later.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: "completed" });
    const result = await later.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as { items: unknown[] }).items).toHaveLength(100);
    expect(await chargeOf(stack.ledger, callId)).toEqual({ events: 1n, cost: 25_000_000n, charged: expectedCharge(run), spends: [-expectedCharge(run)] });
    await later.close();
    await assertInvariants(stack.ledger);
  });

  it("tasks/cancel aborts the run at Apify and charges what it cost; the task ends cancelled", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ env: ENV, apify: { now: clock.now } });
    stack.providers.apify.behave(TWENTY_SECONDS);
    const client = await taskClient(stack.url, stack.keys.acme!);
    const task = await startTask(client);
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    const run = stack.providers.apify.startedRuns()[0]!;
    clock.advance(8_000); // four pages
    await waitFor(async () => /4 of 10/.test((await client.experimental.tasks.getTask(task.taskId)).statusMessage ?? ""));

    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled).toMatchObject({ taskId: task.taskId, status: "cancelled", statusMessage: match.stringMatching(/^Cancelled at the client's request/) });
    await waitFor(() => run.aborted);
    clock.advance(1_000);
    const callId = await callOfTask(stack.ledger, task.taskId);
    await waitFor(async () => (await stack.ledger.getCall(callId))?.state === "settled");
    const charge = expectedCharge(run); // start + 4 pages = $0.013
    expect(charge).toBe(1_625_000n);
    expect(await chargeOf(stack.ledger, callId)).toEqual({ events: 1n, cost: 13_000_000n, charged: charge, spends: [-charge] });
    expect(await client.experimental.tasks.getTask(task.taskId)).toMatchObject({
      status: "cancelled",
      statusMessage: match.stringMatching(/Its run was stopped\. Charged 1\.625 credits for \$0\.013 of provider usage/),
    });
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(textOf(result)).toMatch(
      new RegExp(
        `^provider_error: the Apify run ${run.id} was cancelled with tasks/cancel \\(reference \\S+\\)\\. The provider work already done was charged: 1\\.625 credits`,
      ),
    );
    // A cancelled task stays cancelled: cancelling it again is refused.
    expect(await failureOf(client.experimental.tasks.cancelTask(task.taskId))).toMatchObject({
      code: -32602,
      message: match.stringMatching(/Cannot cancel task: already in terminal status 'cancelled'/),
    });
    await client.close();
    await assertInvariants(stack.ledger);
  });

  it("a cancel made on another server stops the run at its owner's next progress report, on the same path", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ env: ENV, apify: { now: clock.now } });
    const other = await spawnHttpServer(stack.providers.env);
    stack.providers.apify.behave(TWENTY_SECONDS);
    const atOwner = await taskClient(stack.url, stack.keys.acme!);
    const atOther = await taskClient(other.url, stack.keys.acme!);
    const task = await startTask(atOwner);
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    const run = stack.providers.apify.startedRuns()[0]!;
    clock.advance(4_000); // two pages

    // Answered by a server that does not run it: the row says cancelled at once, for every server.
    expect(await atOther.experimental.tasks.cancelTask(task.taskId)).toMatchObject({
      status: "cancelled",
      statusMessage: match.stringMatching(/Its run is being stopped; it is charged what it cost until then\.$/),
    });
    await waitFor(
      () => run.aborted,
      WAIT_BACKSTOP_MS,
      () => stack.stderr(),
    ); // the owner saw it at its next poll of the run
    clock.advance(1_000);
    await waitFor(async () => /Its run was stopped\. Charged 1\.125 credits/.test((await atOther.experimental.tasks.getTask(task.taskId)).statusMessage ?? ""));
    const result = await atOther.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(textOf(result)).toMatch(
      /^provider_error: the Apify run \S+ was cancelled with tasks\/cancel \(reference \S+\)\. The provider work already done was charged: 1\.125 credits/,
    );
    expect((await chargeOf(stack.ledger, await callOfTask(stack.ledger, task.taskId))).spends).toEqual([-expectedCharge(run)]);
    await Promise.all([atOwner.close(), atOther.close()]);
    await assertInvariants(stack.ledger);
  });

  it("is not there for another organisation: tasks/get, tasks/result and tasks/cancel answer not found, and nothing changes", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ orgs: { acme: "100", rival: "10" }, env: ENV, apify: { now: clock.now } });
    stack.providers.apify.behave(TWENTY_SECONDS);
    const acme = await taskClient(stack.url, stack.keys.acme!);
    const rival = await taskClient(stack.url, stack.keys.rival!);
    const task = await startTask(acme);
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    const before = await sqlRows(stack.ledger, `SELECT state, status_message FROM tasks WHERE id = '${task.taskId}'`);

    const never = "task_nEvErExIsTeDnEvErExIsTeDnEvEr";
    const asks = [
      (id: string) => rival.experimental.tasks.getTask(id),
      (id: string) => rival.experimental.tasks.getTaskResult(id, CallToolResultSchema),
      (id: string) => rival.experimental.tasks.cancelTask(id),
    ];
    for (const ask of asks) {
      const [a, b] = [await failureOf(ask(task.taskId)), await failureOf(ask(never))];
      expect(a).toMatchObject({ code: -32602, message: match.stringMatching(/Task not found$/) });
      expect(a).toEqual(b); // word for word what a task that never existed gets: nothing tells it exists
    }
    expect((await rival.experimental.tasks.listTasks()).tasks).toEqual([]);
    // A tool that cannot run as a task says so.
    const refused = await rival.experimental.tasks.callToolStream({ name: "get_wallet_balance", arguments: {} }, CallToolResultSchema, { task: {} }).next();
    expect(refused.value).toMatchObject({ type: "error", error: { code: -32601, message: match.stringMatching(/get_wallet_balance cannot run as a task/) } });
    // A task refused before its hold (here: 10 credits cannot hold a run) is a JSON-RPC error starting with our code; nothing is held.
    const poor = await rival.experimental.tasks.callToolStream({ name: "lead_signal_fetch", arguments: ARGS }, CallToolResultSchema, { task: {} }).next();
    expect(poor.value).toMatchObject({
      type: "error",
      error: {
        code: -32000,
        message: match.stringMatching(/insufficient_credits: lead_signal_fetch needs a hold of 75 credits/),
        data: { code: "insufficient_credits" },
      },
    });
    const invalid = await rival.experimental.tasks
      .callToolStream({ name: "lead_signal_fetch", arguments: { query: "x" } }, CallToolResultSchema, { task: {} })
      .next();
    expect(invalid.value).toMatchObject({ type: "error", error: { code: -32602, message: match.stringMatching(/invalid_input: query: /) } });
    expect(await sqlRows(stack.ledger, `SELECT id FROM tool_calls WHERE org_id = '${stack.orgIds.rival}'`)).toEqual([]);
    expect(stack.providers.apify.startedRuns()).toHaveLength(1);

    expect(await sqlRows(stack.ledger, `SELECT state, status_message FROM tasks WHERE id = '${task.taskId}'`)).toEqual(before);
    expect(await acme.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: "working" });
    expect(run(stack).aborted).toBe(false);
    expect((await acme.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([task.taskId]);
    await Promise.all([acme.close(), rival.close()]);
  });

  it("over an OAuth connection: the task is its organisation's, its call records the connection, and the connection's daily cap applies", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ orgs: { acme: "1000", rival: "100" }, env: ENV, apify: { now: clock.now } });
    stack.providers.apify.behave(TWENTY_SECONDS);
    const { tokens } = await connect(stack.url, { apiKey: stack.keys.acme!, cap: "80", clientName: "Claude" });
    const [connection] = await stack.ledger.listConnections(stack.orgIds.acme!, 0);
    const viaConnection = await taskClient(stack.url, tokens.access_token);
    const task = await startTask(viaConnection);
    await waitFor(() => stack.providers.apify.startedRuns().length === 1);
    const callId = await callOfTask(stack.ledger, task.taskId);
    // Recorded like any call of the connection: its organisation, its connection, no API key.
    expect(await sqlRows(stack.ledger, `SELECT org_id, connection_id, api_key_id FROM tool_calls WHERE id = '${callId}'`)).toEqual([
      { org_id: stack.orgIds.acme, connection_id: connection!.id, api_key_id: null },
    ]);

    // The organisation's API key sees it (the task is the organisation's, not the connection's); another organisation's connection does not.
    const viaKey = await taskClient(stack.url, stack.keys.acme!);
    expect(await viaKey.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: "working" });
    const { tokens: rivalTokens } = await connect(stack.url, { apiKey: stack.keys.rival!, cap: "80", clientName: "Claude" });
    const rival = await taskClient(stack.url, rivalTokens.access_token);
    expect(await failureOf(rival.experimental.tasks.getTask(task.taskId))).toMatchObject({ code: -32602, message: match.stringMatching(/Task not found$/) });

    // The connection's cap (80 credits a day) counts the running task's hold: a second task is refused before it exists.
    const second = await viaConnection.experimental.tasks
      .callToolStream({ name: "lead_signal_fetch", arguments: { ...ARGS, idempotency_key: "second" } }, CallToolResultSchema, { task: {} })
      .next();
    expect(second.value).toMatchObject({
      type: "error",
      error: { code: -32000, message: match.stringMatching(/budget_exceeded: this connection's daily cap/), data: { code: "budget_exceeded" } },
    });
    // The API key is not limited by the connection's cap; its task's call records the key.
    const byKey = await startTask(viaKey, undefined, { ...ARGS, idempotency_key: "by-key" });
    await waitFor(() => stack.providers.apify.startedRuns().length === 2);
    const [key] = await stack.ledger.listApiKeys(stack.orgIds.acme);
    expect(
      await sqlRows(stack.ledger, `SELECT connection_id, api_key_id FROM tool_calls WHERE id = '${await callOfTask(stack.ledger, byKey.taskId)}'`),
    ).toEqual([{ connection_id: null, api_key_id: key!.id }]);

    clock.advance(20_000); // both runs end
    await waitFor(async () => (await viaConnection.experimental.tasks.getTask(task.taskId)).status === "completed");
    const result = await viaConnection.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect((result.structuredContent as { metering: { tool_call_id: string } }).metering.tool_call_id).toBe(callId);
    // Charged once, on the connection's events (its daily rollup agrees: the invariants check it).
    expect(await sqlRows(stack.ledger, `SELECT connection_id FROM usage_events WHERE tool_call_id = '${callId}'`)).toEqual([{ connection_id: connection!.id }]);
    await Promise.all([viaConnection.close(), viaKey.close(), rival.close()]);
    await assertInvariants(stack.ledger);
  });

  it("over stdio: progress reaches the client while it runs; a client that closes the server gets its run stopped and charged what it cost", async () => {
    const clock = testClock();
    const stack = await startStack({ credits: "100", apify: { now: clock.now } });
    stack.apify.behave(TWENTY_SECONDS, TWENTY_SECONDS);
    const progress: string[] = [];
    const messages: { type: string }[] = [];
    const stream = stack.client.experimental.tasks.callToolStream({ name: "lead_signal_fetch", arguments: ARGS }, CallToolResultSchema, {
      task: {},
      onprogress: (p) => void progress.push(p.message ?? ""),
    });
    const consumed = (async () => {
      for await (const message of stream) messages.push(message);
    })();
    await waitFor(() => stack.apify.startedRuns().length === 1);
    expect(messages[0]).toMatchObject({ type: "taskCreated", task: { status: "working" } });
    clock.advance(10_000);
    await waitFor(() => progress.some((p) => /5 of 10 results pages so far/.test(p))); // the connection lasts: progress still arrives
    clock.advance(10_000);
    await consumed;
    const last = messages.at(-1) as { type: string; result?: CallToolResult };
    expect(last.type).toBe("result");
    expect((last.result!.structuredContent as { items: unknown[] }).items).toHaveLength(100);

    // Another task; then the client closes the server (stdin ends, then SIGTERM, then SIGKILL, as the SDK's client does).
    const second = await startTask(stack.client);
    await waitFor(() => stack.apify.startedRuns().length === 2);
    const run = stack.apify.startedRuns()[1]!;
    clock.advance(4_000); // two pages
    const closing = stack.client.close();
    await waitFor(
      () => run.aborted,
      WAIT_BACKSTOP_MS,
      () => stack.stderr(),
    ); // stopped at the signal, not left running
    clock.advance(1_000);
    await closing;
    // A later session (a new server process) finds the task ended, charged what the run cost, once.
    const later = await stack.anotherClient();
    await waitFor(
      async () => (await later.experimental.tasks.getTask(second.taskId)).status === "failed",
      WAIT_BACKSTOP_MS,
      () => stack.stderr(),
    );
    // Settled by the stopping server, or (if the host killed it first) by the new one's start-up reconcile: the same charge.
    expect((await later.experimental.tasks.getTask(second.taskId)).statusMessage).toMatch(
      /^Failed: provider_error: (the Apify run \S+ was stopped because its server shut down before the run ended|orphaned: .*has exited).* Charged 1\.125 credits/,
    );
    expect((await chargeOf(stack.ledger, await callOfTask(stack.ledger, second.taskId))).spends).toEqual([-expectedCharge(run)]);
    await assertInvariants(stack.ledger);
  });

  it("is kept for its TTL (a client may ask for less, never more) and then deleted by the sweep: not found from then on", async () => {
    const clock = testClock();
    const stack = await startHttpStack({ orgs: { acme: "1000" }, env: { ...ENV, ECN_TASK_TTL_MS: "3600000" }, apify: { now: clock.now } });
    const client = await taskClient(stack.url, stack.keys.acme!);
    const short = await startTask(client, 1_000);
    const long = await startTask(client, 7 * 86_400_000, { ...ARGS, idempotency_key: "long-one" });
    expect([short.ttl, long.ttl]).toEqual([1_000, 3_600_000]);
    await waitFor(() => stack.providers.apify.startedRuns().length === 2);
    clock.advance(1_000); // both runs end (300 ms each)
    await waitFor(async () => (await client.experimental.tasks.getTask(long.taskId)).status === "completed");
    // The same idempotency key again: no second run, no second charge; its task follows the first call (ended already).
    const again = await startTask(client, undefined, { ...ARGS, idempotency_key: "long-one" });
    expect(again).toMatchObject({ status: "completed" });
    const [first, repeated] = await Promise.all([long, again].map((t) => client.experimental.tasks.getTaskResult(t.taskId, CallToolResultSchema)));
    expect(repeated!.structuredContent).toEqual(first!.structuredContent);
    expect(stack.providers.apify.startedRuns()).toHaveLength(2);
    const shortCall = await callOfTask(stack.ledger, short.taskId);

    // A second after its run ended the short one expires, and the next sweep deletes it.
    await waitFor(
      async () => (await sqlRows(stack.ledger, `SELECT id FROM tasks WHERE id = '${short.taskId}'`)).length === 0,
      WAIT_BACKSTOP_MS,
      () => stack.stderr(),
    );
    expect(await failureOf(client.experimental.tasks.getTask(short.taskId))).toMatchObject({ code: -32602, message: match.stringMatching(/Task not found$/) });
    expect(await failureOf(client.experimental.tasks.getTaskResult(short.taskId, CallToolResultSchema))).toMatchObject({ code: -32602 });
    expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([again.taskId, long.taskId]);
    // The charge stays: only the task went.
    expect((await stack.ledger.getCall(shortCall))?.state).toBe("settled");
    expect((await chargeOf(stack.ledger, shortCall)).spends).toHaveLength(1);
    await client.close();
    await assertInvariants(stack.ledger);
  });
});

const run = (stack: { providers: { apify: { startedRuns(): ApifySimulatedRun[] } } }) => stack.providers.apify.startedRuns()[0]!;

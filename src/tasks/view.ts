/** How a task reads to people: its status message, from what the ledger holds about it and its call. */
import type { TaskRecord } from "../ledger/index.js";
import { microToCreditsText, nanoToUsdText } from "../money.js";

const sentence = (text: string) => (/[.!?)]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** What the task's call was charged, once it is resolved. */
function chargeNote(task: TaskRecord): string {
  const charged = task.chargedMicroCredits ?? 0n;
  if (charged === 0n) return "Nothing was charged.";
  return `Charged ${microToCreditsText(charged)} credits for $${nanoToUsdText(task.costNanoUsd ?? 0n)} of provider usage (tool call ${task.toolCallId}).`;
}

/**
 * The task's status message: progress while it works; once it has ended,
 * how (the error, for a failed one) and what it was charged; for a
 * cancelled one, whether its run has stopped yet and what that cost.
 */
export function taskStatusMessage(task: TaskRecord): string | undefined {
  switch (task.state) {
    case "working":
    case "input_required":
      if (task.callState === "unknown") {
        return "The run has ended, but the provider has not confirmed what it cost yet; the call is settled as soon as it does (tasks/result waits for that).";
      }
      return task.statusMessage ?? undefined;
    case "completed":
      return `Completed. ${chargeNote(task)} Fetch the result with tasks/result.`;
    case "failed":
      return `Failed: ${sentence(`${task.errorCode ?? "provider_error"}: ${task.errorMessage ?? "the call failed"}`)} ${chargeNote(task)}`;
    case "cancelled": {
      const why = sentence(task.statusMessage ?? "Cancelled.");
      return task.resolvedAt === null
        ? `${why} Its run is being stopped; it is charged what it cost until then.`
        : `${why} Its run was stopped. ${chargeNote(task)}`;
    }
  }
}

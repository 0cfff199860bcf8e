/**
 * The Ledger's MCP tasks, once for both stores: a task per task-augmented
 * call, read and cancelled by its organisation only. ScriptedLedger extends
 * it (through the connector side), so the money side stays in ledger.ts.
 */
import { AuthScripts } from "./auth-ledger.js";
import * as tasks from "./core/tasks.js";
import type { TaskInput, TaskLedger, TaskQuery } from "./task-types.js";

export class TaskScripts extends AuthScripts implements TaskLedger {
  createTask(input: TaskInput) {
    return this.engine.write(() => tasks.createTask(input));
  }
  async getTask(orgId: string, taskId: string, now: number) {
    return (await this.engine.read(() => tasks.getTask(orgId, taskId, now))) ?? null;
  }
  listTasks(query: TaskQuery) {
    return this.engine.read(() => tasks.listTasks(query));
  }
  async noteTaskProgress(taskId: string, message: string, now: number) {
    return (await this.engine.writeOne(tasks.noteProgressSql, { id: taskId, message, now })) > 0;
  }
  cancelTask(orgId: string, taskId: string, message: string, now: number) {
    return this.engine.write(() => tasks.cancelTask(orgId, taskId, message, now));
  }
  deleteExpiredTasks(now: number) {
    return this.engine.writeOne(tasks.deleteExpiredSql, { now });
  }
}

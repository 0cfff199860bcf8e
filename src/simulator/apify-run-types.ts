/** The shapes of a simulated Apify run: how a test makes it behave, what it shows, what it is started with. */
import type { EchoForm } from "./echo.js";

export interface ApifyBehaviour {
  /** How the run ends when no cap or abort stops it first (default SUCCEEDED). */
  outcome?: "SUCCEEDED" | "FAILED" | "TIMED-OUT";
  /** How long the run takes if not capped (default 300). */
  durationMs?: number;
  /** How many dataset items (results pages) it would produce (default 10; fewer if the input asks for fewer pages). */
  items?: number;
  /** Charged at start (the actor-start event), default 0.005. */
  startCostUsd?: number;
  /** Charged per dataset item (default 0.002). */
  costPerItemUsd?: number;
  /** Refuse the start call with this error; no run is created. */
  failStart?: { status: number; type: string; message: string };
  /** A misbehaving platform (or proxy): echo the request's Authorization header in failStart's message. */
  echoCredentials?: boolean | EchoForm;
  /**
   * A misbehaving platform: report this as the run's usageTotalUsd (1e300, -1, "0.5", ...) while billing the real usage.
   * `undefined` leaves the field out, as Apify does for some actors and endpoints.
   */
  reportedUsageTotalUsd?: unknown;
  /** The actor's smallest accepted maxTotalChargeUsd (its pricing info's minimalMaxTotalChargeUsd; default 0.5, null for none). */
  minimalMaxTotalChargeUsd?: number | null;
  /**
   * The run stops advancing once it has this many results pages (RUNNING, charged for them) until the
   * simulator's `release()`: a test waits for what it wants to see while the run goes, not for the clock.
   */
  holdAtItems?: number;
}

export interface ApifySimulatedRun {
  id: string;
  actId: string;
  status: string;
  usageTotalUsd: number;
  itemCount: number;
  options: { maxItems?: number; maxTotalChargeUsd?: number };
  input: unknown;
  aborted: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  datasetId: string;
}

export interface RunSettings {
  actId: string;
  input: unknown;
  inputBodyLen: number;
  behaviour: Required<Omit<ApifyBehaviour, "failStart" | "echoCredentials" | "reportedUsageTotalUsd" | "minimalMaxTotalChargeUsd" | "holdAtItems">> &
    Pick<ApifyBehaviour, "reportedUsageTotalUsd" | "holdAtItems">;
  timeoutSecs: number;
  memoryMbytes: number;
  maxItems?: number;
  maxTotalChargeUsd?: number;
  /** The simulator's clock (epoch ms): the wall clock, or one a test moves on when it chooses. */
  now: () => number;
}

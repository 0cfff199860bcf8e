import { describe, expect, it } from "vitest";
import { requestFingerprint } from "../../src/metering/fingerprint.js";

describe("request fingerprint", () => {
  it("ignores key order and the idempotency key itself", () => {
    const a = requestFingerprint("profile_draft", { notes: "n", business_name: "b", idempotency_key: "k1" });
    const b = requestFingerprint("profile_draft", { business_name: "b", notes: "n", idempotency_key: "k2" });
    expect(a).toBe(b);
  });

  it("differs when an argument or the feature differs", () => {
    const base = requestFingerprint("profile_draft", { notes: "n" });
    expect(requestFingerprint("profile_draft", { notes: "m" })).not.toBe(base);
    expect(requestFingerprint("outreach_draft", { notes: "n" })).not.toBe(base);
    expect(requestFingerprint("profile_draft", { notes: "n", facts: ["x"] })).not.toBe(base);
  });
});

/** Where outgoing webhooks may go: every address inside our own network is refused, before and after DNS. */
import { describe, expect, it } from "vitest";
import { addressProblem, checkUrlForm, resolveSafely, UnsafeWebhookUrl } from "../../src/billing/ssrf.js";

describe("webhook URLs", () => {
  it("refuses loopback, private, link-local, carrier-grade NAT, multicast and IPv4-mapped forms of them", () => {
    for (const address of [
      "127.0.0.1",
      "127.8.9.10",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fd12:3456::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "::ffff:169.254.169.254",
      "64:ff9b::a9fe:a9fe",
    ]) {
      expect(addressProblem(address, false), address).not.toBeNull();
    }
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "192.169.0.1"])
      expect(addressProblem(address, false), address).toBeNull();
  });

  it("admits loopback only when allowed, and never private or link-local", () => {
    expect(addressProblem("127.0.0.1", true)).toBeNull();
    expect(addressProblem("::1", true)).toBeNull();
    expect(addressProblem("10.0.0.1", true)).not.toBeNull();
    expect(addressProblem("169.254.169.254", true)).not.toBeNull();
  });

  it("wants https (http only to loopback when allowed), no credentials in the URL", () => {
    expect(() => checkUrlForm("http://example.com/hook", false)).toThrow(UnsafeWebhookUrl);
    expect(() => checkUrlForm("http://127.0.0.1:8080/hook", false)).toThrow(/https/);
    expect(checkUrlForm("http://127.0.0.1:8080/hook", true).port).toBe("8080");
    expect(() => checkUrlForm("http://10.0.0.1/hook", true)).toThrow(UnsafeWebhookUrl);
    expect(() => checkUrlForm("https://user:pw@example.com/hook", false)).toThrow(/user name or password/);
    expect(() => checkUrlForm("ftp://example.com/", false)).toThrow(UnsafeWebhookUrl);
    expect(() => checkUrlForm("https://[::1]/hook", false)).toThrow(/loopback/);
    expect(checkUrlForm("https://hooks.example.com/ecn", false).hostname).toBe("hooks.example.com");
  });

  it("checks every address a name resolves to", async () => {
    await expect(resolveSafely(new URL("https://localhost/hook"), false)).rejects.toThrow(/loopback/);
    await expect(resolveSafely(new URL("http://localhost/hook"), true)).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.|::1)/) as string });
  });
});

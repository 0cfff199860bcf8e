import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chargeMicroCredits,
  coveredCostNanoUsd,
  creditsToMicro,
  decimalFromNumber,
  formatDecimal,
  parseDecimal,
  usdToNano,
  type Decimal,
} from "../../src/money.js";

const decimal = (maxUnits: bigint, maxScale: number) =>
  fc.record({ units: fc.bigInt({ min: 0n, max: maxUnits }), scale: fc.integer({ min: 0, max: maxScale }) });
const positive = (maxUnits: bigint, maxScale: number) =>
  fc.record({ units: fc.bigInt({ min: 1n, max: maxUnits }), scale: fc.integer({ min: 0, max: maxScale }) });
/** Markups >= 1: units >= 10^scale. */
const markup = fc
  .record({ scale: fc.integer({ min: 0, max: 6 }), extra: fc.bigInt({ min: 0n, max: 10n ** 7n }) })
  .map(({ scale, extra }) => ({ units: 10n ** BigInt(scale) + extra, scale }));
const cost = fc.bigInt({ min: 0n, max: 10n ** 15n }); // up to 1,000,000 USD in nano-USD

const pow10 = (n: number) => 10n ** BigInt(n);
/** charge x credit value >= cost x markup, compared exactly as fractions in micro-credits and nano-USD. */
function covers(micro: bigint, costNano: bigint, m: Decimal, cv: Decimal): boolean {
  // micro/1e6 x cvU/10^cvS >= costNano/1e9 x mU/10^mS
  return micro * cv.units * 1000n * pow10(m.scale) >= costNano * m.units * pow10(cv.scale);
}

describe("money", () => {
  it("charge x credit value >= cost x markup, for every input", () => {
    fc.assert(
      fc.property(cost, markup, positive(10n ** 6n, 6), (c, m, cv) => covers(chargeMicroCredits(c, m, cv), c, m, cv)),
      { numRuns: 2000 },
    );
  });

  it("the charge is the smallest integer that covers cost x markup", () => {
    fc.assert(
      fc.property(cost, markup, positive(10n ** 6n, 6), (c, m, cv) => {
        const charge = chargeMicroCredits(c, m, cv);
        return charge === 0n || !covers(charge - 1n, c, m, cv);
      }),
      { numRuns: 2000 },
    );
  });

  it("never charges below cost (markup >= 1 means credits x value >= cost)", () => {
    fc.assert(fc.property(cost, markup, positive(10n ** 6n, 6), (c, m, cv) => covers(chargeMicroCredits(c, m, cv), c, { units: 1n, scale: 0 }, cv)));
  });

  it("decimal strings round-trip exactly", () => {
    fc.assert(
      fc.property(decimal(10n ** 30n, 30), (d) => {
        const text = formatDecimal(d);
        const back = parseDecimal(text);
        return formatDecimal(back) === text && back.units * pow10(d.scale) === d.units * pow10(back.scale);
      }),
      { numRuns: 2000 },
    );
  });

  it("parses canonical text back to itself", () => {
    fc.assert(fc.property(fc.stringMatching(/^(0|[1-9][0-9]{0,12})(\.[0-9]{0,11}[1-9])?$/), (text) => formatDecimal(parseDecimal(text)) === text));
  });

  it("converts provider JSON numbers to exact decimals, including exponent forms", () => {
    expect(formatDecimal(decimalFromNumber(0.0001234567))).toBe("0.0001234567");
    expect(formatDecimal(decimalFromNumber(1.2e-7))).toBe("0.00000012");
    expect(formatDecimal(decimalFromNumber(1e21))).toBe("1000000000000000000000");
    expect(formatDecimal(decimalFromNumber(0))).toBe("0");
    fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (x) => Number(formatDecimal(decimalFromNumber(x))) === x));
  });

  it("rounds provider cost up to the nano-USD", () => {
    expect(usdToNano(parseDecimal("0.0001234567"))).toBe(123_457n);
    expect(usdToNano(parseDecimal("0.000123456"))).toBe(123_456n);
    expect(usdToNano(parseDecimal("0.0000000001"))).toBe(1n);
    expect(usdToNano(parseDecimal("0"))).toBe(0n);
  });

  it("computes the worked example of the docs exactly", () => {
    const m = parseDecimal("1.25");
    const cv = parseDecimal("0.01");
    expect(chargeMicroCredits(123_457n, m, cv)).toBe(15_433n);
    expect(chargeMicroCredits(2_000_000n, m, cv)).toBe(250_000n);
    expect(chargeMicroCredits(1n, m, cv)).toBe(1n);
  });

  it("covered cost never exceeds what the credits pay for", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), markup, positive(10n ** 6n, 6), (micro, m, cv) => {
        const covered = coveredCostNanoUsd(micro, m, cv);
        return chargeMicroCredits(covered, m, cv) <= micro;
      }),
    );
  });

  it("refuses malformed decimals and sub-micro credit amounts", () => {
    for (const bad of ["", "-1", "1e3", "1,5", "0x10", ".5", "1.", "NaN", " 1 2"]) expect(() => parseDecimal(bad)).toThrow();
    expect(() => creditsToMicro(parseDecimal("0.0000001"))).toThrow(/6 decimal/);
    expect(creditsToMicro(parseDecimal("12.5"))).toBe(12_500_000n);
  });
});

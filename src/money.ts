/**
 * Exact money arithmetic.
 *
 * The ledger holds integers only: credits as micro-credits, provider cost as
 * nano-USD. Markup and credit value are exact decimals. Every conversion that
 * can lose precision rounds up, so a call is never billed below its cost.
 */

export const NANO_PER_USD = 1_000_000_000n;
export const MICRO_PER_CREDIT = 1_000_000n;

/**
 * Bounds that keep every sum the ledger keeps far inside a signed 64-bit
 * integer (9.2e18): one amount (a grant, a budget, a floor, a cost cap) is at
 * most a billion credits, and a wallet's balance at most a trillion. Per
 * event, a provider cost is capped at $10,000 where it is read, the markup at
 * 100 and the credit value at no less than $0.001, so one charge is at most a
 * billion credits (10^15 micro-credits) and thousands of them fit in a sum.
 */
export const MAX_AMOUNT_MICRO_CREDITS = 1_000_000_000n * MICRO_PER_CREDIT;
export const MAX_BALANCE_MICRO_CREDITS = 1_000_000_000_000n * MICRO_PER_CREDIT;
export const MAX_MARKUP: Decimal = { units: 100n, scale: 0 };
export const MIN_CREDIT_USD_VALUE: Decimal = { units: 1n, scale: 3 };

/** An exact non-negative decimal: value = units / 10^scale. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_TEXT = /^(\d+)(?:\.(\d+))?$/;
const MAX_SCALE = 30;

/**
 * Parses a plain decimal string such as "1.25" or "0.01" exactly. No sign, no
 * exponent, no separators: configuration and CLI input must be unambiguous.
 */
export function parseDecimal(text: string): Decimal {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match) throw new RangeError(`not a plain decimal number: "${text}"`);
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > MAX_SCALE) throw new RangeError(`too many decimal places: "${text}"`);
  return { units: BigInt(whole + fraction), scale: fraction.length };
}

/**
 * Converts a provider's JSON number (e.g. `usage.cost`) to an exact decimal.
 * JSON carries decimal text; JavaScript's shortest round-trip form of the
 * parsed double gives that text back (also for exponent forms like 1.2e-7).
 */
export function decimalFromNumber(value: number): Decimal {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a non-negative finite number: ${value}`);
  const text = String(value);
  const exp = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exp) return parseDecimal(text);
  const digits = (exp[1] ?? "") + (exp[2] ?? "");
  const scale = (exp[2] ?? "").length - Number(exp[3]);
  if (scale >= 0) return { units: BigInt(digits), scale };
  return { units: BigInt(digits) * 10n ** BigInt(-scale), scale: 0 };
}

/** Canonical decimal text: no trailing fractional zeros, at least one integer digit. */
export function formatDecimal(d: Decimal): string {
  const digits = d.units.toString().padStart(d.scale + 1, "0");
  if (d.scale === 0) return digits;
  const whole = digits.slice(0, digits.length - d.scale);
  const fraction = digits.slice(digits.length - d.scale).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/** a / b rounded up, for a >= 0 and b > 0. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n || a < 0n) throw new RangeError("ceilDiv needs a >= 0 and b > 0");
  return (a + b - 1n) / b;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** USD decimal -> nano-USD, rounded up: a provider cost is never recorded below what it was. */
export function usdToNano(usd: Decimal): bigint {
  return ceilDiv(usd.units * NANO_PER_USD, pow10(usd.scale));
}

/** Credits decimal -> micro-credits; refuses amounts finer than one micro-credit. */
export function creditsToMicro(credits: Decimal): bigint {
  const scaled = credits.units * MICRO_PER_CREDIT;
  const divisor = pow10(credits.scale);
  if (scaled % divisor !== 0n) throw new RangeError("credits have at most 6 decimal places");
  return scaled / divisor;
}

/** Credits decimal -> micro-credits, rounding finer amounts up. */
export function creditsToMicroCeil(credits: Decimal): bigint {
  return ceilDiv(credits.units * MICRO_PER_CREDIT, pow10(credits.scale));
}

/**
 * The price of a provider call in micro-credits:
 * ceil(cost_usd x markup / credit_usd_value), computed exactly.
 * In micro-credits: ceil(costNano x mU x 10^cvS / (1000 x 10^mS x cvU)).
 */
export function chargeMicroCredits(costNanoUsd: bigint, markup: Decimal, creditUsdValue: Decimal): bigint {
  if (costNanoUsd < 0n) throw new RangeError("cost cannot be negative");
  if (creditUsdValue.units === 0n) throw new RangeError("credit value must be positive");
  const numerator = costNanoUsd * markup.units * pow10(creditUsdValue.scale);
  const denominator = (NANO_PER_USD / MICRO_PER_CREDIT) * pow10(markup.scale) * creditUsdValue.units;
  return ceilDiv(numerator, denominator);
}

/**
 * Whether a charge is below cost x its own markup, or below cost (a markup
 * under 1 never excuses a loss): revenue (micro-credits x credit value, in
 * nano-USD) < cost x max(markup, 1), compared exactly.
 */
export function chargedBelowMarkup(chargedMicro: bigint, costNanoUsd: bigint, markup: Decimal, creditUsdValue: Decimal): boolean {
  const floor = compareDecimal(markup, ONE) < 0 ? ONE : markup;
  // charged x (cvU / 10^cvS) x 1000 < cost x (mU / 10^mS), both sides times 10^cvS x 10^mS.
  const revenue = chargedMicro * creditUsdValue.units * (NANO_PER_USD / MICRO_PER_CREDIT) * pow10(floor.scale);
  return revenue < costNanoUsd * floor.units * pow10(creditUsdValue.scale);
}

/**
 * The provider cost (nano-USD, rounded down) that a number of micro-credits
 * covers at a markup: the inverse of chargeMicroCredits, used to cap a
 * provider call to its hold. Rounding down keeps the cap inside the hold.
 */
export function coveredCostNanoUsd(micro: bigint, markup: Decimal, creditUsdValue: Decimal): bigint {
  if (micro <= 0n) return 0n;
  const numerator = micro * (NANO_PER_USD / MICRO_PER_CREDIT) * pow10(markup.scale) * creditUsdValue.units;
  const denominator = markup.units * pow10(creditUsdValue.scale);
  return numerator / denominator;
}

/** micro-credits -> exact decimal text, e.g. 12500000n -> "12.5". */
export function microToCreditsText(micro: bigint): string {
  const sign = micro < 0n ? "-" : "";
  const abs = micro < 0n ? -micro : micro;
  return sign + formatDecimal({ units: abs, scale: 6 });
}

/** micro-credits as the decimal number interfaces show (`balance_credits: 12.5`). */
export function microToCredits(micro: bigint): number {
  return Number(microToCreditsText(micro));
}

/** nano-USD -> exact decimal text. */
export function nanoToUsdText(nano: bigint): string {
  const sign = nano < 0n ? "-" : "";
  const abs = nano < 0n ? -nano : nano;
  return sign + formatDecimal({ units: abs, scale: 9 });
}

/** nano-USD as a decimal number for interfaces. */
export function nanoToUsd(nano: bigint): number {
  return Number(nanoToUsdText(nano));
}

/** Compares two decimals by value. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const left = a.units * pow10(scale - a.scale);
  const right = b.units * pow10(scale - b.scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

export const ONE: Decimal = { units: 1n, scale: 0 };

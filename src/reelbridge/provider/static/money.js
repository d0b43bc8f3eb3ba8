// Money as the server sends it: exact decimal strings ("999.8") or integer units of
// 1/10000 inside outcomes. Nothing here goes through a binary float: amounts are split
// into digits and laid into the locale's pattern (PROTOCOL.md B5).

const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;
const UNIT = 10000n;

/** Integer units of 1/10000 (BigInt) of a decimal string; null if it is not one. */
export function toUnits(text) {
  const match = DECIMAL.exec(String(text ?? ""));
  if (!match) return null;
  const units = BigInt(match[2]) * UNIT + BigInt((match[3] || "").padEnd(4, "0"));
  return match[1] ? -units : units;
}

/** The decimal string of integer units (a BigInt or a safe integer Number). */
export function fromUnits(units) {
  let value = BigInt(units);
  const sign = value < 0n ? "-" : "";
  if (value < 0n) value = -value;
  return `${sign}${value / UNIT}.${String(value % UNIT).padStart(4, "0")}`;
}

const patterns = new Map();

function pattern(locale, currency) {
  const key = `${locale}|${currency}`;
  if (!patterns.has(key)) {
    let parts;
    try {
      parts = new Intl.NumberFormat(locale, {
        style: "currency",
        currency,
        currencyDisplay: "narrowSymbol",
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }).formatToParts(-1234567.89);
    } catch {
      parts = new Intl.NumberFormat(locale, { minimumFractionDigits: 2 }).formatToParts(
        -1234567.89,
      );
      parts.push({ type: "literal", value: "\u00a0" }, { type: "currency", value: currency });
    }
    patterns.set(key, parts);
  }
  return patterns.get(key);
}

/**
 * A decimal string shown as money in the locale's style: at least two decimals, up to
 * four when the amount has them ("0.0125" stays exact). `currency` may be omitted;
 * `short` cuts (never rounds) to two decimals, for tickers.
 */
export function formatMoney(text, locale, currency, short = false) {
  const match = DECIMAL.exec(String(text ?? ""));
  if (!match) return "—";
  const [, minus, whole, fraction = ""] = match;
  let digits = fraction.padEnd(2, "0");
  if (short) digits = digits.slice(0, 2);
  if (digits.length > 2) digits = digits.replace(/0+$/, "").padEnd(2, "0");
  const parts = pattern(locale, currency || "XXX");
  const group = parts.find((p) => p.type === "group")?.value ?? ",";
  const decimal = parts.find((p) => p.type === "decimal")?.value ?? ".";
  const grouped = whole.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const negative = minus === "-" && /[1-9]/.test(whole + fraction);
  let out = "";
  let wroteNumber = false;
  for (const part of parts) {
    switch (part.type) {
      case "minusSign":
        if (negative) out += part.value;
        break;
      case "integer":
      case "group":
        if (!wroteNumber) out += grouped;
        wroteNumber = true;
        break;
      case "decimal":
        out += decimal;
        break;
      case "fraction":
        out += digits;
        break;
      case "currency":
        if (currency) out += part.value;
        break;
      case "literal":
        if (currency || !/^\s+$/.test(part.value)) out += part.value;
        break;
      default:
        out += part.value;
    }
  }
  return out.trim();
}

// -- plain numbers and percentages ----------------------------------------------------------

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?$/;
const numberFormats = new Map();

function numberFormat(locale) {
  if (!numberFormats.has(locale)) {
    let format;
    try {
      format = new Intl.NumberFormat(locale);
    } catch {
      format = new Intl.NumberFormat("en");
    }
    const parts = format.formatToParts(-1.5);
    const percent = new Intl.NumberFormat(format.resolvedOptions().locale, { style: "percent" });
    const around = percent.formatToParts(1);
    const first = around.findIndex((p) => p.type === "integer");
    const last = around.findLastIndex((p) => p.type === "integer");
    numberFormats.set(locale, {
      format,
      decimal: parts.find((p) => p.type === "decimal")?.value ?? ".",
      minus: parts.find((p) => p.type === "minusSign")?.value ?? "-",
      percentBefore: around.slice(0, first).map((p) => p.value).join(""),
      percentAfter: around.slice(last + 1).map((p) => p.value).join(""),
    });
  }
  return numberFormats.get(locale);
}

/**
 * A decimal string ("96.06", "250000") in the locale's style with exactly the digits it
 * has: the whole part is grouped by Intl as a BigInt (exact, and with the locale's own
 * grouping rules), the fraction digits are kept as they are. "—" if it is not a decimal.
 */
export function formatDecimal(text, locale) {
  const match = NUMBER.exec(String(text ?? ""));
  if (!match) return "—";
  const [, minus, whole, fraction] = match;
  const style = numberFormat(locale);
  const negative = minus === "-" && /[1-9]/.test(whole + (fraction ?? ""));
  const figure = style.format.format(BigInt(whole));
  return `${negative ? style.minus : ""}${figure}${fraction ? style.decimal + fraction : ""}`;
}

/** A percentage given as a decimal string ("97.23" for 97.23 %) in the locale's style:
 * "97.23%" (en), "97,23 %" (de), "%97,23" (tr). "—" if it is not a decimal. */
export function formatPercent(text, locale) {
  const figure = formatDecimal(text, locale);
  if (figure === "—") return figure;
  const style = numberFormat(locale);
  return `${style.percentBefore}${figure}${style.percentAfter}`;
}

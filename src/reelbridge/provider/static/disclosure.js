// What the paytable tells the player about the return and the jackpots (PROTOCOL.md B18):
// the RTP at the chosen stake with its split into base game and jackpots, and each
// jackpot level's seed, contribution, chance per round and share of the RTP. Pure: the
// figures come from the state answer as decimal strings and exact fractions, and are only
// laid out here (no binary float touches them).

import { formatDecimal, formatMoney, formatPercent } from "./money.js";

const FRACTION = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/;

const gcd = (a, b) => {
  while (b) [a, b] = [b, a % b];
  return a;
};

/**
 * An exact fraction "p/q" (or a whole number "n") as BigInts in lowest terms, or null.
 * The server may send it unreduced ("2000/500000000": stake over stake per hit, both in
 * units) or reduced ("1/250000").
 */
export function parseFraction(text) {
  const match = FRACTION.exec(String(text ?? ""));
  if (!match) return null;
  const numerator = BigInt(match[1]);
  const denominator = BigInt(match[2] ?? "1");
  if (denominator === 0n) return null;
  const divisor = gcd(numerator, denominator) || 1n;
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

/**
 * The "1 in n" of a chance: `n` the reciprocal rounded half up (a BigInt), `exact` whether
 * it is exactly 1/n. Falls back to the server's rounded `oneIn` when `chance` is not a
 * fraction; null for a chance of zero or nothing usable.
 */
export function oneIn(chance, fallback = null) {
  const fraction = parseFraction(chance);
  if (fraction === null) {
    return /^\d+$/.test(String(fallback ?? "")) && BigInt(fallback) > 0n
      ? { n: BigInt(fallback), exact: false }
      : null;
  }
  const { numerator, denominator } = fraction;
  if (numerator === 0n) return null;
  return {
    n: (2n * denominator + numerator) / (2n * numerator),
    exact: denominator % numerator === 0n,
  };
}

/** A level's chance per round as the player reads it: "1 in 250,000", "about 1 in …". */
export function chanceText(level, locale, t) {
  const odds = oneIn(level.chance, level.one_in);
  if (odds === null) return "—";
  const n = formatDecimal(String(odds.n), locale);
  return t(odds.exact ? "chanceOneIn" : "chanceAbout", { n });
}

/**
 * The RTP line at one stake. `split` is `{base, jackpot, total}` (percent strings; `base`
 * and `total` null for a game whose maths is known only by simulation), `jackpots` the
 * stake's levels (none in a demo session), `rtp` the game's single figure, used when the
 * split is missing.
 */
export function rtpText({ split, jackpots = [], rtp = null }, locale, t) {
  const pct = (value) => formatPercent(value, locale);
  const base = split?.base ?? null;
  const total = split?.total ?? null;
  const jackpot = split?.jackpot ?? null;
  if (!jackpots.length || jackpot === null) {
    const figure = base ?? total ?? rtp;
    return figure === null ? t("rtpSimulated") : t("rtpBase", { rtp: pct(figure) });
  }
  if (base === null || total === null) return t("rtpSplitSimulated", { jackpot: pct(jackpot) });
  return t("rtpSplit", { total: pct(total), base: pct(base), jackpot: pct(jackpot) });
}

/** Each jackpot level as the cells of one row of the paytable's jackpot table. */
export function jackpotRows(jackpots, locale, currency, t) {
  return jackpots.map((level) => ({
    name: String(level.name),
    seed: formatMoney(level.seed, locale, currency),
    contribution: formatPercent(level.contribution_percent, locale),
    chance: chanceText(level, locale, t),
    share: formatPercent(level.rtp_percent, locale),
  }));
}

/** The jackpot rules in plain words, one sentence each. */
export function jackpotRules(t) {
  return [
    t("jackpotRuleDraw"),
    t("jackpotRuleChance"),
    t("jackpotRulePools"),
    t("jackpotRuleExcluded"),
  ];
}

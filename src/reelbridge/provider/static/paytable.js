// The paytable and rules screen, drawn from the game definition the state answer carries.
// Pay amounts are exact: the multiplier times the stake's units, as integers.

import { jackpotRows, jackpotRules, rtpText } from "./disclosure.js";
import { formatMoney, fromUnits, toUnits } from "./money.js";
import { lineColour } from "./reels.js";
import { symbolSvg } from "./symbols.js";

const esc = (text) => String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Fill `root` with the paytable of `game` at `stake` (a `game.stakes` entry: bet strings,
 * its `rtp` split and its `jackpots` levels), the RTP and jackpot disclosure first.
 * @param {(key:string, vars?:object) => string} t the translator
 * @param {boolean} demo a demo session (its rounds take no part in jackpots)
 */
export function renderPaytable(root, { game, stake, currency, locale, t, demo = false }) {
  const money = (units) => formatMoney(fromUnits(units), locale, currency);
  const lineBet = toUnits(stake.bet_per_line) ?? 0n;
  const totalBet = toUnits(stake.stake) ?? 0n;
  const gameSymbols = game.symbols ?? [];
  const gameLines = game.lines ?? [];
  const symbols = [...gameSymbols].sort((a, b) => best(b) - best(a));
  const wild = gameSymbols.find((s) => s.kind === "wild");
  const scatter = gameSymbols.find((s) => s.kind === "scatter");

  const cards = symbols
    .map((symbol) => {
      const base = symbol.kind === "scatter" ? totalBet : lineBet;
      const pays = [...symbol.pays]
        .sort((a, b) => b[0] - a[0])
        .map(
          ([count, times]) =>
            `<li><span class="count">${count}×</span><span class="amount">${esc(
              money(base * BigInt(times)),
            )}</span></li>`,
        )
        .join("");
      const label = symbol.kind === "wild" ? "WILD" : "SCATTER";
      const tag =
        symbol.kind === "line" || t.symbol(symbol.name).toUpperCase() === label
          ? ""
          : `<span class="tag">${label}</span>`;
      return `<div class="pay-card kind-${symbol.kind}">
        <div class="pay-symbol">${symbolSvg(symbol.name)}</div>
        <div class="pay-body"><div class="pay-name">${esc(t.symbol(symbol.name))}${tag}</div>
        <ul class="pays">${pays}</ul></div></div>`;
    })
    .join("");

  const rules = gameLines.length ? [t("lineRule", { lines: gameLines.length })] : [];
  if (wild) {
    rules.push(
      t("wildRule", { wild: t.symbol(wild.name), scatter: scatter ? t.symbol(scatter.name) : "—" }),
    );
  }
  if (scatter) rules.push(t("scatterPays", { symbol: t.symbol(scatter.name) }));
  if (scatter && game.free_games && game.free_games.awards.length) {
    const awards = game.free_games.awards;
    rules.push(
      t("freeRule", {
        count: Math.min(...awards.map((a) => a[0])),
        scatter: t.symbol(scatter.name),
        awards: awards.map(([n, games]) => `${n} → ${games}`).join(", "),
        m: game.free_games.multiplier,
      }),
    );
  }
  rules.push(t("serverRule"), t("malfunction"));

  const lines = gameLines
    .map((rows, index) => {
      const w = game.reels * 10;
      const h = game.rows * 10;
      let grid = "";
      for (let reel = 0; reel < game.reels; reel++) {
        for (let row = 0; row < game.rows; row++) {
          const on = rows[reel] === row;
          grid += `<rect x="${reel * 10 + 1}" y="${row * 10 + 1}" width="8" height="8" rx="1.5"
            class="${on ? "on" : ""}" style="${on ? `fill:${lineColour(index)}` : ""}"/>`;
        }
      }
      const points = rows.map((row, reel) => `${reel * 10 + 5},${row * 10 + 5}`).join(" ");
      return `<figure class="mini-line"><svg viewBox="0 0 ${w} ${h}" aria-hidden="true">${grid}
        <polyline points="${points}" style="stroke:${lineColour(index)}"/></svg>
        <figcaption>${index + 1}</figcaption></figure>`;
    })
    .join("");

  const jackpots = stake.jackpots ?? [];
  const rtp = rtpText({ split: stake.rtp ?? game.rtp_split, jackpots, rtp: game.rtp }, locale, t);
  root.innerHTML = `
    <p class="rtp" data-testid="rtp">${esc(rtp)}</p>
    <p class="bets">${esc(t("lineBet"))}: <b>${esc(money(lineBet))}</b> ·
      ${esc(t("totalBet"))}: <b>${esc(money(totalBet))}</b></p>
    ${jackpotSection({ jackpots, demo, stake: money(totalBet), currency, locale, t })}
    ${
      cards
        ? `<h3>${esc(t("symbols"))}</h3>
    <p class="note">${esc(t("paysLineBet", { bet: money(lineBet) }))}</p>
    <div class="pay-grid">${cards}</div>`
        : ""
    }
    <h3>${esc(t("rules"))}</h3>
    <ul class="rules">${rules.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>
    ${lines ? `<h3>${esc(t("paylines"))}</h3><div class="line-grid">${lines}</div>` : ""}`;
}

// The jackpot levels at the current stake and their rules; in a demo session, the
// sentence that jackpots are won in real-money play only.
function jackpotSection({ jackpots, demo, stake, currency, locale, t }) {
  if (!jackpots.length && !demo) return "";
  const heading = `<h3>${esc(t("jackpots"))}</h3>`;
  if (!jackpots.length) {
    return `<section class="jackpot-rules" data-testid="jackpot-rules">${heading}
      <p class="note">${esc(t("jackpotDemo"))}</p></section>`;
  }
  const columns = [
    ["seed", t("jackpotSeed")],
    ["contribution", t("jackpotContribution")],
    ["chance", t("jackpotChance")],
    ["share", t("jackpotShare")],
  ];
  const rows = jackpotRows(jackpots, locale, currency, t)
    .map((row) => {
      const level = row.name.toLowerCase().replace(/\W/g, "");
      const cells = columns
        .map(
          ([key, label]) =>
            `<td class="${key}" data-label="${esc(label)}"><span>${esc(row[key])}</span></td>`,
        )
        .join("");
      return `<tr data-level="${esc(row.name)}"><th scope="row" class="level level-${level}">${esc(
        row.name,
      )}</th>${cells}</tr>`;
    })
    .join("");
  const head = [t("jackpotLevel"), ...columns.map(([, label]) => label)]
    .map((label) => `<th scope="col">${esc(label)}</th>`)
    .join("");
  return `<section class="jackpot-rules" data-testid="jackpot-rules">${heading}
    <p class="note">${esc(t("jackpotChancesAt", { stake }))}</p>
    <table class="jackpot-table"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>
    <ul class="rules">${jackpotRules(t)
      .map((rule) => `<li>${esc(rule)}</li>`)
      .join("")}</ul></section>`;
}

function best(symbol) {
  const top = Math.max(0, ...symbol.pays.map((p) => p[1]));
  // the feature symbols first, then by their highest pay
  return (symbol.kind === "line" ? 0 : 1e9) + top;
}

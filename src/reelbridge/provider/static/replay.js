// The studio console's replay of a recalled round: the stored outcome's screens (the
// base spin, then every free game) drawn by the game client's own reels and symbols.
// Nothing is computed here: grids, winning cells and lines are the stored outcome's.

import { formatMoney, fromUnits } from "./money.js";
import { ReelView } from "./reels.js";
import { spriteMarkup } from "./symbols.js";

const root = document.getElementById("replay");
const data = JSON.parse(document.getElementById("replay-data").textContent);
const { game, outcome, currency } = data;
const names = game.symbols.map((s) => s.name);
const scatter = game.symbols.find((s) => s.kind === "scatter")?.name ?? null;
const screens = [
  { title: "Base spin", ...outcome.base },
  ...(outcome.free_games || []).map((screen, i) => ({ title: `Free game ${i + 1} of ${outcome.free_games.length}`, ...screen })),
];
const caption = root.querySelector("[data-testid=replay-caption]");
const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

document.getElementById("sprite").innerHTML = spriteMarkup(names);
root.dataset.game = root.dataset.gameId;
const view = new ReelView(root.querySelector(".reels"), {
  reels: game.reels,
  rows: game.rows,
  symbols: names,
  lines: game.lines,
  scatter,
  speed: () => 1,
  reducedMotion: reduced,
  onReelStop: () => {},
});

let current = 0;

function wins(screen) {
  const cells = [];
  const lines = [];
  for (const win of screen.line_wins || []) {
    lines.push(win.line);
    cells.push(...win.positions);
  }
  const sc = screen.scatter;
  if (sc && (sc.amount > 0 || screen.free_games_awarded > 0)) cells.push(...sc.positions);
  return { cells, lines };
}

function describe(screen) {
  const parts = (screen.line_wins || []).map((w) => `line ${w.line + 1}: ${w.symbol} ×${w.count}`);
  if (screen.free_games_awarded) parts.push(`${screen.free_games_awarded} free games`);
  const won = screen.win > 0 ? ` · won ${formatMoney(fromUnits(screen.win), "en", currency)}` : " · no win";
  return `${screen.title} (${current + 1}/${screens.length})${won}${parts.length ? " · " + parts.join(" · ") : ""}`;
}

function show(index) {
  current = Math.max(0, Math.min(screens.length - 1, index));
  const screen = screens[current];
  view.show(screen.grid);
  const { cells, lines } = wins(screen);
  view.highlight(cells, lines);
  caption.textContent = describe(screen);
  root.dataset.screen = String(current);
  root.classList.toggle("free", current > 0);
  for (const button of root.querySelectorAll("[data-step]")) {
    const next = current + Number(button.dataset.step);
    button.disabled = next < 0 || next >= screens.length;
  }
}

async function spinAgain() {
  const screen = screens[current];
  await view.start();
  await view.stopOn(screen.grid, { minimum: 400 });
  show(current);
}

for (const button of root.querySelectorAll("[data-step]")) {
  button.addEventListener("click", () => show(current + Number(button.dataset.step)));
}
root.querySelector("[data-spin]").addEventListener("click", spinAgain);
show(0);
root.dataset.ready = "true";

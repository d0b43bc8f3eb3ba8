// The reels: a DOM strip per reel moved with the Web Animations API, and an SVG overlay
// that draws winning paylines. The view only shows screens the server sent; the symbols
// that blur past while a reel spins are decoration.

import { symbolSvg } from "./symbols.js";

const LOOP = 6; // filler symbols in one turn of the spinning loop
const LINE_COLOURS = [
  "#ffd54a",
  "#4fc3f7",
  "#ff7043",
  "#81c784",
  "#f06292",
  "#ba68c8",
  "#4dd0e1",
  "#ffb74d",
  "#aed581",
  "#e57373",
  "#9575cd",
  "#4db6ac",
  "#fff176",
  "#7986cb",
  "#ff8a65",
  "#a1887f",
  "#90a4ae",
  "#dce775",
  "#f48fb1",
  "#80deea",
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The colour payline `index` is drawn in. */
export const lineColour = (index) => LINE_COLOURS[index % LINE_COLOURS.length];

export class ReelView {
  /**
   * @param {HTMLElement} root the `.reels` element (its parent holds the overlay).
   * @param {{reels:number, rows:number, symbols:string[], lines:number[][],
   *          scatter:string|null, speed:() => number, reducedMotion:boolean,
   *          onReelStop:(index:number, hasScatter:boolean) => void}} options
   */
  constructor(root, options) {
    Object.assign(this, options);
    this.root = root;
    this.root.style.setProperty("--reels", this.reels);
    this.root.style.setProperty("--rows", this.rows);
    this.root.parentElement.style.setProperty("--reels", this.reels);
    this.root.parentElement.style.setProperty("--rows", this.rows);
    this.columns = [];
    this.loops = [];
    this.grid = null;
    this.root.replaceChildren();
    for (let reel = 0; reel < this.reels; reel++) {
      const column = document.createElement("div");
      column.className = "reel";
      column.dataset.reel = reel;
      column.style.aspectRatio = `1 / ${this.rows}`;
      const strip = document.createElement("div");
      strip.className = "strip";
      column.append(strip);
      this.root.append(column);
      this.columns.push(column);
    }
    this.overlay = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.overlay.classList.add("paylines");
    this.overlay.setAttribute("viewBox", `0 0 ${this.reels * 100} ${this.rows * 100}`);
    this.overlay.setAttribute("aria-hidden", "true");
    this.root.after(this.overlay);
  }

  /** Show `grid` (`grid[reel][row]`) at once. */
  show(grid) {
    this.grid = grid;
    grid.forEach((symbols, reel) => this.fill(reel, symbols));
  }

  fill(reel, symbols) {
    const strip = this.columns[reel].firstElementChild;
    strip.getAnimations().forEach((a) => a.cancel());
    strip.style.transform = "";
    strip.innerHTML = symbols.map((s, row) => cell(s, row)).join("");
  }

  filler(count) {
    const out = [];
    for (let i = 0; i < count; i++)
      out.push(this.symbols[Math.floor(Math.random() * this.symbols.length)]);
    return out;
  }

  cellHeight() {
    return this.columns[0].clientHeight / this.rows;
  }

  /** Start every reel turning; they turn until `stopOn`. */
  async start() {
    this.clearWins();
    if (this.reducedMotion) {
      this.columns.forEach((c) => c.classList.add("dim"));
      return;
    }
    const h = this.cellHeight();
    const speed = this.speed();
    this.loops = this.columns.map((column, reel) => {
      const strip = column.firstElementChild;
      const current = this.grid ? this.grid[reel] : this.filler(this.rows);
      const turn = this.filler(LOOP);
      const items = [...turn, ...turn, ...current];
      strip.getAnimations().forEach((a) => a.cancel());
      strip.innerHTML = items.map((s, row) => cell(s, row)).join("");
      column.classList.add("spinning");
      const top = -2 * LOOP * h;
      const windup = strip.animate(
        [
          { transform: `translateY(${top}px)` },
          { transform: `translateY(${top - 0.18 * h}px)`, offset: 0.3 },
          { transform: `translateY(${-LOOP * h}px)` },
        ],
        { duration: 330 * speed, delay: reel * 55 * speed, easing: "ease-in", fill: "both" },
      );
      return windup.finished
        .then(() => {
          const loop = strip.animate(
            [{ transform: `translateY(${-LOOP * h}px)` }, { transform: "translateY(0)" }],
            { duration: LOOP * 42 * speed, iterations: Infinity },
          );
          windup.cancel();
          return loop;
        })
        .catch(() => null);
    });
  }

  /**
   * Bring the reels to rest on `grid`, left to right; resolves when the last one lands.
   * Reels after two scatter-bearing reels turn longer (anticipation).
   */
  async stopOn(grid, { minimum = 0 } = {}) {
    if (minimum > 0) await sleep(minimum);
    if (this.reducedMotion) {
      this.columns.forEach((c) => c.classList.remove("dim"));
      this.show(grid);
      grid.forEach((symbols, reel) => this.onReelStop(reel, symbols.includes(this.scatter)));
      return;
    }
    const speed = this.speed();
    const landings = [];
    let scatters = 0;
    for (let reel = 0; reel < this.reels; reel++) {
      const tease = this.scatter !== null && scatters >= 2 && speed >= 1;
      if (tease) {
        this.columns[reel].classList.add("anticipate");
        await Promise.all(landings); // let the player see the scatters, then tease
        await sleep(650);
      } else if (reel > 0) {
        await sleep(150 * speed);
      }
      landings.push(this.land(reel, grid[reel], speed));
      if (grid[reel].includes(this.scatter)) scatters++;
    }
    await Promise.all(landings);
    this.grid = grid;
  }

  async land(reel, symbols, speed) {
    const column = this.columns[reel];
    const strip = column.firstElementChild;
    const loop = await this.loops[reel];
    if (loop) loop.cancel();
    const h = this.cellHeight();
    const items = [...symbols, ...this.filler(LOOP)];
    strip.getAnimations().forEach((a) => a.cancel());
    strip.innerHTML = items.map((s, row) => cell(s, row)).join("");
    const top = -LOOP * h;
    const landing = strip.animate(
      [
        { transform: `translateY(${top}px)`, easing: "cubic-bezier(.25,.6,.45,1)" },
        { transform: `translateY(${0.16 * h}px)`, offset: 0.8, easing: "ease-in-out" },
        { transform: "translateY(0)" },
      ],
      { duration: 360 * speed, fill: "both" },
    );
    setTimeout(() => column.classList.remove("spinning"), 200 * speed);
    try {
      await landing.finished;
    } catch {
      // cancelled by a newer spin: nothing to finish
    }
    column.classList.remove("spinning", "anticipate");
    strip.innerHTML = symbols.map((s, row) => cell(s, row)).join("");
    landing.cancel();
    const hasScatter = symbols.includes(this.scatter);
    if (hasScatter) {
      strip
        .querySelectorAll(`[data-symbol="${CSS.escape(this.scatter)}"]`)
        .forEach((c) => c.classList.add("land"));
    }
    this.onReelStop(reel, hasScatter);
  }

  cellAt(reel, row) {
    return this.columns[reel]?.firstElementChild.children[row] ?? null;
  }

  /** Remove every highlight and drawn line. */
  clearWins() {
    this.root.classList.remove("has-win");
    this.root
      .querySelectorAll(".cell.win, .cell.land")
      .forEach((c) => c.classList.remove("win", "land"));
    this.overlay.replaceChildren();
  }

  /** Light `positions` ([reel, row] pairs) and draw `lines` (indexes into the paylines). */
  highlight(positions, lines) {
    this.clearWins();
    if (positions.length) this.root.classList.add("has-win");
    for (const [reel, row] of positions) this.cellAt(reel, row)?.classList.add("win");
    for (const index of lines) this.drawLine(index);
  }

  drawLine(index) {
    const rows = this.lines[index];
    if (!rows) return;
    const points = rows.map((row, reel) => [reel * 100 + 50, row * 100 + 50]);
    points.unshift([4, points[0][1]]);
    points.push([this.reels * 100 - 4, points[points.length - 1][1]]);
    const ns = "http://www.w3.org/2000/svg";
    const group = document.createElementNS(ns, "g");
    group.style.setProperty("--line", lineColour(index));
    for (const kind of ["glow", "stroke"]) {
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", points.map((p) => p.join(",")).join(" "));
      line.setAttribute("pathLength", "100");
      line.classList.add(kind);
      group.append(line);
    }
    const badge = document.createElementNS(ns, "g");
    badge.classList.add("badge");
    const [x, y] = points[0];
    badge.innerHTML = `<circle cx="${x + 14}" cy="${y}" r="14"/><text x="${x + 14}" y="${y + 5}">${
      index + 1
    }</text>`;
    group.append(badge);
    this.overlay.append(group);
  }
}

function cell(symbol, row) {
  const safe = String(symbol).replace(/[^A-Za-z0-9_-]/g, "_");
  return `<div class="cell" data-symbol="${safe}" data-row="${row}">${symbolSvg(symbol)}</div>`;
}

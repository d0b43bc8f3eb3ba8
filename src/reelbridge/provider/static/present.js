// Showing a round the server has settled: the base screen and its wins, then every free
// game it contains, screen by screen, then the jackpot and the big-win banners. Amounts
// are the server's (integer units inside the outcome, decimal strings outside); the
// running win during free games is their exact sum.

import { fromUnits, toUnits } from "./money.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Presenter {
  /**
   * @param {{reels: import("./reels.js").ReelView, sound: import("./sound.js").Sound,
   *   elements: {overlay: HTMLElement, freeGames: HTMLElement, winline: HTMLElement,
   *              reels: HTMLElement},
   *   t: () => Function, money: (text: string) => string,
   *   say: (message: Function|string, kind?: string) => void,
   *   showWin: (text: string|null) => void, speed: () => number}} parts
   */
  constructor(parts) {
    Object.assign(this, parts);
    this.generation = 0; // bumps on each round: a win cycle of an older round stops
    this.skipBanner = null;
  }

  /** Stop whatever the last round still shows (the win cycle). */
  reset() {
    this.generation++;
    this.elements.winline.textContent = "";
  }

  /** Shorten the banner on screen, if any; true if there was one. */
  skip() {
    if (!this.skipBanner) return false;
    this.skipBanner();
    return true;
  }

  /** Show a settled round (the spin answer); resolves when the player may spin again. */
  async present(answer) {
    const t = this.t();
    const money = this.money;
    const { base, free_games: freeGames = [] } = answer.outcome;
    const stake = toUnits(answer.stake) ?? 1n;
    await this.reels.stopOn(base.grid, { minimum: 520 * this.speed() });
    this.describeScreen(base.grid);
    let running = BigInt(base.win);
    if (base.win > 0 || (base.scatter?.count > 0 && base.free_games_awarded > 0)) {
      await this.showScreenWins(base, { linger: freeGames.length > 0 });
    }
    if (base.win > 0) this.showWin(fromUnits(running));
    if (freeGames.length) running = await this.playFreeGames(base, freeGames, running);
    if (answer.jackpot) {
      this.sound.fanfare();
      const { level, amount } = answer.jackpot;
      await this.banner(`${t("jackpotWon")} ${level}`, money(amount), 3000, "jackpot");
    }
    const win = toUnits(answer.win) ?? 0n;
    if (win > 0n && !answer.error) {
      const multiple = win / (stake > 0n ? stake : 1n);
      if (multiple >= 15n && !freeGames.length) {
        this.sound.win(true);
        const title = multiple >= 50n ? t("megaWin") : t("bigWin");
        await this.banner(title, money(answer.win), 2400, "big");
      }
      this.say(
        (tr) => tr("youWon", { amount: money(answer.win) }) + this.jackpotNote(answer, tr),
        "win",
      );
      if (!freeGames.length) this.cycleWins(base);
    } else if (answer.jackpot) {
      this.say((tr) => this.jackpotNote(answer, tr).slice(3), "win");
    } else if (!answer.error) {
      this.say((tr) => tr("noWin"));
    }
  }

  async playFreeGames(base, freeGames, running) {
    const t = this.t();
    const { freeGames: counter, winline } = this.elements;
    const count = counter.querySelector(".count");
    let awarded = base.free_games_awarded;
    let freeWin = 0n;
    this.sound.fanfare();
    const multiplier = freeGames[0].multiplier;
    await this.banner(
      t("freeGamesWon", { n: awarded }),
      multiplier > 1 ? t("freeGamesMultiplier", { m: multiplier }) : "",
      2200,
    );
    document.body.classList.add("free-mode");
    counter.hidden = false;
    counter.dataset.played = "0";
    this.say((tr) => tr("freeGamesWon", { n: awarded }));
    for (const [index, screen] of freeGames.entries()) {
      winline.textContent = "";
      counter.dataset.total = String(awarded);
      count.textContent = t("freeGamesCounter", { n: index + 1, total: awarded });
      this.reels.start();
      await this.reels.stopOn(screen.grid, { minimum: 380 * this.speed() });
      counter.dataset.played = String(index + 1); // free games shown so far
      this.describeScreen(screen.grid);
      running += BigInt(screen.win);
      freeWin += BigInt(screen.win);
      if (screen.win > 0) {
        const total = freeWin;
        this.say((tr) => `${tr("freeGamesTotal")}: ${this.money(fromUnits(total))}`, "win");
        this.showWin(fromUnits(running));
        await this.showScreenWins(screen, { linger: true });
      } else {
        await sleep(320 * this.speed());
      }
      if (screen.free_games_awarded > 0) {
        awarded += screen.free_games_awarded;
        count.textContent = t("freeGamesCounter", { n: index + 1, total: awarded });
        this.sound.fanfare();
        await this.banner(t("freeGamesMore", { n: screen.free_games_awarded }), "", 1600);
      }
    }
    await this.banner(t("freeGamesTotal"), this.money(fromUnits(freeWin)), 2200);
    document.body.classList.remove("free-mode");
    counter.hidden = true;
    this.reels.show(base.grid);
    this.describeScreen(base.grid);
    return running;
  }

  /** The reels' accessible name: every reel's symbols, top to bottom. */
  describeScreen(grid) {
    const t = this.t();
    const reels = grid.map(
      (symbols, reel) =>
        `${t("reel", { n: reel + 1 })}: ${symbols.map((s) => t.symbol(s)).join(", ")}`,
    );
    this.elements.reels.setAttribute("aria-label", `${t("reels")}. ${reels.join("; ")}`);
  }

  jackpotNote(answer, t) {
    const jackpot = answer.jackpot;
    return jackpot ? ` · ${t("jackpotWon")} ${jackpot.level} ${this.money(jackpot.amount)}` : "";
  }

  // Highlight a screen's wins: all lines at once, with the win sound.
  async showScreenWins(screen, { linger }) {
    const positions = [];
    const lines = [];
    for (const w of screen.line_wins) {
      positions.push(...w.positions);
      lines.push(w.line);
    }
    if (screen.scatter && (screen.scatter.amount > 0 || screen.free_games_awarded > 0)) {
      positions.push(...screen.scatter.positions);
    }
    this.reels.highlight(positions, lines);
    if (screen.win > 0) this.sound.win(false);
    this.elements.winline.textContent = this.describeWins(screen).join("  ·  ");
    if (linger) await sleep(1100 * this.speed());
  }

  describeWins(screen) {
    const t = this.t();
    const texts = screen.line_wins.map((w) =>
      t("lineWin", {
        line: w.line + 1,
        symbol: t.symbol(w.symbol),
        count: w.count,
        amount: this.money(fromUnits(w.amount)),
      }),
    );
    if (screen.scatter && screen.scatter.amount > 0) {
      texts.push(
        t("scatterWin", {
          count: screen.scatter.count,
          symbol: t.symbol(screen.scatter.symbol),
          amount: this.money(fromUnits(screen.scatter.amount)),
        }),
      );
    }
    return texts;
  }

  // After the round, while idle: all wins, then each one in turn, until the next round.
  async cycleWins(screen) {
    const generation = this.generation;
    const wins = screen.line_wins.map((w) => ({ positions: w.positions, lines: [w.line] }));
    if (screen.scatter && screen.scatter.amount > 0) {
      wins.push({ positions: screen.scatter.positions, lines: [] });
    }
    if (wins.length < 2) return;
    const texts = this.describeWins(screen);
    await sleep(1400);
    for (let i = 0; this.generation === generation; i = (i + 1) % wins.length) {
      this.reels.highlight(wins[i].positions, wins[i].lines);
      this.elements.winline.textContent = texts[i];
      await sleep(1300);
    }
  }

  /** A centred banner over the reels; a click or the space bar shortens it. */
  banner(title, detail, ms, kind = "feature") {
    const overlay = this.elements.overlay;
    overlay.querySelector(".title").textContent = title;
    overlay.querySelector(".detail").textContent = detail;
    overlay.dataset.kind = kind;
    overlay.hidden = false;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.skipBanner = null;
        overlay.hidden = true;
        resolve();
      };
      const timer = setTimeout(done, ms * this.speed());
      this.skipBanner = done;
    });
  }
}

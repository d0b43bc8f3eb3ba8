// The game client. It decides nothing: every screen, win and balance comes from the game
// API (game_api.py). A balance the server sends as null is never guessed: the last
// confirmed one is shown greyed until a state poll confirms it (PROTOCOL.md Part A, B4).
//
// Test hooks: `data-testid` on the controls, `document.body.dataset.state` ("loading"
// until the first state answer, then "idle" or "spinning") and `dataset.rounds`.

import { gameApi, prefs } from "./api.js";
import { LANGUAGES, pickLanguage, translator } from "./i18n.js";
import { formatMoney, toUnits } from "./money.js";
import { renderPaytable } from "./paytable.js";
import { Presenter } from "./present.js";
import { ReelView } from "./reels.js";
import { Sound } from "./sound.js";
import { spriteMarkup } from "./symbols.js";

const $ = (selector) => document.querySelector(selector);
const api = gameApi(location.href);
const POLL_MS = 20000;
const AUTOPLAY_CHOICES = [10, 25, 50, 100];

const ui = {
  gameName: $("[data-testid=game-name]"),
  mode: $("[data-testid=mode]"),
  jackpots: $("[data-testid=jackpots]"),
  campaign: $("[data-testid=campaign]"),
  balance: $("[data-testid=balance]"),
  win: $("[data-testid=win]"),
  message: $("[data-testid=message]"),
  winline: $("#winline"),
  spin: $("[data-testid=spin]"),
  stake: $("[data-testid=stake]"),
  autoplay: $("[data-testid=autoplay]"),
  autoplayMenu: $("#autoplay-menu"),
  turbo: $("[data-testid=turbo]"),
  sound: $("[data-testid=sound]"),
  paytable: $("[data-testid=paytable]"),
  dialog: $("[data-testid=paytable-dialog]"),
  dialogBody: $("#paytable-body"),
  exit: $("[data-testid=exit]"),
  language: $("[data-testid=language]"),
  freeGames: $("[data-testid=free-games]"),
  overlay: $("#overlay"),
  reels: $("[data-testid=reels]"),
  stage: $(".frame"),
};

const app = {
  state: null,
  t: translator("en"),
  locale: "en",
  reels: null,
  balance: null, // the last confirmed balance (decimal string) or null
  confirmed: false,
  busy: false,
  gone: false,
  autoplayLeft: 0,
  turbo: prefs.get("turbo", false),
  sound: new Sound(prefs.get("sound", true)),
  pollTimer: 0,
  retryDelay: 1000,
  generation: 0, // bumps on each spin: a state answer begun earlier is stale
  presenter: null,
  message: null,
  rounds: 0, // rounds shown since the page opened (body[data-rounds], for tests)
};

const speed = () => (app.turbo ? 0.45 : 1);
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)").matches;

function setBusy(busy) {
  app.busy = busy;
  document.body.dataset.state = busy ? "spinning" : "idle";
  refreshControls();
}

function refreshControls() {
  const playable = Boolean(app.state) && !app.gone;
  ui.spin.disabled = !playable || app.busy;
  ui.stake.disabled = !playable || app.busy || Boolean(app.state?.campaign);
  ui.autoplay.disabled = !playable || (app.busy && app.autoplayLeft === 0);
  document.body.dataset.autoplay = app.autoplayLeft > 0 ? "on" : "off";
  ui.autoplay.setAttribute("aria-pressed", String(app.autoplayLeft > 0));
  const t = app.t;
  if (app.autoplayLeft > 0) {
    ui.autoplay.querySelector(".label").textContent = String(app.autoplayLeft);
    ui.autoplay.setAttribute(
      "aria-label",
      `${t("autoplayStop")} (${t("autoplayLeft", { n: app.autoplayLeft })})`,
    );
  } else {
    ui.autoplay.querySelector(".label").textContent = "";
    ui.autoplay.setAttribute("aria-label", t("autoplay"));
  }
  ui.autoplay.title = ui.autoplay.getAttribute("aria-label");
}

// -- showing money ------------------------------------------------------------------------

const currency = () => app.state?.session.currency;
const money = (text, short = false) => formatMoney(text, app.locale, currency(), short);

// A formatted amount with its currency sign or code set smaller than the figure.
function showAmount(output, formatted) {
  const [, before, figure, after] = /^([^\d-]*)(.*?\d)?(\D*)$/.exec(formatted) ?? [];
  if (figure === undefined) {
    output.textContent = formatted;
    return;
  }
  const unit = (text) => {
    const span = document.createElement("span");
    span.className = "unit";
    span.textContent = text;
    return span;
  };
  output.replaceChildren(unit(before), figure, unit(after));
}

function showBalance(text, confirmed) {
  if (confirmed && text != null) {
    app.balance = text;
    app.confirmed = true;
  } else {
    app.confirmed = false;
  }
  ui.balance.dataset.confirmed = String(app.confirmed);
  ui.balance.dataset.value = app.balance ?? "";
  const shown = app.balance == null ? "—" : money(app.balance);
  showAmount(ui.balance, app.confirmed ? shown : `${shown} …`);
  ui.balance.title = app.confirmed ? "" : app.t("balanceUnconfirmed");
  ui.balance.setAttribute(
    "aria-label",
    `${app.t("balance")}: ${shown}${app.confirmed ? "" : `, ${app.t("balanceUnconfirmed")}`}`,
  );
  if (!app.confirmed) schedulePoll(app.retryDelay);
}

function showWin(text) {
  ui.win.dataset.value = text ?? "";
  showAmount(ui.win, text == null ? "—" : money(text));
  ui.win.setAttribute("aria-label", `${app.t("win")}: ${ui.win.textContent}`);
  ui.win.classList.toggle("positive", (toUnits(text) ?? 0n) > 0n);
}

// `message` is a function of the current language (re-run on a language switch) or a
// text to show as it is (the aggregator's own message).
function say(message, kind = "info") {
  app.message = { message, kind };
  ui.message.textContent = typeof message === "function" ? message(app.t) : message;
  ui.message.dataset.kind = kind;
}

// -- state --------------------------------------------------------------------------------

async function loadState({ initial = false } = {}) {
  const generation = app.generation;
  let state;
  try {
    state = await api("state", { timeout: 15000 });
  } catch (error) {
    if (error.code === "session_not_found") {
      sessionGone();
    } else if (initial) {
      say((t) => t("connection"), "error");
      schedulePoll(3000);
    } else {
      schedulePoll(Math.min(app.retryDelay * 2, 15000));
    }
    return;
  }
  if (generation !== app.generation || (app.busy && !initial)) {
    schedulePoll(1000); // a spin started meanwhile: its own answer is newer
    return;
  }
  const first = app.state === null;
  app.state = state;
  if (first) setup(state);
  renderState(state);
  if (state.balance != null) {
    app.retryDelay = 1000;
    showBalance(state.balance, true);
    schedulePoll(POLL_MS);
  } else {
    app.retryDelay = Math.min(app.retryDelay * 2, 15000);
    showBalance(null, false);
  }
  if (first) {
    setBusy(false);
    say((t) => t("pressSpin"));
    loadLastScreen();
  }
}

function schedulePoll(ms) {
  clearTimeout(app.pollTimer);
  if (app.gone) return;
  app.pollTimer = setTimeout(() => {
    if (app.busy || document.hidden) schedulePoll(app.busy ? 1000 : POLL_MS);
    else loadState();
  }, ms);
}

function sessionGone() {
  app.gone = true;
  app.autoplayLeft = 0;
  clearTimeout(app.pollTimer);
  say((t) => t("sessionGone"), "error");
  if (document.body.dataset.state === "loading") document.body.dataset.state = "idle";
  refreshControls();
}

function setup(state) {
  const game = state.game;
  const language = pickLanguage(state.session.language);
  document.body.dataset.game = game.id;
  document.body.dataset.mode = state.session.demo ? "demo" : "real";
  document.title = game.name;
  $("#sprite").innerHTML = spriteMarkup(game.symbols.map((s) => s.name));
  const scatter = game.symbols.find((s) => s.kind === "scatter")?.name ?? null;
  app.reels = new ReelView(ui.reels, {
    reels: game.reels,
    rows: game.rows,
    symbols: game.symbols.map((s) => s.name),
    lines: game.lines,
    scatter,
    speed,
    reducedMotion,
    onReelStop: (index, hasScatter) => {
      app.sound.reelStop(index);
      if (hasScatter) app.sound.scatter();
    },
  });
  app.reels.show(openingScreen(game));
  app.presenter = new Presenter({
    reels: app.reels,
    sound: app.sound,
    elements: {
      overlay: ui.overlay,
      freeGames: ui.freeGames,
      winline: ui.winline,
      reels: ui.reels,
    },
    t: () => app.t,
    money,
    say,
    showWin,
    speed,
  });
  ui.stake.innerHTML = game.stakes.map((s) => `<option value="${s.bet_id}"></option>`).join("");
  const exit = safeUrl(state.session.return_url);
  ui.exit.hidden = exit === null;
  if (exit) ui.exit.href = exit;
  ui.language.innerHTML = Object.entries(LANGUAGES)
    .map(([code, name]) => `<option value="${code}" lang="${code}">${name}</option>`)
    .join("");
  setLanguage(language);
}

// The screen of the player's last round, if any, else a calm screen of every symbol.
function openingScreen(game) {
  const names = game.symbols.filter((s) => s.kind === "line").map((s) => s.name);
  return Array.from({ length: game.reels }, (_, reel) =>
    Array.from({ length: game.rows }, (_, row) => names[(reel * 2 + row * 3) % names.length]),
  );
}

async function loadLastScreen() {
  try {
    const { rounds } = await api("history?limit=1", { timeout: 8000 });
    const grid = rounds?.[0]?.outcome?.base?.grid;
    const game = app.state.game;
    if (!app.busy && grid?.length === game.reels && grid[0].length === game.rows) {
      app.reels.show(grid);
    }
  } catch {
    // the opening screen stays
  }
}

function safeUrl(text) {
  try {
    const url = new URL(text, location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function renderState(state) {
  const t = app.t;
  const campaign = state.campaign;
  // the stake of a freespin campaign is the campaign's: the server plays it whatever
  // bet_id is sent, so the selector shows it and is locked
  if (campaign) {
    const match = state.game.stakes.find((s) => s.bet_per_line === campaign.bet_per_line);
    if (match && ui.stake.value !== String(match.bet_id)) {
      ui.stake.value = String(match.bet_id);
      if (ui.dialog.open) renderRules(); // its RTP and jackpot chances are the stake's
    }
  }
  ui.campaign.hidden = !campaign;
  if (campaign) {
    ui.campaign.querySelector(".title").textContent = t("campaign", { n: campaign.remaining });
    ui.campaign.querySelector(".detail").textContent = t("campaignBet", {
      stake: money(campaign.stake),
    });
    ui.campaign.dataset.remaining = campaign.remaining;
  }
  document.body.classList.toggle("has-campaign", Boolean(campaign));
  ui.spin.querySelector(".free").textContent = campaign ? t("freeSpin") : "";
  renderJackpots(state.jackpots || []);
  refreshControls();
}

function renderJackpots(jackpots) {
  ui.jackpots.hidden = jackpots.length === 0;
  const previous = new Map(
    [...ui.jackpots.querySelectorAll(".jackpot")].map((el) => [el.dataset.name, el.dataset.value]),
  );
  ui.jackpots.replaceChildren(
    ...jackpots.map((jackpot) => {
      const item = document.createElement("div");
      item.className = `jackpot level-${String(jackpot.name).toLowerCase().replace(/\W/g, "")}`;
      item.dataset.name = jackpot.name;
      item.dataset.value = jackpot.amount;
      const name = document.createElement("span");
      name.className = "name";
      name.lang = "en"; // a level's name is not translated: upper-case it as English
      name.textContent = jackpot.name;
      const amount = document.createElement("span");
      amount.className = "amount";
      amount.textContent = formatMoney(jackpot.amount, app.locale, jackpot.currency, true);
      item.append(name, amount);
      if (previous.has(jackpot.name) && previous.get(jackpot.name) !== jackpot.amount) {
        item.classList.add("tick");
      }
      return item;
    }),
  );
  ui.jackpots.setAttribute("aria-label", app.t("jackpots"));
}

function setLanguage(language) {
  app.t = translator(language);
  app.locale = language;
  document.documentElement.lang = language;
  ui.language.value = language;
  $(".language .code").textContent = language.toUpperCase();
  const t = app.t;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
  ui.mode.textContent = app.state?.session.demo ? t("demo") : t("real");
  if (app.reels?.grid) app.presenter.describeScreen(app.reels.grid);
  else ui.reels.setAttribute("aria-label", t("reels"));
  if (app.state) {
    ui.gameName.textContent = app.state.game.name;
    for (const option of ui.stake.options) {
      const stake = app.state.game.stakes[Number(option.value)];
      option.textContent = money(stake.stake);
    }
    renderState(app.state);
    showBalance(app.balance, app.confirmed);
    if (ui.win.dataset.value) showWin(ui.win.dataset.value);
    if (ui.dialog.open) renderRules();
  }
  if (app.message) say(app.message.message, app.message.kind);
  refreshControls();
}

function renderRules() {
  const stake = app.state.game.stakes[Number(ui.stake.value)] ?? app.state.game.stakes[0];
  renderPaytable(ui.dialogBody, {
    game: app.state.game,
    stake,
    currency: currency(),
    locale: app.locale,
    t: app.t,
    demo: app.state.session.demo,
  });
}

// -- a round ------------------------------------------------------------------------------

async function spin() {
  if (app.busy || !app.state || app.gone) return;
  app.sound.unlock();
  hideAutoplayMenu();
  app.generation++;
  app.presenter.reset();
  setBusy(true);
  const before = app.reels.grid;
  say((t) => t("goodLuck"));
  showWin(null);
  app.sound.spin();
  app.reels.start();
  const started = performance.now();
  let answer = null;
  let failure = null;
  try {
    answer = await api("spin", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ bet_id: Number(ui.stake.value) }),
    });
  } catch (error) {
    failure = error;
  }
  const minimum = Math.max(0, 520 * speed() - (performance.now() - started));
  try {
    if (answer?.outcome) {
      await app.presenter.present(answer);
    } else {
      await app.reels.stopOn(before, { minimum });
    }
  } catch (error) {
    console.error(error);
  }
  finishRound(answer, failure);
}

function finishRound(answer, failure) {
  let stopAutoplay = false;
  if (failure) {
    stopAutoplay = true;
    app.sound.error();
    if (failure.code === "session_not_found") {
      sessionGone();
    } else if (failure.code === "spin_in_progress") {
      say((t) => t("spinInProgress"), "error");
      showBalance(null, false);
    } else if (failure.status >= 400 && failure.status < 500 && failure.message) {
      say(failure.message, "error"); // refused before any money moved
    } else {
      say((t) => t("unknownError"), "error"); // no answer or an unreadable one: B4
      showBalance(null, false);
    }
  } else {
    if (answer.error) {
      // the aggregator's message for a known bet error; "Unknown error" otherwise (Part A)
      stopAutoplay = true;
      app.sound.error();
      say(answer.error.message || ((t) => t("unknownError")), "error");
    }
    if (answer.win != null) showWin(answer.win);
    showBalance(answer.balance, answer.balance != null);
    const session = app.state.session;
    const noPools = !session.demo && !(app.state.jackpots || []).length;
    if (answer.kind === "freespin" || app.state.campaign || answer.jackpot || noPools) {
      loadState(); // the campaign's spins left, or the jackpot pools, moved
    }
  }
  if (stopAutoplay) app.autoplayLeft = 0;
  app.rounds++;
  document.body.dataset.rounds = String(app.rounds);
  setBusy(false);
  if (app.autoplayLeft > 0) {
    const generation = app.generation;
    setTimeout(() => {
      if (app.generation === generation) autoSpin();
    }, 450 * speed());
  }
}

// -- autoplay -----------------------------------------------------------------------------

function toggleAutoplay() {
  app.sound.unlock();
  app.sound.click();
  if (app.autoplayLeft > 0) {
    app.autoplayLeft = 0;
    refreshControls();
    return;
  }
  if (ui.autoplayMenu.hidden) showAutoplayMenu();
  else hideAutoplayMenu();
}

function showAutoplayMenu() {
  ui.autoplayMenu.hidden = false;
  ui.autoplay.setAttribute("aria-expanded", "true");
  ui.autoplayMenu.querySelector("button")?.focus();
}

function hideAutoplayMenu() {
  ui.autoplayMenu.hidden = true;
  ui.autoplay.setAttribute("aria-expanded", "false");
}

function startAutoplay(count) {
  hideAutoplayMenu();
  app.autoplayLeft = count;
  autoSpin();
}

// `autoplayLeft` counts the autoplay spins not yet started.
function autoSpin() {
  if (app.autoplayLeft <= 0 || app.busy || app.gone) {
    refreshControls();
    return;
  }
  app.autoplayLeft--;
  spin();
}

// -- wiring -------------------------------------------------------------------------------

function wire() {
  ui.autoplayMenu.innerHTML = AUTOPLAY_CHOICES.map(
    (n) =>
      `<button type="button" role="menuitem" data-testid="autoplay-${n}" value="${n}">${n}</button>`,
  ).join("");
  ui.spin.addEventListener("click", () => {
    if (app.presenter?.skip()) return;
    if (app.autoplayLeft > 0) {
      app.autoplayLeft = 0;
      refreshControls();
      return;
    }
    spin();
  });
  ui.autoplay.addEventListener("click", toggleAutoplay);
  ui.autoplayMenu.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) startAutoplay(Number(button.value));
  });
  ui.stake.addEventListener("change", () => {
    app.sound.click();
    if (ui.dialog.open) renderRules();
  });
  ui.turbo.addEventListener("click", () => {
    app.turbo = !app.turbo;
    prefs.set("turbo", app.turbo);
    ui.turbo.setAttribute("aria-pressed", String(app.turbo));
    app.sound.unlock();
    app.sound.click();
  });
  ui.turbo.setAttribute("aria-pressed", String(app.turbo));
  ui.sound.addEventListener("click", () => {
    app.sound.setEnabled(!app.sound.enabled);
    prefs.set("sound", app.sound.enabled);
    ui.sound.setAttribute("aria-pressed", String(app.sound.enabled));
    app.sound.click();
  });
  ui.sound.setAttribute("aria-pressed", String(app.sound.enabled));
  ui.paytable.addEventListener("click", () => {
    if (!app.state) return;
    renderRules();
    ui.dialog.showModal();
  });
  $("#paytable-close").addEventListener("click", () => ui.dialog.close());
  ui.dialog.addEventListener("click", (event) => {
    if (event.target === ui.dialog) ui.dialog.close(); // a click on the backdrop
  });
  ui.language.addEventListener("change", () => setLanguage(ui.language.value));
  ui.overlay.addEventListener("click", () => app.presenter?.skip());
  document.addEventListener("keydown", (event) => {
    if (event.code !== "Space" && event.key !== " ") return;
    if (ui.dialog.open || event.target.closest?.("select, input, textarea, [role=menu]")) return;
    event.preventDefault();
    if (event.repeat) return;
    if (app.presenter?.skip()) return;
    if (app.autoplayLeft > 0) {
      app.autoplayLeft = 0;
      refreshControls();
      return;
    }
    spin();
  });
  // a focused button must not also "click" on the space bar's keyup
  document.addEventListener("keyup", (event) => {
    if ((event.code === "Space" || event.key === " ") && event.target.closest?.("button")) {
      if (!ui.dialog.open && !event.target.closest("[role=menu]")) event.preventDefault();
    }
  });
  document.addEventListener("click", (event) => {
    if (
      !ui.autoplayMenu.hidden &&
      !event.target.closest("#autoplay-menu, [data-testid=autoplay]")
    ) {
      hideAutoplayMenu();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !ui.autoplayMenu.hidden) hideAutoplayMenu();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !app.busy && app.state) schedulePoll(100);
  });
}

wire();
say((t) => t("loading"));
loadState({ initial: true });

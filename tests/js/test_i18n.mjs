// i18n.js: the launch language, the translator's placeholders and fallbacks, and that
// every language carries every string (translated, with the same placeholders).

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import {
  LANGUAGES,
  STRINGS,
  pickLanguage,
  translator,
} from "../../src/reelbridge/provider/static/i18n.js";

// the paytable's RTP and jackpot disclosure ("Jackpot!" and "Jackpots" may be loanwords)
const DISCLOSURE = [
  "rtpBase",
  "rtpSplit",
  "rtpSimulated",
  "rtpSplitSimulated",
  "jackpotDemo",
  "jackpotChancesAt",
  "jackpotLevel",
  "jackpotSeed",
  "jackpotContribution",
  "jackpotChance",
  "jackpotShare",
  "chanceOneIn",
  "chanceAbout",
  "jackpotRuleDraw",
  "jackpotRuleChance",
  "jackpotRulePools",
  "jackpotRuleExcluded",
];

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("pickLanguage", () => {
  test("a launch language picks its two-letter language, whatever the region or case", () => {
    assert.equal(pickLanguage("de"), "de");
    assert.equal(pickLanguage("pt-BR"), "pt");
    assert.equal(pickLanguage("TR"), "tr");
  });

  test("an unknown, empty or hostile code falls back to English", () => {
    for (const code of ["xx", "", null, undefined, "constructor", "__proto__", 42]) {
      assert.equal(pickLanguage(code), "en", String(code));
    }
  });
});

describe("translator", () => {
  const saved = STRINGS.ru.balance;
  afterEach(() => {
    STRINGS.ru.balance = saved;
  });

  test("placeholders are filled; one without a value stays visible", () => {
    const t = translator("en");
    assert.equal(t("autoplayLeft", { n: 7 }), "7 left");
    assert.equal(t("autoplayLeft"), "{n} left");
    assert.equal(t("youWon", { amount: "$1", other: "x" }), "You won $1");
  });

  test("a placeholder value is inserted as text, never re-expanded", () => {
    const t = translator("en");
    assert.equal(t("youWon", { amount: "{amount} $&" }), "You won {amount} $&");
  });

  test("a key missing from a language falls back to English, an unknown key to itself", () => {
    delete STRINGS.ru.balance;
    assert.equal(translator("ru")("balance"), "Balance");
    assert.equal(translator("ru")("win"), "Выигрыш");
    assert.equal(translator("ru")("noSuchKey"), "noSuchKey");
  });

  test("an unknown language translates to English", () => {
    const t = translator("xx");
    assert.equal(t("spin"), "Spin");
    assert.equal(t.symbol("PHARAOH"), "Pharaoh");
  });

  test("symbol names are translated; an unknown symbol gets its name capitalised", () => {
    assert.equal(translator("de").symbol("CHERRY"), "Kirsche");
    assert.equal(translator("tr").symbol("DRAGON_EGG"), "Dragon_egg");
  });
});

describe("the string tables", () => {
  test("every language of the selector has a table, and only those", () => {
    assert.deepEqual(Object.keys(STRINGS).sort(), Object.keys(LANGUAGES).sort());
  });

  for (const language of Object.keys(LANGUAGES).filter((l) => l !== "en")) {
    test(`${language} has every English key with the same placeholders`, () => {
      for (const [key, english] of Object.entries(STRINGS.en)) {
        const text = STRINGS[language][key];
        assert.equal(typeof text, "string", `${language}.${key} is missing`);
        assert.deepEqual(placeholders(text), placeholders(english), `${language}.${key}`);
      }
      const extra = Object.keys(STRINGS[language]).filter((k) => !(k in STRINGS.en));
      assert.deepEqual(extra, [], `${language} has keys English lacks`);
    });

    test(`${language} translates the RTP and jackpot disclosure (no English copies)`, () => {
      for (const key of DISCLOSURE) {
        assert.equal(typeof STRINGS.en[key], "string", `en.${key} is missing`);
        assert.notEqual(STRINGS[language][key], STRINGS.en[key], `${language}.${key}`);
      }
    });
  }
});

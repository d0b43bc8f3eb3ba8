// money.js: exact decimal strings and units, and their locale formatting (no float).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  formatDecimal,
  formatMoney,
  formatPercent,
  fromUnits,
  toUnits,
} from "../../src/reelbridge/provider/static/money.js";

describe("toUnits / fromUnits", () => {
  test("a decimal string becomes integer units of 1/10000", () => {
    assert.equal(toUnits("999.8"), 9998000n);
    assert.equal(toUnits("0.0125"), 125n);
    assert.equal(toUnits("7"), 70000n);
    assert.equal(toUnits("-1.5"), -15000n);
  });

  test("amounts beyond a float's exact range stay exact", () => {
    assert.equal(toUnits("92233720368547.7581"), 922337203685477581n);
    assert.equal(fromUnits(922337203685477581n), "92233720368547.7581");
  });

  test("anything that is not a decimal of at most four places is refused", () => {
    for (const text of ["", "1.23456", "1e3", "abc", "1,5", " 1", null, undefined, "0x10"]) {
      assert.equal(toUnits(text), null, String(text));
    }
  });

  test("units print back as a four-place decimal, a Number or a BigInt", () => {
    assert.equal(fromUnits(125), "0.0125");
    assert.equal(fromUnits(-15000n), "-1.5000");
    assert.equal(fromUnits(0), "0.0000");
    assert.equal(toUnits(fromUnits(123456789n)), 123456789n);
  });
});

describe("formatMoney", () => {
  test("the locale places the symbol and separators", () => {
    assert.equal(formatMoney("1234.5", "en", "EUR"), "€1,234.50");
    assert.equal(formatMoney("1234.5", "de", "EUR").replace(/\s/g, " "), "1.234,50 €");
    assert.equal(formatMoney("10", "tr", "TRY"), "₺10,00");
  });

  test("up to four decimals are kept exactly, never rounded", () => {
    assert.equal(formatMoney("0.0125", "en", "EUR"), "€0.0125");
    assert.equal(formatMoney("0.1250", "en", "EUR"), "€0.125");
    assert.equal(formatMoney("9007199254740993.99", "en", "USD"), "$9,007,199,254,740,993.99");
  });

  test("short cuts to two decimals without rounding up", () => {
    assert.equal(formatMoney("50.9999", "en", "EUR", true), "€50.99");
  });

  test("a code without a symbol is shown as the code; none at all shows the number", () => {
    assert.match(formatMoney("5", "en", "FUN"), /^FUN\s5\.00$/);
    assert.match(formatMoney("5", "en", "EURO"), /^5\.00\sEURO$/); // not a code Intl takes
    assert.equal(formatMoney("5", "en"), "5.00");
  });

  test("minus zero is shown without a sign and junk as a dash", () => {
    assert.equal(formatMoney("-0.00", "en", "EUR"), "€0.00");
    assert.equal(formatMoney("-2", "en", "EUR"), "-€2.00");
    assert.equal(formatMoney("12,5", "en", "EUR"), "—");
  });
});

describe("formatDecimal / formatPercent", () => {
  test("the digits given are kept and grouped in the locale's style", () => {
    assert.equal(formatDecimal("250000", "en"), "250,000");
    assert.equal(formatDecimal("250000", "de"), "250.000");
    assert.equal(formatDecimal("250000", "ru").replace(/\s/g, " "), "250 000");
    assert.equal(formatDecimal("96.0600", "en"), "96.0600");
    assert.equal(formatDecimal("0.50", "pt"), "0,50");
  });

  test("Spanish leaves four-digit numbers ungrouped, as Intl does", () => {
    assert.equal(formatDecimal("5000", "es"), "5000");
    assert.equal(formatDecimal("50000", "es"), "50.000");
  });

  test("whole numbers past 2^53 are exact", () => {
    assert.equal(formatDecimal("9007199254740993", "en"), "9,007,199,254,740,993");
  });

  test("the percent sign goes where the locale puts it", () => {
    assert.equal(formatPercent("97.23", "en"), "97.23%");
    assert.equal(formatPercent("97.23", "de").replace(/\s/g, " "), "97,23 %");
    assert.equal(formatPercent("97.23", "tr"), "%97,23");
    assert.equal(formatPercent("0.22", "pt"), "0,22%");
  });

  test("an unknown or malformed locale falls back, and junk is a dash", () => {
    assert.equal(formatPercent("1.18", "en_US"), "1.18%");
    assert.equal(formatPercent("n/a", "en"), "—");
    assert.equal(formatDecimal(null, "en"), "—");
    assert.equal(formatDecimal("-0.5", "en"), "-0.5");
    assert.equal(formatDecimal("-0", "en"), "0");
  });
});

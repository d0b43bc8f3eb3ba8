// disclosure.js and the paytable built from it: the RTP split at a stake, the jackpot
// levels' chances ("1 in 250,000" from an exact fraction, reduced or not), and a game
// whose base RTP is known only by simulation (PROTOCOL.md B18).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  chanceText,
  jackpotRows,
  jackpotRules,
  oneIn,
  parseFraction,
  rtpText,
} from "../../src/reelbridge/provider/static/disclosure.js";
import { translator } from "../../src/reelbridge/provider/static/i18n.js";
import { renderPaytable } from "../../src/reelbridge/provider/static/paytable.js";

const en = translator("en");
const SPLIT = { base: "96.06", jackpot: "1.18", total: "97.23" };
const BRONZE = {
  name: "Bronze",
  seed: "50.0",
  contribution_percent: "0.50",
  stake_per_hit: "50000.0",
  chance: "2000/500000000",
  one_in: "250000",
  rtp_percent: "0.60",
};
const nbsp = (text) => text.replace(/\s/g, " ");

describe("parseFraction", () => {
  test("reduces what the server sends unreduced, keeps what is reduced", () => {
    assert.deepEqual(parseFraction("2000/500000000"), { numerator: 1n, denominator: 250000n });
    assert.deepEqual(parseFraction("1/250000"), { numerator: 1n, denominator: 250000n });
    assert.deepEqual(parseFraction("3/6"), { numerator: 1n, denominator: 2n });
  });

  test("a whole number is n/1; zero is 0/1", () => {
    assert.deepEqual(parseFraction("1"), { numerator: 1n, denominator: 1n });
    assert.deepEqual(parseFraction("0"), { numerator: 0n, denominator: 1n });
  });

  test("exact beyond a float's range", () => {
    const big = parseFraction("7/90071992547409930");
    assert.deepEqual(big, { numerator: 7n, denominator: 90071992547409930n });
  });

  test("anything else is null", () => {
    for (const text of ["", "1/0", "-1/2", "0.5", "1/2/3", "a/b", null, undefined]) {
      assert.equal(parseFraction(text), null, String(text));
    }
  });
});

describe("oneIn and chanceText", () => {
  test("a chance of 1/n is exactly 1 in n", () => {
    assert.deepEqual(oneIn("2000/500000000"), { n: 250000n, exact: true });
    assert.equal(chanceText(BRONZE, "en", en), "1 in 250,000");
  });

  test("the chance follows the stake: twice the stake, half the n", () => {
    const at = (stake) => chanceText({ ...BRONZE, chance: `${stake}/500000000` }, "en", en);
    assert.equal(at(4000), "1 in 125,000");
    assert.equal(at(250000), "1 in 2,000");
  });

  test("a chance that is not 1/n is rounded half up and said to be approximate", () => {
    assert.deepEqual(oneIn("3/500000"), { n: 166667n, exact: false }); // 166,666.67
    assert.deepEqual(oneIn("2/5"), { n: 3n, exact: false }); // 2.5 rounds up
    assert.deepEqual(oneIn("3/4"), { n: 1n, exact: false });
    assert.equal(chanceText({ chance: "3/500000" }, "en", en), "about 1 in 166,667");
  });

  test("without a usable fraction the server's rounded one_in is used, approximately", () => {
    assert.deepEqual(oneIn("garbage", "250000"), { n: 250000n, exact: false });
    assert.equal(chanceText({ one_in: "125000" }, "en", en), "about 1 in 125,000");
    assert.equal(chanceText({ chance: "0/1", one_in: "5" }, "en", en), "—");
    assert.equal(chanceText({}, "en", en), "—");
  });

  test("the numbers and words are the page's language", () => {
    assert.equal(chanceText(BRONZE, "de", translator("de")), "1 zu 250.000");
    assert.equal(nbsp(chanceText(BRONZE, "ru", translator("ru"))), "1 из 250 000");
    assert.equal(chanceText(BRONZE, "tr", translator("tr")), "Her 250.000 turda 1");
  });
});

describe("rtpText", () => {
  test("a real-money stake with jackpots shows the total and its split", () => {
    assert.equal(
      rtpText({ split: SPLIT, jackpots: [BRONZE] }, "en", en),
      "Theoretical return to player (RTP) 97.23%: base game 96.06% + jackpots 1.18%",
    );
    assert.equal(
      nbsp(rtpText({ split: SPLIT, jackpots: [BRONZE] }, "de", translator("de"))),
      "Theoretische Auszahlungsquote (RTP) 97,23 %: Basisspiel 96,06 % + Jackpots 1,18 %",
    );
  });

  test("without jackpots (demo) only the base game's RTP is shown", () => {
    const demo = { base: "95.90", jackpot: "0.00", total: "95.90" };
    assert.equal(rtpText({ split: demo }, "en", en), "Theoretical return to player (RTP): 95.90%");
    assert.equal(
      rtpText({ split: demo, jackpots: [] }, "tr", translator("tr")),
      "Teorik oyuncuya geri dönüş oranı (RTP): %95,90",
    );
  });

  test("a base game known only by simulation says so, with or without jackpots", () => {
    const simulated = { base: null, jackpot: "1.18", total: null };
    assert.equal(
      rtpText({ split: simulated, jackpots: [BRONZE] }, "en", en),
      "Theoretical return to player (RTP): base game determined by simulation + jackpots 1.18%",
    );
    assert.equal(
      rtpText({ split: { base: null, jackpot: "0.00", total: null }, rtp: null }, "en", en),
      "Theoretical return to player (RTP): determined by simulation",
    );
  });

  test("without a split (an older server) the game's single figure is shown", () => {
    assert.equal(rtpText({ rtp: "96.06" }, "en", en), "Theoretical return to player (RTP): 96.06%");
  });
});

describe("jackpotRows and jackpotRules", () => {
  test("a level's seed is money, its contribution and share percentages", () => {
    assert.deepEqual(jackpotRows([BRONZE], "en", "EUR", en), [
      {
        name: "Bronze",
        seed: "€50.00",
        contribution: "0.50%",
        chance: "1 in 250,000",
        share: "0.60%",
      },
    ]);
    const [row] = jackpotRows([BRONZE], "de", "EUR", translator("de"));
    assert.equal(nbsp(row.seed), "50,00 €");
    assert.equal(nbsp(row.share), "0,60 %");
  });

  test("the rules are whole sentences in the page's language", () => {
    const rules = jackpotRules(translator("es"));
    assert.equal(rules.length, 4);
    for (const rule of rules) assert.match(rule, /^\p{Lu}.*\.$/u);
    assert.match(rules.join(" "), /demostración/);
  });
});

describe("renderPaytable", () => {
  const root = () => ({ innerHTML: "" });
  const game = {
    rtp: "97.23",
    rtp_split: SPLIT,
    reels: 3,
    rows: 3,
    lines: [[1, 1, 1]],
    symbols: [{ name: "SEVEN", kind: "line", pays: [[3, 500]] }],
    free_games: null,
  };
  const stake = { bet_id: 0, bet_per_line: "0.1", stake: "0.5", rtp: SPLIT, jackpots: [BRONZE] };
  const options = { game, stake, currency: "EUR", locale: "en", t: en };

  test("a real-money stake gets the split, the jackpot table and the rules", () => {
    const el = root();
    renderPaytable(el, options);
    assert.match(el.innerHTML, /data-testid="rtp">Theoretical return to player \(RTP\) 97\.23%/);
    assert.match(el.innerHTML, /data-testid="jackpot-rules"/);
    assert.match(el.innerHTML, /<tr data-level="Bronze">.*1 in 250,000/s);
    assert.match(el.innerHTML, /current total bet of €0\.50/);
  });

  test("a demo session gets the real-money-only sentence and no table", () => {
    const el = root();
    const demoStake = { ...stake, rtp: { ...SPLIT, jackpot: "0.00" }, jackpots: [] };
    renderPaytable(el, { ...options, stake: demoStake, demo: true });
    assert.match(el.innerHTML, /jackpots are won in real-money play only/);
    assert.doesNotMatch(el.innerHTML, /<table/);
  });

  test("a real-money session without a jackpot plan has no jackpot section", () => {
    const el = root();
    renderPaytable(el, { ...options, stake: { ...stake, jackpots: [] } });
    assert.doesNotMatch(el.innerHTML, /jackpot-rules/);
    assert.match(el.innerHTML, /\(RTP\): 96\.06%/);
  });

  test("a plug-in game with no exact base RTP and no reel layout still renders", () => {
    const el = root();
    const simulated = { base: null, jackpot: "1.18", total: null };
    renderPaytable(el, {
      ...options,
      game: { rtp: null, rtp_split: simulated },
      stake: {
        bet_id: 0,
        bet_per_line: "1",
        stake: "1",
        rtp: simulated,
        jackpots: [{ ...BRONZE, chance: "1/50000" }],
      },
    });
    assert.match(el.innerHTML, /base game determined by simulation \+ jackpots 1\.18%/);
    assert.match(el.innerHTML, /1 in 50,000/);
  });

  test("names from the server are escaped", () => {
    const el = root();
    const evil = { ...BRONZE, name: '<img src=x onerror="alert(1)">' };
    renderPaytable(el, { ...options, stake: { ...stake, jackpots: [evil] } });
    assert.doesNotMatch(el.innerHTML, /<img/);
  });
});

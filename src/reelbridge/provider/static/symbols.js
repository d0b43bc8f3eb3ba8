// The symbols' artwork: one inline SVG sprite (no image files, no fonts to download).
// Cells draw `<use href="#s-NAME">`; a symbol without artwork gets a lettered tile.

const SERIF = "Georgia, 'DejaVu Serif', 'Liberation Serif', serif";
const SANS = "'Liberation Sans', 'DejaVu Sans', Arial, sans-serif";

const linear = (id, stops, x2 = 0, y2 = 1) =>
  `<linearGradient id="${id}" x1="0" y1="0" x2="${x2}" y2="${y2}">${stops
    .map((c, i) => `<stop offset="${i / (stops.length - 1)}" stop-color="${c}"/>`)
    .join("")}</linearGradient>`;
const radial = (id, stops) =>
  `<radialGradient id="${id}" cx="0.35" cy="0.3" r="0.8">${stops
    .map((c, i) => `<stop offset="${i / (stops.length - 1)}" stop-color="${c}"/>`)
    .join("")}</radialGradient>`;

const DEFS = [
  linear("g-gold", ["#fff6c2", "#f7cf4a", "#c8930e", "#7a5200"]),
  linear("g-silver", ["#ffffff", "#d7dde8", "#8d97a8", "#4a5160"]),
  linear("g-red", ["#ff9e9e", "#f0373a", "#a10d12", "#5c0004"]),
  linear("g-blue", ["#b8dcff", "#3d8fe8", "#174c9c", "#0a2752"]),
  linear("g-green", ["#c9f7a6", "#5cb82e", "#2b6b12", "#143a06"]),
  linear("g-purple", ["#f1c9ff", "#b04be0", "#6a1b9a", "#32084d"]),
  linear("g-orange", ["#ffe2b0", "#ff9d2e", "#c45a00", "#6b2a00"]),
  linear("g-teal", ["#b4fff1", "#22c1a8", "#0b7466", "#04362f"]),
  linear("g-book", ["#d9463a", "#9a2418", "#5a0f08", "#2e0603"]),
  linear("g-skin", ["#f6cf97", "#e0a865", "#b57a3b"]),
  radial("g-cherry", ["#ff8a8a", "#e0101a", "#7a0008"]),
  radial("g-lemon", ["#fffbd6", "#ffe23d", "#c9a200"]),
  radial("g-orangefruit", ["#ffe0b0", "#ff9a1f", "#b84d00"]),
  radial("g-plum", ["#e7a8ff", "#8e2bc0", "#3a0a57"]),
  `<pattern id="p-nemes" width="100" height="9" patternUnits="userSpaceOnUse">
     <rect width="100" height="9" fill="#f4c94a"/><rect y="4.5" width="100" height="4.5" fill="#1f4fa8"/>
   </pattern>`,
].join("");

const royal = (text, gradient, size = 70) =>
  `<text x="50" y="${50 + size * 0.36}" text-anchor="middle" font-family="${SERIF}"
     font-weight="700" font-size="${size}" letter-spacing="${text.length > 1 ? -5 : 0}"
     fill="url(#${gradient})" stroke="#140a00" stroke-width="3" paint-order="stroke"
     stroke-linejoin="round">${text}</text>`;

const ART = {
  10: royal("10", "g-blue", 60),
  J: royal("J", "g-green"),
  Q: royal("Q", "g-purple"),
  K: royal("K", "g-red"),
  A: royal("A", "g-orange"),
  ANKH: `<path fill-rule="evenodd" fill="url(#g-gold)" stroke="#4d3100" stroke-width="3"
      stroke-linejoin="round" d="M50 7C34 7 28 21 28 31C28 41 37 49 43 53H18V66H44L39 94H61L56
      66H82V53H57C63 49 72 41 72 31C72 21 66 7 50 7ZM50 19C57 19 60 25 60 31C60 39 54 45 50 49C46
      45 40 39 40 31C40 25 43 19 50 19Z"/>
    <path d="M46 58 44 90" stroke="#fff" stroke-width="2.5" opacity=".45" stroke-linecap="round"/>`,
  SCARAB: `<circle cx="50" cy="14" r="10" fill="url(#g-orange)" stroke="#6b2a00" stroke-width="2.5"/>
    <g stroke="#0b3b34" stroke-width="4" stroke-linecap="round" stroke-linejoin="round" fill="none">
      <path d="M31 48 18 40 12 46M29 62 13 64 7 58M31 76 19 86 21 95"/>
      <path d="M69 48 82 40 88 46M71 62 87 64 93 58M69 76 81 86 79 95"/></g>
    <path d="M37 38Q50 22 63 38Z" fill="url(#g-teal)" stroke="#0b3b34" stroke-width="2.5"/>
    <ellipse cx="50" cy="63" rx="22" ry="28" fill="url(#g-teal)" stroke="#0b3b34" stroke-width="3"/>
    <path d="M30 52Q50 40 70 52M50 46V90" stroke="#0b3b34" stroke-width="2.5" fill="none"/>
    <ellipse cx="40" cy="66" rx="4" ry="11" fill="#fff" opacity=".3"/>
    <circle cx="50" cy="43" r="3" fill="url(#g-gold)"/>`,
  FALCON: `<g fill="url(#g-blue)" stroke="#0a2752" stroke-width="2.5" stroke-linejoin="round">
      <path d="M50 46C38 36 22 28 4 30C10 36 15 39 21 41C13 43 8 46 4 51C15 53 21 52 27 52C21 56
        17 59 13 64C26 64 37 61 47 58Z"/>
      <path transform="matrix(-1 0 0 1 100 0)" d="M50 46C38 36 22 28 4 30C10 36 15 39 21 41C13 43
        8 46 4 51C15 53 21 52 27 52C21 56 17 59 13 64C26 64 37 61 47 58Z"/></g>
    <path d="M14 38 40 44M12 50 40 52M86 38 60 44M88 50 60 52" stroke="#cfe6ff" stroke-width="1.5"
      opacity=".6"/>
    <path d="M41 58H59L63 88 50 81 37 88Z" fill="url(#g-gold)" stroke="#4d3100" stroke-width="2.5"
      stroke-linejoin="round"/>
    <ellipse cx="50" cy="50" rx="10" ry="15" fill="url(#g-gold)" stroke="#4d3100" stroke-width="2.5"/>
    <circle cx="50" cy="29" r="10" fill="url(#g-gold)" stroke="#4d3100" stroke-width="2.5"/>
    <path d="M46 33 50 42 54 33Z" fill="#3a2500"/>
    <circle cx="45.5" cy="28" r="2" fill="#111"/><circle cx="54.5" cy="28" r="2" fill="#111"/>`,
  PHARAOH: `<path d="M50 5C30 5 20 19 20 35L11 90H89L80 35C80 19 70 5 50 5Z" fill="url(#p-nemes)"
      stroke="#3a2500" stroke-width="3" stroke-linejoin="round"/>
    <path d="M35 29H65V55C65 68 58 75 50 75C42 75 35 68 35 55Z" fill="url(#g-skin)"
      stroke="#5a3300" stroke-width="2"/>
    <rect x="33" y="23" width="34" height="8" rx="2" fill="url(#g-gold)" stroke="#4d3100"
      stroke-width="1.5"/>
    <path d="M50 9C45 14 45 20 50 24C55 20 55 14 50 9Z" fill="url(#g-gold)" stroke="#4d3100"
      stroke-width="1.5"/>
    <g stroke="#111" stroke-width="1.8" stroke-linecap="round">
      <path d="M38 42Q43 38 47 42Q43 45 38 42ZM33 41 38 42" fill="#fff"/>
      <path d="M62 42Q57 38 53 42Q57 45 62 42ZM67 41 62 42" fill="#fff"/></g>
    <circle cx="43" cy="42" r="1.8" fill="#111"/><circle cx="57" cy="42" r="1.8" fill="#111"/>
    <path d="M50 45 48 54H52" fill="none" stroke="#8a5a2b" stroke-width="1.6"/>
    <path d="M45 61Q50 64 55 61" stroke="#7a3b1b" stroke-width="2" fill="none" stroke-linecap="round"/>
    <rect x="45.5" y="72" width="9" height="17" rx="2" fill="url(#p-nemes)" stroke="#3a2500"
      stroke-width="1.5"/>`,
  WILD: `<rect x="6" y="22" width="88" height="56" rx="12" fill="url(#g-purple)"
      stroke="url(#g-gold)" stroke-width="5"/>
    <text x="50" y="61" text-anchor="middle" font-family="${SERIF}" font-weight="900"
      font-size="28" fill="url(#g-gold)" stroke="#2a0540" stroke-width="2" paint-order="stroke"
      textLength="70" lengthAdjust="spacingAndGlyphs">WILD</text>
    <path d="M14 12 17 19 24 22 17 25 14 32 11 25 4 22 11 19ZM86 68 89 75 96 78 89 81 86 88 83 81
      76 78 83 75Z" fill="#fff6c2"/>`,
  BOOK: `<path d="M24 13H80L85 18V91H29Z" fill="#f3e6c4" stroke="#6b4a1a" stroke-width="2"/>
    <path d="M80 20V88M76 20V88" stroke="#c9b58a" stroke-width="1"/>
    <rect x="15" y="9" width="63" height="82" rx="5" fill="url(#g-book)" stroke="#2a0804"
      stroke-width="3"/>
    <rect x="15" y="9" width="10" height="82" rx="3" fill="#3d0a05"/>
    <rect x="30" y="17" width="41" height="66" rx="3" fill="none" stroke="url(#g-gold)"
      stroke-width="2.5"/>
    <path d="M50.5 28 62 50 50.5 72 39 50Z" fill="url(#g-gold)" stroke="#4d3100" stroke-width="1.5"/>
    <circle cx="50.5" cy="50" r="6" fill="#7b1e14" stroke="#4d3100" stroke-width="1.5"/>
    <g fill="url(#g-gold)"><circle cx="34" cy="21" r="2.5"/><circle cx="67" cy="21" r="2.5"/>
      <circle cx="34" cy="79" r="2.5"/><circle cx="67" cy="79" r="2.5"/></g>`,
  CHERRY: `<path d="M34 64C38 42 48 28 64 15M64 70C61 46 61 31 64 15" stroke="#3e6b1f"
      stroke-width="4" fill="none" stroke-linecap="round"/>
    <path d="M64 15C72 5 88 7 91 13C83 22 70 22 64 15Z" fill="url(#g-green)" stroke="#1d3a0c"
      stroke-width="2"/>
    <circle cx="33" cy="70" r="18" fill="url(#g-cherry)" stroke="#4a0000" stroke-width="2.5"/>
    <circle cx="65" cy="74" r="18" fill="url(#g-cherry)" stroke="#4a0000" stroke-width="2.5"/>
    <ellipse cx="27" cy="63" rx="5" ry="3.5" fill="#fff" opacity=".65" transform="rotate(-30 27 63)"/>
    <ellipse cx="59" cy="67" rx="5" ry="3.5" fill="#fff" opacity=".65" transform="rotate(-30 59 67)"/>`,
  LEMON: `<path d="M7 52C12 39 24 24 50 23C76 24 88 39 93 52C88 65 76 80 50 81C24 80 12 65 7 52Z"
      fill="url(#g-lemon)" stroke="#8a6d00" stroke-width="2.5"/>
    <ellipse cx="38" cy="40" rx="15" ry="6" fill="#fff" opacity=".5" transform="rotate(-15 38 40)"/>
    <g fill="#b08a00" opacity=".35"><circle cx="62" cy="56" r="1.6"/><circle cx="70" cy="48" r="1.6"/>
      <circle cx="55" cy="66" r="1.6"/><circle cx="44" cy="60" r="1.6"/></g>`,
  ORANGE: `<circle cx="50" cy="56" r="35" fill="url(#g-orangefruit)" stroke="#8a3b00" stroke-width="2.5"/>
    <path d="M52 22C58 9 75 7 82 11C76 22 63 26 52 22Z" fill="url(#g-green)" stroke="#1d3a0c"
      stroke-width="2"/>
    <circle cx="50" cy="22" r="3" fill="#5a3a00"/>
    <ellipse cx="37" cy="42" rx="11" ry="6" fill="#fff" opacity=".45" transform="rotate(-30 37 42)"/>
    <g fill="#8a3b00" opacity=".25"><circle cx="60" cy="60" r="1.7"/><circle cx="68" cy="70" r="1.7"/>
      <circle cx="52" cy="74" r="1.7"/><circle cx="70" cy="52" r="1.7"/></g>`,
  PLUM: `<path d="M50 22C76 22 86 42 84 60C82 80 66 91 50 91C34 91 18 80 16 60C14 42 24 22 50 22Z"
      fill="url(#g-plum)" stroke="#2a0a3a" stroke-width="2.5"/>
    <path d="M50 24C44 44 44 70 50 89" stroke="#2a0a3a" stroke-width="2" fill="none" opacity=".5"/>
    <path d="M50 23C50 16 54 10 58 7" stroke="#5a3a00" stroke-width="3.5" fill="none"
      stroke-linecap="round"/>
    <path d="M55 14C63 4 77 6 81 10C73 18 63 18 55 14Z" fill="url(#g-green)" stroke="#1d3a0c"
      stroke-width="2"/>
    <ellipse cx="33" cy="46" rx="6" ry="12" fill="#fff" opacity=".35" transform="rotate(20 33 46)"/>`,
  BELL: `<circle cx="50" cy="10" r="5" fill="url(#g-gold)" stroke="#6b4a00" stroke-width="2"/>
    <circle cx="50" cy="85" r="7" fill="url(#g-gold)" stroke="#6b4a00" stroke-width="2.5"/>
    <path d="M50 13C34 13 26 27 26 44C26 58 22 66 14 73H86C78 66 74 58 74 44C74 27 66 13 50 13Z"
      fill="url(#g-gold)" stroke="#6b4a00" stroke-width="3" stroke-linejoin="round"/>
    <rect x="11" y="71" width="78" height="9" rx="4.5" fill="url(#g-gold)" stroke="#6b4a00"
      stroke-width="2.5"/>
    <path d="M37 25C32 33 32 46 31 58" stroke="#fff" stroke-width="4" opacity=".55" fill="none"
      stroke-linecap="round"/>`,
  BAR: `<rect x="6" y="27" width="88" height="46" rx="8" fill="#151515" stroke="url(#g-silver)"
      stroke-width="5"/>
    <text x="50" y="62" text-anchor="middle" font-family="${SANS}" font-weight="900"
      font-size="31" fill="url(#g-silver)" textLength="66" lengthAdjust="spacingAndGlyphs">BAR</text>`,
  SEVEN: `<path d="M16 12H86V27C71 42 59 62 55 91H31C35 65 47 45 61 30H16Z" fill="url(#g-red)"
      stroke="url(#g-gold)" stroke-width="5" stroke-linejoin="round"/>
    <path d="M22 17H78" stroke="#fff" stroke-width="3" opacity=".45" stroke-linecap="round"/>`,
};

/** The sprite to put once in the document; `names` are the game's symbols. */
export function spriteMarkup(names) {
  const symbols = names
    .map((name) => {
      const art =
        ART[name] ??
        `<rect x="8" y="8" width="84" height="84" rx="14" fill="url(#g-silver)"/>` +
          `<text x="50" y="60" text-anchor="middle" font-family="${SANS}" font-weight="800"
            font-size="${name.length > 4 ? 16 : 26}" fill="#222">${escapeXml(name)}</text>`;
      return `<symbol id="${symbolId(name)}" viewBox="0 0 100 100">${art}</symbol>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" aria-hidden="true"
    style="position:absolute"><defs>${DEFS}</defs>${symbols}</svg>`;
}

/** The sprite id of a symbol (ids are wire names such as "10" or "PHARAOH"). */
export function symbolId(name) {
  return `s-${String(name).replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** An inline SVG drawing symbol `name` from the sprite. */
export function symbolSvg(name) {
  return `<svg viewBox="0 0 100 100" aria-hidden="true" focusable="false"><use href="#${symbolId(
    name,
  )}"/></svg>`;
}

function escapeXml(text) {
  return String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

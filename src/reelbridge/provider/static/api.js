// The game API of one launch (game_api.py), and the player's settings. Any failure to
// get a JSON answer is an ApiError; the caller treats it as an unknown outcome (B4).

const SPIN_TIMEOUT_MS = 30000;

/** A failed call: `code` is the server's error code, or "network" / "unreadable" / "http". */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * `api(path, options)` for the launch whose page is `pageUrl` (`…/game/{token}`): fetches
 * `…/game/api/{token}/{path}` and resolves to its JSON, or rejects with an ApiError.
 */
export function gameApi(pageUrl) {
  const token = decodeURIComponent(
    new URL(pageUrl).pathname.split("/").filter(Boolean).pop() || "",
  );
  const base = new URL(`api/${encodeURIComponent(token)}/`, pageUrl);
  return async (path, options = {}) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeout ?? SPIN_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(new URL(path, base), {
        ...options,
        signal: controller.signal,
        cache: "no-store",
        headers: { Accept: "application/json", ...(options.headers || {}) },
      });
    } catch {
      throw new ApiError("network", "", 0);
    } finally {
      clearTimeout(timer);
    }
    let data;
    try {
      data = await response.json();
    } catch {
      throw new ApiError("unreadable", "", response.status);
    }
    if (!response.ok || data === null || typeof data !== "object") {
      const error = data?.error || {};
      throw new ApiError(error.code || "http", error.message || "", response.status);
    }
    return data;
  };
}

/** The player's settings (turbo, sound), kept in localStorage when the browser allows. */
export const prefs = {
  get(key, fallback) {
    try {
      const value = localStorage.getItem(`reelbridge.${key}`);
      return value === null ? fallback : value === "1";
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(`reelbridge.${key}`, value ? "1" : "0");
    } catch {
      // storage refused (private mode, sandboxed frame): the setting lasts for the page
    }
  },
};

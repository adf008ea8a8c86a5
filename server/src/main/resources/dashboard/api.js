// The one way the dashboard talks to the server: the public /v1 API, the session cookie (HttpOnly, never seen
// here) and, on every change, the CSRF token /v1/me and sign-in answer with. Kept in memory only.

let csrf = "";
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCsrf(token) {
  csrf = token || "";
}

/** What to do when the session has ended (a 401 on a page that needs one). */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

/**
 * A request; resolves to the parsed JSON answer (null for none) or rejects with an ApiError carrying the server's
 * message. `quiet401` leaves a 401 to the caller (sign-in, "who am I").
 */
export async function api(method, path, body, { quiet401 = false } = {}) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  } catch (e) {
    throw new ApiError(0, "The server cannot be reached.");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!response.ok) throw failure(response, data, quiet401);
  return data;
}

function failure(response, data, quiet401) {
  if (response.status === 401 && !quiet401) onSignedOut();
  const message = data && typeof data.message === "string" ? data.message
    : data && typeof data.error === "string" ? data.error : response.status + " " + response.statusText;
  return new ApiError(response.status, message);
}

/** A GET whose answer is a file (an export): resolves to { text, type }, or rejects as api() does. */
export async function getText(path) {
  let response;
  try {
    response = await fetch(path, { method: "GET", credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "The server cannot be reached.");
  }
  const text = await response.text();
  if (!response.ok) {
    let data = null;
    try { data = JSON.parse(text); } catch (e) { data = null; }
    throw failure(response, data, false);
  }
  return { text, type: response.headers.get("Content-Type") || "application/octet-stream" };
}

export const get = (path, options) => api("GET", path, undefined, options);
export const post = (path, body, options) => api("POST", path, body === undefined ? {} : body, options);
export const put = (path, body) => api("PUT", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = path => api("DELETE", path);

/** A path with its segments encoded: path`/v1/workspace/${ws}/project/${prj}`. */
export function path(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => { out += encodeURIComponent(value) + strings[i + 1]; });
  return out;
}

// Sign in with a password, or with single sign-on when the server has it; the first visitor of a fresh install is
// sent to create the first account.
import { h, mount, field } from "../dom.js";
import { get, post } from "../api.js";
import { signingIn } from "../ui.js";

/** Where to go after signing in: a path inside the dashboard only (never another site). */
export function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/v1/") ? next : "/";
}

/** What the server's single sign-on callback sends back when it refuses (SsoRoutes.refusalCode). */
const SSO_REFUSALS = {
  failed: "Single sign-on could not be completed: start again.",
  refused: "The identity provider's answer could not be verified: start again, or ask an admin to check the server log.",
  "not-invited": "You cannot sign in here yet: ask an admin of the workspace for an invitation.",
  unavailable: "The identity provider cannot be reached: try again later."
};

export async function render(main, { go, refreshMe, me }) {
  if (me) return go(nextPath(), { replace: true });
  let options = { firstRun: false, openSignUp: false, sso: { enabled: false } };
  try { options = await get("/v1/auth/options", { quiet401: true }); } catch (e) { /* older server: password only */ }
  if (options.firstRun) return go("/sign-up", { replace: true });
  const error = h("p", { class: "error", role: "alert" },
    SSO_REFUSALS[new URLSearchParams(location.search).get("sso")] || "");
  const email = h("input", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = signingIn(h("form", {}, field("Email", email), field("Password", password), error, h("div", { class: "actions" }, button)),
    button, error, {
      send: () => post("/v1/auth/login", { email: email.value, password: password.value }, { quiet401: true }),
      done: async () => { await refreshMe(); go(nextPath(), { replace: true }); },
      failure: err => {
        password.value = "";
        password.focus();
        return err.status === 401 ? "Wrong email or password."
          : err.status === 429 ? "Too many attempts: wait a minute, then try again." : err.message;
      }
    });
  const sso = options.sso && options.sso.enabled
    ? h("p", {}, h("a", { class: "button", href: "/v1/auth/sso/start?return=" + encodeURIComponent(nextPath()) },
      "Sign in with " + (options.sso.label || "single sign-on")))
    : null;
  mount(main, h("h1", {}, "Sign in to ek"), sso, sso ? h("p", { class: "muted" }, "or with your password:") : null, form,
    options.openSignUp ? h("p", {}, "No account? ", h("a", { href: "/sign-up" }, "Create one")) : null);
  email.focus();
}

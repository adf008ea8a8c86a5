// My account: where I am signed in (end any of it), my password, my preferences.
import { h, mount, field, when } from "../dom.js";
import { get, put, del, path } from "../api.js";
import { notice, confirmAction, errorText } from "../ui.js";
import { applyTheme } from "../theme.js";

export async function render(main, { me, signOut }) {
  const sessions = h("tbody");
  const loadSessions = async () => {
    const list = await get("/v1/me/sessions");
    mount(sessions, list.map(s => h("tr", {},
      h("td", {}, s.type === "cli-login" ? "ek login (CLI)" : "Dashboard", s.current ? h("span", { class: "badge" }, "this browser") : null),
      h("td", {}, when(s.createdAt)), h("td", {}, when(s.expiresAt)),
      h("td", {}, s.current
        ? h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out")
        : h("button", { type: "button", class: "secondary", "aria-label": "End the sign-in from " + when(s.createdAt), onclick: async () => {
          if (!await confirmAction("End this sign-in?", "Whoever uses it is signed out at once.", "End sign-in")) return;
          try { await del(path`/v1/me/sessions/${s.id}`); notice("Sign-in ended."); await loadSessions(); }
          catch (e) { notice(errorText(e), "error"); }
        } }, "End")))));
  };

  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: 12, maxlength: 256 });
  const again = h("input", { type: "password", autocomplete: "new-password", required: true });
  const pwError = h("p", { class: "error", role: "alert" });
  // the person's email as the form's username, for password managers and assistive technology
  const username = h("input", { type: "email", autocomplete: "username", value: me.email, readonly: true, hidden: true, "aria-hidden": "true", tabindex: "-1" });
  const pwForm = h("form", { onsubmit: async e => {
    e.preventDefault();
    pwError.textContent = "";
    if (next.value !== again.value) { pwError.textContent = "The two new passwords differ."; return; }
    try {
      await put("/v1/me/password", { currentPassword: current.value, newPassword: next.value });
      current.value = next.value = again.value = "";
      notice("Password changed; your other sign-ins were ended.");
      await loadSessions();
    } catch (err) {
      pwError.textContent = err.status === 401 || err.status === 403 ? "The current password is wrong." : err.message;
    }
  } }, username, field("Current password", current), field("New password", next, "At least 12 characters."),
  field("New password again", again), pwError, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Change password")));

  let prefs = {};
  try { prefs = await get("/v1/me/preferences") || {}; } catch (e) { prefs = {}; }
  const theme = h("select", { onchange: async e => {
    prefs = { ...prefs, theme: e.target.value };
    applyTheme(prefs.theme);
    try { await put("/v1/me/preferences", prefs); notice("Preference saved."); } catch (err) { notice(errorText(err), "error"); }
  } }, [["system", "As the system"], ["light", "Light"], ["dark", "Dark"]].map(([v, label]) =>
    h("option", { value: v, selected: (prefs.theme || "system") === v }, label)));

  mount(main,
    h("h1", {}, "My account"),
    h("p", {}, me.name ? me.name + " · " : "", me.email),
    h("section", {}, h("h2", {}, "Where I am signed in"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Kind"), h("th", {}, "Since"), h("th", {}, "Expires"), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))), sessions)),
    h("section", {}, h("h2", {}, "Password"), pwForm),
    h("section", {}, h("h2", {}, "Preferences"), field("Appearance", theme)));
  await loadSessions();
}

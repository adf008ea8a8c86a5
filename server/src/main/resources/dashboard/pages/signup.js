// Creating an account: the first person on a fresh install creates the workspace and owns it; later only when the
// server allows open sign-up (otherwise people join through an invitation link).
import { h, mount, field } from "../dom.js";
import { get, post } from "../api.js";
import { signingIn } from "../ui.js";

export async function render(main, { go, refreshMe, me }) {
  if (me) return go("/", { replace: true });
  let options = null;
  try { options = await get("/v1/auth/options", { quiet401: true }); } catch (e) { /* the server decides on submit */ }
  if (options && !options.firstRun && !options.openSignUp) {
    mount(main, h("h1", {}, "Sign-up is by invitation"),
      h("p", {}, "Ask an admin of your workspace for an invitation link."),
      h("p", {}, h("a", { href: "/sign-in" }, "Sign in")));
    return;
  }
  const error = h("p", { class: "error", role: "alert" });
  const name = h("input", { name: "name", autocomplete: "name", maxlength: 64 });
  const email = h("input", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 12, maxlength: 256 });
  const workspace = h("input", { name: "workspace", required: true, pattern: "[a-z0-9][a-z0-9-]*", maxlength: 48, autocomplete: "off" });
  const button = h("button", { type: "submit", class: "primary" }, options && options.firstRun ? "Create the workspace" : "Create account");
  const form = signingIn(h("form", {}, field("Your name", name), field("Email", email),
  field("Password", password, "At least 12 characters."),
  field("Workspace", workspace, "Its short name in URLs and the CLI: lowercase letters, digits and dashes, e.g. acme."),
  error, h("div", { class: "actions" }, button)),
    button, error, {
      send: () => {
        const body = { email: email.value, password: password.value, workspace: workspace.value };
        if (name.value.trim()) body.name = name.value.trim();
        return post("/v1/auth/signup", body, { quiet401: true });
      },
      done: async () => { await refreshMe(); go("/w/" + encodeURIComponent(workspace.value), { replace: true }); },
      failure: err => err.status === 401 ? "Wrong email or password." : err.message
    });
  mount(main, h("h1", {}, options && options.firstRun ? "Welcome: create the first account" : "Create an account"),
    options && options.firstRun ? h("p", {}, "This server is new. The first account owns its first workspace and can invite everyone else.") : null,
    form, h("p", {}, "Already have an account? ", h("a", { href: "/sign-in" }, "Sign in")));
  (options && options.firstRun ? name : email).focus();
}
